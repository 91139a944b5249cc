#include "dlq/envelope.hpp"

#include <charconv>
#include <cstring>
#include <ctime>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "dlq/errc.hpp"

namespace ds::dlq {

namespace {

// The 32-hex trace id of a W3C traceparent ("00-<trace>-<span>-<flags>").
std::string trace_id_of(std::string_view tp) {
  if (tp.size() >= 35 && tp[2] == '-') {
    return std::string{tp.substr(3, 32)};
  }
  return {};
}

void put_u32(std::string& out, uint32_t x) {
  out.append(reinterpret_cast<const char*>(&x), sizeof(x));
}

void put_str(std::string& out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

template<class Int>
std::string_view decimal(char (&buf)[24], Int x) {
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), x);
  return {buf, static_cast<size_t>(end - buf)};
}

// Writes 2 * bytes.size() hex digits at `p`; returns their end.
char* write_hex(char* p, std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  for (auto c : bytes) {
    auto b = static_cast<unsigned char>(c);
    *p++ = digits[b >> 4];
    *p++ = digits[b & 0xF];
  }
  return p;
}

// Reads the length-prefixed fields of a spooled record.
struct cursor {
  std::string_view all;
  size_t at = 0;
  bool ok = true;

  uint32_t u32() {
    if (all.size() - at < 4) {
      ok = false;
      return 0;
    }
    uint32_t x = 0;
    std::memcpy(&x, all.data() + at, 4);
    at += 4;
    return x;
  }

  // Offset and size of the next field.
  std::pair<uint32_t, uint32_t> str() {
    auto n = u32();
    if (!ok || all.size() - at < n) {
      ok = false;
      return {0, 0};
    }
    auto start = static_cast<uint32_t>(at);
    at += n;
    return {start, n};
  }
};

constexpr uint32_t spooled_format = 1;

} // namespace

std::string to_hex(std::string_view bytes) {
  std::string out(bytes.size() * 2, '\0');
  write_hex(out.data(), bytes);
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(bytes.data()),
                           static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

caf::expected<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return make_error(errc::malformed_record, "base64 length not a multiple "
                                              "of 4");
  }
  std::string out(3 * (text.size() / 4), '\0');
  auto n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(text.data()),
                           static_cast<int>(text.size()));
  if (n < 0) {
    return make_error(errc::malformed_record, "invalid base64");
  }
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') {
    ++pad;
    if (text.size() > 1 && text[text.size() - 2] == '=') {
      ++pad;
    }
  }
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

namespace {

// Writes the 64 hex digits of the SHA-256 of `bytes` at `p`; returns their
// end.
char* write_sha256_hex(char* p, std::string_view bytes) {
  // One fetched digest and one context per thread: EVP_Digest() looks the
  // algorithm up (under a lock) and allocates a context on every call.
  struct digest {
    EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~digest() {
      EVP_MD_CTX_free(ctx);
      EVP_MD_free(md);
    }
  };
  thread_local digest d;
  unsigned char md[SHA256_DIGEST_LENGTH];
  unsigned int len = 0;
  if (d.md == nullptr || d.ctx == nullptr ||
      EVP_DigestInit_ex2(d.ctx, d.md, nullptr) != 1 ||
      EVP_DigestUpdate(d.ctx, bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(d.ctx, md, &len) != 1) {
    EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  }
  return write_hex(p, {reinterpret_cast<const char*>(md), len});
}

} // namespace

std::string sha256_hex(std::string_view bytes) {
  std::string out(std::size_t{2} * SHA256_DIGEST_LENGTH, '\0');
  out.resize(
    static_cast<size_t>(write_sha256_hex(out.data(), bytes) - out.data()));
  return out;
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(ms / 1000);
  auto frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    --secs;
  }
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(frac));
  return buf;
}

caf::expected<std::chrono::system_clock::time_point>
parse_rfc3339(std::string_view text) {
  auto bad = [&] {
    return make_error(errc::invalid_argument,
                      "not an RFC 3339 time: \"" + std::string{text} +
                        "\" (expected e.g. 2024-05-01T12:00:00Z)");
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, used = 0;
  std::string str{text};
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h,
                  &mi, &s, &used) != 6 ||
      used != 19) {
    return bad();
  }
  // timegm() would quietly normalise 2024-13-45T99:00:00 into another day,
  // and system_clock's nanoseconds end in 2262: reject both instead of
  // filtering on a different time than the one asked for.
  auto leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  constexpr int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1678 || y > 2261 || mo < 1 || mo > 12 || d < 1 ||
      d > month_days[mo - 1] + (mo == 2 && leap ? 1 : 0) || h < 0 || h > 23 ||
      mi < 0 || mi > 59 || s < 0 || s > 60) {
    return bad();
  }
  std::string_view rest = text.substr(19);
  int64_t ms = 0;
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    int digits = 0;
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      if (digits < 3) {
        ms = ms * 10 + (rest.front() - '0');
      }
      ++digits;
      rest.remove_prefix(1);
    }
    if (digits == 0) {
      return bad();
    }
    for (; digits < 3; ++digits) {
      ms *= 10;
    }
  }
  int64_t offset_secs = 0;
  if (rest == "Z" || rest == "z") {
    // UTC
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') &&
             rest[3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(std::string{rest.substr(1)}.c_str(), "%2d:%2d", &oh, &om) !=
          2 ||
        oh < 0 || oh > 23 || om < 0 || om > 59) {
      return bad();
    }
    offset_secs =
      (int64_t{oh} * 3600 + int64_t{om} * 60) * (rest[0] == '+' ? 1 : -1);
  } else {
    return bad();
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  auto secs = ::timegm(&tm) - offset_secs;
  return std::chrono::system_clock::time_point{
    std::chrono::milliseconds{static_cast<int64_t>(secs) * 1000 + ms}};
}

rejected_view view_of(const rejected_record& r) {
  auto opt = [](const std::optional<std::string>& s) {
    return s ? std::optional<std::string_view>{*s} : std::nullopt;
  };
  rejected_view v;
  v.source_topic = r.source_topic;
  v.partition = r.partition;
  v.offset = r.offset;
  v.consumer_group = r.consumer_group;
  v.key = r.key;
  v.headers = r.headers;
  v.payload = r.payload;
  v.payload_missing = r.payload_missing;
  v.error_type = r.error_type;
  v.error = r.error;
  v.stage = r.stage;
  v.exception_class = r.exception_class;
  v.thread_id = opt(r.thread_id);
  v.tenant_id = opt(r.tenant_id);
  v.traceparent = opt(r.traceparent);
  v.expected_sequence = r.expected_sequence;
  v.received_sequence = r.received_sequence;
  v.kafka_timestamp_ms = r.kafka_timestamp_ms;
  return v;
}

namespace {

// "<topic>/<partition>/<offset>" written at `p`, which has room for the
// topic plus 2 x 24 bytes; returns its end.
char* write_record_id(char* p, const rejected_view& r) {
  char num[24];
  std::memcpy(p, r.source_topic.data(), r.source_topic.size());
  p += r.source_topic.size();
  *p++ = '/';
  auto part = decimal(num, r.partition);
  std::memcpy(p, part.data(), part.size());
  p += part.size();
  *p++ = '/';
  auto off = decimal(num, r.offset);
  std::memcpy(p, off.data(), off.size());
  return p + off.size();
}

} // namespace

std::string record_id(const rejected_record& r) {
  auto v = view_of(r);
  std::string id(v.source_topic.size() + 48, '\0');
  id.resize(static_cast<size_t>(write_record_id(id.data(), v) - id.data()));
  return id;
}

namespace {

// No byte that JSON escapes or that may be invalid UTF-8: copied as it is.
// No early exit, and the tests OR-ed as integers: GCC 12 vectorizes this
// form (16 bytes per step) but not `plain &= a && b && ...`, which
// scanned a byte at a time and was 9 % of a reader's CPU in an all-bad
// round (docs/bench/history.md, session 12).
bool needs_no_escape(std::string_view s) {
  unsigned bad = 0;
  for (auto c : s) {
    auto b = static_cast<unsigned char>(c);
    bad |= static_cast<unsigned>(b < 0x20) | static_cast<unsigned>(b >= 0x80) |
           static_cast<unsigned>(b == '"') | static_cast<unsigned>(b == '\\');
  }
  return bad == 0;
}

bool is_ascii(std::string_view s) {
  for (auto c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return false;
    }
  }
  return true;
}

// The envelope's JSON object, one "key": value pair per call, written
// through a pointer into room the caller reserved (envelope_room()). Keys are
// the fixed literals of write_envelope_at (never escaped) and almost every
// value is plain ASCII, which is copied; only a value with bytes to escape
// goes through a JSON library. RapidJSON's writer for the whole object
// checked every byte of every key and value one at a time and was 15 % of
// the CPU of an all-bad run (docs/bench/history.md, session 5).
class envelope_writer {
public:
  explicit envelope_writer(char* out) : p_{out} { *p_++ = '{'; }

  // ASCII with escapes goes through RapidJSON's escaping. Anything else may
  // be invalid UTF-8 (a Kafka header, a thread id from a foreign producer):
  // nlohmann replaces bad sequences with U+FFFD, as the envelope always did,
  // so the output stays valid JSON. Either writes at most 6 bytes per input
  // byte (\u00XX) plus the quotes.
  template<size_t N>
  void text(const char (&key)[N], std::string_view s) {
    put_key(key);
    if (needs_no_escape(s)) {
      quoted(s);
    } else if (is_ascii(s)) {
      rapidjson::StringBuffer buf;
      rapidjson::Writer<rapidjson::StringBuffer> w{buf};
      w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      raw({buf.GetString(), buf.GetSize()});
    } else {
      raw(nlohmann::json(std::string{s})
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  }

  // Text that never needs escaping (decimal numbers, base64).
  template<size_t N>
  void plain(const char (&key)[N], std::string_view s) {
    put_key(key);
    quoted(s);
  }

  // Bytes as lowercase hex, e.g. the first and last bytes of the payload.
  template<size_t N>
  void hex(const char (&key)[N], std::string_view bytes) {
    put_key(key);
    *p_++ = '"';
    p_ = write_hex(p_, bytes);
    *p_++ = '"';
  }

  template<size_t N>
  void sha256(const char (&key)[N], std::string_view bytes) {
    put_key(key);
    *p_++ = '"';
    p_ = write_sha256_hex(p_, bytes);
    *p_++ = '"';
  }

  template<size_t N>
  void text_or_null(const char (&key)[N],
                    const std::optional<std::string_view>& s) {
    if (s) {
      text(key, *s);
    } else {
      put_key(key);
      raw("null");
    }
  }

  template<size_t N, class Int>
  void number(const char (&key)[N], Int x) {
    put_key(key);
    p_ = std::to_chars(p_, p_ + 24, x).ptr;
  }

  template<size_t N>
  void flag(const char (&key)[N], bool x) {
    put_key(key);
    raw(x ? std::string_view{"true"} : std::string_view{"false"});
  }

  // Closes the object; returns the end of what was written.
  char* finish() {
    *p_++ = '}';
    return p_;
  }

private:
  template<size_t N>
  void put_key(const char (&k)[N]) {
    if (!first_) {
      *p_++ = ',';
    }
    first_ = false;
    *p_++ = '"';
    std::memcpy(p_, k, N - 1);
    p_ += N - 1;
    *p_++ = '"';
    *p_++ = ':';
  }

  void raw(std::string_view s) {
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }

  void quoted(std::string_view s) {
    *p_++ = '"';
    raw(s);
    *p_++ = '"';
  }

  char* p_;
  bool first_ = true;
};

// Room the envelope of `r` may take, at most: the 27 keys with their
// punctuation, numbers, hex digits, booleans and nulls take at most 795
// bytes; a text value at most 6 bytes per byte (\u00XX) plus quotes; the
// payload its base64. Only the reused scratch buffer is this large, so the
// bound need not be tight: the texts are not scanned twice.
size_t envelope_room(const rejected_view& r, std::string_view id,
                     const envelope_settings& settings,
                     std::string_view timestamp) {
  auto text = [](std::string_view s) { return 6 * s.size() + 2; };
  auto opt = [&text](const std::optional<std::string_view>& s) {
    return s ? text(*s) : 0;
  };
  size_t room = 1024 + 2 * text(r.consumer_group) + text(r.error) +
                text(r.error_type) + text(r.exception_class) + text(id) +
                text(r.source_topic) + text(r.stage) + opt(r.tenant_id) +
                opt(r.thread_id) + text(timestamp) + 2 * opt(r.traceparent);
  if (settings.include_payload && !r.payload_missing) {
    auto keep =
      std::min<uint64_t>(r.payload.size(), settings.payload_truncate_bytes);
    room += 4 * (static_cast<size_t>(keep) / 3 + 1) + 2;
  }
  return room;
}

// Writes the envelope of `r` at `out`, which has `room` bytes
// (envelope_room()); returns its end. Written field by field, keys in
// sorted order (the order nlohmann's std::map gave, so the bytes did not
// change): building a JSON DOM and dumping it was most of the DLQ writer's
// time per record (docs/bench/history.md, session 4).
char* write_envelope_at(char* at, const rejected_view& r, std::string_view id,
                        const envelope_settings& settings,
                        std::string_view timestamp) {
  const auto p = r.payload;
  auto head = p.substr(0, 16);
  auto tail = p.substr(p.size() > 16 ? p.size() - 16 : 0);
  bool embed = settings.include_payload && !r.payload_missing;
  auto keep =
    embed ? std::min<uint64_t>(p.size(), settings.payload_truncate_bytes) : 0;
  char num[24];
  envelope_writer out{at};
  out.text("consumer_group", r.consumer_group);
  out.text("consumer_id", r.consumer_group); // the old writers' name (§4)
  out.number("envelope_version", envelope_version);
  out.text("error", r.error);
  out.text("error_type", r.error_type);
  out.text("exception_class", r.exception_class);
  // Sequences are uint64 (contract §8.4): strings, never lossy numbers.
  if (r.expected_sequence) {
    out.plain("expected_sequence", decimal(num, *r.expected_sequence));
  }
  out.hex("first_bytes_hex", head);
  out.number("kafka_timestamp_ms", r.kafka_timestamp_ms);
  out.hex("last_bytes_hex", tail);
  out.number("message_size", p.size());
  if (embed) {
    out.plain("original_payload_base64",
              base64_encode(p.substr(0, static_cast<size_t>(keep))));
    out.number("original_payload_size", p.size());
    out.flag("original_payload_truncated", keep < p.size());
  }
  out.flag("payload_missing", r.payload_missing);
  out.sha256("payload_sha256", p);
  if (r.received_sequence) {
    out.plain("received_sequence", decimal(num, *r.received_sequence));
  }
  out.text("record_id", id);
  // Kafka offsets stay far below 2^53; the Connect header carries the
  // exact decimal form as well.
  out.number("source_offset", r.offset);
  out.number("source_partition", r.partition);
  out.text("source_topic", r.source_topic);
  out.text("stage", r.stage);
  out.text_or_null("tenant_id", r.tenant_id);
  out.text_or_null("thread_id", r.thread_id);
  out.text("timestamp", timestamp);
  if (r.traceparent) {
    if (auto tid = trace_id_of(*r.traceparent); !tid.empty()) {
      out.text("trace_id", tid);
    }
    out.text("traceparent", *r.traceparent);
  }
  return out.finish();
}

// Where envelopes are written before they are copied into their record at
// their exact size. The worst-case room is 2-3 times the envelope, and the
// record lives until the DLQ has it durably: reserving the room in the
// record itself (zero-filled by resize) made every rejected record touch
// and hold twice the memory it needs, and the page faults on that fresh
// memory were a quarter of an all-bad round's reader CPU (perf,
// docs/bench/history.md, session 7).
// Kept per thread and never shrunk: its pages stay hot.
std::string_view write_envelope_scratch(const rejected_view& r,
                                        std::string_view id,
                                        const envelope_settings& settings,
                                        std::string_view timestamp) {
  thread_local std::string scratch;
  auto room = envelope_room(r, id, settings, timestamp);
  if (scratch.size() < room) {
    scratch.resize(room);
  }
  auto* end = write_envelope_at(scratch.data(), r, id, settings, timestamp);
  return {scratch.data(), static_cast<size_t>(end - scratch.data())};
}

} // namespace

std::string write_envelope(const rejected_record& r,
                           const envelope_settings& settings,
                           std::string_view timestamp) {
  auto id = record_id(r);
  return std::string{
    write_envelope_scratch(view_of(r), id, settings, timestamp)};
}

std::string write_envelope(const rejected_record& r,
                           const envelope_settings& settings,
                           std::chrono::system_clock::time_point now) {
  return write_envelope(r, settings, rfc3339(now));
}

nlohmann::json make_envelope(const rejected_record& r,
                             const envelope_settings& settings,
                             std::chrono::system_clock::time_point now) {
  return nlohmann::json::parse(write_envelope(r, settings, now));
}

dlq_record make_dlq_record(const rejected_record& r, std::string_view topic,
                           const envelope_settings& settings,
                           std::chrono::system_clock::time_point now) {
  return make_dlq_record(r, topic, settings, rfc3339(now));
}

dlq_record make_dlq_record(const rejected_record& r, std::string_view topic,
                           const envelope_settings& settings,
                           std::string_view timestamp) {
  return make_dlq_record(view_of(r), topic, settings, timestamp);
}

dlq_record make_dlq_record(const rejected_view& r, std::string_view topic,
                           const envelope_settings& settings,
                           std::string_view timestamp) {
  // The id on the stack: most topic names are short.
  char stack_id[256];
  std::string heap_id;
  char* id_at = stack_id;
  if (r.source_topic.size() + 48 > sizeof(stack_id)) {
    heap_id.resize(r.source_topic.size() + 48);
    id_at = heap_id.data();
  }
  const std::string_view id{
    id_at, static_cast<size_t>(write_record_id(id_at, r) - id_at)};
  char part[24];
  char off[24];
  // (name, value) of the Kafka Connect set, then the original headers.
  const std::pair<std::string_view, std::string_view> connect[] = {
    {"__connect.errors.topic", r.source_topic},
    {"__connect.errors.partition", decimal(part, r.partition)},
    {"__connect.errors.offset", decimal(off, r.offset)},
    {"__connect.errors.exception.class.name", r.exception_class},
    {"__connect.errors.exception.message", r.error},
    {"__connect.errors.stage", r.stage},
    {"dashstream.dlq.error_type", r.error_type},
    {"dashstream.dlq.record_id", id},
  };
  auto json = write_envelope_scratch(r, id, settings, timestamp);
  // Exactly what is appended below: [u32 format], four [u32 size][bytes]
  // fields, [u32 n], then n headers of two fields each.
  size_t size = 4 + 4 * 4 + topic.size() + r.key.size() + json.size() +
                r.error_type.size() + 4;
  for (const auto& [name, value] : connect) {
    size += 8 + name.size() + value.size();
  }
  for (const auto& [name, value] : r.headers) {
    size += 8 + name.size() + value.size();
  }
  dlq_record rec;
  auto& out = rec.bytes_;
  out.reserve(size);
  auto field = [&out](std::string_view s) {
    put_str(out, s);
    return dlq_record::field{static_cast<uint32_t>(out.size() - s.size()),
                             static_cast<uint32_t>(s.size())};
  };
  put_u32(out, spooled_format);
  rec.topic_ = field(topic);
  rec.key_ = field(r.key);
  rec.value_ = field(json);
  rec.error_type_ = field(r.error_type);
  rec.header_count_ =
    static_cast<uint32_t>(std::size(connect) + r.headers.size());
  put_u32(out, rec.header_count_);
  rec.headers_at_ = static_cast<uint32_t>(out.size());
  for (const auto& [name, value] : connect) {
    put_str(out, name);
    put_str(out, value);
  }
  for (const auto& [name, value] : r.headers) {
    put_str(out, name);
    put_str(out, value);
  }
  return rec;
}

caf::expected<dlq_record> dlq_record::decode(std::string bytes) {
  dlq_record rec;
  rec.bytes_ = std::move(bytes);
  cursor c{rec.bytes_};
  if (c.u32() != spooled_format || !c.ok) {
    return make_error(errc::malformed_record, "unknown spooled record format");
  }
  auto next = [&c] {
    auto [at, size] = c.str();
    return field{at, size};
  };
  rec.topic_ = next();
  rec.key_ = next();
  rec.value_ = next();
  rec.error_type_ = next();
  rec.header_count_ = c.u32();
  rec.headers_at_ = static_cast<uint32_t>(c.at);
  for (uint32_t i = 0; c.ok && i < rec.header_count_; ++i) {
    c.str();
    c.str();
  }
  if (!c.ok || c.at != rec.bytes_.size()) {
    return make_error(errc::malformed_record, "truncated spooled record");
  }
  return rec;
}

std::vector<header_view> dlq_record::headers() const {
  std::vector<header_view> out;
  out.reserve(header_count_);
  cursor c{bytes_, headers_at_};
  for (uint32_t i = 0; i < header_count_; ++i) {
    auto [n_at, n_size] = c.str();
    auto [v_at, v_size] = c.str();
    out.push_back({view({n_at, n_size}), view({v_at, v_size})});
  }
  return out;
}

} // namespace ds::dlq
