// The page's resume cursor (contract §5.3, §8.3): per partition, the last
// offset whose record has been *applied* to the stores. Offsets are kept as
// BigInt and travel as decimal strings — never as JS numbers (§8.4).

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** localStorage key: one cursor per origin, resume namespace and tenant. */
export function cursorKey(origin: string, namespace: string | null, tenant: string | null): string {
  return `dashstream.cursor.v1|${origin}|${namespace ?? ""}|${tenant ?? "*"}`;
}

const DECIMAL = /^(0|[1-9][0-9]{0,19})$/;

export function parseOffset(s: unknown): bigint | null {
  if (typeof s === "number" && Number.isSafeInteger(s) && s >= 0) return BigInt(s);
  if (typeof s !== "string" || !DECIMAL.test(s)) return null;
  return BigInt(s);
}

export class Cursor {
  private readonly applied = new Map<number, bigint>();
  private dirty = false;

  constructor(
    private readonly storage: KeyValueStorage | null,
    private readonly key: string,
  ) {
    this.load();
  }

  private load(): void {
    if (!this.storage) return;
    let raw: string | null = null;
    try {
      raw = this.storage.getItem(this.key);
    } catch {
      return;
    }
    if (!raw) return;
    try {
      const obj = JSON.parse(raw) as Record<string, unknown>;
      for (const [p, off] of Object.entries(obj)) {
        const n = Number(p);
        const v = parseOffset(off);
        if (Number.isInteger(n) && n >= 0 && v !== null) this.applied.set(n, v);
      }
    } catch {
      /* a corrupt cursor is no cursor */
    }
  }

  /** True when `offset` of `partition` was already applied (a duplicate). */
  isApplied(partition: number, offset: bigint): boolean {
    const last = this.applied.get(partition);
    return last !== undefined && offset <= last;
  }

  /** Call only after the record was applied to the stores. */
  markApplied(partition: number, offset: bigint): void {
    const last = this.applied.get(partition);
    if (last === undefined || offset > last) {
      this.applied.set(partition, offset);
      this.dirty = true;
    }
  }

  /**
   * Offsets the server says a replay covered (replay_complete, cursor reset):
   * every record up to there the page may see has been delivered, so the
   * cursor moves forward to them (never backward).
   */
  adopt(offsets: Record<string, unknown>): void {
    for (const [p, off] of Object.entries(offsets)) {
      const n = Number(p);
      const v = parseOffset(off);
      if (Number.isInteger(n) && n >= 0 && v !== null) this.markApplied(n, v);
    }
  }

  /** Forgets everything (cursor_reset: the page jumps to the latest). */
  clear(): void {
    this.applied.clear();
    this.dirty = true;
  }

  get size(): number {
    return this.applied.size;
  }

  get(partition: number): bigint | undefined {
    return this.applied.get(partition);
  }

  /** The resume message's lastOffsetsByPartition. */
  toJSON(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const p of [...this.applied.keys()].sort((a, b) => a - b)) {
      out[String(p)] = this.applied.get(p)!.toString();
    }
    return out;
  }

  /** Writes to storage if anything changed since the last write. */
  persist(): void {
    if (!this.dirty || !this.storage) return;
    this.dirty = false;
    try {
      if (this.applied.size === 0) this.storage.removeItem(this.key);
      else this.storage.setItem(this.key, JSON.stringify(this.toJSON()));
    } catch {
      /* quota or privacy mode: the in-memory cursor still works */
    }
  }
}
