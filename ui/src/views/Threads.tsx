// Threads: each thread's sequence timeline as this page saw it, with gaps,
// duplicates and reorders marked (contract §3 rules applied in the
// browser), plus the server's own `gap` frames.
import { useMemo, useState } from "react";
import type { LiveModel } from "../live";
import type { Segment, ThreadState } from "../stores/threads";
import { useLiveThrottled } from "../hooks";
import { fmtClock, fmtInt } from "../format";

const SHOWN = 100;
const COLORS: Record<Segment["kind"], string> = { ok: "#15803d", gap: "#b91c1c", duplicate: "#c2410c", reorder: "#7e22ce" };

function Timeline({ t }: { t: ThreadState }) {
  const segs = t.segments;
  if (segs.length === 0) return null;
  let lo = segs[0].from;
  let hi = segs[0].to;
  for (const s of segs) {
    if (s.from < lo) lo = s.from;
    if (s.to > hi) hi = s.to;
  }
  const W = 1000;
  const span = Number(hi - lo) + 1;
  const x = (v: bigint) => (Number(v - lo) / span) * W;
  const w = (s: Segment) => Math.max(3, (Number(s.to - s.from) + 1) / span * W);
  return (
    <svg className="timeline" viewBox={`0 0 ${W} 24`} preserveAspectRatio="none" role="img" aria-label={`Sequences ${lo} to ${hi}: ${t.gaps} gaps, ${t.duplicates} duplicates, ${t.reorders} reorders`}>
      <rect x="0" y="10" width={W} height="4" fill="#e5e7eb" />
      {segs.map((s, i) =>
        s.kind === "ok" || s.kind === "gap" ? (
          <rect key={i} x={x(s.from)} y={s.kind === "gap" ? 2 : 6} width={w(s)} height={s.kind === "gap" ? 20 : 12} fill={COLORS[s.kind]} opacity={s.kind === "gap" ? 0.85 : 1}>
            <title>{s.kind === "gap" ? `gap: ${s.from}–${s.to} missing (expected ${s.expected}, got ${s.received})` : `ok ${s.from}–${s.to}`}</title>
          </rect>
        ) : (
          <rect key={i} x={x(s.from) - 1.5} y={0} width={3} height={24} fill={COLORS[s.kind]}>
            <title>{`${s.kind} of sequence ${s.from} at ${s.partition}/${s.offset}`}</title>
          </rect>
        ),
      )}
    </svg>
  );
}

function Anomalies({ t }: { t: ThreadState }) {
  const items = t.segments.filter((s) => s.kind !== "ok");
  if (items.length === 0 && t.serverGaps.length === 0) return null;
  return (
    <ul className="anomalies">
      {items.map((s, i) => {
        if (s.kind === "gap") {
          return (
            <li
              key={i}
              className="a-gap"
              data-testid="thread-gap"
              data-thread={t.threadId}
              data-from={s.from.toString()}
              data-to={s.to.toString()}
              data-missing={(s.to - s.from + 1n).toString()}
              data-value={(s.to - s.from + 1n).toString()}
            >
              Gap: {s.from.toString()}
              {s.to !== s.from ? `–${s.to}` : ""} missing (expected {s.expected?.toString()}, got {s.received?.toString()}) at {s.partition}/{s.offset}, {fmtClock(s.at)}
            </li>
          );
        }
        return (
          <li key={i} className={`a-${s.kind}`} data-testid={`thread-${s.kind}`} data-thread={t.threadId} data-sequence={s.from.toString()}>
            {s.kind === "duplicate" ? "Duplicate" : "Reorder"}: sequence {s.from.toString()} at {s.partition}/{s.offset}, {fmtClock(s.at)}
          </li>
        );
      })}
      {t.serverGaps.map((g, i) => (
        <li key={`s${i}`} className="a-server" data-testid="thread-server-gap" data-thread={t.threadId} data-value={g.count}>
          Server reported a gap ({g.severity}, {g.count}): {g.message} — {fmtClock(g.at)}
        </li>
      ))}
    </ul>
  );
}

export function Threads({ model }: { model: LiveModel }) {
  const version = useLiveThrottled(model, 500);
  const [q, setQ] = useState("");
  const [onlyAnomalies, setOnlyAnomalies] = useState(false);
  const all = useMemo(() => model.threads.list(), [model, version]);
  const shown = all.filter(
    (t) => (!q || t.threadId.includes(q)) && (!onlyAnomalies || t.gaps + t.duplicates + t.reorders + t.serverGaps.length > 0),
  );
  const tot = model.threads.totals;
  return (
    <div className="threads">
      <form className="toolbar" role="search" aria-label="Filter threads" onSubmit={(e) => e.preventDefault()}>
        <label>
          Thread
          <input type="search" value={q} placeholder="any" data-testid="threads-filter" onChange={(e) => setQ(e.target.value)} />
        </label>
        <label className="check">
          <input type="checkbox" checked={onlyAnomalies} onChange={(e) => setOnlyAnomalies(e.target.checked)} data-testid="threads-only-anomalies" />
          Only threads with gaps, duplicates or reorders
        </label>
      </form>
      <dl className="stats">
        <div className="stat">
          <dt>Threads seen</dt>
          <dd data-testid="threads-count" data-value={model.threads.size}>{fmtInt(model.threads.size)}</dd>
        </div>
        <div className="stat">
          <dt>Gaps seen by this page</dt>
          <dd data-testid="page-seq-gaps" data-value={tot.gaps}>{fmtInt(tot.gaps)}</dd>
        </div>
        <div className="stat">
          <dt>Duplicates</dt>
          <dd data-testid="page-seq-duplicates" data-value={tot.duplicates}>{fmtInt(tot.duplicates)}</dd>
        </div>
        <div className="stat">
          <dt>Reorders</dt>
          <dd data-testid="page-seq-reorders" data-value={tot.reorders}>{fmtInt(tot.reorders)}</dd>
        </div>
        <div className="stat">
          <dt>Server gap frames</dt>
          <dd data-testid="server-gaps" data-value={tot.serverGaps}>{fmtInt(tot.serverGaps)}</dd>
        </div>
      </dl>
      <p className="legend">
        <span className="sw ok" /> in order <span className="sw gap" /> gap (missing sequences) <span className="sw duplicate" /> duplicate <span className="sw reorder" /> reorder.
        Each bar spans the sequences of the thread this page has seen (newest {200} marks).
      </p>
      {model.threads.partitionGaps.length > 0 && (
        <section aria-labelledby="pgaps">
          <h2 id="pgaps">Partition gaps reported by the server</h2>
          <ul>
            {model.threads.partitionGaps.map((g, i) => (
              <li key={i} data-testid="partition-gap" data-partition={g.partition ?? ""} data-value={g.count}>
                {g.partition !== undefined ? `Partition ${g.partition}: ` : ""}
                {g.message} ({g.severity}, {g.count}) — {fmtClock(g.at)}
              </li>
            ))}
          </ul>
        </section>
      )}
      {shown.length === 0 && <p className="muted">No sequenced threads {q || onlyAnomalies ? "match" : "seen yet"}.</p>}
      <ol className="thread-list">
        {shown.slice(0, SHOWN).map((t) => (
          <li key={t.threadId} className="thread" data-testid="thread" data-thread={t.threadId}>
            <h3>
              <code>{t.threadId}</code>
              {t.tenantId && <span className="tenant">tenant {t.tenantId}</span>}
            </h3>
            <p className="thread-nums">
              <span data-testid="thread-records" data-thread={t.threadId} data-value={t.records}>{fmtInt(t.records)} records</span>,
              sequences {t.baseline.toString()}→{t.lastSeq.toString()}, expected next {t.expected.toString()};{" "}
              <span data-testid="thread-gaps" data-thread={t.threadId} data-value={t.gaps}>{t.gaps} gaps</span> ({t.missing.toString()} missing),{" "}
              <span data-testid="thread-duplicates" data-thread={t.threadId} data-value={t.duplicates}>{t.duplicates} duplicates</span>,{" "}
              <span data-testid="thread-reorders" data-thread={t.threadId} data-value={t.reorders}>{t.reorders} reorders</span>
            </p>
            <Timeline t={t} />
            <Anomalies t={t} />
          </li>
        ))}
      </ol>
      {shown.length > SHOWN && <p className="muted">Showing the {SHOWN} most recently active of {fmtInt(shown.length)} threads; filter to narrow.</p>}
    </div>
  );
}
