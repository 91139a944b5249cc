#include <catch2/catch.hpp>

#include <memory>
#include <set>

#define ZSTD_STATIC_LINKING_ONLY // ZSTD_getFrameHeader
#include <zstd.h>

#include "proto/codec.hpp"
#include "tools/workload/corruption.hpp"
#include "tools/workload/errc.hpp"

using namespace ds;
using namespace ds::workload;

namespace {

constexpr std::array all_kinds{
  corruption_kind::bad_framing_byte, corruption_kind::truncated_protobuf,
  corruption_kind::zstd_bomb,        corruption_kind::zstd_no_content_size,
  corruption_kind::missing_header,   corruption_kind::empty_value,
};

proto::errc decode_reason(std::string_view bytes, proto::decode_mode mode) {
  proto::message out;
  auto res = proto::decode(bytes, {mode}, out); // default 10 MiB cap
  return res ? proto::errc::none : proto::to_errc(res.error());
}

} // namespace

TEST_CASE("every corruption decodes to its errc in strict and compatible "
          "mode") {
  corruption_factory factory{uint64_t{64} << 20};
  std::mt19937_64 rng{GENERATE(1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u)};
  for (auto kind : all_kinds) {
    INFO(to_string(kind));
    auto bytes = factory.make(kind, {"thread-3", "tenant-0"}, rng);
    REQUIRE(bytes);
    CHECK(decode_reason(*bytes, proto::decode_mode::strict) ==
          expected_errc(kind));
    CHECK(decode_reason(*bytes, proto::decode_mode::compatible) ==
          expected_errc(kind));
  }
}

TEST_CASE("each corruption has the shape its name promises") {
  corruption_factory factory{uint64_t{64} << 20};
  std::mt19937_64 rng{11};
  corruption_source src{"thread-3", "tenant-0"};
  SECTION("bad framing bytes cover 0x02..0x07 only") {
    std::set<uint8_t> firsts;
    for (int i = 0; i < 200; ++i) {
      auto b = factory.make(corruption_kind::bad_framing_byte, src, rng);
      REQUIRE(b);
      REQUIRE_FALSE(b->empty());
      firsts.insert(static_cast<uint8_t>((*b)[0]));
    }
    CHECK(firsts == std::set<uint8_t>{2, 3, 4, 5, 6, 7});
  }
  SECTION("a truncated record is the first half of a valid encoding") {
    auto b = factory.make(corruption_kind::truncated_protobuf, src, rng);
    REQUIRE(b);
    CHECK(static_cast<uint8_t>((*b)[0]) == 0x00);
    CHECK(b->size() > 40);
  }
  SECTION("the bomb is a real frame declaring --bomb-size, and small") {
    auto b = factory.make(corruption_kind::zstd_bomb, src, rng);
    REQUIRE(b);
    CHECK(static_cast<uint8_t>((*b)[0]) == 0x01);
    CHECK(ZSTD_getFrameContentSize(b->data() + 1, b->size() - 1) ==
          (uint64_t{64} << 20));
    CHECK(b->size() < 64 * 1024);
    // It really decompresses to zeros: check the first block streams out.
    std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> d{ZSTD_createDCtx(),
                                                           &ZSTD_freeDCtx};
    std::string out(4096, 'x');
    ZSTD_inBuffer in{b->data() + 1, b->size() - 1, 0};
    ZSTD_outBuffer o{out.data(), out.size(), 0};
    auto rc = ZSTD_decompressStream(d.get(), &o, &in);
    REQUIRE_FALSE(ZSTD_isError(rc));
    CHECK(o.pos == out.size());
    CHECK(out == std::string(4096, '\0'));
  }
  SECTION("a frame without content size holds a valid message") {
    auto b = factory.make(corruption_kind::zstd_no_content_size, src, rng);
    REQUIRE(b);
    CHECK(static_cast<uint8_t>((*b)[0]) == 0x01);
    CHECK(ZSTD_getFrameContentSize(b->data() + 1, b->size() - 1) ==
          ZSTD_CONTENTSIZE_UNKNOWN);
    std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> d{ZSTD_createDCtx(),
                                                           &ZSTD_freeDCtx};
    std::string plain(4096, '\0');
    ZSTD_inBuffer in{b->data() + 1, b->size() - 1, 0};
    ZSTD_outBuffer o{plain.data(), plain.size(), 0};
    auto rc = ZSTD_decompressStream(d.get(), &o, &in);
    REQUIRE(rc == 0); // the whole frame, in one go
    plain.resize(o.pos);
    proto::message msg;
    REQUIRE(msg.ParseFromString(plain));
    CHECK(msg.event().header().thread_id() == "thread-3");
    CHECK(msg.event().header().sequence() == 0); // never moves a sequence
  }
  SECTION("missing header and empty value") {
    auto mh = factory.make(corruption_kind::missing_header, src, rng);
    REQUIRE(mh);
    proto::message msg;
    REQUIRE(
      msg.ParseFromArray(mh->data() + 1, static_cast<int>(mh->size() - 1)));
    CHECK(msg.has_event());
    CHECK_FALSE(msg.event().has_header());
    auto empty = factory.make(corruption_kind::empty_value, src, rng);
    REQUIRE(empty);
    CHECK(empty->empty());
  }
}

TEST_CASE("a corruption spec is all:N or kind:N pairs") {
  auto all = parse_corruption_spec("all:2", 1000);
  REQUIRE(all);
  CHECK(*all == corruption_counts{2, 2, 2, 2, 2, 2});
  auto some = parse_corruption_spec("bad_framing_byte:2,truncated_protobuf:1,"
                                    "zstd_bomb:1,zstd_no_content_size:1,"
                                    "missing_header:1,empty_value:1%",
                                    500);
  REQUIRE(some);
  CHECK(*some == corruption_counts{2, 1, 1, 1, 1, 5});
  auto none = parse_corruption_spec("", 1000);
  REQUIRE(none);
  CHECK(*none == corruption_counts{});
  for (auto bad : {"all", "bomb:1", "zstd_bomb:x", "zstd_bomb:1,zstd_bomb:2",
                   "all:1,zstd_bomb:1", "zstd_bomb:1,all:1", ",", "all:1,"}) {
    INFO(bad);
    auto res = parse_corruption_spec(bad, 1000);
    REQUIRE_FALSE(res);
    CHECK(to_errc(res.error()) == errc::invalid_corruption_spec);
  }
}
