// Live events over /ws: newest first, virtualized, filterable; Pause freezes
// the list (records keep being applied and the cursor keeps advancing).
import { useVirtualizer } from "@tanstack/react-virtual";
import { useMemo, useRef, useState } from "react";
import type { EventRow, LiveModel } from "../live";
import { useLive } from "../hooks";
import { fmtClock, fmtInt, fmtTimeUs } from "../format";

export interface EventFilter {
  thread: string;
  eventType: string;
  node: string;
}

export function matches(r: EventRow, f: EventFilter): boolean {
  if (f.thread && !r.threadId.includes(f.thread)) return false;
  if (f.eventType && r.eventType !== f.eventType) return false;
  if (f.node && r.nodeId !== f.node) return false;
  return true;
}

const ROW_HEIGHT = 30;

export function LiveEvents({ model }: { model: LiveModel }) {
  useLive(model);
  const [filter, setFilter] = useState<EventFilter>({ thread: "", eventType: "", node: "" });
  const [frozen, setFrozen] = useState<EventRow[] | null>(null);
  const [frozenAt, setFrozenAt] = useState(0);
  const paused = frozen !== null;
  const source = frozen ?? null;
  const filtering = !!(filter.thread || filter.eventType || filter.node);
  // Unfiltered and live, the list reads the ring directly (no 10 000-row
  // copy per frame); otherwise it works on a filtered array.
  const rows = useMemo(
    () => (source ? (filtering ? source.filter((r) => matches(r, filter)) : source) : filtering ? model.events.newestFirst((r) => matches(r, filter)) : null),
    // the live list changes with every flushed frame
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [source, filter, filtering, filtering ? model.version : 0],
  );
  const size = model.events.size;
  const count = rows ? rows.length : size;
  const rowAt = (i: number): EventRow | undefined => (rows ? rows[i] : model.events.at(size - 1 - i));
  const scroller = useRef<HTMLDivElement>(null);
  const virt = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    // Keyed by position: newest-first, every visible row changes each frame
    // at high rates, and updating ~30 rows' text in place is cheaper than
    // unmounting and mounting them.
  });

  const togglePause = () => {
    if (paused) {
      setFrozen(null);
    } else {
      setFrozen(model.events.newestFirst());
      setFrozenAt(model.events.total);
    }
  };
  const types = [...model.eventTypes].sort();
  const nodes = [...model.nodes].sort();
  const threads = model.threads.list().slice(0, 200).map((t) => t.threadId);
  const c = model.counters;

  return (
    <div className="live-events">
      <form className="toolbar" role="search" aria-label="Filter events" onSubmit={(e) => e.preventDefault()}>
        <label>
          Thread
          <input
            type="search"
            list="thread-ids"
            value={filter.thread}
            placeholder="any"
            data-testid="filter-thread"
            onChange={(e) => setFilter({ ...filter, thread: e.target.value })}
          />
          <datalist id="thread-ids">
            {threads.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
        <label>
          Event type
          <select value={filter.eventType} data-testid="filter-event-type" onChange={(e) => setFilter({ ...filter, eventType: e.target.value })}>
            <option value="">any</option>
            {types.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Node
          <select value={filter.node} data-testid="filter-node" onChange={(e) => setFilter({ ...filter, node: e.target.value })}>
            <option value="">any</option>
            {nodes.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <button type="button" onClick={togglePause} aria-pressed={paused} data-testid="pause-toggle">
          {paused ? "Resume" : "Pause"}
        </button>
      </form>
      <p className="summary" aria-live="polite">
        <span data-testid="events-shown" data-value={count}>
          {fmtInt(count)} shown
        </span>
        {" · "}
        <span data-testid="events-applied" data-value={c.eventsApplied}>
          {fmtInt(c.eventsApplied)} events
        </span>{" "}
        from{" "}
        <span data-testid="records-applied" data-value={c.recordsApplied}>
          {fmtInt(c.recordsApplied)} records
        </span>
        {" · "}
        <span data-testid="events-decode-errors" data-value={c.decodeErrors}>
          {fmtInt(c.decodeErrors)} undecodable
        </span>
        {" · keeps the newest "}
        {fmtInt(model.events.capacity)}
        {paused && (
          <strong data-testid="paused-note">
            {" "}
            · Paused: {fmtInt(model.events.total - frozenAt)} newer events not shown (still received; the cursor keeps advancing)
          </strong>
        )}
      </p>
      <div className="event-head" aria-hidden="true">
        <span>Received</span>
        <span>Part/offset</span>
        <span>Type</span>
        <span>Thread</span>
        <span>Seq</span>
        <span>Node</span>
        <span>Tenant</span>
        <span>Detail</span>
      </div>
      <div ref={scroller} className="event-scroll" tabIndex={0} role="region" aria-label="Events, newest first" data-testid="event-list">
        <div style={{ height: virt.getTotalSize(), position: "relative" }} role="list">
          {virt.getVirtualItems().map((vi) => {
            const r = rowAt(vi.index);
            if (!r) return null;
            return (
              <div
                key={vi.key}
                role="listitem"
                className={`event-row${r.error ? " is-error" : ""}`}
                style={{ transform: `translateY(${vi.start}px)`, height: ROW_HEIGHT }}
                data-testid="event-row"
                data-partition={r.partition}
                data-offset={r.offset}
                data-thread={r.threadId}
                data-sequence={r.sequence}
                data-index={r.index}
              >
                <span className="c-time" title={fmtTimeUs(r.timestampUs) ? `produced ${fmtTimeUs(r.timestampUs)} UTC` : undefined}>
                  {fmtClock(r.receivedAt)}
                </span>
                <span className="c-pos">
                  {r.partition}/{r.offset}
                  {r.batchSize > 0 ? `#${r.index}` : ""}
                </span>
                <span className="c-type">{r.eventType}</span>
                <span className="c-thread" title={r.threadId}>
                  {r.threadId}
                </span>
                <span className="c-seq">{r.sequence === "0" ? "–" : r.sequence}</span>
                <span className="c-node" title={r.nodeId}>
                  {r.nodeId}
                </span>
                <span className="c-tenant">{r.tenantId}</span>
                <span className="c-detail" title={r.detail}>
                  {r.detail}
                </span>
              </div>
            );
          })}
        </div>
        {count === 0 && <p className="muted empty">No events {filter.thread || filter.eventType || filter.node ? "match the filter" : "yet"}.</p>}
      </div>
    </div>
  );
}
