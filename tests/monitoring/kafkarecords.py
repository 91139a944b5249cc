"""What the end-to-end alert test (alerts_e2e.py) writes itself: records
with what `dashstream produce` does not choose (the Kafka record
timestamp, the partition, the header's timestamp_us or none, quality
`Metrics` messages with chosen scores), a producer to send them, and the
aging of a DLQ spool.

The encoding is proto/dashstream.proto written out by hand (contract
§1.1-1.2: one `DashStreamMessage`, framing byte 0x00 for raw protobuf), so
only the standard library is needed. The producer is librdkafka through
ctypes (librdkafka1, which the build's librdkafka-dev brings).
"""
import ctypes
import ctypes.util
import os
import struct
import time
import uuid


# ----------------------------------------------------------- protobuf --

def _varint(n):
    if n < 0:
        n += 1 << 64  # int64: two's complement, 10 bytes
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field, wire):
    return _varint(field << 3 | wire)


def f_varint(field, n):
    return _key(field, 0) + _varint(n) if n else b""


def f_bytes(field, data):
    if isinstance(data, str):
        data = data.encode()
    return _key(field, 2) + _varint(len(data)) + data if data else b""


def f_double(field, x):
    return _key(field, 1) + struct.pack("<d", x)


def header(thread_id, tenant_id, msg_type, timestamp_us, sequence=0):
    """Header (message_id=1, timestamp_us=2, tenant_id=3, thread_id=4,
    sequence=5, type=6, schema_version=9)."""
    return (f_bytes(1, uuid.uuid4().bytes) + f_varint(2, timestamp_us) +
            f_bytes(3, tenant_id) + f_bytes(4, thread_id) +
            f_varint(5, sequence) + f_varint(6, msg_type) + f_varint(9, 1))


MESSAGE_TYPE_EVENT = 1
MESSAGE_TYPE_METRICS = 6
EVENT_TYPE_NODE_END = 11


def now_us():
    return int(time.time() * 1e6)


def event(thread_id, tenant_id="tenant-0", timestamp_us=None, sequence=0,
          node_id="node"):
    """A framed DashStreamMessage{event}. timestamp_us None: now; 0: none
    (the daemon then keeps the record out of the latency histogram)."""
    ts = now_us() if timestamp_us is None else timestamp_us
    ev = (f_bytes(1, header(thread_id, tenant_id, MESSAGE_TYPE_EVENT, ts,
                            sequence)) +
          f_varint(2, EVENT_TYPE_NODE_END) + f_bytes(3, node_id))
    return b"\x00" + f_bytes(1, ev)


def _metric_value(v):
    # MetricValue: float_value=2 (double), bool_value=4.
    if isinstance(v, bool):
        return _key(4, 0) + _varint(1 if v else 0)
    return f_double(2, float(v))


def _map_entry(field, key, value_bytes):
    return f_bytes(field, f_bytes(1, key) + _key(2, 2) +
                   _varint(len(value_bytes)) + value_bytes)


def quality(thread_id, score, passed, model="model-e2e", category="e2e",
            tenant_id="tenant-0", timestamp_us=None):
    """A framed DashStreamMessage{metrics} with scope "quality"
    (docs/quality.md): quality_score, passed, and the model and category
    tags."""
    ts = now_us() if timestamp_us is None else timestamp_us
    body = f_bytes(1, header(thread_id, tenant_id, MESSAGE_TYPE_METRICS, ts))
    body += f_bytes(2, "quality") + f_bytes(3, thread_id)
    for k, v in (("quality_score", score), ("passed", passed),
                 ("latency_ms", 120.0)):
        body += _map_entry(4, k, _metric_value(v))
    for k, v in (("model", model), ("category", category)):
        body += _map_entry(5, k, v.encode())
    return b"\x00" + f_bytes(6, body)


# ------------------------------------------------------------ producer --

RD_KAFKA_PRODUCER = 0
VTYPE_TOPIC, VTYPE_PARTITION, VTYPE_VALUE, VTYPE_KEY = 1, 3, 4, 5
VTYPE_MSGFLAGS, VTYPE_TIMESTAMP = 7, 8
MSG_F_COPY, MSG_F_BLOCK = 0x2, 0x4


class _Mem(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_void_p), ("size", ctypes.c_size_t)]


class _U(ctypes.Union):
    _fields_ = [("cstr", ctypes.c_char_p), ("i", ctypes.c_int),
                ("i32", ctypes.c_int32), ("i64", ctypes.c_int64),
                ("mem", _Mem), ("_pad", ctypes.c_char * 64)]


class _VU(ctypes.Structure):
    _fields_ = [("vtype", ctypes.c_int), ("u", _U)]


_DR_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p,
                          ctypes.c_void_p)


def _lib():
    name = ctypes.util.find_library("rdkafka") or "librdkafka.so.1"
    lib = ctypes.CDLL(name)
    lib.rd_kafka_conf_new.restype = ctypes.c_void_p
    lib.rd_kafka_conf_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                      ctypes.c_char_p, ctypes.c_char_p,
                                      ctypes.c_size_t]
    lib.rd_kafka_conf_set_dr_msg_cb.argtypes = [ctypes.c_void_p, _DR_CB]
    lib.rd_kafka_new.restype = ctypes.c_void_p
    lib.rd_kafka_new.argtypes = [ctypes.c_int, ctypes.c_void_p,
                                 ctypes.c_char_p, ctypes.c_size_t]
    lib.rd_kafka_produceva.restype = ctypes.c_void_p
    lib.rd_kafka_produceva.argtypes = [ctypes.c_void_p, ctypes.POINTER(_VU),
                                       ctypes.c_size_t]
    lib.rd_kafka_error_string.restype = ctypes.c_char_p
    lib.rd_kafka_error_string.argtypes = [ctypes.c_void_p]
    lib.rd_kafka_error_destroy.argtypes = [ctypes.c_void_p]
    lib.rd_kafka_flush.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.rd_kafka_outq_len.argtypes = [ctypes.c_void_p]
    lib.rd_kafka_poll.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.rd_kafka_destroy.argtypes = [ctypes.c_void_p]
    return lib


class Producer:
    """A plain librdkafka producer (acks=all, no compression). produce()
    blocks while librdkafka's queue is full; flush() waits for every
    delivery and raises if some did not get there."""

    def __init__(self, brokers, **props):
        self.lib = _lib()
        conf = self.lib.rd_kafka_conf_new()
        err = ctypes.create_string_buffer(512)
        settings = {"bootstrap.servers": brokers, "linger.ms": "5",
                    "acks": "all", "message.timeout.ms": "30000"}
        settings.update(props)
        for k, v in settings.items():
            if self.lib.rd_kafka_conf_set(conf, k.encode(), str(v).encode(),
                                          err, 512) != 0:
                raise RuntimeError(f"{k}: {err.value.decode()}")
        self.failed = 0
        self.last_error = None

        def on_delivery(rk, msg, opaque):
            code = ctypes.cast(msg, ctypes.POINTER(ctypes.c_int)).contents
            if code.value:
                self.failed += 1
                self.last_error = code.value
        # Kept referenced: librdkafka calls it from rd_kafka_poll/flush.
        self._dr = _DR_CB(on_delivery)
        self.lib.rd_kafka_conf_set_dr_msg_cb(conf, self._dr)
        self.rk = self.lib.rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, 512)
        if not self.rk:
            raise RuntimeError(err.value.decode())
        self.sent = 0

    def produce(self, topic, value, key=None, partition=None,
                timestamp_ms=None):
        vus = (_VU * 6)()
        n = 0

        def add(vtype, **kw):
            nonlocal n
            vus[n].vtype = vtype
            for k, v in kw.items():
                setattr(vus[n].u, k, v)
            n += 1

        add(VTYPE_TOPIC, cstr=topic.encode())
        if partition is not None:
            add(VTYPE_PARTITION, i32=partition)
        vbuf = ctypes.create_string_buffer(value, len(value))
        add(VTYPE_VALUE, mem=_Mem(ctypes.cast(vbuf, ctypes.c_void_p),
                                  len(value)))
        if key is not None:
            kb = key.encode() if isinstance(key, str) else key
            kbuf = ctypes.create_string_buffer(kb, len(kb))
            add(VTYPE_KEY, mem=_Mem(ctypes.cast(kbuf, ctypes.c_void_p),
                                    len(kb)))
        if timestamp_ms is not None:
            add(VTYPE_TIMESTAMP, i64=int(timestamp_ms))
        add(VTYPE_MSGFLAGS, i=MSG_F_COPY | MSG_F_BLOCK)
        e = self.lib.rd_kafka_produceva(self.rk, vus, n)
        if e:
            msg = self.lib.rd_kafka_error_string(e).decode()
            self.lib.rd_kafka_error_destroy(e)
            raise RuntimeError(f"produce to {topic}: {msg}")
        self.sent += 1
        if self.sent % 1000 == 0:
            self.lib.rd_kafka_poll(self.rk, 0)

    def flush(self, timeout_s=60):
        self.lib.rd_kafka_flush(self.rk, int(timeout_s * 1000))
        left = self.lib.rd_kafka_outq_len(self.rk)
        if left or self.failed:
            raise RuntimeError(f"{left} records still queued, {self.failed} "
                               f"not delivered (error {self.last_error})")

    def close(self):
        if self.rk:
            self.lib.rd_kafka_destroy(self.rk)
            self.rk = None


# --------------------------------------------------------------- spool --
# runtime/spool/spool.hpp: segment files of frames
# [u32 length][u32 crc32c][i64 append time ms][payload], little-endian; the
# CRC-32C covers length, time and payload; a length with the high bit set
# is a padding frame.

def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    t = _CRC_TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def age_spool(spool_dir, seconds):
    """Moves the append time of every record (not padding) in the spool's
    segments `seconds` into the past, CRCs recomputed: the spool as it
    would be had those records waited that much longer. Returns the number
    of records changed. The spool must not be open (no daemon on it)."""
    changed = 0
    for name in sorted(os.listdir(spool_dir)):
        if not name.endswith(".seg"):
            continue
        path = os.path.join(spool_dir, name)
        with open(path, "rb") as f:
            data = bytearray(f.read())
        off = 0
        while off + 16 <= len(data):
            length, _crc, ms = struct.unpack_from("<IIq", data, off)
            size = length & 0x7FFFFFFF
            if off + 16 + size > len(data):
                break
            if not length & 0x80000000:
                ms -= int(seconds * 1000)
                payload = bytes(data[off + 16:off + 16 + size])
                crc = crc32c(struct.pack("<Iq", length, ms) + payload)
                struct.pack_into("<IIq", data, off, length, crc, ms)
                changed += 1
            off += 16 + size
        with open(path, "r+b") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return changed
