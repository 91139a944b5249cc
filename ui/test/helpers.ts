// Test vectors built with protobufjs from the project's own .proto.
import Long from "long";
import { DashStreamMessage } from "../src/proto/schema";

export function header(thread: string, seq: string | number, extra: Record<string, unknown> = {}) {
  return {
    message_id: new Uint8Array(16).fill(7),
    timestamp_us: Long.fromString("1714564800000000"),
    tenant_id: "acme",
    thread_id: thread,
    sequence: Long.fromString(String(seq), true),
    type: 1,
    schema_version: 1,
    ...extra,
  };
}

export function encodeMessage(obj: Record<string, unknown>): Uint8Array {
  return DashStreamMessage.encode(DashStreamMessage.fromObject(obj)).finish();
}

/** A framed (0x00) Event record value. */
export function rawEvent(thread: string, seq: string | number, node = "n1", eventType = 10): Uint8Array {
  const pb = encodeMessage({ event: { header: header(thread, seq), event_type: eventType, node_id: node } });
  const out = new Uint8Array(pb.length + 1);
  out[0] = 0x00;
  out.set(pb, 1);
  return out;
}

export function framed(byte: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1);
  out[0] = byte;
  out.set(payload, 1);
  return out;
}
