#!/usr/bin/python3
"""Writes dlq_envelope_fuzz's seeds (fuzz_corpus/).

DLQ record values as the daemon writes them (the envelope of contract §4,
keys in the writer's order, with and without an embedded payload taken
from tests/proto/golden), near misses that the tools must refuse or
tolerate, and spooled DLQ records (dlq/envelope.hpp: [u32 format] topic
key value error_type [u32 n] n x (name value), each [u32 size][bytes]).
Run it from anywhere.
"""

import base64
import hashlib
import json
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "fuzz_corpus"
GOLDEN = HERE.parent.parent / "proto" / "golden"


def envelope(payload: bytes, include_payload=False, truncate=None,
             **extra) -> dict:
    env = {
        "consumer_group": "dashstream",
        "consumer_id": "dashstream",
        "envelope_version": 1,
        "error": "unknown framing byte 0x02",
        "error_type": "decode_error",
        "exception_class": "ds::proto::errc::unknown_framing",
        "expected_sequence": "18446744073709551000",
        "first_bytes_hex": payload[:16].hex(),
        "kafka_timestamp_ms": 1714564800000,
        "last_bytes_hex": payload[-16:].hex(),
        "message_size": len(payload),
    }
    if include_payload:
        keep = payload if truncate is None else payload[:truncate]
        env["original_payload_base64"] = base64.b64encode(keep).decode()
        env["original_payload_size"] = len(payload)
        env["original_payload_truncated"] = len(keep) < len(payload)
    env.update({
        "payload_missing": False,
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
        "received_sequence": "7",
        "record_id": "events/3/42",
        "source_offset": 42,
        "source_partition": 3,
        "source_topic": "events",
        "stage": "decode",
        "tenant_id": "acme",
        "thread_id": "thread-7",
        "timestamp": "2024-05-01T12:00:00.123Z",
        "trace_id": "0af7651916cd43dd8448eb211c80319c",
        "traceparent":
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    })
    env.update(extra)
    return env


def dumps(env: dict) -> bytes:
    return json.dumps(env, separators=(",", ":"), ensure_ascii=False).encode()


def spooled(topic: bytes, key: bytes, value: bytes, error_type: bytes,
            headers, fmt: int = 1) -> bytes:
    def s(x: bytes) -> bytes:
        return struct.pack("<I", len(x)) + x
    out = struct.pack("<I", fmt) + s(topic) + s(key) + s(value) + \
        s(error_type) + struct.pack("<I", len(headers))
    for name, val in headers:
        out += s(name) + s(val)
    return out


def main() -> None:
    CORPUS.mkdir(exist_ok=True)
    for old in CORPUS.iterdir():
        old.unlink()
    batch = (GOLDEN / "event_batch_raw.bin").read_bytes()
    zstd = (GOLDEN / "event_zstd.bin").read_bytes()
    bad = b"\x02" + b"x" * 40 + b"tail-of-payload!"
    connect = [(b"__connect.errors.topic", b"events"),
               (b"__connect.errors.partition", b"3"),
               (b"__connect.errors.offset", b"42"),
               (b"dashstream.dlq.error_type", b"decode_error"),
               (b"dashstream.dlq.record_id", b"events/3/42")]
    seeds = {
        "envelope_no_payload.json": dumps(envelope(bad)),
        "envelope_with_payload.json": dumps(
            envelope(batch, include_payload=True, error_type="sequence_gap",
                     stage="validate")),
        "envelope_zstd_payload.json": dumps(
            envelope(zstd, include_payload=True)),
        "envelope_truncated.json": dumps(
            envelope(batch, include_payload=True, truncate=10)),
        "envelope_nulls_unicode.json": dumps(envelope(
            bad, tenant_id=None, thread_id="th\u00e9\u2603-\ufffd",
            error="bad \"quote\" \\ and \u0001 control", expected_sequence=None)),
        "envelope_wrong_types.json": dumps(envelope(
            bad, include_payload=True, original_payload_truncated="yes",
            timestamp=1714564800, record_id=["events", 3, 42],
            envelope_version="1")),
        "envelope_bad_base64.json": dumps(envelope(
            bad, original_payload_base64="not base64!", message_size=-1)),
        "envelope_time_offset.json": dumps(envelope(
            bad, timestamp="2024-05-01T23:30:00.5+02:00")),
        # Just past the depth add_record() takes (a flat envelope is 1).
        "envelope_nested_17.json": dumps(envelope(bad))[:-1] +
        b',"x":' + b"[" * 17 + b"]" * 17 + b"}",
        "not_an_envelope.json": b'{"hello":"world","n":[1,2,{"x":null}]}',
        "raw_payload.bin": batch,
        "spooled_record.bin": spooled(b"events-dlq", b"thread-7",
                                      dumps(envelope(bad)), b"decode_error",
                                      connect + [(b"traceparent", b"00-x")]),
        "spooled_truncated.bin": spooled(b"events-dlq", b"", b"{}", b"poison",
                                         connect)[:-5],
        "spooled_format2.bin": spooled(b"t", b"k", b"v", b"e", [], fmt=2),
    }
    for name, data in seeds.items():
        (CORPUS / name).write_bytes(data)
    print(f"{len(seeds)} seeds in {CORPUS.relative_to(HERE)}")


if __name__ == "__main__":
    main()
