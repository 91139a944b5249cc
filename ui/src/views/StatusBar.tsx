// The connection's state, honestly: connecting / live / reconnecting /
// replaying / caught up / cursor stale / capped.
import { useEffect, useState, useSyncExternalStore } from "react";
import type { StatsPoller } from "../stats-poller";
import type { LiveModel } from "../live";
import type { ConnectionStatus } from "../ws/connection";
import { useLive } from "../hooks";
import { fmtInt } from "../format";

export function phaseText(s: ConnectionStatus, now: number): string {
  switch (s.phase) {
    case "idle":
    case "connecting":
      return "Connecting…";
    case "replaying":
      return s.cappedPages > 0 ? `Replaying (capped ${s.cappedPages}×, fetching the rest)` : s.resumeFrom === "cursor" ? "Replaying missed records…" : "Joining…";
    case "live":
      return "Live";
    case "caught_up":
      return `Live — caught up${s.lastReplay ? ` (${fmtInt(s.lastReplay.totalReplayed)} replayed)` : ""}`;
    case "reconnecting":
      return s.retryAt ? `Reconnecting in ${Math.max(0, Math.ceil((s.retryAt - now) / 1000))} s (attempt ${s.attempt})` : "Reconnecting…";
    case "auth_required":
      return "Token required";
    case "stopped":
      return "Stopped";
  }
}

export function StatusBar({ model, poller }: { model: LiveModel; poller: StatsPoller }) {
  useLive(model);
  useSyncExternalStore(poller.subscribe, poller.getVersion);
  const health = poller.store.health;
  const s = model.status;
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (s.phase !== "reconnecting") return;
    const id = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(id);
  }, [s.phase]);
  const capped = s.cappedPages > 0 || !!s.lastReplay?.capped;
  return (
    <div className="statusbar" role="status" aria-live="polite">
      <span className={`pill phase-${s.phase}`} data-testid="connection-status" data-state={s.phase}>
        <span className="dot" aria-hidden="true" />
        {phaseText(s, now)}
      </span>
      {capped && (
        <span className="pill warn" data-testid="replay-capped" data-value={s.cappedPages}>
          Capped: the replay hit the server's limit {s.cappedPages} time(s); the page asked for the rest
        </span>
      )}
      {s.stale.map((x, i) => (
        <span key={i} className="pill bad" data-testid="cursor-stale" data-partition={x.partition} data-requested={x.requested} data-oldest={x.oldest}>
          Cursor stale on partition {x.partition}: asked after {x.requested}, the oldest retained is {x.oldest} — records in between are gone
        </span>
      ))}
      <span className={`pill health-${health.status}`} data-testid="status-health" data-value={health.status} title={health.reason}>
        Daemon: {health.status}
        {health.reason ? ` — ${health.reason}` : ""}
      </span>
      {s.lastProblem && s.phase !== "live" && s.phase !== "caught_up" && (
        <span className="problem" data-testid="connection-problem">
          {s.lastProblem}
        </span>
      )}
    </div>
  );
}
