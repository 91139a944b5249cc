// The /ws connection and its resume state machine (contract §5, §8.3).
// Framework-free: the socket, the timers and the storage are injected, so
// the whole protocol runs in unit tests without a browser.
//
// Rules it keeps:
// - a record is applied (the `apply` callback, synchronously) *before* its
//   offset enters the cursor; the cursor is persisted from there;
// - every (re)connect sends `resume`: from "cursor" with the stored offsets,
//   or, with no cursor yet, from "latest" (its replay_complete gives the
//   page a baseline for every partition, so a later resume never replays a
//   partition from the start of retention by mistake);
// - records at or below the cursor are dropped (never shown twice);
// - while a resume is answered, records are held, not applied: the server
//   may send live records before it has read the resume (they are newer
//   than the replay that follows), so applying them at once would move the
//   cursor past records still to come, and a disconnect then would skip
//   them. At replay_complete the held records are applied in offset order
//   up to the offsets the replay covered (lastOffsetsByPartition); newer
//   ones (only after a capped replay) are dropped and come with the next
//   page;
// - a capped replay is followed at once by another resume from the cursor
//   (the server stops live delivery after a capped replay), until a
//   replay_complete without `capped`;
// - disconnects reconnect with exponential backoff; a failed upgrade asks
//   `probeAuth` whether the token is the reason, and then stops.
import { Cursor, parseOffset } from "./cursor";
import type { CursorStaleMsg, ServerMessage } from "./messages";
import { parseServerMessage } from "./messages";

export interface SocketLike {
  binaryType: string;
  readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type Phase =
  | "idle"
  | "connecting"
  | "replaying"
  | "live"
  | "caught_up"
  | "reconnecting"
  | "auth_required"
  | "stopped";

export interface ConnectionStatus {
  phase: Phase;
  /** Consecutive failed attempts (0 while connected). */
  attempt: number;
  /** When the next reconnect is due (timer clock, ms), while reconnecting. */
  retryAt: number | null;
  /** The resume in progress or last finished. */
  resumeFrom: "cursor" | "latest" | null;
  /** Capped replays in the current resume chain (each is followed by another resume). */
  cappedPages: number;
  lastReplay: { totalReplayed: number; capped: boolean; mode: string } | null;
  /** cursor_stale answers of the current connection: records the page cannot get back. */
  stale: Array<Pick<CursorStaleMsg, "partition" | "requested" | "oldest" | "message">>;
  /** The last `error` or `disconnect` frame, or close reason. */
  lastProblem: string | null;
  connects: number;
}

export interface ConnectionCounters {
  applied: number;
  duplicatesDropped: number;
  /** Records held while a resume was answered (then applied or deferred). */
  held: number;
  /** Held records beyond what a capped replay covered: asked for again. */
  deferred: number;
  /** Held records dropped because the connection closed mid-replay. */
  discarded: number;
  protocolErrors: number;
  framesText: number;
  framesBinary: number;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export interface ConnectionDeps {
  /** The /ws URL, with ?token= when there is one. */
  url: () => string;
  createSocket: (url: string) => SocketLike;
  cursor: Cursor;
  /** Applies one record to the stores; must be synchronous. */
  apply: (partition: number, offset: string, bytes: Uint8Array) => void;
  /** Every control frame but cursor (gap, pong, ...), after the machine handled it. */
  onControl?: (msg: ServerMessage) => void;
  onStatus?: (s: ConnectionStatus) => void;
  /** After an upgrade that never opened: false when the token is refused. */
  probeAuth?: () => Promise<boolean>;
  timers?: Timers;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  pingIntervalMs?: number;
  /** How often the cursor is written to storage at most. */
  persistEveryMs?: number;
  random?: () => number;
}

const OPEN = 1;
/** Records held during one replay page at most (the server's page is 10 000). */
const MAX_HELD = 50_000;

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

export class LiveConnection {
  readonly counters: ConnectionCounters = {
    applied: 0,
    duplicatesDropped: 0,
    held: 0,
    deferred: 0,
    discarded: 0,
    protocolErrors: 0,
    framesText: 0,
    framesBinary: 0,
  };
  private st: ConnectionStatus = {
    phase: "idle",
    attempt: 0,
    retryAt: null,
    resumeFrom: null,
    cappedPages: 0,
    lastReplay: null,
    stale: [],
    lastProblem: null,
    connects: 0,
  };
  private sock: SocketLike | null = null;
  private opened = false;
  private pending: { partition: number; offset: bigint; text: string } | null = null;
  /** True from open until a replay_complete that is not capped. */
  private resuming = false;
  private held: Array<{ partition: number; offset: bigint; text: string; bytes: Uint8Array }> = [];
  private retryTimer: unknown = null;
  private pingTimer: unknown = null;
  private persistTimer: unknown = null;
  private lastHeard = 0;
  private readonly timers: Timers;

  constructor(private readonly d: ConnectionDeps) {
    this.timers = d.timers ?? defaultTimers;
  }

  get status(): ConnectionStatus {
    return this.st;
  }

  start(): void {
    if (this.sock || this.st.phase === "stopped") return;
    this.connect();
  }

  /** Closes for good (page unload, token change). */
  stop(): void {
    this.set({ phase: "stopped" });
    this.clearTimers();
    this.d.cursor.persist();
    const s = this.sock;
    this.sock = null;
    if (s) {
      s.onclose = s.onmessage = s.onerror = s.onopen = null;
      try {
        s.close(1000, "page closed");
      } catch {
        /* already closed */
      }
    }
  }

  /** After the user gave a new token: connect again now. */
  restart(): void {
    this.stop();
    this.st = { ...this.st, phase: "idle", attempt: 0, retryAt: null };
    this.connect();
  }

  /** Asks the server to move this page to the latest offsets (skips the rest). */
  resetCursor(): boolean {
    return this.send({ type: "cursor_reset" });
  }

  ping(): boolean {
    return this.send({ type: "ping" });
  }

  private send(obj: unknown): boolean {
    if (!this.sock || this.sock.readyState !== OPEN) return false;
    this.sock.send(JSON.stringify(obj));
    return true;
  }

  private set(patch: Partial<ConnectionStatus>): void {
    this.st = { ...this.st, ...patch };
    this.d.onStatus?.(this.st);
  }

  private clearTimers(): void {
    for (const t of [this.retryTimer, this.pingTimer, this.persistTimer]) {
      if (t !== null) this.timers.clearTimeout(t);
    }
    this.retryTimer = this.pingTimer = this.persistTimer = null;
  }

  private connect(): void {
    this.retryTimer = null;
    this.opened = false;
    this.pending = null;
    this.set({ phase: this.st.attempt === 0 ? "connecting" : "reconnecting", retryAt: null });
    let s: SocketLike;
    try {
      s = this.d.createSocket(this.d.url());
    } catch (e) {
      this.set({ lastProblem: e instanceof Error ? e.message : String(e) });
      this.scheduleReconnect();
      return;
    }
    s.binaryType = "arraybuffer";
    this.sock = s;
    s.onopen = () => this.onOpen();
    s.onmessage = (ev) => this.onMessage(ev.data);
    s.onerror = () => {
      /* onclose follows */
    };
    s.onclose = (ev) => this.onClose(ev);
  }

  private onOpen(): void {
    this.opened = true;
    this.resuming = true;
    this.held = [];
    this.lastHeard = this.timers.now();
    const hasCursor = this.d.cursor.size > 0;
    const from = hasCursor ? "cursor" : "latest";
    this.set({
      phase: "replaying",
      resumeFrom: from,
      cappedPages: 0,
      stale: [],
      lastProblem: null,
      connects: this.st.connects + 1,
    });
    this.send({ type: "resume", lastOffsetsByPartition: this.d.cursor.toJSON(), from });
    this.schedulePing();
  }

  private onMessage(data: unknown): void {
    this.lastHeard = this.timers.now();
    if (typeof data === "string") {
      this.counters.framesText++;
      this.onText(data);
      return;
    }
    this.counters.framesBinary++;
    let bytes: Uint8Array;
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else if (data instanceof Uint8Array) bytes = data;
    else {
      this.counters.protocolErrors++;
      return;
    }
    const cur = this.pending;
    this.pending = null;
    if (!cur) {
      this.counters.protocolErrors++; // a BINARY frame without its cursor
      return;
    }
    if (this.resuming) {
      if (this.held.length >= MAX_HELD) {
        // A server that never completes its replay: start over.
        this.set({ lastProblem: `more than ${MAX_HELD} records without replay_complete` });
        this.dropConnection(4001, "replay too long");
        return;
      }
      this.counters.held++;
      this.held.push({ ...cur, bytes });
      return;
    }
    this.applyOne(cur.partition, cur.offset, cur.text, bytes);
  }

  private applyOne(partition: number, offset: bigint, text: string, bytes: Uint8Array): void {
    if (this.d.cursor.isApplied(partition, offset)) {
      this.counters.duplicatesDropped++;
      return;
    }
    this.d.apply(partition, text, bytes);
    this.counters.applied++;
    this.d.cursor.markApplied(partition, offset);
    this.schedulePersist();
  }

  /** Applies the held records the replay covered, in offset order. */
  private releaseHeld(covered: Record<string, unknown>): void {
    const held = this.held;
    this.held = [];
    held.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
    for (const h of held) {
      const upTo = parseOffset(covered[String(h.partition)]);
      if (upTo === null || h.offset > upTo) {
        this.counters.deferred++;
        continue;
      }
      this.applyOne(h.partition, h.offset, h.text, h.bytes);
    }
  }

  private dropConnection(code: number, reason: string): void {
    const s = this.sock;
    if (!s) return;
    s.onclose = null;
    try {
      s.close(code, reason);
    } catch {
      /* ignore */
    }
    this.onClose({ code, reason });
  }

  private onText(text: string): void {
    const msg = parseServerMessage(text);
    if (!msg) {
      this.counters.protocolErrors++;
      return;
    }
    switch (msg.type) {
      case "cursor": {
        const off = parseOffset(msg.offset);
        if (off === null || !Number.isInteger(msg.partition) || msg.partition < 0) {
          this.counters.protocolErrors++;
          this.pending = null;
          return;
        }
        this.pending = { partition: msg.partition, offset: off, text: off.toString() };
        return;
      }
      case "replay_complete": {
        this.releaseHeld(msg.lastOffsetsByPartition ?? {});
        this.d.cursor.adopt(msg.lastOffsetsByPartition ?? {});
        this.d.cursor.persist();
        const lastReplay = {
          totalReplayed: Number(msg.totalReplayed ?? 0),
          capped: !!msg.capped,
          mode: String(msg.mode ?? ""),
        };
        if (msg.capped) {
          // The server holds live records back after a capped replay: ask
          // for the next page from what has been applied.
          this.set({ lastReplay, cappedPages: this.st.cappedPages + 1, resumeFrom: "cursor" });
          this.send({ type: "resume", lastOffsetsByPartition: this.d.cursor.toJSON(), from: "cursor" });
        } else {
          this.resuming = false;
          this.set({
            lastReplay,
            phase: this.st.resumeFrom === "latest" ? "live" : "caught_up",
            attempt: 0,
          });
        }
        break;
      }
      case "cursor_stale":
        this.set({
          stale: [
            ...this.st.stale,
            { partition: msg.partition, requested: String(msg.requested), oldest: String(msg.oldest), message: msg.message },
          ],
        });
        break;
      case "cursor_reset_complete":
        this.held = [];
        this.resuming = false;
        this.d.cursor.clear();
        this.d.cursor.adopt(msg.latestOffsetsByPartition ?? {});
        this.d.cursor.persist();
        this.set({ phase: "live", stale: [] });
        break;
      case "disconnect":
        this.set({ lastProblem: `disconnected by the server: ${msg.reason}${msg.message ? ` (${msg.message})` : ""}` });
        break;
      case "error":
        this.set({ lastProblem: `server error ${msg.code}: ${msg.message}` });
        break;
      default:
        break;
    }
    this.d.onControl?.(msg);
  }

  private onClose(ev: { code?: number; reason?: string }): void {
    const wasOpen = this.opened;
    this.sock = null;
    this.pending = null;
    // Not applied, so not in the cursor: the next resume asks for them again.
    this.counters.discarded += this.held.length;
    this.held = [];
    this.resuming = false;
    this.d.cursor.persist();
    if (this.pingTimer !== null) this.timers.clearTimeout(this.pingTimer);
    this.pingTimer = null;
    if (this.st.phase === "stopped") return;
    if (!wasOpen && this.d.probeAuth) {
      // Browsers hide the upgrade's HTTP status: ask the API whether the
      // token is the reason before retrying.
      this.set({ phase: "reconnecting", lastProblem: this.st.lastProblem ?? "connection failed" });
      this.d.probeAuth().then(
        (ok) => {
          if (this.st.phase === "stopped") return;
          if (!ok) this.set({ phase: "auth_required", lastProblem: "the daemon refused the token" });
          else this.scheduleReconnect();
        },
        () => this.scheduleReconnect(),
      );
      return;
    }
    if (wasOpen && !this.st.lastProblem) {
      this.set({ lastProblem: `connection closed (${ev.code ?? "?"}${ev.reason ? `: ${ev.reason}` : ""})` });
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.st.phase === "stopped" || this.st.phase === "auth_required") return;
    const attempt = this.st.attempt + 1;
    const base = this.d.backoffInitialMs ?? 500;
    const max = this.d.backoffMaxMs ?? 15_000;
    const exp = Math.min(max, base * 2 ** Math.min(attempt - 1, 16));
    const delay = Math.round(exp / 2 + (this.d.random ?? Math.random)() * (exp / 2));
    this.set({ phase: "reconnecting", attempt, retryAt: this.timers.now() + delay });
    this.retryTimer = this.timers.setTimeout(() => this.connect(), delay);
  }

  private schedulePing(): void {
    const every = this.d.pingIntervalMs ?? 20_000;
    this.pingTimer = this.timers.setTimeout(() => {
      this.pingTimer = null;
      if (!this.sock) return;
      if (this.timers.now() - this.lastHeard > every * 2.5) {
        // Nothing heard for over two pings: the connection is dead.
        this.set({ lastProblem: "no answer to ping" });
        this.dropConnection(4000, "ping timeout");
        return;
      }
      this.ping();
      this.schedulePing();
    }, every);
  }

  private schedulePersist(): void {
    if (this.persistTimer !== null) return;
    this.persistTimer = this.timers.setTimeout(() => {
      this.persistTimer = null;
      this.d.cursor.persist();
    }, this.d.persistEveryMs ?? 250);
  }
}
