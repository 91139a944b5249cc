#include "runtime/dlq/envelope.hpp"

#include <cstring>
#include <ctime>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "runtime/dlq/errc.hpp"
#include "runtime/kafka/errc.hpp"
#include "runtime/spool/errc.hpp"

namespace ds::dlq {

namespace {

std::string error_detail(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0)) {
    return ctx.get_as<std::string>(0);
  }
  return {};
}

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

struct cursor {
  std::string_view rest;
  bool ok = true;

  uint32_t u32() {
    if (rest.size() < 4) {
      ok = false;
      return 0;
    }
    uint32_t x = 0;
    std::memcpy(&x, rest.data(), 4);
    rest.remove_prefix(4);
    return x;
  }

  std::string str() {
    auto n = u32();
    if (!ok || rest.size() < n) {
      ok = false;
      return {};
    }
    std::string s{rest.substr(0, n)};
    rest.remove_prefix(n);
    return s;
  }
};

constexpr uint32_t spooled_format = 1;

} // namespace

std::string describe(const caf::error& err) {
  if (!err) {
    return "ok";
  }
  std::string reason;
  if (err.category() == error_category) {
    reason = to_string(to_errc(err));
  } else if (err.category() == spool::error_category) {
    reason = to_string(spool::to_errc(err));
  } else if (err.category() == kafka::error_category) {
    reason = to_string(kafka::to_errc(err));
  } else {
    return caf::to_string(err);
  }
  if (auto detail = error_detail(err); !detail.empty()) {
    reason += ": ";
    reason += detail;
  }
  return reason;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto c : bytes) {
    auto b = static_cast<unsigned char>(c);
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xF]);
  }
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

std::string sha256_hex(std::string_view bytes) {
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
  return to_hex({reinterpret_cast<const char*>(md), len});
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
    offset_secs = (oh * 3600 + om * 60) * (rest[0] == '+' ? 1 : -1);
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

std::string record_id(const rejected_record& r) {
  return r.source_topic + "/" + std::to_string(r.partition) + "/" +
         std::to_string(r.offset);
}

namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

bool is_ascii(std::string_view s) {
  for (auto c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return false;
    }
  }
  return true;
}

// One "key": value pair per call, on RapidJSON's streaming writer.
class envelope_writer {
public:
  explicit envelope_writer(std::size_t reserve) : w_{buf_} {
    buf_.Reserve(reserve);
    w_.StartObject();
  }

  // ASCII (ids, the error texts we write) goes straight through the
  // writer's escaping. Anything else may be invalid UTF-8 (a Kafka header,
  // a thread id from a foreign producer): nlohmann replaces bad sequences
  // with U+FFFD, as the envelope always did, so the output stays valid JSON.
  void text(std::string_view key, std::string_view s) {
    put_key(key);
    if (is_ascii(s)) {
      w_.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      return;
    }
    auto quoted =
      nlohmann::json(std::string{s})
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    w_.RawValue(quoted.data(), quoted.size(), rapidjson::kStringType);
  }

  // Text that never needs escaping (hex digits, decimal numbers): copied.
  void plain(std::string_view key, std::string_view s) {
    put_key(key);
    std::string quoted;
    quoted.reserve(s.size() + 2);
    quoted += '"';
    quoted += s;
    quoted += '"';
    w_.RawValue(quoted.data(), quoted.size(), rapidjson::kStringType);
  }

  void text_or_null(std::string_view key, const std::optional<std::string>& s) {
    if (s) {
      text(key, *s);
    } else {
      put_key(key);
      w_.Null();
    }
  }

  void number(std::string_view key, int64_t x) {
    put_key(key);
    w_.Int64(x);
  }

  void number(std::string_view key, uint64_t x) {
    put_key(key);
    w_.Uint64(x);
  }

  void flag(std::string_view key, bool x) {
    put_key(key);
    w_.Bool(x);
  }

  std::string finish() {
    w_.EndObject();
    return std::string{buf_.GetString(), buf_.GetSize()};
  }

private:
  void put_key(std::string_view k) {
    w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
  }

  rapidjson::StringBuffer buf_;
  json_writer w_;
};

} // namespace

// Written field by field, keys in sorted order (the order nlohmann's
// std::map gave, so the bytes did not change): building a JSON DOM and
// dumping it was most of the DLQ writer's time per record
// (docs/benchmarks.md, session 4).
std::string write_envelope(const rejected_record& r,
                           const envelope_settings& settings,
                           std::string_view timestamp) {
  const auto& p = r.payload;
  auto head = std::string_view{p}.substr(0, 16);
  auto tail = std::string_view{p}.substr(p.size() > 16 ? p.size() - 16 : 0);
  bool embed = settings.include_payload && !r.payload_missing;
  envelope_writer out{768 + r.error.size() + (embed ? p.size() * 4 / 3 : 0)};
  out.text("consumer_group", r.consumer_group);
  out.text("consumer_id", r.consumer_group); // the old writers' name (§4)
  out.number("envelope_version", int64_t{envelope_version});
  out.text("error", r.error);
  out.text("error_type", r.error_type);
  out.text("exception_class", r.exception_class);
  // Sequences are uint64 (contract §8.4): strings, never lossy numbers.
  if (r.expected_sequence) {
    out.plain("expected_sequence", std::to_string(*r.expected_sequence));
  }
  out.plain("first_bytes_hex", to_hex(head));
  out.number("kafka_timestamp_ms", r.kafka_timestamp_ms);
  out.plain("last_bytes_hex", to_hex(tail));
  out.number("message_size", uint64_t{p.size()});
  if (embed) {
    auto keep = std::min<uint64_t>(p.size(), settings.payload_truncate_bytes);
    out.plain(
      "original_payload_base64",
      base64_encode(std::string_view{p}.substr(0, static_cast<size_t>(keep))));
    out.number("original_payload_size", uint64_t{p.size()});
    out.flag("original_payload_truncated", keep < p.size());
  }
  out.flag("payload_missing", r.payload_missing);
  out.plain("payload_sha256", sha256_hex(p));
  if (r.received_sequence) {
    out.plain("received_sequence", std::to_string(*r.received_sequence));
  }
  out.text("record_id", record_id(r));
  // Kafka offsets stay far below 2^53; the Connect header carries the
  // exact decimal form as well.
  out.number("source_offset", r.offset);
  out.number("source_partition", int64_t{r.partition});
  out.text("source_topic", r.source_topic);
  out.text("stage", r.stage);
  out.text_or_null("tenant_id", r.tenant_id);
  out.text_or_null("thread_id", r.thread_id);
  out.text("timestamp", timestamp);
  if (r.traceparent) {
    if (auto id = trace_id_of(*r.traceparent); !id.empty()) {
      out.text("trace_id", id);
    }
    out.text("traceparent", *r.traceparent);
  }
  return out.finish();
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

std::vector<kafka::record_header> make_headers(const rejected_record& r) {
  std::vector<kafka::record_header> hs{
    {"__connect.errors.topic", r.source_topic},
    {"__connect.errors.partition", std::to_string(r.partition)},
    {"__connect.errors.offset", std::to_string(r.offset)},
    {"__connect.errors.exception.class.name", r.exception_class},
    {"__connect.errors.exception.message", r.error},
    {"__connect.errors.stage", r.stage},
    {"dashstream.dlq.error_type", r.error_type},
    {"dashstream.dlq.record_id", record_id(r)},
  };
  for (const auto& [name, value] : r.headers) {
    hs.push_back({name, value});
  }
  return hs;
}

dlq_record make_dlq_record(const rejected_record& r, const std::string& topic,
                           const envelope_settings& settings,
                           std::chrono::system_clock::time_point now) {
  return make_dlq_record(r, topic, settings, rfc3339(now));
}

dlq_record make_dlq_record(const rejected_record& r, const std::string& topic,
                           const envelope_settings& settings,
                           std::string_view timestamp) {
  dlq_record rec;
  rec.topic = topic;
  rec.key = r.key;
  rec.value = write_envelope(r, settings, timestamp);
  rec.headers = make_headers(r);
  rec.error_type = r.error_type;
  return rec;
}

std::string encode_spooled(const dlq_record& rec) {
  std::string out;
  out.reserve(rec.value.size() + rec.key.size() + 64);
  put_u32(out, spooled_format);
  put_str(out, rec.topic);
  put_str(out, rec.key);
  put_str(out, rec.value);
  put_str(out, rec.error_type);
  put_u32(out, static_cast<uint32_t>(rec.headers.size()));
  for (const auto& h : rec.headers) {
    put_str(out, h.name);
    put_str(out, h.value);
  }
  return out;
}

caf::expected<dlq_record> decode_spooled(std::string_view bytes) {
  cursor c{bytes};
  if (c.u32() != spooled_format || !c.ok) {
    return make_error(errc::malformed_record, "unknown spooled record format");
  }
  dlq_record rec;
  rec.topic = c.str();
  rec.key = c.str();
  rec.value = c.str();
  rec.error_type = c.str();
  auto n = c.u32();
  for (uint32_t i = 0; c.ok && i < n; ++i) {
    kafka::record_header h;
    h.name = c.str();
    h.value = c.str();
    rec.headers.push_back(std::move(h));
  }
  if (!c.ok || !c.rest.empty()) {
    return make_error(errc::malformed_record, "truncated spooled record");
  }
  return rec;
}

} // namespace ds::dlq
