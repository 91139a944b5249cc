import { describe, expect, it } from "vitest";
import { LiveModel } from "../src/live";
import { replayCommand, shellQuote } from "../src/dlq-command";
import { encodeMessage, framed, header, rawEvent } from "./helpers";
import { FakeSocket, MemoryStorage } from "./fakes";

function model() {
  const sockets: FakeSocket[] = [];
  const flushes: number[] = [];
  let pending: (() => void) | null = null;
  const m = new LiveModel({
    url: () => "ws://x/ws",
    cursorStorage: new MemoryStorage(),
    cursorKey: "k",
    createSocket: (u) => {
      const s = new FakeSocket(u);
      sockets.push(s);
      return s;
    },
    historySize: 5,
    schedule: (fn) => {
      pending = fn;
    },
  });
  m.subscribe(() => flushes.push(m.version));
  return { m, sockets, flushes, frame: () => pending?.() };
}

describe("LiveModel", () => {
  it("applies records to the ring and the thread store, batching view updates per frame", () => {
    const { m, sockets, flushes, frame } = model();
    m.start();
    sockets[0].open();
    sockets[0].text({ type: "replay_complete", totalReplayed: 0, lastOffsetsByPartition: {}, capped: false, mode: "auto" });
    for (let i = 1; i <= 8; i++) sockets[0].record(0, String(i), rawEvent("t1", i));
    expect(flushes).toEqual([]); // nothing rendered until the frame
    frame();
    expect(flushes).toHaveLength(1);
    expect(m.events.size).toBe(5); // bounded
    expect(m.counters.recordsApplied).toBe(8);
    expect(m.counters.offsetsByPartition).toEqual({ "0": 8 });
    expect(m.threads.get("t1")!.records).toBe(8);
    const hooks = m.testHooks() as Record<string, unknown>;
    expect(hooks.connectionState).toBe("live");
    expect(hooks.cursor).toEqual({ "0": "8" });
    expect(() => ((hooks as { eventsApplied: number }).eventsApplied = 1)).toThrow();
  });

  it("counts an undecodable record, shows it, and still advances the cursor", () => {
    const { m, sockets } = model();
    m.start();
    sockets[0].open();
    sockets[0].text({ type: "replay_complete", totalReplayed: 0, lastOffsetsByPartition: {}, capped: false, mode: "auto" });
    sockets[0].record(1, "7", new Uint8Array([0x05, 0x06]));
    expect(m.counters.decodeErrors).toBe(1);
    expect(m.events.at(0)!.kind).toBe("decode_error");
    expect(m.cursor.toJSON()).toEqual({ "1": "7" });
  });

  it("expands an EventBatch into rows that share the record's offset", () => {
    const { m, sockets } = model();
    m.start();
    sockets[0].open();
    sockets[0].text({ type: "replay_complete", totalReplayed: 0, lastOffsetsByPartition: {}, capped: false, mode: "auto" });
    const pb = encodeMessage({
      event_batch: { header: header("a", 0), events: [{ header: header("a", 1), node_id: "n" }, { header: header("b", 1), node_id: "n" }] },
    });
    sockets[0].record(0, "3", framed(0, pb));
    expect(m.events.newestFirst().map((r) => [r.offset, r.index, r.threadId])).toEqual([
      ["3", 1, "b"],
      ["3", 0, "a"],
    ]);
    expect(m.threads.size).toBe(2);
  });

  it("records server gap frames in the thread store", () => {
    const { m, sockets } = model();
    m.start();
    sockets[0].open();
    sockets[0].text({ type: "gap", count: 4, severity: "critical", message: "m", threadId: "t9" });
    expect(m.threads.get("t9")!.serverGaps[0].count).toBe("4");
  });
});

describe("dlq replay command", () => {
  const env = (ts: string, extra = {}) => ({ timestamp: ts, error_type: "decode_error", tenant_id: "acme", thread_id: "t1", ...extra });

  it("covers the selected range: since inclusive, until exclusive (+1 ms)", () => {
    const cmd = replayCommand([env("2024-05-01T12:00:00.500Z"), env("2024-05-01T11:59:00.000Z")], { configPath: "/etc/ds.toml" });
    expect(cmd).toBe(
      "dashstream dlq replay --config /etc/ds.toml --error-type decode_error --tenant acme --thread t1 --since 2024-05-01T11:59:00.000Z --until 2024-05-01T12:00:00.501Z",
    );
  });

  it("adds filters only when every selected record shares them; a tenant token always scopes", () => {
    const rows = [env("2024-05-01T12:00:00Z"), env("2024-05-01T12:00:01Z", { error_type: "schema_error", tenant_id: "other", thread_id: null })];
    expect(replayCommand(rows, { configPath: "c.toml" })).toBe("dashstream dlq replay --config c.toml --since 2024-05-01T12:00:00.000Z --until 2024-05-01T12:00:01.001Z");
    expect(replayCommand(rows, { configPath: "c.toml", tenant: "acme" })).toContain("--tenant acme");
  });

  it("quotes for the shell", () => {
    expect(shellQuote("plain-1.2")).toBe("plain-1.2");
    expect(shellQuote("it's x")).toBe("'it'\\''s x'");
    expect(replayCommand([env("bad")], { configPath: "c" })).toBe(null);
  });
});
