// The project's own wire schema, parsed at run time from the .proto that the
// C++ side compiles: no hand-written copy, no generated code to drift.
import protobuf from "protobufjs";
import Long from "long";
import protoText from "../../../proto/dashstream.proto?raw";

// int64/uint64 fields must decode to Long (never to a lossy JS number):
// protobufjs finds `long` only through a require() that bundles cannot see.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
(protobuf.util as any).Long = Long;
protobuf.configure();

export const root: protobuf.Root = protobuf.parse(protoText, { keepCase: true }).root;

export const DashStreamMessage = root.lookupType("dashstream.v1.DashStreamMessage");
export const EventType = root.lookupEnum("dashstream.v1.EventType");
export const MessageType = root.lookupEnum("dashstream.v1.MessageType");

/** Enum value name without its prefix: EVENT_TYPE_NODE_START -> NODE_START. */
export function enumName(e: protobuf.Enum, value: number, prefix: string): string {
  const name = e.valuesById[value];
  if (name === undefined) return String(value);
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

export { protobuf };
