// /api/stats samples and the time series derived from them. Counters in
// samples are cumulative (the same numbers as /metrics); rates come from
// consecutive samples, and a counter that went down (daemon restart) is
// counted from zero again, as Prometheus' rate() does.

export interface Health {
  status: string;
  reason?: string;
}

export interface LagEntry {
  partition: number;
  messages: number;
  seconds: number;
}

export interface StatsSample {
  t: number;
  records: { ok: number; decode_error: number; rejected: number };
  decode_errors: Record<string, number>;
  sequence: { gaps: number; duplicates: number; reorders: number };
  lag: LagEntry[];
  latency: { p50: number | null; p99: number | null; count: number };
  dlq: {
    records: number;
    by_error_type: Record<string, number>;
    spooled_records: number;
    spooled_bytes: number;
    spool_oldest_age_seconds: number;
    write_failures: number;
  };
  breaker: string;
  clients: { connections: number; sessions: number };
  restarts: number;
  uptime_seconds: number;
}

export interface StatsResponse {
  interval_ms: number;
  history_secs: number;
  now_ms: number;
  health: Health;
  samples: StatsSample[];
}

/** What a counter grew by between two samples; a decrease is a reset. */
export function increase(prev: number, cur: number): number {
  if (!Number.isFinite(prev) || !Number.isFinite(cur)) return 0;
  return cur >= prev ? cur - prev : cur;
}

export function recordsTotal(s: StatsSample): number {
  return (s.records?.ok ?? 0) + (s.records?.decode_error ?? 0) + (s.records?.rejected ?? 0);
}

/** Per-second rate of `get` between a and b (null when b is not after a). */
export function rate(a: StatsSample, b: StatsSample, get: (s: StatsSample) => number): number | null {
  const dt = (b.t - a.t) / 1000;
  if (!(dt > 0)) return null;
  // The daemon restarted between the two (its uptime went down): every
  // counter started again from zero, even one that already grew past its
  // old value.
  if (restartedBetween(a, b)) return Math.max(0, get(b)) / dt;
  return increase(get(a), get(b)) / dt;
}

export function restartedBetween(a: StatsSample, b: StatsSample): boolean {
  return typeof a.uptime_seconds === "number" && typeof b.uptime_seconds === "number" && b.uptime_seconds < a.uptime_seconds;
}

/** Series aligned on `t` (seconds since the epoch, for uPlot). */
export interface DerivedSeries {
  t: number[];
  throughput: (number | null)[];
  okRate: (number | null)[];
  decodeErrorRate: (number | null)[];
  rejectedRate: (number | null)[];
  lagPartitions: number[];
  lagMessages: (number | null)[][];
  lagSeconds: (number | null)[][];
  p50: (number | null)[];
  p99: (number | null)[];
  decodeReasons: string[];
  decodeReasonRates: (number | null)[][];
  gapRate: (number | null)[];
  duplicateRate: (number | null)[];
  reorderRate: (number | null)[];
  dlqRate: (number | null)[];
  spooledRecords: (number | null)[];
  connections: (number | null)[];
  sessions: (number | null)[];
  /** Indices of samples where the daemon restarted (uptime went down). */
  daemonRestarts: number[];
}

export class StatsStore {
  samples: StatsSample[] = [];
  intervalMs = 1000;
  historySecs = 300;
  health: Health = { status: "unknown" };
  nowMs = 0;
  version = 0;

  get latest(): StatsSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  /** The `since` for the next poll. */
  get since(): number | undefined {
    return this.latest?.t;
  }

  add(resp: StatsResponse): void {
    if (resp.interval_ms > 0) this.intervalMs = resp.interval_ms;
    if (resp.history_secs > 0) this.historySecs = resp.history_secs;
    if (resp.health) this.health = resp.health;
    this.nowMs = resp.now_ms ?? this.nowMs;
    const last = this.latest?.t ?? -Infinity;
    for (const s of resp.samples ?? []) {
      if (typeof s?.t === "number" && s.t > last && s.t > (this.latest?.t ?? -Infinity)) this.samples.push(s);
    }
    const keepFrom = (this.latest?.t ?? 0) - this.historySecs * 1000;
    let drop = 0;
    while (drop < this.samples.length && this.samples[drop].t < keepFrom) drop++;
    if (drop) this.samples.splice(0, drop);
    this.version++;
  }

  derive(): DerivedSeries {
    const s = this.samples;
    const n = s.length;
    const pairRate = (get: (x: StatsSample) => number) =>
      s.map((b, i) => (i === 0 ? null : rate(s[i - 1], b, get)));
    const parts = new Set<number>();
    const reasons = new Set<string>();
    for (const x of s) {
      for (const l of x.lag ?? []) parts.add(l.partition);
      for (const r of Object.keys(x.decode_errors ?? {})) reasons.add(r);
    }
    const lagPartitions = [...parts].sort((a, b) => a - b);
    const decodeReasons = [...reasons].sort();
    const lagOf = (x: StatsSample, p: number) => (x.lag ?? []).find((l) => l.partition === p);
    const daemonRestarts: number[] = [];
    for (let i = 1; i < n; i++) if (restartedBetween(s[i - 1], s[i])) daemonRestarts.push(i);
    return {
      t: s.map((x) => x.t / 1000),
      throughput: pairRate(recordsTotal),
      okRate: pairRate((x) => x.records?.ok ?? 0),
      decodeErrorRate: pairRate((x) => x.records?.decode_error ?? 0),
      rejectedRate: pairRate((x) => x.records?.rejected ?? 0),
      lagPartitions,
      lagMessages: lagPartitions.map((p) => s.map((x) => lagOf(x, p)?.messages ?? null)),
      lagSeconds: lagPartitions.map((p) => s.map((x) => lagOf(x, p)?.seconds ?? null)),
      p50: s.map((x) => x.latency?.p50 ?? null),
      p99: s.map((x) => x.latency?.p99 ?? null),
      decodeReasons,
      decodeReasonRates: decodeReasons.map((r) => pairRate((x) => x.decode_errors?.[r] ?? 0)),
      gapRate: pairRate((x) => x.sequence?.gaps ?? 0),
      duplicateRate: pairRate((x) => x.sequence?.duplicates ?? 0),
      reorderRate: pairRate((x) => x.sequence?.reorders ?? 0),
      dlqRate: pairRate((x) => x.dlq?.records ?? 0),
      spooledRecords: s.map((x) => x.dlq?.spooled_records ?? null),
      connections: s.map((x) => x.clients?.connections ?? null),
      sessions: s.map((x) => x.clients?.sessions ?? null),
      daemonRestarts,
    };
  }
}
