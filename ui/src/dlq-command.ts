// Builds the `dashstream dlq replay` command for a selection of DLQ
// envelopes: --since is the earliest selected timestamp (inclusive),
// --until one millisecond after the latest (the CLI's --until is exclusive),
// and --error-type / --tenant / --thread are added when every selected
// record shares them (a tenant token always scopes to its tenant).
import type { DlqEnvelope } from "./api/client";

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function shared<K extends keyof DlqEnvelope>(rows: DlqEnvelope[], k: K): string | null {
  const first = rows[0]?.[k];
  if (typeof first !== "string" || !first) return null;
  return rows.every((r) => r[k] === first) ? first : null;
}

export function toRfc3339Ms(ms: number): string {
  return new Date(ms).toISOString(); // 2024-05-01T12:00:00.123Z
}

export interface ReplayCommandOptions {
  configPath: string;
  /** The token's tenant (non-admin): always scopes the replay. */
  tenant?: string | null;
  execute?: boolean;
}

export function replayCommand(rows: DlqEnvelope[], o: ReplayCommandOptions): string | null {
  const times = rows.map((r) => Date.parse(String(r.timestamp ?? ""))).filter((t) => Number.isFinite(t));
  if (times.length === 0) return null;
  const since = Math.min(...times);
  const until = Math.max(...times) + 1;
  const parts = ["dashstream", "dlq", "replay", "--config", shellQuote(o.configPath || "dashstream.toml")];
  const et = shared(rows, "error_type");
  if (et) parts.push("--error-type", shellQuote(et));
  const tenant = o.tenant ?? shared(rows, "tenant_id");
  if (tenant) parts.push("--tenant", shellQuote(tenant));
  const thread = shared(rows, "thread_id");
  if (thread) parts.push("--thread", shellQuote(thread));
  parts.push("--since", toRfc3339Ms(since), "--until", toRfc3339Ms(until));
  if (o.execute) parts.push("--execute");
  return parts.join(" ");
}
