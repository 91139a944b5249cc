// The page's live model: the /ws connection, decoding, and the stores, with
// view updates batched to one per animation frame (records are applied to
// the stores as they arrive; React only re-renders at most once a frame).
import { decodeFrame } from "./proto/decode";
import type { DecodedItem } from "./proto/decode";
import { Ring } from "./stores/ring";
import { ThreadStore } from "./stores/threads";
import { LiveConnection } from "./ws/connection";
import type { ConnectionStatus, SocketLike } from "./ws/connection";
import { Cursor, type KeyValueStorage } from "./ws/cursor";
import type { ServerMessage } from "./ws/messages";

export interface EventRow extends DecodedItem {
  /** Unique, increasing: the list's key. */
  id: number;
  partition: number;
  offset: string;
  receivedAt: number;
  /** Set for a record that did not decode (then kind is "decode_error"). */
  error?: string;
}

export interface LiveCounters {
  recordsApplied: number;
  eventsApplied: number;
  decodeErrors: number;
  /** Distinct offsets applied, per partition. */
  offsetsByPartition: Record<string, number>;
  /** Last applied offset per partition (decimal strings). */
  lastOffsetByPartition: Record<string, string>;
  framing: Record<string, number>;
  flushes: number;
}

export interface LiveOptions {
  url: () => string;
  cursorStorage: KeyValueStorage | null;
  cursorKey: string;
  probeAuth?: () => Promise<boolean>;
  createSocket?: (url: string) => SocketLike;
  historySize?: number;
  /** Who the page is (from /api/session), for the test hooks. */
  session?: { auth: string; tenant: string | null; admin: boolean } | null;
  /** Defaults to requestAnimationFrame (setTimeout 16 ms where there is none). */
  schedule?: (fn: () => void) => void;
}

const BOUNDED_SET = 500;

export class LiveModel {
  readonly events: Ring<EventRow>;
  readonly threads = new ThreadStore();
  readonly counters: LiveCounters = {
    recordsApplied: 0,
    eventsApplied: 0,
    decodeErrors: 0,
    offsetsByPartition: {},
    lastOffsetByPartition: {},
    framing: {},
    flushes: 0,
  };
  /** Values seen, for the filters' choices (bounded). */
  readonly eventTypes = new Set<string>();
  readonly nodes = new Set<string>();
  readonly controls: Array<{ at: number; msg: ServerMessage }> = [];
  readonly cursor: Cursor;
  readonly conn: LiveConnection;
  status: ConnectionStatus;
  /** Bumped once per flushed frame. */
  version = 0;
  private nextId = 1;
  private scheduled = false;
  private readonly listeners = new Set<() => void>();
  private readonly schedule: (fn: () => void) => void;
  private readonly session: LiveOptions["session"];

  constructor(opts: LiveOptions) {
    this.session = opts.session ?? null;
    this.events = new Ring<EventRow>(opts.historySize ?? 10_000);
    this.cursor = new Cursor(opts.cursorStorage, opts.cursorKey);
    this.schedule =
      opts.schedule ??
      (typeof requestAnimationFrame === "function" ? (fn) => requestAnimationFrame(() => fn()) : (fn) => setTimeout(fn, 16));
    this.conn = new LiveConnection({
      url: opts.url,
      createSocket: opts.createSocket ?? ((u) => new WebSocket(u) as unknown as SocketLike),
      cursor: this.cursor,
      apply: (p, off, bytes) => this.apply(p, off, bytes),
      onControl: (m) => this.onControl(m),
      onStatus: (s) => {
        this.status = s;
        this.changed();
      },
      probeAuth: opts.probeAuth,
    });
    this.status = this.conn.status;
  }

  start(): void {
    this.conn.start();
  }

  stop(): void {
    this.conn.stop();
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getVersion = (): number => this.version;

  private changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }

  /** Notifies the views (once per frame at most). */
  flush(): void {
    this.scheduled = false;
    this.version++;
    this.counters.flushes++;
    for (const fn of this.listeners) fn();
  }

  /** Applies one record to the stores. Never throws: a bad frame is counted. */
  apply(partition: number, offset: string, bytes: Uint8Array): void {
    const now = Date.now();
    const r = decodeFrame(bytes);
    const c = this.counters;
    c.recordsApplied++;
    const pk = String(partition);
    c.offsetsByPartition[pk] = (c.offsetsByPartition[pk] ?? 0) + 1;
    c.lastOffsetByPartition[pk] = offset;
    c.framing[r.framing] = (c.framing[r.framing] ?? 0) + 1;
    if (!r.ok) {
      c.decodeErrors++;
      this.events.push({
        id: this.nextId++,
        partition,
        offset,
        receivedAt: now,
        kind: "decode_error",
        eventType: "DECODE_ERROR",
        threadId: "",
        tenantId: "",
        nodeId: "",
        sequence: "0",
        timestampUs: "0",
        messageId: "",
        index: 0,
        batchSize: 0,
        detail: r.error,
        error: r.error,
      });
      this.changed();
      return;
    }
    for (const it of r.items) {
      const row: EventRow = { ...it, id: this.nextId++, partition, offset, receivedAt: now };
      this.events.push(row);
      c.eventsApplied++;
      this.threads.observe(row, now);
      if (this.eventTypes.size < BOUNDED_SET) this.eventTypes.add(row.eventType);
      if (row.nodeId && this.nodes.size < BOUNDED_SET) this.nodes.add(row.nodeId);
    }
    this.changed();
  }

  private onControl(msg: ServerMessage): void {
    if (msg.type === "pong") return;
    if (msg.type === "gap") this.threads.serverGap(msg);
    this.controls.push({ at: Date.now(), msg });
    if (this.controls.length > 100) this.controls.shift();
    this.changed();
  }

  /** window.__dashstream: read-only numbers for end-to-end tests. */
  testHooks(): object {
    const self = this;
    const copy = <T>(x: T): T => JSON.parse(JSON.stringify(x));
    return Object.freeze({
      get session() {
        return self.session ? { ...self.session } : null;
      },
      get connectionState() {
        return self.status.phase;
      },
      get status() {
        return copy({ ...self.status });
      },
      get recordsApplied() {
        return self.counters.recordsApplied;
      },
      get eventsApplied() {
        return self.counters.eventsApplied;
      },
      get decodeErrors() {
        return self.counters.decodeErrors;
      },
      get duplicatesDropped() {
        return self.conn.counters.duplicatesDropped;
      },
      get replay() {
        const k = self.conn.counters;
        return { held: k.held, deferred: k.deferred, discarded: k.discarded };
      },
      get protocolErrors() {
        return self.conn.counters.protocolErrors;
      },
      get offsetsByPartition() {
        return { ...self.counters.offsetsByPartition };
      },
      get lastOffsetByPartition() {
        return { ...self.counters.lastOffsetByPartition };
      },
      get cursor() {
        return self.cursor.toJSON();
      },
      get framing() {
        return { ...self.counters.framing };
      },
      get sequenceTotals() {
        return { ...self.threads.totals };
      },
      get threads() {
        const out: Record<string, object> = {};
        for (const t of self.threads.list()) {
          out[t.threadId] = {
            tenant: t.tenantId,
            records: t.records,
            baseline: t.baseline.toString(),
            lastSeq: t.lastSeq.toString(),
            gaps: t.gaps,
            missing: t.missing.toString(),
            duplicates: t.duplicates,
            reorders: t.reorders,
            serverGaps: t.serverGaps.length,
          };
        }
        return out;
      },
      get tenants() {
        const s = new Set<string>();
        for (const t of self.threads.list()) if (t.tenantId) s.add(t.tenantId);
        for (let i = 0; i < self.events.size; i++) {
          const r = self.events.at(i);
          if (r?.tenantId) s.add(r.tenantId);
        }
        return [...s].sort();
      },
      get flushes() {
        return self.counters.flushes;
      },
      get historySize() {
        return self.events.size;
      },
    });
  }
}
