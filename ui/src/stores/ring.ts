// A fixed-capacity ring buffer: the browser keeps only the newest `capacity`
// items, whatever the rate (issue 23: bounded history).
export class Ring<T> {
  private buf: (T | undefined)[];
  private head = 0; // next write position
  private count = 0;
  /** Items ever pushed (also those since evicted). */
  total = 0;

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new Error("ring capacity must be positive");
    this.buf = new Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(x: T): void {
    this.buf[this.head] = x;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    this.total++;
  }

  /** i = 0 is the oldest kept item. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.buf[(this.head - this.count + i + this.capacity) % this.capacity];
  }

  /** Newest first, optionally filtered. */
  newestFirst(keep?: (x: T) => boolean): T[] {
    const out: T[] = [];
    for (let i = this.count - 1; i >= 0; i--) {
      const x = this.at(i)!;
      if (!keep || keep(x)) out.push(x);
    }
    return out;
  }

  clear(): void {
    this.buf = new Array(this.capacity);
    this.head = 0;
    this.count = 0;
  }
}
