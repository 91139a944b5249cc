// The daemon's JSON API (same origin as the page). A token, when there is
// one, goes as `Authorization: Bearer` on /api/* and as ?token= on /ws
// (browsers cannot set headers on a WebSocket upgrade).
import type { StatsResponse } from "../stores/stats";

export interface SessionInfo {
  auth: "none" | "jwt";
  tenant: string | null;
  admin: boolean;
}

export interface DlqEnvelope {
  error_type?: string;
  error?: string;
  stage?: string;
  source_topic?: string;
  source_partition?: number;
  source_offset?: number | string;
  thread_id?: string | null;
  tenant_id?: string | null;
  message_size?: number;
  original_payload_size?: number;
  payload_sha256?: string;
  record_id?: string;
  timestamp?: string;
  kafka_timestamp_ms?: number;
  consumer_group?: string;
  expected_sequence?: string;
  received_sequence?: string;
  [k: string]: unknown;
}

export interface DlqResponse {
  /** dlq.recent_bytes: the memory the daemon keeps recent records in. */
  capacity_bytes: number;
  records: DlqEnvelope[];
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = "dashstream.token";

/**
 * A token handed over in the address's fragment (`#token=…`, what
 * `dashstream demo` prints): the fragment never reaches the server. Returns
 * the token and the fragment without it.
 */
export function splitFragmentToken(hash: string): { token: string | null; rest: string } {
  const m = /^#?token=([A-Za-z0-9_\-.]+)(?:&(.*))?$/.exec(hash);
  if (!m) return { token: null, rest: hash };
  return { token: m[1], rest: m[2] ? `#${m[2]}` : "" };
}

export function loadToken(): string | null {
  // First a token in the address (then removed from it, so it is neither
  // bookmarked nor left in the history), else this tab's saved one.
  const { token, rest } = splitFragmentToken(location.hash);
  if (token) {
    saveToken(token);
    history.replaceState(null, "", location.pathname + location.search + rest);
    return token;
  }
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* private mode: the token lives for this page only */
  }
}

export type SessionResult =
  | { kind: "ok"; session: SessionInfo }
  | { kind: "unauthorized"; message: string }
  | { kind: "unavailable"; message: string };

export class Api {
  constructor(
    private readonly token: () => string | null,
    private readonly base = "",
    private readonly fetchImpl: typeof fetch = (...a) => fetch(...a),
  ) {}

  private async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    const tok = this.token();
    if (tok) headers.Authorization = `Bearer ${tok}`;
    const res = await this.fetchImpl(this.base + path, { headers, signal, cache: "no-store" });
    if (!res.ok) {
      let msg = `${res.status} ${res.statusText}`;
      try {
        const body = await res.text();
        if (body) msg += `: ${body.slice(0, 200)}`;
      } catch {
        /* ignore */
      }
      throw new HttpError(res.status, msg);
    }
    return (await res.json()) as T;
  }

  async session(): Promise<SessionResult> {
    try {
      return { kind: "ok", session: await this.get<SessionInfo>("/api/session") };
    } catch (e) {
      if (e instanceof HttpError && (e.status === 401 || e.status === 403)) return { kind: "unauthorized", message: e.message };
      return { kind: "unavailable", message: e instanceof Error ? e.message : String(e) };
    }
  }

  stats(since?: number, signal?: AbortSignal): Promise<StatsResponse> {
    return this.get<StatsResponse>(since !== undefined ? `/api/stats?since=${since}` : "/api/stats", signal);
  }

  dlq(limit: number, signal?: AbortSignal): Promise<DlqResponse> {
    return this.get<DlqResponse>(`/api/dlq?limit=${limit}`, signal);
  }

  /** /version (contract §5.1): its resume_namespace scopes the stored cursor. */
  async version(): Promise<Record<string, unknown> | null> {
    try {
      return await this.get<Record<string, unknown>>("/version");
    } catch {
      return null;
    }
  }

  wsUrl(loc: { protocol: string; host: string }): string {
    const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
    const tok = this.token();
    return `${scheme}//${loc.host}${this.base}/ws${tok ? `?token=${encodeURIComponent(tok)}` : ""}`;
  }
}
