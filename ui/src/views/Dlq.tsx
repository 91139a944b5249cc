// DLQ: the newest dead-lettered records (their JSON envelopes as stored) and
// the `dashstream dlq replay` command for a selected range, to copy. The
// page never replays anything itself.
import { useCallback, useEffect, useRef, useState } from "react";
import type { Api, DlqEnvelope, DlqResponse, SessionInfo } from "../api/client";
import { replayCommand } from "../dlq-command";
import { fmtBytes } from "../format";

const LIMIT = 200;
const CONFIG_KEY = "dashstream.configPath";

function rowKey(e: DlqEnvelope, i: number): string {
  return String(e.record_id ?? `${e.source_partition}/${e.source_offset}/${i}`);
}

export function Dlq({ api, session }: { api: Api; session: SessionInfo | null }) {
  const [data, setData] = useState<DlqResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [auto, setAuto] = useState(true);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [anchor, setAnchor] = useState<number | null>(null);
  const [configPath, setConfigPath] = useState(() => {
    try {
      return localStorage.getItem(CONFIG_KEY) ?? "dashstream.toml";
    } catch {
      return "dashstream.toml";
    }
  });
  const [copied, setCopied] = useState(false);
  const cmdRef = useRef<HTMLTextAreaElement>(null);

  const load = useCallback(async () => {
    setLoading(true);
    try {
      setData(await api.dlq(LIMIT));
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setLoading(false);
    }
  }, [api]);

  useEffect(() => {
    void load();
    if (!auto) return;
    const id = setInterval(() => void load(), 5000);
    return () => clearInterval(id);
  }, [load, auto]);

  const records = data?.records ?? [];
  const keys = records.map(rowKey);
  const chosen = records.filter((_, i) => selected.has(keys[i]));

  const toggle = (i: number, shift: boolean) => {
    const next = new Set(selected);
    if (shift && anchor !== null) {
      const [a, b] = anchor < i ? [anchor, i] : [i, anchor];
      for (let j = a; j <= b; j++) next.add(keys[j]);
    } else if (next.has(keys[i])) next.delete(keys[i]);
    else next.add(keys[i]);
    setAnchor(i);
    setSelected(next);
  };

  const tenant = session && session.auth === "jwt" && !session.admin ? session.tenant : null;
  const command = chosen.length ? replayCommand(chosen, { configPath, tenant }) : null;

  const copy = async () => {
    if (!command) return;
    try {
      await navigator.clipboard.writeText(command);
    } catch {
      cmdRef.current?.select();
      document.execCommand?.("copy");
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };

  return (
    <div className="dlq">
      <div className="toolbar">
        <button type="button" onClick={() => void load()} disabled={loading} data-testid="dlq-refresh">
          {loading ? "Loading…" : "Refresh"}
        </button>
        <label className="check">
          <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} /> Refresh every 5 s
        </label>
        <span className="muted" data-testid="dlq-count" data-value={records.length}>
          {records.length} newest records{data ? ` (the daemon keeps ${fmtBytes(data.capacity_bytes)} of the newest)` : ""}
          {tenant ? ` of tenant ${tenant}` : ""}
        </span>
      </div>
      {error && (
        <p className="banner warn" role="status" data-testid="dlq-error">
          DLQ unavailable: {error}
        </p>
      )}

      <section className="replay" aria-labelledby="replay-h">
        <h2 id="replay-h">Replay command</h2>
        <p className="muted">
          Select records (Shift+click or Shift+Space selects a range). The command covers the selected time range and adds the error type, tenant or thread
          when all selected records share it. It is a dry run until you add <code>--execute</code>.
        </p>
        <label>
          Config file
          <input
            type="text"
            value={configPath}
            onChange={(e) => {
              setConfigPath(e.target.value);
              try {
                localStorage.setItem(CONFIG_KEY, e.target.value);
              } catch {
                /* not remembered */
              }
            }}
            data-testid="dlq-config-path"
          />
        </label>
        <div className="cmd">
          <textarea
            ref={cmdRef}
            readOnly
            rows={2}
            aria-label="Replay command"
            value={command ?? ""}
            placeholder="Select one or more records below"
            data-testid="dlq-command"
          />
          <button type="button" onClick={() => void copy()} disabled={!command} data-testid="dlq-copy">
            {copied ? "Copied" : "Copy"}
          </button>
          <button type="button" onClick={() => setSelected(new Set())} disabled={!chosen.length}>
            Clear selection ({chosen.length})
          </button>
        </div>
      </section>

      <div className="table-wrap" tabIndex={0} role="region" aria-label="Dead-lettered records">
        <table className="dlq-table">
          <thead>
            <tr>
              <th scope="col">
                <span className="sr-only">Select</span>
              </th>
              <th scope="col">Time (UTC)</th>
              <th scope="col">Error type</th>
              <th scope="col">Stage</th>
              <th scope="col">Source</th>
              <th scope="col">Thread</th>
              <th scope="col">Tenant</th>
              <th scope="col">Size</th>
              <th scope="col">SHA-256</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {records.map((e, i) => {
              const k = keys[i];
              const isSel = selected.has(k);
              return (
                <tr key={k} className={isSel ? "selected" : undefined} data-testid="dlq-row" data-error-type={e.error_type ?? ""} data-tenant={e.tenant_id ?? ""} data-thread={e.thread_id ?? ""}>
                  <td>
                    <input
                      type="checkbox"
                      checked={isSel}
                      aria-label={`Select record ${e.source_partition}/${e.source_offset}`}
                      onClick={(ev) => toggle(i, ev.shiftKey)}
                      onChange={() => undefined}
                    />
                  </td>
                  <td>{String(e.timestamp ?? "").replace("T", " ").replace("Z", "")}</td>
                  <td>
                    <code>{e.error_type}</code>
                  </td>
                  <td>{e.stage}</td>
                  <td>
                    {e.source_topic}/{e.source_partition}/{String(e.source_offset)}
                  </td>
                  <td className="ellipsis" title={e.thread_id ?? ""}>
                    {e.thread_id ?? "—"}
                  </td>
                  <td>{e.tenant_id ?? "—"}</td>
                  <td>
                    {fmtBytes(e.message_size)}
                    {e.original_payload_size !== undefined ? ` (orig. ${fmtBytes(e.original_payload_size)})` : ""}
                  </td>
                  <td>
                    <code title={e.payload_sha256}>{(e.payload_sha256 ?? "").slice(0, 12)}</code>
                  </td>
                  <td>
                    <details>
                      <summary>{String(e.error ?? "").slice(0, 80) || "envelope"}</summary>
                      {(e.expected_sequence || e.received_sequence) && (
                        <p>
                          expected sequence {e.expected_sequence ?? "–"}, received {e.received_sequence ?? "–"}
                        </p>
                      )}
                      <pre>{JSON.stringify(e, null, 2)}</pre>
                    </details>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {records.length === 0 && !error && <p className="muted empty">{data ? "The DLQ is empty." : "Loading…"}</p>}
      </div>
    </div>
  );
}
