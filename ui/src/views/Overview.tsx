// Overview: what an operator looks at first. Everything comes from
// /api/stats (cumulative counters; rates derived between samples).
import { useMemo, useSyncExternalStore } from "react";
import type { StatsPoller } from "../stats-poller";
import { fmtBytes, fmtInt, fmtRate, fmtSeconds } from "../format";
import { recordsTotal } from "../stores/stats";
import { TimeChart } from "./Chart";
import { Stat } from "./Stat";

const healthTone = (s: string) => (s === "healthy" ? "ok" : s === "degraded" || s === "waiting" ? "warn" : s === "unknown" ? "neutral" : "bad");
const breakerTone = (s: string) => (s === "closed" ? "ok" : s === "half_open" ? "warn" : "bad");

export function Overview({ poller }: { poller: StatsPoller }) {
  const version = useSyncExternalStore(poller.subscribe, poller.getVersion);
  const store = poller.store;
  const d = useMemo(() => store.derive(), [store, version]);
  const s = store.latest;
  const last = <T,>(a: (T | null)[]) => (a.length ? a[a.length - 1] : null);
  const windowMin = Math.round(store.historySecs / 60);

  return (
    <div className="overview">
      {poller.error && (
        <p className="banner warn" role="status" data-testid="stats-error">
          Statistics unavailable: {poller.error}
          {poller.lastOkAt ? ` (last update ${new Date(poller.lastOkAt).toLocaleTimeString()})` : ""}
        </p>
      )}
      <section aria-labelledby="ov-health">
        <h2 id="ov-health">Health</h2>
        <dl className="stats">
          <Stat label="Status" testid="health-status" value={store.health.status} tone={healthTone(store.health.status)} />
          <Stat label="Reason" testid="health-reason" value={store.health.reason ?? ""} display={store.health.reason || "—"} />
          <Stat label="Circuit breaker" testid="breaker" value={s?.breaker ?? null} tone={s ? breakerTone(s.breaker) : "neutral"} />
          <Stat label="Uptime" testid="uptime-seconds" value={s?.uptime_seconds ?? null} display={fmtSeconds(s?.uptime_seconds)} />
          <Stat label="Actor restarts" testid="restarts" value={s?.restarts ?? null} display={fmtInt(s?.restarts)} tone={s && s.restarts > 0 ? "warn" : "neutral"} />
          <Stat label="Connections" testid="clients-connections" value={s?.clients.connections ?? null} display={fmtInt(s?.clients.connections)} />
          <Stat label="Sessions" testid="clients-sessions" value={s?.clients.sessions ?? null} display={fmtInt(s?.clients.sessions)} />
        </dl>
      </section>

      <section aria-labelledby="ov-records">
        <h2 id="ov-records">Records</h2>
        <dl className="stats">
          <Stat label="Throughput" testid="throughput-rate" value={last(d.throughput)} display={`${fmtRate(last(d.throughput))} /s`} />
          <Stat label="OK (total)" testid="records-ok" value={s?.records.ok ?? null} display={fmtInt(s?.records.ok)} />
          <Stat label="Decode errors (total)" testid="records-decode-error" value={s?.records.decode_error ?? null} display={fmtInt(s?.records.decode_error)} tone={s && s.records.decode_error > 0 ? "warn" : "neutral"} />
          <Stat label="Rejected (total)" testid="records-rejected" value={s?.records.rejected ?? null} display={fmtInt(s?.records.rejected)} tone={s && s.records.rejected > 0 ? "warn" : "neutral"} />
          <Stat label="All records (total)" testid="records-total" value={s ? recordsTotal(s) : null} display={fmtInt(s ? recordsTotal(s) : null)} />
          <Stat label="Latency p50" testid="latency-p50" value={s?.latency.p50 ?? null} display={fmtSeconds(s?.latency.p50)} hint="End-to-end, over the last interval's records" />
          <Stat label="Latency p99" testid="latency-p99" value={s?.latency.p99 ?? null} display={fmtSeconds(s?.latency.p99)} hint="End-to-end, over the last interval's records" />
        </dl>
        <div className="charts">
          <TimeChart
            testid="chart-throughput"
            title={`Throughput, records/s (last ${windowMin} min)`}
            t={d.t}
            fmt={fmtRate}
            series={[
              { label: "all", values: d.throughput },
              { label: "ok", values: d.okRate },
              { label: "decode error", values: d.decodeErrorRate },
              { label: "rejected", values: d.rejectedRate },
            ]}
          />
          <TimeChart
            testid="chart-latency"
            title="End-to-end latency"
            t={d.t}
            fmt={fmtSeconds}
            series={[
              { label: "p50", values: d.p50 },
              { label: "p99", values: d.p99 },
            ]}
          />
        </div>
      </section>

      <section aria-labelledby="ov-lag">
        <h2 id="ov-lag">Consumer lag</h2>
        {s && s.lag.length > 0 ? (
          <table className="compact">
            <caption className="sr-only">Consumer lag per partition</caption>
            <thead>
              <tr>
                <th scope="col">Partition</th>
                <th scope="col">Messages behind</th>
                <th scope="col">Seconds behind</th>
              </tr>
            </thead>
            <tbody>
              {s.lag.map((l) => (
                <tr key={l.partition}>
                  <td>{l.partition}</td>
                  <td data-testid="lag-messages" data-partition={l.partition} data-value={l.messages}>
                    {fmtInt(l.messages)}
                  </td>
                  <td data-testid="lag-seconds" data-partition={l.partition} data-value={l.seconds}>
                    {fmtSeconds(l.seconds)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted">No partition assigned.</p>
        )}
        <div className="charts">
          <TimeChart testid="chart-lag-messages" title="Lag, messages" t={d.t} fmt={fmtInt} series={d.lagPartitions.map((p, i) => ({ label: `p${p}`, values: d.lagMessages[i] }))} />
          <TimeChart testid="chart-lag-seconds" title="Lag, seconds" t={d.t} fmt={fmtSeconds} series={d.lagPartitions.map((p, i) => ({ label: `p${p}`, values: d.lagSeconds[i] }))} />
        </div>
      </section>

      <section aria-labelledby="ov-quality">
        <h2 id="ov-quality">Sequence and decoding</h2>
        <dl className="stats">
          <Stat label="Gaps (total)" testid="seq-gaps" value={s?.sequence.gaps ?? null} display={fmtInt(s?.sequence.gaps)} tone={s && s.sequence.gaps > 0 ? "warn" : "neutral"} />
          <Stat label="Duplicates (total)" testid="seq-duplicates" value={s?.sequence.duplicates ?? null} display={fmtInt(s?.sequence.duplicates)} />
          <Stat label="Reorders (total)" testid="seq-reorders" value={s?.sequence.reorders ?? null} display={fmtInt(s?.sequence.reorders)} />
          {s &&
            Object.entries(s.decode_errors)
              .sort()
              .map(([reason, n]) => (
                <Stat key={reason} label={`Decode: ${reason}`} testid="decode-errors-reason" value={n} display={fmtInt(n)} extra={{ reason }} />
              ))}
        </dl>
        <div className="charts">
          <TimeChart
            testid="chart-sequence"
            title="Sequence anomalies per second"
            t={d.t}
            fmt={fmtRate}
            series={[
              { label: "gaps", values: d.gapRate },
              { label: "duplicates", values: d.duplicateRate },
              { label: "reorders", values: d.reorderRate },
            ]}
          />
          <TimeChart testid="chart-decode-errors" title="Decode errors per second, by reason" t={d.t} fmt={fmtRate} series={d.decodeReasons.map((r, i) => ({ label: r, values: d.decodeReasonRates[i] }))} />
        </div>
      </section>

      <section aria-labelledby="ov-dlq">
        <h2 id="ov-dlq">Dead-letter queue</h2>
        <dl className="stats">
          <Stat label="DLQ rate" testid="dlq-rate" value={last(d.dlqRate)} display={`${fmtRate(last(d.dlqRate))} /s`} />
          <Stat label="DLQ records (total)" testid="dlq-records" value={s?.dlq.records ?? null} display={fmtInt(s?.dlq.records)} />
          <Stat label="Spooled records" testid="dlq-spooled-records" value={s?.dlq.spooled_records ?? null} display={fmtInt(s?.dlq.spooled_records)} tone={s && s.dlq.spooled_records > 0 ? "warn" : "neutral"} />
          <Stat label="Spooled bytes" testid="dlq-spooled-bytes" value={s?.dlq.spooled_bytes ?? null} display={fmtBytes(s?.dlq.spooled_bytes)} />
          <Stat label="Oldest spooled" testid="dlq-spool-oldest-age" value={s?.dlq.spool_oldest_age_seconds ?? null} display={fmtSeconds(s?.dlq.spool_oldest_age_seconds)} />
          <Stat label="Write failures (total)" testid="dlq-write-failures" value={s?.dlq.write_failures ?? null} display={fmtInt(s?.dlq.write_failures)} tone={s && s.dlq.write_failures > 0 ? "bad" : "neutral"} />
          {s &&
            Object.entries(s.dlq.by_error_type)
              .sort()
              .map(([t, n]) => <Stat key={t} label={`DLQ: ${t}`} testid="dlq-by-error-type" value={n} display={fmtInt(n)} extra={{ "error-type": t }} />)}
        </dl>
        <div className="charts">
          <TimeChart testid="chart-dlq" title="DLQ records per second" t={d.t} fmt={fmtRate} series={[{ label: "dlq", values: d.dlqRate }]} />
          <TimeChart testid="chart-spool" title="Spooled records (waiting for the DLQ topic)" t={d.t} fmt={fmtInt} series={[{ label: "spooled", values: d.spooledRecords }]} />
        </div>
      </section>

      <section aria-labelledby="ov-clients">
        <h2 id="ov-clients">Clients</h2>
        <div className="charts">
          <TimeChart
            testid="chart-clients"
            title="Connected clients"
            t={d.t}
            fmt={fmtInt}
            series={[
              { label: "connections", values: d.connections },
              { label: "sessions", values: d.sessions },
            ]}
          />
        </div>
        {d.daemonRestarts.length > 0 && (
          <p className="muted" data-testid="daemon-restarts-seen" data-value={d.daemonRestarts.length}>
            The daemon restarted {d.daemonRestarts.length} time(s) in this window (its counters started again from zero; rates account for it).
          </p>
        )}
      </section>
    </div>
  );
}
