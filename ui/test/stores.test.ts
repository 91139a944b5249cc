import { describe, expect, it } from "vitest";
import { splitFragmentToken } from "../src/api/client";
import { Ring } from "../src/stores/ring";
import { ThreadStore } from "../src/stores/threads";
import { StatsStore, increase, rate, type StatsSample } from "../src/stores/stats";

describe("Ring", () => {
  it("keeps only the newest `capacity` items", () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.size).toBe(3);
    expect(r.total).toBe(5);
    expect(r.at(0)).toBe(3);
    expect(r.newestFirst()).toEqual([5, 4, 3]);
    expect(r.newestFirst((x) => x % 2 === 1)).toEqual([5, 3]);
  });

  it("stays bounded at 10 000 under a long stream", () => {
    const r = new Ring<number>(10_000);
    for (let i = 0; i < 25_000; i++) r.push(i);
    expect(r.size).toBe(10_000);
    expect(r.at(0)).toBe(15_000);
    expect(r.at(9_999)).toBe(24_999);
  });
});

const obs = (threadId: string, sequence: string | number, offset = "0") => ({
  threadId,
  tenantId: "acme",
  sequence: String(sequence),
  partition: 0,
  offset,
});

describe("ThreadStore", () => {
  it("applies the contract §3 rules", () => {
    const s = new ThreadStore();
    expect(s.observe(obs("t", 5))).toBe("baseline"); // first seen: no gap
    expect(s.observe(obs("t", 6))).toBe("ok");
    expect(s.observe(obs("t", 9))).toBe("gap"); // 7, 8 missing
    expect(s.observe(obs("t", 9))).toBe("duplicate");
    expect(s.observe(obs("t", 4))).toBe("reorder");
    expect(s.observe(obs("t", 10))).toBe("ok"); // dup/reorder did not move expected
    const t = s.get("t")!;
    expect([t.gaps, t.missing, t.duplicates, t.reorders, t.records]).toEqual([1, 2n, 1, 1, 6]);
    expect(t.segments.map((g) => [g.kind, g.from.toString(), g.to.toString()])).toEqual([
      ["ok", "5", "6"],
      ["gap", "7", "8"],
      ["ok", "9", "9"],
      ["duplicate", "9", "9"],
      ["reorder", "4", "4"],
      ["ok", "10", "10"],
    ]);
    expect(s.totals).toMatchObject({ gaps: 1, duplicates: 1, reorders: 1, threads: 1 });
  });

  it("skips unsequenced records and empty thread ids", () => {
    const s = new ThreadStore();
    expect(s.observe(obs("t", 0))).toBe("skipped");
    expect(s.observe(obs("", 3))).toBe("skipped");
    expect(s.size).toBe(0);
  });

  it("handles sequences above 2^53", () => {
    const s = new ThreadStore();
    s.observe(obs("t", "9007199254740993"));
    expect(s.observe(obs("t", "9007199254740994"))).toBe("ok");
    expect(s.observe(obs("t", "9007199254740996"))).toBe("gap");
    expect(s.get("t")!.segments[1]).toMatchObject({ kind: "gap", from: 9007199254740995n, to: 9007199254740995n });
  });

  it("records server gap frames by thread or partition", () => {
    const s = new ThreadStore();
    s.serverGap({ count: 3, severity: "warning", message: "gap", threadId: "t2" });
    s.serverGap({ count: 1, severity: "info", message: "p", partition: 1 });
    expect(s.get("t2")!.serverGaps).toHaveLength(1);
    expect(s.partitionGaps).toHaveLength(1);
    // a thread first known from a server gap still takes its first record as the baseline
    expect(s.observe(obs("t2", 40))).toBe("baseline");
    expect(s.totals.serverGaps).toBe(2);
  });

  it("bounds threads (LRU) and segments", () => {
    const s = new ThreadStore(2, 4);
    s.observe(obs("a", 1));
    s.observe(obs("b", 1));
    s.observe(obs("a", 2));
    s.observe(obs("c", 1)); // evicts b, the least recently updated
    expect(s.list().map((t) => t.threadId)).toEqual(["c", "a"]);
    for (let i = 3; i < 40; i += 2) s.observe(obs("a", i)); // a gap each time
    expect(s.get("a")!.segments.length).toBe(4);
  });
});

function sample(t: number, ok: number, extra: Partial<StatsSample> = {}): StatsSample {
  return {
    t,
    records: { ok, decode_error: 0, rejected: 0 },
    decode_errors: {},
    sequence: { gaps: 0, duplicates: 0, reorders: 0 },
    lag: [{ partition: 0, messages: 3, seconds: 0.5 }],
    latency: { p50: 0.01, p99: 0.05, count: 10 },
    dlq: { records: 0, by_error_type: {}, spooled_records: 0, spooled_bytes: 0, spool_oldest_age_seconds: 0, write_failures: 0 },
    breaker: "closed",
    clients: { connections: 1, sessions: 1 },
    restarts: 0,
    uptime_seconds: t / 1000,
    ...extra,
  };
}

describe("stats", () => {
  it("counter increase treats a decrease as a reset", () => {
    expect(increase(10, 15)).toBe(5);
    expect(increase(10, 4)).toBe(4);
  });

  it("derives rates from cumulative samples", () => {
    const st = new StatsStore();
    st.add({ interval_ms: 1000, history_secs: 300, now_ms: 3000, health: { status: "healthy" }, samples: [sample(1000, 100), sample(2000, 300), sample(4000, 700)] });
    const d = st.derive();
    expect(d.t).toEqual([1, 2, 4]);
    expect(d.throughput).toEqual([null, 200, 200]);
    expect(d.lagPartitions).toEqual([0]);
    expect(d.lagMessages[0]).toEqual([3, 3, 3]);
    expect(st.since).toBe(4000);
  });

  it("counts from zero again after a daemon restart", () => {
    const st = new StatsStore();
    st.add({
      interval_ms: 1000,
      history_secs: 300,
      now_ms: 0,
      health: { status: "healthy" },
      samples: [
        sample(1000, 5000, { uptime_seconds: 500 }),
        sample(2000, 6000, { uptime_seconds: 501 }),
        // restarted: uptime back to 1 s, ok grew to 7000 already? impossible in 1 s but the
        // rule must not depend on the value: it is counted from zero.
        sample(3000, 7000, { uptime_seconds: 1 }),
        sample(4000, 50, { uptime_seconds: 2 }),
      ],
    });
    const d = st.derive();
    expect(d.okRate).toEqual([null, 1000, 7000, 50]);
    expect(d.daemonRestarts).toEqual([2]);
    expect(rate(sample(0, 10, { uptime_seconds: 9 }), sample(1000, 3, { uptime_seconds: 10 }), (s) => s.records.ok)).toBe(3);
  });

  it("ignores samples it already has and keeps history_secs worth", () => {
    const st = new StatsStore();
    st.add({ interval_ms: 1000, history_secs: 5, now_ms: 0, health: { status: "healthy" }, samples: [sample(1000, 1), sample(2000, 2)] });
    st.add({ interval_ms: 1000, history_secs: 5, now_ms: 0, health: { status: "degraded", reason: "lag" }, samples: [sample(2000, 2), sample(3000, 3)] });
    expect(st.samples.map((s) => s.t)).toEqual([1000, 2000, 3000]);
    for (let i = 4; i <= 20; i++) st.add({ interval_ms: 1000, history_secs: 5, now_ms: 0, health: { status: "healthy" }, samples: [sample(i * 1000, i)] });
    expect(st.samples[0].t).toBe(15000);
    expect(st.health.status).toBe("healthy");
  });

  it("derives decode-error rates per reason", () => {
    const st = new StatsStore();
    st.add({
      interval_ms: 1000,
      history_secs: 300,
      now_ms: 0,
      health: { status: "healthy" },
      samples: [sample(1000, 0, { decode_errors: { bad_framing: 1 } }), sample(2000, 0, { decode_errors: { bad_framing: 3, too_large: 2 } })],
    });
    const d = st.derive();
    expect(d.decodeReasons).toEqual(["bad_framing", "too_large"]);
    expect(d.decodeReasonRates).toEqual([[null, 2], [null, 2]]);
  });
});

describe("a token in the address's fragment (dashstream demo prints one)", () => {
  it("is taken out, and the rest of the fragment kept", () => {
    expect(splitFragmentToken("#token=aaa.bbb.c-_c")).toEqual({ token: "aaa.bbb.c-_c", rest: "" });
    expect(splitFragmentToken("#token=aaa.bbb.ccc&events")).toEqual({ token: "aaa.bbb.ccc", rest: "#events" });
    expect(splitFragmentToken("token=x.y.z")).toEqual({ token: "x.y.z", rest: "" });
  });
  it("leaves every other fragment alone", () => {
    expect(splitFragmentToken("#events")).toEqual({ token: null, rest: "#events" });
    expect(splitFragmentToken("")).toEqual({ token: null, rest: "" });
    expect(splitFragmentToken("#token=")).toEqual({ token: null, rest: "#token=" });
    expect(splitFragmentToken("#token=<script>")).toEqual({ token: null, rest: "#token=<script>" });
  });
});
