#!/usr/bin/python3
"""Writes spool_segment_fuzz's seeds (fuzz_corpus/).

A seed is up to three segment files, each as 20 name digits, a u32
little-endian size and the file's bytes (see spool_segment_fuzz.cpp). The
frames are the spool's ([u32 length][u32 crc32c][i64 ms][payload],
little-endian, the CRC over length, time and payload; the high bit of the
length marks padding), made here with a CRC-32C of our own so the seeds do
not depend on the code under test. Run it from anywhere.
"""

import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "fuzz_corpus"
MS = 1714564800123  # 2024-05-01T12:00:00.123Z


def _table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


TABLE = _table()


def crc32c(data: bytes) -> int:
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def frame(payload: bytes, ms: int = MS, padding: bool = False) -> bytes:
    length = len(payload) | (0x80000000 if padding else 0)
    head = struct.pack("<I", length)
    time = struct.pack("<q", ms)
    crc = crc32c(head + time + payload)
    return head + struct.pack("<I", crc) + time + payload


def pad_to(data: bytes, block: int = 4096) -> bytes:
    """A padding frame up to the next block boundary (as direct I/O does)."""
    rest = -len(data) % block
    if rest and rest < 16:
        rest += block
    return data + (frame(bytes(rest - 16), padding=True) if rest else b"")


def segment(name: int | str, data: bytes) -> bytes:
    digits = name if isinstance(name, str) else f"{name:020d}"
    assert len(digits) == 20
    return digits.encode() + struct.pack("<I", len(data)) + data


# A spooled DLQ record (dlq/envelope.hpp): format 1, topic, key, envelope,
# error type, then headers.
def spooled_dlq_record() -> bytes:
    def s(x: bytes) -> bytes:
        return struct.pack("<I", len(x)) + x
    envelope = (b'{"envelope_version":1,"error_type":"decode_error",'
                b'"record_id":"events/3/42"}')
    return (struct.pack("<I", 1) + s(b"events-dlq") + s(b"thread-7") +
            s(envelope) + s(b"decode_error") + struct.pack("<I", 1) +
            s(b"__connect.errors.topic") + s(b"events"))


def main() -> None:
    CORPUS.mkdir(exist_ok=True)
    for old in CORPUS.iterdir():
        old.unlink()
    three = frame(b"first") + frame(b"second record") + frame(b"\x00\xff" * 8)
    seeds = {
        "three_records": segment(0, three),
        "dlq_record": segment(42, frame(spooled_dlq_record())),
        "torn_header": segment(0, three + frame(b"lost")[:10]),
        "torn_payload": segment(0, three + frame(b"lost payload")[:20]),
        "crc_mismatch": segment(0, frame(b"kept") + frame(b"flipped")[:-1] +
                                b"X" + frame(b"after the bad one")),
        "direct_io_padding": segment(0, pad_to(frame(b"a" * 100)) +
                                     pad_to(frame(b"b") + frame(b"c"))),
        "bad_padding_crc": segment(
            0, frame(b"kept") + frame(bytes(40), padding=True)[:-1] + b"\x01"),
        "huge_length_field": segment(
            0, frame(b"kept") + struct.pack("<IIq", 0x7FFFFFFF, 0, MS)),
        "empty_records": segment(7, frame(b"") + frame(b"") + frame(b"x")),
        "empty_then_good": segment(0, b"") + segment(5, three),
        "consecutive": segment(0, three) + segment(3, frame(b"d") +
                                                   frame(b"e")),
        "overlapping": segment(0, three) + segment(1, frame(b"again")) +
        segment(1000, b"\x00" * 16),
        "negative_time": segment(9, frame(b"old", ms=-1) +
                                 frame(b"new", ms=2**63 - 1)),
        "high_sequence": segment(2**62, three),
        # What spool_segment_fuzz found: names past 2^64 (std::stoull threw)
        # and just below it (sequence numbers wrapped); neither is a segment.
        "beyond_sequence_range": segment("99999999999999999999", three) +
        segment(2**64 - 2, three) + segment(0, frame(b"the real one")),
    }
    for name, data in seeds.items():
        (CORPUS / f"{name}.bin").write_bytes(data)
    print(f"{len(seeds)} seeds in {CORPUS.relative_to(HERE)}")


if __name__ == "__main__":
    main()
