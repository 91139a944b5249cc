// Per-thread sequence timelines, derived in the browser from header.sequence
// of every record the page applies (contract §3 rules: the first sequence
// seen is the baseline; seq == expected ok; seq > expected a gap of
// seq - expected; seq == expected - 1 a duplicate; seq < expected - 1 a
// reorder; duplicates and reorders do not move expected; sequence 0 or an
// empty thread id is not validated) — plus the server's own `gap` frames.

export type SegmentKind = "ok" | "gap" | "duplicate" | "reorder";

export interface Segment {
  kind: SegmentKind;
  /** First sequence of the run (ok), of the missing range (gap), or the seq itself. */
  from: bigint;
  /** Last sequence of the run / of the missing range; = from otherwise. */
  to: bigint;
  /** For a gap: expected and received. */
  expected?: bigint;
  received?: bigint;
  partition: number;
  offset: string;
  at: number;
}

export interface ServerGap {
  count: string;
  severity: string;
  message: string;
  threadId?: string;
  partition?: number;
  at: number;
}

export interface ThreadState {
  threadId: string;
  tenantId: string;
  baseline: bigint;
  expected: bigint;
  lastSeq: bigint;
  records: number;
  gaps: number;
  /** Sequences missing over all gaps. */
  missing: bigint;
  duplicates: number;
  reorders: number;
  serverGaps: ServerGap[];
  /** Newest last, bounded. */
  segments: Segment[];
  updatedAt: number;
}

export interface SequenceTotals {
  threads: number;
  records: number;
  gaps: number;
  duplicates: number;
  reorders: number;
  serverGaps: number;
}

export interface ObserveInput {
  threadId: string;
  tenantId: string;
  sequence: string;
  partition: number;
  offset: string;
}

export class ThreadStore {
  private readonly map = new Map<string, ThreadState>();
  /** Server gap frames about a partition rather than a thread. */
  readonly partitionGaps: ServerGap[] = [];
  readonly totals: SequenceTotals = { threads: 0, records: 0, gaps: 0, duplicates: 0, reorders: 0, serverGaps: 0 };
  version = 0;

  constructor(
    readonly maxThreads = 2000,
    readonly maxSegments = 200,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(threadId: string): ThreadState | undefined {
    return this.map.get(threadId);
  }

  /** Most recently updated first. */
  list(): ThreadState[] {
    return [...this.map.values()].reverse();
  }

  private touch(threadId: string, tenantId: string, seq: bigint, now: number): ThreadState {
    let t = this.map.get(threadId);
    if (t) {
      this.map.delete(threadId); // re-insert: Map order is the LRU order
    } else {
      t = {
        threadId,
        tenantId,
        baseline: seq,
        expected: seq,
        lastSeq: seq,
        records: 0,
        gaps: 0,
        missing: 0n,
        duplicates: 0,
        reorders: 0,
        serverGaps: [],
        segments: [],
        updatedAt: now,
      };
      if (this.map.size >= this.maxThreads) {
        const oldest = this.map.keys().next().value as string;
        this.map.delete(oldest);
      }
    }
    this.map.set(threadId, t);
    t.updatedAt = now;
    if (tenantId) t.tenantId = tenantId;
    this.totals.threads = this.map.size;
    return t;
  }

  private push(t: ThreadState, s: Segment): void {
    const last = t.segments[t.segments.length - 1];
    if (s.kind === "ok" && last && last.kind === "ok" && last.to + 1n === s.from) {
      last.to = s.to;
      last.partition = s.partition;
      last.offset = s.offset;
      last.at = s.at;
      return;
    }
    t.segments.push(s);
    if (t.segments.length > this.maxSegments) t.segments.splice(0, t.segments.length - this.maxSegments);
  }

  /** One applied record (or inner event). Returns its classification. */
  observe(x: ObserveInput, now = Date.now()): SegmentKind | "baseline" | "skipped" {
    if (!x.threadId || x.sequence === "0" || !/^[0-9]+$/.test(x.sequence)) return "skipped";
    const seq = BigInt(x.sequence);
    // Baseline: the first record of a thread (a thread known only from a
    // server gap frame has none yet).
    const isNew = (this.map.get(x.threadId)?.records ?? 0) === 0;
    const t = this.touch(x.threadId, x.tenantId, seq, now);
    if (isNew) t.baseline = seq;
    t.records++;
    this.totals.records++;
    this.version++;
    const where = { partition: x.partition, offset: x.offset, at: now };
    if (isNew) {
      t.expected = seq + 1n;
      t.lastSeq = seq;
      this.push(t, { kind: "ok", from: seq, to: seq, ...where });
      return "baseline";
    }
    t.lastSeq = seq;
    if (seq === t.expected) {
      t.expected = seq + 1n;
      this.push(t, { kind: "ok", from: seq, to: seq, ...where });
      return "ok";
    }
    if (seq > t.expected) {
      const gap: Segment = { kind: "gap", from: t.expected, to: seq - 1n, expected: t.expected, received: seq, ...where };
      t.gaps++;
      t.missing += seq - t.expected;
      this.totals.gaps++;
      this.push(t, gap);
      this.push(t, { kind: "ok", from: seq, to: seq, ...where });
      t.expected = seq + 1n;
      return "gap";
    }
    if (seq === t.expected - 1n) {
      t.duplicates++;
      this.totals.duplicates++;
      this.push(t, { kind: "duplicate", from: seq, to: seq, ...where });
      return "duplicate";
    }
    t.reorders++;
    this.totals.reorders++;
    this.push(t, { kind: "reorder", from: seq, to: seq, ...where });
    return "reorder";
  }

  /** A server `gap` frame (contract §5.2). */
  serverGap(g: { count: unknown; severity?: unknown; message?: unknown; threadId?: unknown; partition?: unknown }, now = Date.now()): void {
    const gap: ServerGap = {
      count: String(g.count ?? ""),
      severity: String(g.severity ?? "warning"),
      message: String(g.message ?? ""),
      at: now,
    };
    this.totals.serverGaps++;
    this.version++;
    if (typeof g.threadId === "string" && g.threadId) {
      gap.threadId = g.threadId;
      let t = this.map.get(g.threadId);
      if (!t) {
        t = this.touch(g.threadId, "", 0n, now);
        t.expected = 0n;
      }
      t.serverGaps.push(gap);
      if (t.serverGaps.length > 50) t.serverGaps.shift();
      return;
    }
    if (typeof g.partition === "number") gap.partition = g.partition;
    this.partitionGaps.push(gap);
    if (this.partitionGaps.length > 200) this.partitionGaps.shift();
  }

  clear(): void {
    this.map.clear();
    this.partitionGaps.length = 0;
    Object.assign(this.totals, { threads: 0, records: 0, gaps: 0, duplicates: 0, reorders: 0, serverGaps: 0 });
    this.version++;
  }
}
