import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { Api, loadToken, saveToken, type SessionInfo } from "./api/client";
import { LiveModel } from "./live";
import { StatsPoller } from "./stats-poller";
import { cursorKey, type KeyValueStorage } from "./ws/cursor";
import { Dlq } from "./views/Dlq";
import { LiveEvents } from "./views/LiveEvents";
import { Overview } from "./views/Overview";
import { StatusBar } from "./views/StatusBar";
import { Tabs, type TabDef } from "./views/Tabs";
import { Threads } from "./views/Threads";
import { TokenForm } from "./views/TokenForm";

declare global {
  interface Window {
    __dashstream?: object;
  }
}

const TABS: TabDef[] = [
  { id: "overview", label: "Overview" },
  { id: "events", label: "Live events" },
  { id: "threads", label: "Threads" },
  { id: "dlq", label: "DLQ" },
];

function tabFromHash(): string {
  const h = location.hash.replace(/^#/, "");
  return TABS.some((t) => t.id === h) ? h : "overview";
}

function localStore(): KeyValueStorage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

type Boot =
  | { kind: "checking" }
  | { kind: "token"; message: string | null }
  | { kind: "ready"; session: SessionInfo | null; namespace: string | null; note: string | null };

export function App() {
  const [token, setToken] = useState<string | null>(() => loadToken());
  const tokenRef = useRef(token);
  tokenRef.current = token;
  const api = useMemo(() => new Api(() => tokenRef.current), []);
  const [boot, setBoot] = useState<Boot>({ kind: "checking" });
  const [tab, setTab] = useState(tabFromHash);
  const [model, setModel] = useState<LiveModel | null>(null);
  const poller = useMemo(() => new StatsPoller(api), [api]);

  useEffect(() => {
    const onHash = () => setTab(tabFromHash());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  // Who are we? /api/session decides whether a token is needed.
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      setBoot({ kind: "checking" });
      const r = await api.session();
      if (cancelled) return;
      if (r.kind === "unauthorized") {
        setBoot({ kind: "token", message: token ? "The daemon refused this token (expired, wrong key or malformed)." : null });
        return;
      }
      const v = await api.version();
      if (cancelled) return;
      const ns = v && typeof v.resume_namespace === "string" ? v.resume_namespace : null;
      setBoot({
        kind: "ready",
        session: r.kind === "ok" ? r.session : null,
        namespace: ns,
        note: r.kind === "unavailable" ? `Could not ask the daemon who this page is (${r.message}); connecting anyway.` : null,
      });
    })();
    return () => {
      cancelled = true;
    };
  }, [api, token]);

  // One live model per identity.
  useEffect(() => {
    if (boot.kind !== "ready") return;
    const m = new LiveModel({
      url: () => api.wsUrl(location),
      cursorStorage: localStore(),
      cursorKey: cursorKey(location.origin, boot.namespace, boot.session?.tenant ?? null),
      probeAuth: async () => (await api.session()).kind !== "unauthorized",
      session: boot.session,
    });
    Object.defineProperty(window, "__dashstream", { value: m.testHooks(), configurable: true, writable: false });
    setModel(m);
    m.start();
    poller.start();
    const onHide = () => m.cursor.persist();
    window.addEventListener("pagehide", onHide);
    return () => {
      window.removeEventListener("pagehide", onHide);
      m.stop();
      poller.stop();
    };
  }, [boot, api, poller]);

  const submitToken = (t: string) => {
    saveToken(t);
    setModel(null);
    setToken(t);
  };
  const forgetToken = () => {
    saveToken(null);
    setModel(null);
    setToken(null);
  };
  const select = (id: string) => {
    setTab(id);
    history.replaceState(null, "", `#${id}`);
  };

  const session = boot.kind === "ready" ? boot.session : null;
  return (
    <div className="app">
      <header className="top">
        <h1>DashStream</h1>
        {session && (
          <span className="who" data-testid="session-tenant" data-auth={session.auth} data-admin={String(session.admin)} data-value={session.tenant ?? ""}>
            {session.auth === "none" ? "auth off: all tenants" : session.admin ? "admin: all tenants" : `tenant ${session.tenant}`}
          </span>
        )}
        {(token || session?.auth === "jwt") && (
          <button type="button" className="link" onClick={forgetToken} data-testid="forget-token">
            Change token
          </button>
        )}
      </header>
      {boot.kind === "checking" && <p className="muted pad">Connecting to the daemon…</p>}
      {boot.kind === "token" && <TokenForm message={boot.message} onSubmit={submitToken} />}
      {boot.kind === "ready" && model && (
        <Ready model={model} poller={poller} api={api} session={session} tab={tab} select={select} note={boot.note} onToken={submitToken} />
      )}
    </div>
  );
}

function Ready(p: {
  model: LiveModel;
  poller: StatsPoller;
  api: Api;
  session: SessionInfo | null;
  tab: string;
  select: (id: string) => void;
  note: string | null;
  onToken: (t: string) => void;
}) {
  // Only the phase matters here: the views subscribe to what they show, so
  // a frame of new records does not re-render every tab.
  const phase = useSyncExternalStore(p.model.subscribe, () => p.model.status.phase);
  if (phase === "auth_required") {
    return <TokenForm message="The daemon refused the WebSocket connection: a valid token is needed." onSubmit={p.onToken} />;
  }
  return (
    <>
      <StatusBar model={p.model} poller={p.poller} />
      {p.note && <p className="banner warn">{p.note}</p>}
      <main>
        <Tabs tabs={TABS} current={p.tab} onSelect={p.select}>
          {p.tab === "overview" && <Overview poller={p.poller} />}
          {p.tab === "events" && <LiveEvents model={p.model} />}
          {p.tab === "threads" && <Threads model={p.model} />}
          {p.tab === "dlq" && <Dlq api={p.api} session={p.session} />}
        </Tabs>
      </main>
    </>
  );
}
