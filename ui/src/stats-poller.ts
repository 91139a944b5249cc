// Polls /api/stats every interval_ms with since = the last sample's t, and
// keeps the samples in a StatsStore. Framework-free; views subscribe.
import { Api, HttpError } from "./api/client";
import { StatsStore } from "./stores/stats";

export class StatsPoller {
  readonly store = new StatsStore();
  error: string | null = null;
  unauthorized = false;
  lastOkAt = 0;
  version = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private abort: AbortController | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly api: Api) {}

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getVersion = (): number => this.version;

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort?.abort();
  }

  private notify(): void {
    this.version++;
    for (const fn of this.listeners) fn();
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    this.abort = new AbortController();
    let delay = this.store.intervalMs;
    try {
      const resp = await this.api.stats(this.store.since, this.abort.signal);
      this.store.add(resp);
      this.error = null;
      this.unauthorized = false;
      this.lastOkAt = Date.now();
    } catch (e) {
      if (this.stopped) return;
      this.unauthorized = e instanceof HttpError && e.status === 401;
      this.error = e instanceof Error ? e.message : String(e);
      delay = Math.max(2000, delay);
    }
    this.notify();
    if (!this.stopped) this.timer = setTimeout(() => void this.poll(), delay);
  }
}
