import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeFrame } from "../src/proto/decode";
import { zstdDeclaredSize } from "../src/proto/zstd";
import { encodeMessage, framed, header, rawEvent } from "./helpers";

const fixture = (name: string) => new Uint8Array(readFileSync(join(__dirname, "fixtures", name)));

describe("decodeFrame", () => {
  it("decodes a raw (0x00) Event with its header", () => {
    const r = decodeFrame(rawEvent("t1", 5, "planner", 10));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.framing).toBe("raw");
    expect(r.items).toHaveLength(1);
    const it0 = r.items[0];
    expect(it0).toMatchObject({
      kind: "event",
      eventType: "NODE_START",
      threadId: "t1",
      tenantId: "acme",
      nodeId: "planner",
      sequence: "5",
      timestampUs: "1714564800000000",
    });
    expect(it0.messageId).toBe("07".repeat(16));
  });

  it("keeps uint64 sequences above 2^53 exact", () => {
    const big = "18446744073709551615";
    const r = decodeFrame(rawEvent("t1", big));
    expect(r.ok && r.items[0].sequence).toBe(big);
    const r2 = decodeFrame(rawEvent("t1", "9007199254740993"));
    expect(r2.ok && r2.items[0].sequence).toBe("9007199254740993");
  });

  it("expands an EventBatch into one item per inner event", () => {
    const pb = encodeMessage({
      event_batch: {
        header: header("t1", 0, { type: 8 }),
        events: [
          { header: header("t1", 1), event_type: 1, node_id: "a" },
          { header: header("t2", 9), event_type: 11, node_id: "b" },
          { header: header("", 3, { tenant_id: "" }), event_type: 40, node_id: "c" },
        ],
      },
    });
    const r = decodeFrame(framed(0, pb));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.items.map((i) => [i.kind, i.threadId, i.sequence, i.eventType, i.index, i.batchSize])).toEqual([
      ["event_batch", "t1", "1", "GRAPH_START", 0, 3],
      ["event_batch", "t2", "9", "NODE_END", 1, 3],
      // inherits the batch header's thread and tenant
      ["event_batch", "t1", "3", "TOOL_START", 2, 3],
    ]);
    expect(r.items[2].tenantId).toBe("acme");
  });

  it("decodes other variants with their header", () => {
    const pb = encodeMessage({
      tool_execution: { header: header("t3", 2, { type: 4 }), call_id: "c1", tool_name: "search", stage: 3 },
    });
    const r = decodeFrame(framed(0, pb));
    expect(r.ok && r.items[0]).toMatchObject({ kind: "tool_execution", eventType: "TOOL_EXECUTION", threadId: "t3", sequence: "2", nodeId: "search" });
  });

  it("decodes a zstd (0x01) frame that declares its size (fixture made by the zstd CLI)", () => {
    const zst = fixture("batch.pb.zst");
    expect(zstdDeclaredSize(zst)).toBe(fixture("batch.pb").length);
    const r = decodeFrame(framed(1, zst));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.framing).toBe("zstd");
    expect(r.items).toHaveLength(12);
    expect(new Set(r.items.map((i) => i.threadId))).toEqual(new Set(["thread-a", "thread-b"]));
    expect(r.items[11].sequence).toBe("6");
  });

  it("rejects a 0x01 frame without a declared size", () => {
    const r = decodeFrame(framed(1, fixture("batch.nosize.zst")));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/no content size/);
  });

  it("rejects a 0x01 frame declaring more than the cap before decompressing", () => {
    const r = decodeFrame(framed(1, fixture("batch.pb.zst")), 1000);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/above the cap/);
  });

  it("decodes legacy zstd (magic first), with and without a declared size", () => {
    for (const name of ["batch.pb.zst", "batch.nosize.zst"]) {
      const r = decodeFrame(fixture(name));
      expect(r.ok).toBe(true);
      if (r.ok) {
        expect(r.framing).toBe("legacy-zstd");
        expect(r.items).toHaveLength(12);
      }
    }
    const capped = decodeFrame(fixture("batch.nosize.zst"), 100);
    expect(capped.ok).toBe(false);
  });

  it("decodes a legacy unframed protobuf", () => {
    const pb = encodeMessage({ event: { header: header("t9", 1), event_type: 2 } });
    const r = decodeFrame(pb);
    expect(r.ok && r.framing).toBe("legacy-raw");
  });

  it("reports corrupt input as an error instead of throwing", () => {
    const cases = [
      new Uint8Array([]),
      new Uint8Array([0x00, 0xff, 0xff, 0xff]),
      new Uint8Array([0x01, 0x28, 0xb5, 0x2f, 0xfd]),
      framed(1, fixture("batch.pb.zst").slice(0, 40)),
      new Uint8Array([0x00]), // empty DashStreamMessage: no variant
    ];
    for (const c of cases) {
      const r = decodeFrame(c);
      expect(r.ok).toBe(false);
    }
  });
});
