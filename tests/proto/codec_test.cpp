#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <new>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "diag/errc.hpp"
#include "proto/codec.hpp"
#include "tests/proto/sample_messages.hpp"

using namespace ds::proto;
using namespace ds::proto::test;

namespace Catch {
template<>
struct StringMaker<errc> {
  static std::string convert(errc x) { return std::string{to_string(x)}; }
};
} // namespace Catch

// Records the largest single request made through operator new, so a test
// can tell whether decode() ever reserved the size a zstd frame claims. Every
// non-aligned form is replaced, so allocation and release always pair
// malloc with free (sanitizers check that).
namespace {

std::atomic<std::size_t> largest_allocation{0};

void* counted_malloc(std::size_t n) noexcept {
  auto prev = largest_allocation.load(std::memory_order_relaxed);
  while (n > prev && !largest_allocation.compare_exchange_weak(
                       prev, n, std::memory_order_relaxed)) {
  }
  return std::malloc(n == 0 ? 1 : n);
}

void* counted_new(std::size_t n) {
  if (void* p = counted_malloc(n)) {
    return p;
  }
  throw std::bad_alloc{};
}

} // namespace

void* operator new(std::size_t n) {
  return counted_new(n);
}

void* operator new[](std::size_t n) {
  return counted_new(n);
}

void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return counted_malloc(n);
}

void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return counted_malloc(n);
}

// GCC flags free() inside operator delete as a new/free mismatch; here the
// pairing is deliberate (every operator new above uses malloc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept {
  std::free(p);
}

void operator delete[](void* p) noexcept {
  std::free(p);
}

void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace {

constexpr std::size_t large_pad = 4000;

int first_byte(std::string_view bytes) {
  return static_cast<uint8_t>(bytes.front());
}

std::string framed(uint8_t first, std::string_view payload) {
  std::string out(1, static_cast<char>(first));
  out.append(payload);
  return out;
}

std::string bytes_of(std::initializer_list<uint8_t> xs) {
  std::string out;
  for (auto x : xs) {
    out.push_back(static_cast<char>(x));
  }
  return out;
}

std::string random_bytes(std::size_t n, uint32_t seed) {
  std::mt19937 gen{seed};
  std::string out(n, '\0');
  for (auto& c : out) {
    c = static_cast<char>(gen() & 0xff);
  }
  return out;
}

const char* mode_name(decode_mode mode) {
  return mode == decode_mode::strict ? "strict" : "compatible";
}

errc decode_error(std::string_view bytes, decode_mode mode,
                  std::size_t cap = decode_options{}.max_decoded_bytes) {
  message out;
  auto res = decode(bytes, decode_options{mode, cap}, out);
  if (res) {
    return errc::none;
  }
  return to_errc(res.error());
}

std::string serialized(const message& msg) {
  std::string out;
  REQUIRE(msg.SerializeToString(&out));
  return out;
}

// One-shot compression: the frame header declares the content size.
std::string zstd_one_shot(std::string_view src) {
  std::string out(ZSTD_compressBound(src.size()), '\0');
  auto n = ZSTD_compress(out.data(), out.size(), src.data(), src.size(), 3);
  REQUIRE(!ZSTD_isError(n));
  out.resize(n);
  return out;
}

// Streaming compression with the content-size flag off, as a producer that
// does not know the size up front would write it.
std::string zstd_streamed_without_size(std::string_view src) {
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx{ZSTD_createCCtx(),
                                                            &ZSTD_freeCCtx};
  REQUIRE(!ZSTD_isError(
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 0)));
  std::string out(ZSTD_compressBound(src.size()) + 64, '\0');
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  ZSTD_inBuffer ib{src.data(), src.size(), 0};
  while (ib.pos < ib.size) {
    REQUIRE(!ZSTD_isError(
      ZSTD_compressStream2(cctx.get(), &ob, &ib, ZSTD_e_continue)));
  }
  std::size_t left = 0;
  do {
    left = ZSTD_compressStream2(cctx.get(), &ob, &ib, ZSTD_e_end);
    REQUIRE(!ZSTD_isError(left));
  } while (left != 0);
  out.resize(ob.pos);
  return out;
}

// A zstd frame header (single segment, 8-byte content size) declaring
// `size` bytes, followed by an empty last raw block. No data behind it.
std::string zstd_header_declaring(uint64_t size) {
  std::string out = bytes_of({0x28, 0xB5, 0x2F, 0xFD, 0xE0});
  for (int i = 0; i < 8; ++i) {
    out.push_back(static_cast<char>((size >> (8 * i)) & 0xff));
  }
  out.append(bytes_of({0x01, 0x00, 0x00}));
  return out;
}

void check_compression_marks(const message& msg, v1::CompressionType want) {
  std::vector<v1::CompressionType> seen;
  for_each_header(msg,
                  [&](const header& h) { seen.push_back(h.compression()); });
  REQUIRE_FALSE(seen.empty());
  for (auto c : seen) {
    CHECK(c == want);
  }
  if (msg.message_case() == message::kEventBatch) {
    CHECK(seen.size() == 1u + msg.event_batch().events_size());
  }
}

} // namespace

// -- round trips --------------------------------------------------------------

TEST_CASE("every variant round-trips in both framings and both modes") {
  for (const auto& vc : all_variants()) {
    for (std::size_t pad : {std::size_t{0}, large_pad}) {
      for (bool compress : {true, false}) {
        for (auto mode : {decode_mode::strict, decode_mode::compatible}) {
          INFO(vc.name << " pad=" << pad << " compress=" << compress
                       << " mode=" << mode_name(mode));
          auto msg = vc.make(pad);
          if (pad == 0) {
            REQUIRE(msg.ByteSizeLong() <= 512);
          } else {
            REQUIRE(msg.ByteSizeLong() > 512);
          }
          encode_options eopts;
          eopts.compress = compress;
          auto bytes = encode(msg, eopts);
          REQUIRE(bytes);
          bool zstd = compress && pad > 0;
          CHECK(first_byte(*bytes) == (zstd ? 0x01 : 0x00));
          if (zstd) {
            // Level-3 zstd shrinks the repeated text by far more than half.
            CHECK(bytes->size() < msg.ByteSizeLong() / 2);
            check_compression_marks(msg, v1::COMPRESSION_TYPE_ZSTD);
          } else {
            CHECK(bytes->size() == msg.ByteSizeLong() + 1);
            check_compression_marks(msg, v1::COMPRESSION_TYPE_NONE);
          }
          message out;
          auto info = decode(*bytes, decode_options{mode}, out);
          REQUIRE(info);
          CHECK(info->how == (zstd ? framing::zstd : framing::raw));
          CHECK(info->decoded_bytes == msg.ByteSizeLong());
          CHECK(message_type_of(out) == vc.type);
          CHECK(record_key(out) == vc.thread_id);
          CHECK(differences(out, msg) == "");
          check_compression_marks(out, zstd ? v1::COMPRESSION_TYPE_ZSTD
                                            : v1::COMPRESSION_TYPE_NONE);
        }
      }
    }
  }
}

TEST_CASE("an event batch keeps every inner event and thread id") {
  auto msg = make_event_batch(large_pad);
  auto bytes = encode(msg);
  REQUIRE(bytes);
  REQUIRE(first_byte(*bytes) == 0x01);
  message out;
  REQUIRE(decode(*bytes, {decode_mode::strict}, out));
  const auto& events = out.event_batch().events();
  REQUIRE(events.size() == 3);
  CHECK(out.event_batch().header().thread_id() == "thread-batch");
  CHECK(out.event_batch().header().sequence() == 0u);
  CHECK(out.event_batch().header().compression() == v1::COMPRESSION_TYPE_ZSTD);
  const char* threads[] = {"t-alpha", "t-beta", "t-gamma"};
  for (int i = 0; i < 3; ++i) {
    INFO("event " << i);
    CHECK(events[i].header().thread_id() == threads[i]);
    CHECK(events[i].header().sequence() == static_cast<uint64_t>(i + 1));
    CHECK(events[i].header().compression() == v1::COMPRESSION_TYPE_ZSTD);
    CHECK(events[i].attributes().at("text").string_value() ==
          filler(large_pad / 3));
  }
}

TEST_CASE("a compressed frame declares its content size") {
  for (const auto& vc : all_variants()) {
    INFO(vc.name);
    auto msg = vc.make(large_pad);
    auto bytes = encode(msg);
    REQUIRE(bytes);
    REQUIRE(first_byte(*bytes) == 0x01);
    auto declared =
      ZSTD_getFrameContentSize(bytes->data() + 1, bytes->size() - 1);
    CHECK(declared == msg.ByteSizeLong());
    // The frame is the whole rest of the value: nothing before or after it.
    CHECK(ZSTD_findFrameCompressedSize(bytes->data() + 1, bytes->size() - 1) ==
          bytes->size() - 1);
  }
}

TEST_CASE("compression starts strictly above the 512 byte threshold") {
  // Grow a compressible attribute one byte at a time to hit the boundary.
  auto with_text = [](std::size_t n) {
    message msg;
    *msg.mutable_event() = sample_event("t1", 1, 0);
    auto& attrs = *msg.mutable_event()->mutable_attributes();
    attrs["text"].set_string_value(std::string(n, 'a'));
    return msg;
  };
  std::size_t at = 0;
  while (with_text(at).ByteSizeLong() < 512) {
    ++at;
  }
  auto exact = with_text(at);
  REQUIRE(exact.ByteSizeLong() == 512);
  auto above = with_text(at + 1);
  REQUIRE(above.ByteSizeLong() == 513);

  auto exact_bytes = encode(exact);
  REQUIRE(exact_bytes);
  CHECK(first_byte(*exact_bytes) == 0x00);
  CHECK(exact_bytes->size() == 513u);
  CHECK(exact.event().header().compression() == v1::COMPRESSION_TYPE_NONE);

  auto above_bytes = encode(above);
  REQUIRE(above_bytes);
  CHECK(first_byte(*above_bytes) == 0x01);
  CHECK(above_bytes->size() < 513u);
  CHECK(above.event().header().compression() == v1::COMPRESSION_TYPE_ZSTD);

  SECTION("the threshold is configurable") {
    encode_options opts;
    opts.compression_threshold = 1024;
    auto msg = with_text(at + 1);
    auto bytes = encode(msg, opts);
    REQUIRE(bytes);
    CHECK(first_byte(*bytes) == 0x00);
  }
}

TEST_CASE("an incompressible payload above the threshold stays raw") {
  message msg;
  *msg.mutable_event() = sample_event("t1", 1, 0);
  (*msg.mutable_event()->mutable_attributes())["noise"].set_bytes_value(
    random_bytes(2000, 7));
  // As if a producer re-sends a message that was compressed before: the
  // header must end up telling the truth about this encoding.
  msg.mutable_event()->mutable_header()->set_compression(
    v1::COMPRESSION_TYPE_ZSTD);
  auto bytes = encode(msg);
  REQUIRE(bytes);
  CHECK(first_byte(*bytes) == 0x00);
  CHECK(msg.event().header().compression() == v1::COMPRESSION_TYPE_NONE);
  CHECK(bytes->size() == msg.ByteSizeLong() + 1);
  message out;
  auto info = decode(*bytes, {decode_mode::strict}, out);
  REQUIRE(info);
  CHECK(info->how == framing::raw);
  CHECK(out.event().header().compression() == v1::COMPRESSION_TYPE_NONE);
  CHECK(differences(out, msg) == "");
}

TEST_CASE("compress=false sends a large message raw") {
  auto msg = make_event_batch(large_pad);
  encode_options opts;
  opts.compress = false;
  std::string out = "stale contents";
  REQUIRE_FALSE(encode(msg, opts, out));
  CHECK(first_byte(out) == 0x00);
  CHECK(out.substr(1) == serialized(msg));
  check_compression_marks(msg, v1::COMPRESSION_TYPE_NONE);
}

TEST_CASE("encode marks only the headers that exist") {
  // A producer bug (a batch event without header) must reach the consumer as
  // that bug, whatever the message size; encode must not invent a header.
  auto msg = make_event_batch(large_pad);
  msg.mutable_event_batch()->mutable_events(1)->clear_header();
  auto bytes = encode(msg);
  REQUIRE(bytes);
  REQUIRE(first_byte(*bytes) == 0x01);
  CHECK_FALSE(msg.event_batch().events(1).has_header());
  for (auto mode : {decode_mode::strict, decode_mode::compatible}) {
    INFO(mode_name(mode));
    CHECK(decode_error(*bytes, mode) == errc::missing_header);
  }
}

// -- producer cap -------------------------------------------------------------

TEST_CASE("the producer cap applies to the uncompressed encoding") {
  constexpr std::size_t cap = 2000;
  auto sized = [](std::size_t target, bool compressible) {
    message msg;
    *msg.mutable_event() = sample_event("t1", 1, 0);
    auto& attrs = *msg.mutable_event()->mutable_attributes();
    auto base = msg.ByteSizeLong() + 8; // key, tag and length bytes
    auto n = target - base;
    attrs["payload"].set_bytes_value(compressible ? filler(n)
                                                  : random_bytes(n, 3));
    while (msg.ByteSizeLong() < target) {
      attrs["payload"].mutable_bytes_value()->push_back('x');
    }
    while (msg.ByteSizeLong() > target) {
      attrs["payload"].mutable_bytes_value()->pop_back();
    }
    REQUIRE(msg.ByteSizeLong() == target);
    return msg;
  };
  encode_options opts;
  opts.max_message_bytes = cap;
  for (bool compressible : {true, false}) {
    for (bool compress : {true, false}) {
      INFO("compressible=" << compressible << " compress=" << compress);
      opts.compress = compress;
      auto at_cap = sized(cap, compressible);
      auto ok = encode(at_cap, opts);
      REQUIRE(ok);
      message out;
      CHECK(decode(*ok, {decode_mode::strict}, out));
      auto over = sized(cap + 1, compressible);
      auto res = encode(over, opts);
      REQUIRE_FALSE(res);
      CHECK(to_errc(res.error()) == errc::too_large);
    }
  }
}

TEST_CASE("a producer cap of SIZE_MAX means no cap") {
  encode_options opts;
  opts.max_message_bytes = std::numeric_limits<std::size_t>::max();
  for (std::size_t pad : {std::size_t{0}, large_pad}) {
    for (bool compressible : {true, false}) {
      INFO("pad=" << pad << " compressible=" << compressible);
      auto msg = make_event(0);
      (*msg.mutable_event()->mutable_attributes())["payload"].set_bytes_value(
        compressible ? filler(pad) : random_bytes(pad, 5));
      auto bytes = encode(msg, opts);
      REQUIRE(bytes);
      message out;
      REQUIRE(decode(*bytes, {decode_mode::strict}, out));
      CHECK(differences(out, msg) == "");
    }
  }
}

TEST_CASE("encoding a message without a variant fails") {
  message msg;
  auto res = encode(msg);
  REQUIRE_FALSE(res);
  CHECK(to_errc(res.error()) == errc::no_message_variant);
}

// -- malformed input ----------------------------------------------------------

TEST_CASE("an empty value is empty_payload") {
  for (auto mode : {decode_mode::strict, decode_mode::compatible}) {
    INFO(mode_name(mode));
    CHECK(decode_error({}, mode) == errc::empty_payload);
  }
}

TEST_CASE("an unknown framing byte is bad_framing_byte") {
  // 0xff 0xff after the first byte cannot complete any protobuf field, so
  // the compatible-mode legacy attempt fails as well.
  for (int b = 0x02; b <= 0xff; ++b) {
    if (b == 0x28) {
      continue; // first byte of the zstd magic: covered below
    }
    INFO("first byte " << b);
    auto bytes = bytes_of({static_cast<uint8_t>(b), 0xff, 0xff});
    CHECK(decode_error(bytes, decode_mode::strict) == errc::bad_framing_byte);
    CHECK(decode_error(bytes, decode_mode::compatible) ==
          errc::bad_framing_byte);
  }
  auto almost_magic = bytes_of({0x28, 0xB5, 0x2F, 0x00, 0xff});
  CHECK(decode_error(almost_magic, decode_mode::strict) ==
        errc::bad_framing_byte);
  CHECK(decode_error(almost_magic, decode_mode::compatible) ==
        errc::bad_framing_byte);
}

TEST_CASE("a value that is only unknown protobuf fields is no legacy record") {
  // 0x08 0x01 is field 1 as a varint: valid protobuf, but not a
  // DashStreamMessage of any kind (field 1 is the Event submessage).
  auto bytes = bytes_of({0x08, 0x01});
  CHECK(decode_error(bytes, decode_mode::compatible) == errc::bad_framing_byte);
  CHECK(decode_error(bytes, decode_mode::strict) == errc::bad_framing_byte);
}

TEST_CASE("a protobuf cut short after 0x00 is truncated") {
  auto msg = make_event(200);
  auto bytes = encode(msg);
  REQUIRE(bytes);
  REQUIRE(first_byte(*bytes) == 0x00);
  // Every cut that leaves at least the first tag byte, down to one byte
  // short of the end.
  for (std::size_t len = 2; len < bytes->size(); ++len) {
    INFO("cut at " << len << " of " << bytes->size());
    auto cut = std::string_view{*bytes}.substr(0, len);
    CHECK(decode_error(cut, decode_mode::strict) == errc::truncated);
    CHECK(decode_error(cut, decode_mode::compatible) == errc::truncated);
  }
  // The same for a batch, whose events nest one level deeper.
  auto batch = make_event_batch(0);
  auto bbytes = encode(batch);
  REQUIRE(bbytes);
  for (std::size_t len : {std::size_t{2}, std::size_t{3}, bbytes->size() / 2,
                          bbytes->size() - 1}) {
    INFO("batch cut at " << len);
    auto cut = std::string_view{*bbytes}.substr(0, len);
    CHECK(decode_error(cut, decode_mode::strict) == errc::truncated);
  }
}

TEST_CASE("bytes that are not a DashStreamMessage are invalid_protobuf") {
  struct garbage_case {
    const char* what;
    std::string payload;
  };
  std::vector<garbage_case> cases{
    {"wire type 7", bytes_of({0x0f, 0x01})},
    {"end-group tag with no group", bytes_of({0x0c})},
    {"tag 0", bytes_of({0x00, 0x01})},
    // Regression: the classifier read a set high bit on the last byte as a
    // cut-short tag, even when the parse stopped at an invalid tag 0.
    {"tag 0 then a continuation byte", bytes_of({0x00, 0x80})},
    {"tag varint of 11 bytes", bytes_of({0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0x01})},
    // event { header { length 10 } } but the event holds 2 bytes: the outer
    // framing is complete, the inside is inconsistent.
    {"inner length beyond its parent", bytes_of({0x0a, 0x02, 0x0a, 0x0a})},
    // event { header { thread_id: "\xc3\x28" } }: proto3 strings are UTF-8.
    {"invalid UTF-8 in a string",
     bytes_of({0x0a, 0x06, 0x0a, 0x04, 0x22, 0x02, 0xc3, 0x28})},
  };
  for (const auto& gc : cases) {
    INFO(gc.what);
    auto bytes = framed(0x00, gc.payload);
    CHECK(decode_error(bytes, decode_mode::strict) == errc::invalid_protobuf);
    CHECK(decode_error(bytes, decode_mode::compatible) ==
          errc::invalid_protobuf);
  }
}

TEST_CASE("a zstd bomb is refused before anything is allocated") {
  SECTION("a real frame of 11 MiB of zeros, default 10 MiB cap") {
    auto frame = zstd_one_shot(std::string(11u << 20, '\0'));
    REQUIRE(frame.size() < 4096);
    REQUIRE(ZSTD_getFrameContentSize(frame.data(), frame.size()) ==
            (11u << 20));
    auto value = framed(0x01, frame);
    for (auto mode : {decode_mode::strict, decode_mode::compatible}) {
      INFO(mode_name(mode));
      message out;
      largest_allocation = 0;
      auto res = decode(value, decode_options{mode}, out);
      auto largest = largest_allocation.load();
      REQUIRE_FALSE(res);
      CHECK(to_errc(res.error()) == errc::too_large);
      CHECK(largest < (1u << 20));
    }
    // Unframed (legacy) in compatible mode too.
    CHECK(decode_error(frame, decode_mode::compatible) == errc::too_large);
  }
  SECTION("a hand-made header declaring 1 GiB, 1 KiB cap") {
    auto frame = zstd_header_declaring(uint64_t{1} << 30);
    REQUIRE(ZSTD_getFrameContentSize(frame.data(), frame.size()) ==
            (uint64_t{1} << 30));
    message out;
    largest_allocation = 0;
    auto res = decode(framed(0x01, frame), {decode_mode::strict, 1024}, out);
    auto largest = largest_allocation.load();
    REQUIRE_FALSE(res);
    CHECK(to_errc(res.error()) == errc::too_large);
    CHECK(largest < 1024u);
  }
  SECTION("control: a legitimate 2 MiB payload is allocated and decoded") {
    // Proves the allocation counter sees the decoder's buffer at all.
    auto msg = make_checkpoint(2u << 20);
    encode_options opts;
    opts.max_message_bytes = 4u << 20;
    auto bytes = encode(msg, opts);
    REQUIRE(bytes);
    REQUIRE(first_byte(*bytes) == 0x01);
    message out;
    largest_allocation = 0;
    auto info = decode(*bytes, {decode_mode::strict}, out);
    auto largest = largest_allocation.load();
    REQUIRE(info);
    CHECK(info->decoded_bytes == msg.ByteSizeLong());
    CHECK(largest >= (2u << 20));
    CHECK(out.checkpoint().state().size() == (2u << 20));
  }
}

TEST_CASE("a zstd frame without a declared size is legacy-only") {
  auto msg = make_event(large_pad);
  auto frame = zstd_streamed_without_size(serialized(msg));
  REQUIRE(ZSTD_getFrameContentSize(frame.data(), frame.size()) ==
          ZSTD_CONTENTSIZE_UNKNOWN);
  SECTION("bare, as the old producer wrote it, it decodes") {
    message out;
    auto info = decode(frame, {decode_mode::compatible}, out);
    REQUIRE(info);
    CHECK(info->how == framing::legacy_zstd);
    CHECK(info->decoded_bytes == msg.ByteSizeLong());
    CHECK(differences(out, msg) == "");
    CHECK(decode_error(frame, decode_mode::strict) == errc::bad_framing_byte);
  }
  SECTION("behind the 0x01 framing byte it is refused in both modes") {
    for (auto mode : {decode_mode::strict, decode_mode::compatible}) {
      INFO(mode_name(mode));
      CHECK(decode_error(framed(0x01, frame), mode) ==
            errc::zstd_missing_content_size);
    }
  }
  SECTION("bare and cut short, it is truncated") {
    for (std::size_t len = 4; len < frame.size(); ++len) {
      INFO("cut at " << len << " of " << frame.size());
      auto cut = std::string_view{frame}.substr(0, len);
      CHECK(decode_error(cut, decode_mode::compatible) == errc::truncated);
    }
  }
}

TEST_CASE("a legacy frame without a declared size decodes up to the cap") {
  // One block (a few KiB) and several (zstd blocks hold at most 128 KiB).
  for (std::size_t pad : {large_pad, std::size_t{300} << 10}) {
    auto msg = make_event(pad);
    auto frame = zstd_streamed_without_size(serialized(msg));
    REQUIRE(ZSTD_getFrameContentSize(frame.data(), frame.size()) ==
            ZSTD_CONTENTSIZE_UNKNOWN);
    auto size = msg.ByteSizeLong();
    INFO(size << " bytes");
    CHECK(decode_error(frame, decode_mode::compatible, size) == errc::none);
    CHECK(decode_error(frame, decode_mode::compatible, size - 1) ==
          errc::too_large);
  }
}

TEST_CASE("a legacy zstd bomb without a declared size stops at the cap") {
  constexpr std::size_t cap = std::size_t{1} << 20;
  auto frame = zstd_streamed_without_size(std::string(64u << 20, '\0'));
  REQUIRE(frame.size() < (64u << 10));
  REQUIRE(ZSTD_getFrameContentSize(frame.data(), frame.size()) ==
          ZSTD_CONTENTSIZE_UNKNOWN);
  message out;
  largest_allocation = 0;
  auto res = decode(frame, {decode_mode::compatible, cap}, out);
  auto largest = largest_allocation.load();
  REQUIRE_FALSE(res);
  CHECK(to_errc(res.error()) == errc::too_large);
  // The output buffer (plus its terminating NUL) is the largest allocation.
  CHECK(largest <= cap + 1);
}

TEST_CASE("bytes after the zstd frame are zstd_error") {
  auto payload = serialized(make_event(large_pad));
  auto frame = zstd_one_shot(payload);
  for (const auto& extra : {std::string(1, '\0'), frame}) {
    INFO("trailing " << extra.size() << " bytes");
    for (auto mode : {decode_mode::strict, decode_mode::compatible}) {
      INFO(mode_name(mode));
      CHECK(decode_error(framed(0x01, frame + extra), mode) ==
            errc::zstd_error);
    }
    CHECK(decode_error(frame + extra, decode_mode::compatible) ==
          errc::zstd_error);
  }
}

TEST_CASE("a zstd frame cut short is truncated") {
  auto payload = serialized(make_event(large_pad));
  auto frame = zstd_one_shot(payload);
  auto value = framed(0x01, frame);
  // From "0x01 alone" through a cut inside the header, the magic and the
  // blocks, to one byte short of the end.
  for (std::size_t len = 1; len < value.size(); ++len) {
    INFO("cut at " << len << " of " << value.size());
    auto cut = std::string_view{value}.substr(0, len);
    CHECK(decode_error(cut, decode_mode::strict) == errc::truncated);
    CHECK(decode_error(cut, decode_mode::compatible) == errc::truncated);
  }
  // Unframed: from the full magic on (a shorter prefix is no zstd frame).
  for (std::size_t len = 4; len < frame.size(); ++len) {
    INFO("legacy cut at " << len << " of " << frame.size());
    auto cut = std::string_view{frame}.substr(0, len);
    CHECK(decode_error(cut, decode_mode::compatible) == errc::truncated);
  }
}

TEST_CASE("a zstd frame whose blocks are corrupt is zstd_error") {
  auto payload = serialized(make_event(large_pad));
  auto frame = zstd_one_shot(payload);
  // Keep the frame header and the block size intact, but give the first
  // block the reserved block type (3): zstd must refuse it, whatever the
  // content. (Flipping bits inside the compressed data is not a reliable
  // test: the garbled output can still be a valid protobuf.)
  auto hdr = ZSTD_frameHeaderSize(frame.data(), frame.size());
  REQUIRE_FALSE(ZSTD_isError(hdr));
  REQUIRE(frame.size() > hdr + 3);
  auto corrupt = frame;
  corrupt[hdr] = static_cast<char>(static_cast<uint8_t>(corrupt[hdr]) | 0x06);
  CHECK(decode_error(framed(0x01, corrupt), decode_mode::strict) ==
        errc::zstd_error);
  CHECK(decode_error(framed(0x01, bytes_of({0x00, 0x01, 0x02, 0x03})),
                     decode_mode::strict) == errc::zstd_error);
}

TEST_CASE("a variant without a header is missing_header") {
  for (const auto& vc : all_variants()) {
    INFO(vc.name);
    auto msg = vc.make(0);
    REQUIRE(msg.message_case() != message::MESSAGE_NOT_SET);
    drop_top_header(msg);
    REQUIRE(top_header(msg) == nullptr);
    auto bytes = framed(0x00, serialized(msg));
    for (auto mode : {decode_mode::strict, decode_mode::compatible}) {
      INFO(mode_name(mode));
      CHECK(decode_error(bytes, mode) == errc::missing_header);
    }
  }
  SECTION("the second event of a batch") {
    auto msg = make_event_batch(0);
    msg.mutable_event_batch()->mutable_events(1)->clear_header();
    auto bytes = framed(0x00, serialized(msg));
    for (auto mode : {decode_mode::strict, decode_mode::compatible}) {
      INFO(mode_name(mode));
      message out;
      auto res = decode(bytes, decode_options{mode}, out);
      REQUIRE_FALSE(res);
      CHECK(to_errc(res.error()) == errc::missing_header);
      CHECK_THAT(ds::diag::describe(res.error()), Catch::Contains("event 1"));
    }
  }
}

TEST_CASE("schema_version 0 and 1 are accepted, 2 is not") {
  for (uint32_t version : {0u, 1u, 2u, 1000u}) {
    INFO("schema_version " << version);
    auto want = version <= 1 ? errc::none : errc::schema_version_mismatch;
    auto top = make_token_chunk(0);
    mutable_top_header(top)->set_schema_version(version);
    auto inner = make_event_batch(0);
    inner.mutable_event_batch()
      ->mutable_events(2)
      ->mutable_header()
      ->set_schema_version(version);
    for (auto* msg : {&top, &inner}) {
      auto bytes = encode(*msg);
      REQUIRE(bytes);
      for (auto mode : {decode_mode::strict, decode_mode::compatible}) {
        INFO(mode_name(mode));
        CHECK(decode_error(*bytes, mode) == want);
      }
    }
  }
}

TEST_CASE("0x00 alone is a message without a variant") {
  for (auto mode : {decode_mode::strict, decode_mode::compatible}) {
    INFO(mode_name(mode));
    CHECK(decode_error(bytes_of({0x00}), mode) == errc::no_message_variant);
    // Unknown fields only: still no variant.
    CHECK(decode_error(bytes_of({0x00, 0x68, 0x01}), mode) ==
          errc::no_message_variant);
  }
}

TEST_CASE("a payload above max_decoded_bytes is too_large") {
  auto msg = make_event(0);
  auto bytes = encode(msg);
  REQUIRE(bytes);
  REQUIRE(first_byte(*bytes) == 0x00);
  auto size = msg.ByteSizeLong();
  for (auto mode : {decode_mode::strict, decode_mode::compatible}) {
    INFO(mode_name(mode));
    CHECK(decode_error(*bytes, mode, size) == errc::none);
    CHECK(decode_error(*bytes, mode, size - 1) == errc::too_large);
  }
  // Legacy unframed protobuf and bare zstd frames obey the same cap.
  auto legacy = serialized(msg);
  CHECK(decode_error(legacy, decode_mode::compatible, size) == errc::none);
  CHECK(decode_error(legacy, decode_mode::compatible, size - 1) ==
        errc::too_large);
  auto zmsg = make_event(large_pad);
  auto zbytes = encode(zmsg);
  REQUIRE(zbytes);
  REQUIRE(first_byte(*zbytes) == 0x01);
  auto zsize = zmsg.ByteSizeLong();
  CHECK(decode_error(*zbytes, decode_mode::strict, zsize) == errc::none);
  CHECK(decode_error(*zbytes, decode_mode::strict, zsize - 1) ==
        errc::too_large);
  auto bare = std::string_view{*zbytes}.substr(1);
  CHECK(decode_error(bare, decode_mode::compatible, zsize - 1) ==
        errc::too_large);
}

// -- compatible mode ----------------------------------------------------------

TEST_CASE("compatible mode reads legacy values, strict mode refuses them") {
  SECTION("a bare zstd frame is decompressed whole") {
    auto msg = make_metrics(large_pad);
    auto frame = zstd_one_shot(serialized(msg));
    message out;
    auto info = decode(frame, {decode_mode::compatible}, out);
    REQUIRE(info);
    CHECK(info->how == framing::legacy_zstd);
    CHECK(info->decoded_bytes == msg.ByteSizeLong());
    CHECK(differences(out, msg) == "");
    CHECK(decode_error(frame, decode_mode::strict) == errc::bad_framing_byte);
  }
  SECTION("an unframed protobuf") {
    for (const auto& vc : all_variants()) {
      INFO(vc.name);
      auto msg = vc.make(0);
      auto legacy = serialized(msg);
      message out;
      auto info = decode(legacy, {decode_mode::compatible}, out);
      REQUIRE(info);
      CHECK(info->how == framing::legacy_protobuf);
      CHECK(info->decoded_bytes == legacy.size());
      CHECK(differences(out, msg) == "");
      CHECK(decode_error(legacy, decode_mode::strict) ==
            errc::bad_framing_byte);
    }
  }
  SECTION("legacy values are validated like framed ones") {
    auto msg = make_event(0);
    msg.mutable_event()->clear_header();
    CHECK(decode_error(serialized(msg), decode_mode::compatible) ==
          errc::missing_header);
  }
}

TEST_CASE("decode replaces what the output message held") {
  message out;
  auto first = make_metrics(0);
  REQUIRE(decode(*encode(first), {}, out));
  auto second = make_token_chunk(0);
  REQUIRE(decode(*encode(second), {}, out));
  CHECK(differences(out, second) == "");
  CHECK_FALSE(decode(std::string_view{"\x00", 1}, {}, out));
  CHECK(out.message_case() == message::MESSAGE_NOT_SET);
}

TEST_CASE("errors carry a stable label and a readable detail") {
  message out;
  auto res = decode(bytes_of({0x07, 0xff}), {decode_mode::strict}, out);
  REQUIRE_FALSE(res);
  CHECK(ds::diag::describe(res.error()) ==
        "proto: bad_framing_byte: first byte is 0x07, expected 0x00 or 0x01");
  CHECK(contract_error_type(to_errc(res.error())) == "invalid_format");
  CHECK(to_errc(caf::error{}) == errc::none);
}
