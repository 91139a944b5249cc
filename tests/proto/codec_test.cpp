#include <catch2/catch.hpp>

#include "proto/codec.hpp"

using namespace ds::proto;

namespace {

message make_event(std::string thread, uint64_t seq, std::size_t pad = 0) {
  message msg;
  auto* ev = msg.mutable_event();
  auto* h = ev->mutable_header();
  h->set_thread_id(std::move(thread));
  h->set_tenant_id("default");
  h->set_sequence(seq);
  h->set_type(dashstream::v1::MESSAGE_TYPE_EVENT);
  ev->set_node_id("node-a");
  ev->set_event_type(dashstream::v1::EVENT_TYPE_NODE_START);
  if (pad > 0) {
    std::string text;
    while (text.size() < pad) {
      text += "the agent called the search tool and read the result. ";
    }
    (*ev->mutable_attributes())["text"].set_string_value(text);
  }
  return msg;
}

} // namespace

TEST_CASE("small messages are framed raw and round-trip") {
  auto msg = make_event("t1", 1);
  auto bytes = encode(msg);
  REQUIRE(bytes);
  CHECK(static_cast<uint8_t>((*bytes)[0]) == 0x00);
  message out;
  auto info = decode(*bytes, {}, out);
  REQUIRE(info);
  CHECK(info->how == framing::raw);
  CHECK(out.event().header().thread_id() == "t1");
  CHECK(out.event().header().compression()
        == dashstream::v1::COMPRESSION_TYPE_NONE);
}

TEST_CASE("large compressible messages are zstd framed and marked") {
  auto msg = make_event("t1", 2, 4096);
  auto bytes = encode(msg);
  REQUIRE(bytes);
  CHECK(static_cast<uint8_t>((*bytes)[0]) == 0x01);
  CHECK(bytes->size() < 4096);
  message out;
  auto info = decode(*bytes, {decode_mode::strict}, out);
  REQUIRE(info);
  CHECK(info->how == framing::zstd);
  CHECK(out.event().header().compression()
        == dashstream::v1::COMPRESSION_TYPE_ZSTD);
}

TEST_CASE("strict mode rejects an unknown framing byte") {
  message out;
  auto res = decode(std::string_view{"\x07\x0a\x00", 3},
                    {decode_mode::strict}, out);
  REQUIRE(!res);
  CHECK(to_errc(res.error()) == errc::bad_framing_byte);
}
