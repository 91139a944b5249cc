#include "clients/protocol.hpp"

#include <catch2/catch.hpp>

using namespace ds::clients;
using kind = client_message::kind;

namespace {

// The frames of record_frames(): [TEXT cursor][BINARY value], each with a
// server frame header (unmasked). Returns {cursor JSON, value}.
std::pair<std::string, std::string> split(const std::string& frames) {
  std::vector<std::string> payloads;
  std::size_t at = 0;
  while (at < frames.size()) {
    auto len = static_cast<uint64_t>(static_cast<uint8_t>(frames[at + 1]));
    std::size_t head = 2;
    if (len == 126) {
      len = (uint64_t{static_cast<uint8_t>(frames[at + 2])} << 8) |
            static_cast<uint8_t>(frames[at + 3]);
      head = 4;
    } else if (len == 127) {
      len = 0;
      for (int i = 0; i < 8; ++i) {
        len = (len << 8) | static_cast<uint8_t>(frames[at + 2 + i]);
      }
      head = 10;
    }
    payloads.push_back(frames.substr(at + head, len));
    at += head + len;
  }
  REQUIRE(payloads.size() == 2);
  return {payloads[0], payloads[1]};
}

} // namespace

TEST_CASE("a record is a cursor TEXT frame then a BINARY frame with the "
          "exact value bytes") {
  std::string value("\x01\x00\xff\x28\xb5\x2f\xfd", 7);
  auto f = record_frames(3, 41, value);
  CHECK(static_cast<uint8_t>((*f)[0]) == 0x81);
  auto [cursor, bytes] = split(*f);
  CHECK(cursor == R"({"type":"cursor","partition":3,"offset":"41"})");
  CHECK(bytes == value);
  // The binary frame's opcode.
  CHECK(static_cast<uint8_t>((*f)[2 + cursor.size()]) == 0x82);
}

TEST_CASE("offsets above 2^53 survive both ways as decimal strings") {
  constexpr int64_t big = (int64_t{1} << 53) + 1; // 9007199254740993
  auto [cursor, bytes] = split(*record_frames(0, big, "v"));
  auto j = nlohmann::json::parse(cursor);
  CHECK(j["offset"] == "9007199254740993");
  auto m = parse_client_message(
    R"({"type":"resume","lastOffsetsByPartition":{"0":"9007199254740993"},
        "lastSequencesByThread":{"t":"18446744073709551615"}})",
    {});
  REQUIRE(m.what == kind::resume);
  CHECK(m.resume.last_offsets.at(0) == big);
  CHECK(m.resume.last_sequences.at("t") == UINT64_MAX);
  auto done =
    replay_complete_message(1, {{0, big}}, false, resume_mode::partition);
  CHECK(done["lastOffsetsByPartition"]["0"] == "9007199254740993");
}

TEST_CASE("client messages: ping, cursor_reset, resume, unknown and invalid") {
  CHECK(parse_client_message(R"({"type":"ping"})", {}).what == kind::ping);
  CHECK(parse_client_message(R"({"type":"cursor_reset"})", {}).what ==
        kind::cursor_reset);
  CHECK(parse_client_message(R"({"type":"subscribe","x":1})", {}).what ==
        kind::unknown);
  CHECK(parse_client_message("not json", {}).what == kind::invalid);
  CHECK(parse_client_message("[1,2]", {}).what == kind::invalid);
  CHECK(parse_client_message(R"({"kind":"ping"})", {}).what == kind::invalid);
  CHECK(
    parse_client_message(R"({"type":"resume","from":"yesterday"})", {}).what ==
    kind::invalid);
  CHECK(parse_client_message(
          R"({"type":"resume","lastOffsetsByPartition":{"x":"1"}})", {})
          .what == kind::invalid);
  CHECK(parse_client_message(
          R"({"type":"resume","lastOffsetsByPartition":{"0":"-1"}})", {})
          .what == kind::invalid);
  auto r = parse_client_message(
    R"({"type":"resume","from":"cursor","mode":"thread",
        "lastOffsetsByPartition":{"0":"41","2":7}})",
    {});
  REQUIRE(r.what == kind::resume);
  CHECK(r.resume.from == resume_from::cursor);
  CHECK(r.resume.mode == resume_mode::thread);
  CHECK(r.resume.last_offsets == std::map<int32_t, int64_t>{{0, 41}, {2, 7}});
}

TEST_CASE("resume limits hold at their edge") {
  protocol_limits lim;
  lim.max_partitions = 3;
  lim.max_threads = 2;
  auto offsets = [](int n) {
    nlohmann::json j{{"type", "resume"}};
    for (int i = 0; i < n; ++i) {
      j["lastOffsetsByPartition"][std::to_string(i)] = "1";
    }
    return j.dump();
  };
  CHECK(parse_client_message(offsets(3), lim).what == kind::resume);
  CHECK(parse_client_message(offsets(4), lim).what ==
        kind::too_many_partitions);
  auto threads = [](int n) {
    nlohmann::json j{{"type", "resume"}};
    for (int i = 0; i < n; ++i) {
      j["lastSequencesByThread"]["t" + std::to_string(i)] = "1";
    }
    return j.dump();
  };
  CHECK(parse_client_message(threads(2), lim).what == kind::resume);
  CHECK(parse_client_message(threads(3), lim).what == kind::too_many_threads);
}

TEST_CASE("server messages carry the contract's fields") {
  auto gap = gap_message(12, "t1", 2, 99);
  CHECK(gap["type"] == "gap");
  CHECK(gap["count"] == 12);
  CHECK(gap["severity"] == "warning");
  CHECK(gap["threadId"] == "t1");
  CHECK(gap_message(1, "t", 0, 0)["severity"] == "info");
  CHECK(gap_message(100, "t", 0, 0)["severity"] == "critical");
  auto stale = cursor_stale_message(1, 5, 10);
  CHECK(stale["requested"] == "5");
  CHECK(stale["oldest"] == "10");
  auto d = disconnect_message(1000, 1000, 60);
  CHECK(d["reason"] == "backpressure");
  CHECK(d["lag_in_window"] == 1000);
  auto reset = cursor_reset_complete_message({{0, 5}, {1, 6}});
  CHECK(reset["latestOffsetsByPartition"]["1"] == "6");
  CHECK(reset["totalPartitions"] == 2);
  CHECK(error_message("REPLAY_TIMEOUT", "x")["code"] == "REPLAY_TIMEOUT");
}
