#include "dlq/envelope.hpp"

#include <random>

#include <catch2/catch.hpp>

#include "tests/dlq/samples.hpp"

using namespace ds;
using namespace ds::dlq;

namespace {

std::string header(const std::vector<header_view>& hs, std::string_view name) {
  for (const auto& h : hs) {
    if (h.name == name) {
      return std::string{h.value};
    }
  }
  return "<missing>";
}

const auto fixed_now = std::chrono::system_clock::time_point{
  std::chrono::milliseconds{1'714'564'800'123}}; // 2024-05-01T12:00:00.123Z

} // namespace

TEST_CASE("the envelope covers contract section 4") {
  auto r = test::bad_record("events", 42);
  r.payload = std::string("\x02") + std::string(40, 'x') + "tail-of-payload!";
  r.expected_sequence = 18'446'744'073'709'551'000ull; // above 2^53
  r.received_sequence = 7;
  auto env = make_envelope(r, {}, fixed_now);
  CHECK(env["envelope_version"] == 1);
  CHECK(env["record_id"] == "events/0/42");
  CHECK(env["error"] == "unknown framing byte 0x02");
  CHECK(env["error_type"] == "decode_error");
  CHECK(env["timestamp"] == "2024-05-01T12:00:00.123Z");
  CHECK(env["source_topic"] == "events");
  CHECK(env["source_partition"] == 0);
  CHECK(env["source_offset"] == 42);
  CHECK(env["consumer_group"] == "dashstream");
  CHECK(env["payload_sha256"] == sha256_hex(r.payload));
  CHECK(env["message_size"] == r.payload.size());
  CHECK(env["first_bytes_hex"] == to_hex(r.payload.substr(0, 16)));
  CHECK(env["last_bytes_hex"] ==
        to_hex(r.payload.substr(r.payload.size() - 16)));
  CHECK(env["thread_id"] == "thread-0");
  CHECK(env["tenant_id"] == "acme");
  CHECK(env["expected_sequence"] == "18446744073709551000");
  CHECK(env["received_sequence"] == "7");
  CHECK(env["trace_id"] == "0af7651916cd43dd8448eb211c80319c");
  CHECK(env["traceparent"] == *r.traceparent);
  // Payloads stay out unless enabled (contract §8.13).
  CHECK_FALSE(env.contains("original_payload_base64"));
}

TEST_CASE("sha256 and hex match known vectors") {
  CHECK(sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(to_hex(std::string("\x00\xff\x10", 3)) == "00ff10");
}

TEST_CASE("absent ids and traceparent are null or missing") {
  auto r = test::bad_record("events", 1);
  r.thread_id.reset();
  r.tenant_id.reset();
  r.traceparent.reset();
  r.payload = "short";
  auto env = make_envelope(r, {}, fixed_now);
  CHECK(env["thread_id"].is_null());
  CHECK(env["tenant_id"].is_null());
  CHECK_FALSE(env.contains("traceparent"));
  CHECK_FALSE(env.contains("expected_sequence"));
  CHECK(env["first_bytes_hex"] == to_hex("short"));
  CHECK(env["last_bytes_hex"] == to_hex("short"));
}

TEST_CASE("the payload is embedded only when enabled, truncated at the cap") {
  auto r = test::bad_record("events", 3);
  r.payload = std::string(3000, 'p');
  SECTION("under the cap") {
    auto env = make_envelope(r, {true, 4096}, fixed_now);
    CHECK(env["original_payload_size"] == 3000);
    CHECK(env["original_payload_truncated"] == false);
    auto back =
      base64_decode(env["original_payload_base64"].get<std::string>());
    REQUIRE(back);
    CHECK(*back == r.payload);
  }
  SECTION("over the cap") {
    auto env = make_envelope(r, {true, 1024}, fixed_now);
    CHECK(env["original_payload_size"] == 3000);
    CHECK(env["original_payload_truncated"] == true);
    auto back =
      base64_decode(env["original_payload_base64"].get<std::string>());
    REQUIRE(back);
    CHECK(*back == r.payload.substr(0, 1024));
  }
  SECTION("a null value has nothing to embed") {
    r.payload.clear();
    r.payload_missing = true;
    auto env = make_envelope(r, {true, 1024}, fixed_now);
    CHECK(env["payload_missing"] == true);
    CHECK(env["message_size"] == 0);
    CHECK_FALSE(env.contains("original_payload_base64"));
  }
}

TEST_CASE("headers: the Kafka Connect set, then the original headers") {
  auto r = test::bad_record("events", 5);
  auto rec = make_dlq_record(r, "events-dlq", {}, fixed_now);
  auto hs = rec.headers();
  CHECK(header(hs, "__connect.errors.topic") == "events");
  CHECK(header(hs, "__connect.errors.partition") == "2");
  CHECK(header(hs, "__connect.errors.offset") == "5");
  CHECK(header(hs, "__connect.errors.exception.class.name") ==
        "ds::proto::errc::unknown_framing");
  CHECK(header(hs, "__connect.errors.exception.message") == r.error);
  CHECK(header(hs, "__connect.errors.stage") == "decode");
  CHECK(header(hs, "dashstream.dlq.error_type") == r.error_type);
  CHECK(header(hs, "dashstream.dlq.record_id") == "events/2/5");
  CHECK(header(hs, "traceparent") == *r.traceparent);
  CHECK(hs.size() == 8 + r.headers.size());
  CHECK(rec.key() == r.key);
  CHECK(rec.topic() == "events-dlq");
  CHECK(rec.error_type() == r.error_type);
  CHECK(rec.value() == write_envelope(r, {}, fixed_now));
}

// A record lives until the DLQ has it durably and the memory budget counts
// what it holds: it is allocated at its exact size, not at the envelope's
// worst-case room (which a reallocation on a miscount would also double).
TEST_CASE("a DLQ record holds only its own bytes") {
  auto r = test::bad_record(std::string(256, 'x'), 5);
  for (bool payload : {false, true}) {
    auto rec = make_dlq_record(r, "events-dlq", {payload, 1 << 20}, fixed_now);
    CHECK(rec.bytes().capacity() == rec.bytes().size());
    CHECK(rec.held_bytes() == sizeof(rec) + rec.bytes().size());
  }
}

TEST_CASE("spooled records round-trip, binary bytes included") {
  auto r = test::bad_record("events", 9);
  r.key = std::string("\x00\xff key", 6);
  r.headers.emplace_back("bin", std::string("\x00\x01", 2));
  auto rec = make_dlq_record(r, "events-dlq", {}, fixed_now);
  auto back = dlq_record::decode(rec.bytes());
  REQUIRE(back);
  CHECK(back->key() == rec.key());
  CHECK(back->value() == rec.value());
  CHECK(back->topic() == rec.topic());
  CHECK(back->error_type() == rec.error_type());
  REQUIRE(back->headers().size() == rec.headers().size());
  CHECK(back->headers().back().value == std::string_view("\x00\x01", 2));
  const auto& bytes = rec.bytes();
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    INFO("cut at " << cut);
    CHECK_FALSE(dlq_record::decode(bytes.substr(0, cut)));
  }
  CHECK_FALSE(dlq_record::decode(bytes + "x"));
}

TEST_CASE("the spooled form is format 1, so older spools still drain") {
  auto r = test::bad_record("events", 9);
  auto rec = make_dlq_record(r, "events-dlq", {}, fixed_now);
  std::string expected;
  auto u32 = [&expected](uint32_t x) {
    expected.append(reinterpret_cast<const char*>(&x), 4);
  };
  auto str = [&](std::string_view x) {
    u32(static_cast<uint32_t>(x.size()));
    expected.append(x);
  };
  u32(1);
  str("events-dlq");
  str(r.key);
  str(write_envelope(r, {}, fixed_now));
  str(r.error_type);
  auto hs = rec.headers();
  u32(static_cast<uint32_t>(hs.size()));
  for (const auto& h : hs) {
    str(h.name);
    str(h.value);
  }
  CHECK(rec.bytes() == expected);
}

TEST_CASE("RFC 3339 round trip and rejection") {
  auto t = parse_rfc3339("2024-05-01T12:00:00.123Z");
  REQUIRE(t);
  CHECK(*t == fixed_now);
  CHECK(rfc3339(*t) == "2024-05-01T12:00:00.123Z");
  auto off = parse_rfc3339("2024-05-01T14:00:00.123+02:00");
  REQUIRE(off);
  CHECK(*off == fixed_now);
  CHECK_FALSE(parse_rfc3339("yesterday"));
  CHECK_FALSE(parse_rfc3339("2024-05-01 12:00:00"));
  // Out of range fields are errors, not normalised into another time.
  CHECK_FALSE(parse_rfc3339("2024-13-01T00:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2024-02-30T00:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2023-02-29T00:00:00Z"));
  CHECK(parse_rfc3339("2024-02-29T00:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2024-05-01T24:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2024-05-01T12:60:00Z"));
  CHECK_FALSE(parse_rfc3339("2024-05-01T12:00:00+24:00"));
  // Beyond what system_clock holds (2262): an error, not an overflow.
  CHECK_FALSE(parse_rfc3339("2999-01-01T00:00:00Z"));
  CHECK(parse_rfc3339("2200-01-01T00:00:00Z"));
}

namespace {

// The envelope as a JSON DOM, field by field: what the streaming writer
// must produce (it replaced exactly this construction).
nlohmann::json reference_envelope(const rejected_record& r,
                                  const envelope_settings& s,
                                  std::chrono::system_clock::time_point now) {
  const auto& p = r.payload;
  auto opt = [](const std::optional<std::string>& x) {
    return x ? nlohmann::json(*x) : nlohmann::json(nullptr);
  };
  nlohmann::json env{
    {"envelope_version", envelope_version},
    {"record_id", record_id(r)},
    {"error", r.error},
    {"error_type", r.error_type},
    {"stage", r.stage},
    {"exception_class", r.exception_class},
    {"timestamp", rfc3339(now)},
    {"source_topic", r.source_topic},
    {"source_partition", r.partition},
    {"source_offset", r.offset},
    {"consumer_group", r.consumer_group},
    {"consumer_id", r.consumer_group},
    {"kafka_timestamp_ms", r.kafka_timestamp_ms},
    {"payload_missing", r.payload_missing},
    {"message_size", p.size()},
    {"payload_sha256", sha256_hex(p)},
    {"first_bytes_hex", to_hex(std::string_view{p}.substr(0, 16))},
    {"last_bytes_hex",
     to_hex(std::string_view{p}.substr(p.size() > 16 ? p.size() - 16 : 0))},
    {"thread_id", opt(r.thread_id)},
    {"tenant_id", opt(r.tenant_id)},
  };
  if (r.expected_sequence) {
    env["expected_sequence"] = std::to_string(*r.expected_sequence);
  }
  if (r.received_sequence) {
    env["received_sequence"] = std::to_string(*r.received_sequence);
  }
  if (r.traceparent) {
    env["traceparent"] = *r.traceparent;
    if (r.traceparent->size() >= 35 && (*r.traceparent)[2] == '-') {
      env["trace_id"] = r.traceparent->substr(3, 32);
    }
  }
  if (s.include_payload && !r.payload_missing) {
    auto keep = std::min<uint64_t>(p.size(), s.payload_truncate_bytes);
    env["original_payload_base64"] =
      base64_encode(std::string_view{p}.substr(0, keep));
    env["original_payload_size"] = p.size();
    env["original_payload_truncated"] = keep < p.size();
  }
  // Through text, so invalid UTF-8 is replaced the same way (U+FFFD).
  return nlohmann::json::parse(
    env.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string random_text(std::mt19937_64& rng) {
  // Quotes, backslashes, control bytes, valid multi-byte UTF-8 and
  // broken sequences (lone continuation, truncated lead, overlong).
  static const std::vector<std::string> pieces{
    "plain", "\"",   "\\",       "\n",       "\t",   std::string(1, '\0'),
    "\x01",  "\x1f", "\x7f",     "é",        "€",    "😀",
    "\x80",  "\xc3", "\xe2\x82", "\xc0\xaf", "\xff", "/",
    " "};
  std::string s;
  auto n = rng() % 12;
  for (uint64_t i = 0; i < n; ++i) {
    s += pieces[rng() % pieces.size()];
  }
  return s;
}

} // namespace

TEST_CASE("the written envelope equals the JSON DOM, for any text") {
  std::mt19937_64 rng{7};
  for (int round = 0; round < 500; ++round) {
    auto r = test::bad_record(random_text(rng), static_cast<int64_t>(rng()));
    r.offset = static_cast<int64_t>(rng() >> 1);
    r.partition = static_cast<int32_t>(rng() % 1000);
    r.consumer_group = random_text(rng);
    r.error = random_text(rng);
    r.error_type = random_text(rng);
    r.stage = random_text(rng);
    r.exception_class = random_text(rng);
    r.payload = random_text(rng);
    r.payload_missing = rng() % 5 == 0;
    r.kafka_timestamp_ms =
      static_cast<int64_t>(rng() >> 2) * (rng() % 2 ? 1 : -1);
    r.thread_id = rng() % 3 ? std::optional{random_text(rng)} : std::nullopt;
    r.tenant_id = rng() % 3 ? std::optional{random_text(rng)} : std::nullopt;
    r.traceparent =
      rng() % 3 ? std::optional{random_text(rng) + "00-" +
                                std::string(32, 'a') + "-" + random_text(rng)}
                : std::nullopt;
    r.expected_sequence =
      rng() % 2 ? std::optional<uint64_t>{rng()} : std::nullopt;
    r.received_sequence =
      rng() % 2 ? std::optional<uint64_t>{rng()} : std::nullopt;
    envelope_settings s{rng() % 2 == 0, rng() % 40};
    auto text = write_envelope(r, s, fixed_now);
    INFO("round " << round << ": " << text);
    auto parsed = nlohmann::json::parse(text); // throws on invalid JSON/UTF-8
    REQUIRE(parsed == reference_envelope(r, s, fixed_now));
  }
}

TEST_CASE("the envelope fits its room when every text must be escaped") {
  // The writer fills room reserved up front (6 bytes per escaped byte);
  // texts made only of control bytes, quotes or invalid UTF-8 are the
  // largest an envelope can grow. Under ASan an overrun would be reported.
  for (const std::string& unit : {std::string(1, '\x01'), std::string("\""),
                                  std::string("\xff"), std::string("\\")}) {
    std::string worst;
    for (int i = 0; i < 300; ++i) {
      worst += unit;
    }
    auto r = test::bad_record(worst, 1);
    r.consumer_group = worst;
    r.error = worst;
    r.error_type = worst;
    r.stage = worst;
    r.exception_class = worst;
    r.thread_id = worst;
    r.tenant_id = worst;
    r.traceparent = worst;
    auto rec = make_dlq_record(r, "events-dlq", {true, 1 << 20}, fixed_now);
    auto parsed = nlohmann::json::parse(rec.value());
    CHECK(parsed == reference_envelope(r, {true, 1 << 20}, fixed_now));
    auto back = dlq_record::decode(rec.bytes());
    REQUIRE(back);
    CHECK(back->value() == rec.value());
  }
}
