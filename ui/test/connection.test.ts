import { describe, expect, it } from "vitest";
import { LiveConnection } from "../src/ws/connection";
import { Cursor, cursorKey } from "../src/ws/cursor";
import { FakeSocket, FakeTimers, MemoryStorage } from "./fakes";

const KEY = cursorKey("http://127.0.0.1:3002", "ns", "acme");

function setup(storage = new MemoryStorage(), opts: { probeAuth?: () => Promise<boolean>; failApply?: boolean } = {}) {
  const timers = new FakeTimers();
  const sockets: FakeSocket[] = [];
  const applied: Array<[number, string]> = [];
  // What the stores would have: the cursor is checked against it at apply time.
  let storedAtApply: string | null = "unset";
  const cursor = new Cursor(storage, KEY);
  const conn = new LiveConnection({
    url: () => "ws://x/ws",
    createSocket: (u) => {
      const s = new FakeSocket(u);
      sockets.push(s);
      return s;
    },
    cursor,
    apply: (p, off) => {
      if (opts.failApply) throw new Error("apply failed");
      storedAtApply = cursor.get(p)?.toString() ?? null;
      applied.push([p, off]);
    },
    timers,
    random: () => 0.5,
    probeAuth: opts.probeAuth,
  });
  return { conn, timers, sockets, applied, cursor, storage, last: () => sockets[sockets.length - 1], storedAtApply: () => storedAtApply };
}

const bytes = new Uint8Array([0, 1, 2]);
const done = (offsets: Record<string, string> = {}, capped = false) => ({ type: "replay_complete", totalReplayed: 0, lastOffsetsByPartition: offsets, capped, mode: "partition" });

describe("LiveConnection", () => {
  it("first connect resumes from latest and adopts the server's baseline", () => {
    const { conn, last, storage } = setup();
    conn.start();
    expect(conn.status.phase).toBe("connecting");
    last().open();
    expect(last().sent).toEqual([{ type: "resume", lastOffsetsByPartition: {}, from: "latest" }]);
    expect(conn.status.phase).toBe("replaying");
    last().text({ type: "replay_complete", totalReplayed: 0, lastOffsetsByPartition: { "0": "41", "1": "7" }, capped: false, mode: "auto" });
    expect(conn.status.phase).toBe("live");
    expect(JSON.parse(storage.getItem(KEY)!)).toEqual({ "0": "41", "1": "7" });
  });

  it("stores the cursor only after the record was applied", () => {
    const { conn, last, cursor, timers, storage, storedAtApply } = setup();
    conn.start();
    last().open();
    last().text(done());
    last().record(0, "5", bytes);
    // while apply ran, the cursor did not yet include offset 5
    expect(storedAtApply()).toBe(null);
    expect(cursor.get(0)).toBe(5n);
    timers.advance(300);
    expect(JSON.parse(storage.getItem(KEY)!)).toEqual({ "0": "5" });
  });

  it("does not advance the cursor when applying throws", () => {
    const { conn, last, cursor } = setup(new MemoryStorage(), { failApply: true });
    conn.start();
    last().open();
    last().text(done());
    expect(() => last().record(0, "5", bytes)).toThrow();
    expect(cursor.get(0)).toBe(undefined);
  });

  it("reconnects with backoff, resumes from the stored cursor and drops duplicates", () => {
    const { conn, last, sockets, timers, applied } = setup();
    conn.start();
    last().open();
    last().text({ type: "replay_complete", totalReplayed: 0, lastOffsetsByPartition: {}, capped: false, mode: "auto" });
    last().record(0, "10", bytes);
    last().record(1, "3", bytes);
    last().drop();
    expect(conn.status.phase).toBe("reconnecting");
    expect(sockets).toHaveLength(1);
    timers.advance(1000);
    expect(sockets).toHaveLength(2);
    last().open();
    expect(last().sent[0]).toEqual({ type: "resume", lastOffsetsByPartition: { "0": "10", "1": "3" }, from: "cursor" });
    // the server replays strictly greater, but a buggy or racing one may repeat:
    last().record(0, "10", bytes);
    last().record(0, "11", bytes);
    last().record(1, "3", bytes);
    last().record(1, "4", bytes);
    last().text({ type: "replay_complete", totalReplayed: 2, lastOffsetsByPartition: { "0": "11", "1": "4" }, capped: false, mode: "partition" });
    expect(conn.status.phase).toBe("caught_up");
    expect(applied).toEqual([[0, "10"], [1, "3"], [0, "11"], [1, "4"]]);
    expect(conn.counters.duplicatesDropped).toBe(2);
    expect(conn.status.attempt).toBe(0);
  });

  it("survives a page reload: the stored cursor is used by a new page", () => {
    const storage = new MemoryStorage();
    const a = setup(storage);
    a.conn.start();
    a.last().open();
    a.last().text(done());
    a.last().record(2, "100", bytes);
    a.conn.stop(); // pagehide persists
    const b = setup(storage);
    b.conn.start();
    b.last().open();
    expect(b.last().sent[0]).toEqual({ type: "resume", lastOffsetsByPartition: { "2": "100" }, from: "cursor" });
  });

  it("keeps offsets above 2^53 exact", () => {
    const { conn, last, timers, storage, applied } = setup();
    conn.start();
    last().open();
    last().text(done());
    last().record(0, "9007199254740993", bytes);
    last().record(0, "9007199254740993", bytes); // same: duplicate, not lost to rounding
    last().record(0, "9007199254740994", bytes);
    timers.advance(300);
    expect(applied.map((a) => a[1])).toEqual(["9007199254740993", "9007199254740994"]);
    expect(JSON.parse(storage.getItem(KEY)!)).toEqual({ "0": "9007199254740994" });
    last().drop();
    timers.advance(1000);
    last().open();
    expect(last().sent[0]).toMatchObject({ lastOffsetsByPartition: { "0": "9007199254740994" } });
  });

  it("holds records that arrive before the replay is complete and applies them in offset order", () => {
    const storage = new MemoryStorage();
    storage.setItem(KEY, JSON.stringify({ "0": "100" }));
    const { conn, last, applied, cursor } = setup(storage);
    conn.start();
    last().open();
    // the server sent a live record before it read the resume...
    last().record(0, "111", bytes);
    expect(applied).toEqual([]);
    expect(cursor.get(0)).toBe(100n); // a disconnect now must not skip 101..110
    // ...then the replay, which may or may not repeat 111
    for (let o = 101; o <= 111; o++) last().record(0, String(o), bytes);
    last().text(done({ "0": "111" }));
    expect(applied.map((a) => a[1])).toEqual(Array.from({ length: 11 }, (_, i) => String(101 + i)));
    expect(conn.counters.duplicatesDropped).toBe(1);
    expect(conn.status.phase).toBe("caught_up");
    last().record(0, "112", bytes); // live again: applied at once
    expect(applied).toHaveLength(12);
  });

  it("a disconnect during the replay applies nothing and resumes from the same cursor", () => {
    const storage = new MemoryStorage();
    storage.setItem(KEY, JSON.stringify({ "0": "100" }));
    const { conn, last, applied, timers } = setup(storage);
    conn.start();
    last().open();
    last().record(0, "111", bytes);
    last().record(0, "101", bytes);
    last().drop();
    expect(applied).toEqual([]);
    expect(conn.counters.discarded).toBe(2);
    timers.advance(1000);
    last().open();
    expect(last().sent[0]).toEqual({ type: "resume", lastOffsetsByPartition: { "0": "100" }, from: "cursor" });
  });

  it("after a capped replay, held records beyond what it covered wait for the next page", () => {
    const storage = new MemoryStorage();
    storage.setItem(KEY, JSON.stringify({ "0": "0" }));
    const { conn, last, applied, cursor } = setup(storage);
    conn.start();
    last().open();
    last().record(0, "50", bytes); // live, before the resume was read
    last().record(0, "1", bytes);
    last().record(0, "2", bytes);
    last().text(done({ "0": "2" }, true));
    expect(applied.map((a) => a[1])).toEqual(["1", "2"]);
    expect(cursor.get(0)).toBe(2n);
    expect(conn.counters.deferred).toBe(1);
    for (let o = 3; o <= 50; o++) last().record(0, String(o), bytes);
    last().text(done({ "0": "50" }));
    expect(applied).toHaveLength(50);
  });

  it("follows a capped replay with another resume until it is complete", () => {
    const storage = new MemoryStorage();
    storage.setItem(KEY, JSON.stringify({ "0": "0" }));
    const { conn, last } = setup(storage);
    conn.start();
    last().open();
    last().record(0, "1", bytes);
    last().record(0, "2", bytes);
    last().text({ type: "replay_complete", totalReplayed: 2, lastOffsetsByPartition: { "0": "2" }, capped: true, mode: "partition" });
    expect(conn.status.phase).toBe("replaying");
    expect(conn.status.cappedPages).toBe(1);
    expect(last().sent[1]).toEqual({ type: "resume", lastOffsetsByPartition: { "0": "2" }, from: "cursor" });
    last().record(0, "3", bytes);
    last().text({ type: "replay_complete", totalReplayed: 1, lastOffsetsByPartition: { "0": "3" }, capped: false, mode: "partition" });
    expect(conn.status.phase).toBe("caught_up");
    expect(conn.status.lastReplay).toEqual({ totalReplayed: 1, capped: false, mode: "partition" });
  });

  it("reports cursor_stale honestly", () => {
    const storage = new MemoryStorage();
    storage.setItem(KEY, JSON.stringify({ "0": "5" }));
    const { conn, last } = setup(storage);
    conn.start();
    last().open();
    last().text({ type: "cursor_stale", partition: 0, requested: "5", oldest: "900", message: "older than retained" });
    last().text({ type: "replay_complete", totalReplayed: 0, lastOffsetsByPartition: { "0": "950" }, capped: false, mode: "partition" });
    expect(conn.status.stale).toEqual([{ partition: 0, requested: "5", oldest: "900", message: "older than retained" }]);
    expect(conn.status.phase).toBe("caught_up");
  });

  it("cursor_reset jumps to the latest offsets", () => {
    const { conn, last, cursor } = setup();
    conn.start();
    last().open();
    last().text(done());
    last().record(0, "5", bytes);
    expect(conn.resetCursor()).toBe(true);
    expect(last().sent[1]).toEqual({ type: "cursor_reset" });
    last().text({ type: "cursor_reset_complete", latestOffsetsByPartition: { "0": "80" } });
    expect(cursor.toJSON()).toEqual({ "0": "80" });
  });

  it("a BINARY frame without its cursor is a protocol error, not a record", () => {
    const { conn, last, applied } = setup();
    conn.start();
    last().open();
    last().onmessage?.({ data: new ArrayBuffer(3) });
    last().onmessage?.({ data: "not json" });
    expect(applied).toEqual([]);
    expect(conn.counters.protocolErrors).toBe(2);
  });

  it("stops and asks for a token when the upgrade fails and the API refuses the token", async () => {
    const { conn, last, sockets, timers } = setup(new MemoryStorage(), { probeAuth: async () => false });
    conn.start();
    last().drop();
    await Promise.resolve();
    await Promise.resolve();
    expect(conn.status.phase).toBe("auth_required");
    timers.advance(60_000);
    expect(sockets).toHaveLength(1);
  });

  it("retries when the upgrade fails for another reason, with growing backoff", async () => {
    const { conn, last, sockets, timers } = setup(new MemoryStorage(), { probeAuth: async () => true });
    conn.start();
    last().drop();
    await Promise.resolve();
    await Promise.resolve();
    expect(conn.status.phase).toBe("reconnecting");
    timers.advance(400); // first delay: 500 * (0.5 + 0.5*0.5) = 375
    expect(sockets).toHaveLength(2);
    last().drop();
    await Promise.resolve();
    await Promise.resolve();
    expect(conn.status.attempt).toBe(2);
    timers.advance(400);
    expect(sockets).toHaveLength(2); // 750 ms this time
    timers.advance(400);
    expect(sockets).toHaveLength(3);
  });

  it("closes a connection that stopped answering pings, then resumes", () => {
    const { conn, last, sockets, timers } = setup();
    conn.start();
    last().open();
    timers.advance(20_000);
    expect(last().sent).toContainEqual({ type: "ping" });
    timers.advance(40_000);
    expect(sockets[0].closed).toBe(true);
    expect(conn.status.phase).toBe("reconnecting");
    timers.advance(1000);
    expect(sockets).toHaveLength(2);
  });

  it("a server disconnect (backpressure) is shown and followed by a resume", () => {
    const { conn, last, timers, sockets } = setup();
    conn.start();
    last().open();
    last().text(done());
    last().record(0, "1", bytes);
    last().text({ type: "disconnect", reason: "backpressure", message: "too slow" });
    last().drop(1008);
    expect(conn.status.lastProblem).toMatch(/backpressure/);
    timers.advance(1000);
    sockets[1].open();
    expect(sockets[1].sent[0]).toEqual({ type: "resume", lastOffsetsByPartition: { "0": "1" }, from: "cursor" });
  });
});
