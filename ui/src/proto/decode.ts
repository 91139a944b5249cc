// Decodes the exact Kafka value bytes of a forwarded record (contract §1.2,
// §1.3 compatible mode) into the rows the views show. Never throws: a frame
// that does not decode comes back as { ok: false } so the caller counts it.
import type Long from "long";
import { DashStreamMessage, EventType, MessageType, enumName } from "./schema";
import { DEFAULT_CAP, decompressDeclared, decompressLegacy, hasZstdMagic } from "./zstd";

export type Framing = "raw" | "zstd" | "legacy-zstd" | "legacy-raw";

/** One shown item: an Event, an inner event of a batch, or another variant. */
export interface DecodedItem {
  /** The oneof variant: event, event_batch, state_diff, token_chunk, ... */
  kind: string;
  /** Event type name (NODE_START ...) for events, else the variant in capitals. */
  eventType: string;
  threadId: string;
  tenantId: string;
  nodeId: string;
  /** Decimal string; "0" = unsequenced. Never a JS number (uint64). */
  sequence: string;
  timestampUs: string;
  messageId: string;
  /** Position inside an EventBatch; 0 otherwise. */
  index: number;
  /** Number of events of the batch it came from; 0 when not from a batch. */
  batchSize: number;
  detail: string;
}

export type DecodeResult =
  | { ok: true; framing: Framing; items: DecodedItem[] }
  | { ok: false; framing: Framing | "unknown"; error: string };

type LongLike = Long | number | string | null | undefined;

export function longToString(v: LongLike): string {
  if (v === null || v === undefined) return "0";
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  return v.toString();
}

function hex(b: Uint8Array | undefined | null): string {
  if (!b || b.length === 0) return "";
  let s = "";
  for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, "0");
  return s;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
interface HeaderLike {
  message_id?: Uint8Array;
  timestamp_us?: LongLike;
  tenant_id?: string;
  thread_id?: string;
  sequence?: LongLike;
  type?: number;
}

function base(kind: string, h: HeaderLike | null | undefined): DecodedItem {
  return {
    kind,
    eventType: kind.toUpperCase(),
    threadId: h?.thread_id ?? "",
    tenantId: h?.tenant_id ?? "",
    nodeId: "",
    sequence: longToString(h?.sequence),
    timestampUs: longToString(h?.timestamp_us),
    messageId: hex(h?.message_id),
    index: 0,
    batchSize: 0,
    detail: "",
  };
}

function eventItem(ev: any): DecodedItem {
  const it = base("event", ev.header);
  it.eventType = enumName(EventType, ev.event_type ?? 0, "EVENT_TYPE_");
  it.nodeId = ev.node_id ?? "";
  const dur = longToString(ev.duration_us);
  const parts: string[] = [];
  if (dur !== "0") parts.push(`${dur} µs`);
  if (ev.llm_request_id) parts.push(`llm ${ev.llm_request_id}`);
  const attrs = ev.attributes ? Object.keys(ev.attributes) : [];
  if (attrs.length) parts.push(`attrs: ${attrs.slice(0, 4).join(", ")}${attrs.length > 4 ? ", …" : ""}`);
  it.detail = parts.join(" · ");
  return it;
}

/** The rows of one decoded DashStreamMessage (an EventBatch expands). */
export function itemsOf(msg: any): DecodedItem[] {
  const variant: string | undefined = msg.message;
  if (!variant) throw new Error("DashStreamMessage has no variant set");
  const body = msg[variant];
  switch (variant) {
    case "event":
      return [eventItem(body)];
    case "event_batch": {
      const events: any[] = body.events ?? [];
      if (events.length === 0) {
        const it = base("event_batch", body.header);
        it.detail = "empty batch";
        return [it];
      }
      return events.map((ev, i) => {
        const it = eventItem(ev);
        it.kind = "event_batch";
        it.index = i;
        it.batchSize = events.length;
        // An inner event without its own tenant/thread inherits the batch's.
        if (!it.threadId) it.threadId = body.header?.thread_id ?? "";
        if (!it.tenantId) it.tenantId = body.header?.tenant_id ?? "";
        return it;
      });
    }
    case "tool_execution": {
      const it = base(variant, body.header);
      it.nodeId = body.tool_name ?? "";
      it.detail = `${body.tool_name ?? ""} call ${body.call_id ?? ""} stage ${body.stage ?? 0}`;
      return [it];
    }
    case "token_chunk": {
      const it = base(variant, body.header);
      it.detail = `${body.model ?? ""} #${body.chunk_index ?? 0}${body.is_final ? " final" : ""}`;
      return [it];
    }
    case "error": {
      const it = base(variant, body.header);
      it.detail = `${body.error_code ?? ""} ${body.message ?? ""}`.trim();
      return [it];
    }
    case "metrics": {
      const it = base(variant, body.header);
      it.detail = `${body.scope ?? ""} ${body.scope_id ?? ""}`.trim();
      return [it];
    }
    case "execution_trace": {
      const it = base(variant, body.header);
      if (!it.threadId) it.threadId = body.thread_id ?? "";
      it.detail = `execution ${body.execution_id ?? ""}, ${(body.nodes_executed ?? []).length} nodes`;
      return [it];
    }
    default: {
      const it = base(variant, body?.header);
      if (body?.header?.type) it.detail = enumName(MessageType, body.header.type, "MESSAGE_TYPE_");
      return [it];
    }
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Decodes one record value; `cap` bounds any decompression (§1.3). */
export function decodeFrame(bytes: Uint8Array, cap = DEFAULT_CAP): DecodeResult {
  let framing: Framing | "unknown" = "unknown";
  try {
    if (bytes.length === 0) return { ok: false, framing, error: "empty record value" };
    let payload: Uint8Array;
    if (bytes[0] === 0x00) {
      framing = "raw";
      payload = bytes.subarray(1);
    } else if (bytes[0] === 0x01) {
      framing = "zstd";
      payload = decompressDeclared(bytes.subarray(1), cap);
    } else if (hasZstdMagic(bytes)) {
      framing = "legacy-zstd";
      payload = decompressLegacy(bytes, cap);
    } else {
      framing = "legacy-raw";
      payload = bytes;
    }
    if (payload.length > cap) return { ok: false, framing, error: "decoded size above the cap" };
    const msg = DashStreamMessage.decode(payload);
    return { ok: true, framing, items: itemsOf(msg) };
  } catch (e) {
    return { ok: false, framing, error: e instanceof Error ? e.message : String(e) };
  }
}
