// libFuzzer target for the record decoder. For any bytes:
// - decode() in either mode returns a value or a codec error and never
//   crashes or reads out of bounds (ASan/UBSan watch);
// - no single allocation exceeds 64 MiB, whatever a zstd frame or a length
//   prefix declares (ctest runs it with -malloc_limit_mb=64; the cap is
//   1 MiB, the rest is room for protobuf's own 50 MB string reservation);
// - for a 0x00/0x01 framed value both modes agree;
// - whatever decodes re-encodes, and the re-encoding decodes in strict mode to
//   the same message.
// Run: decode_fuzz -max_total_time=60 <corpus-dir> (ctest -L fuzz does this on
// a copy of tests/proto/fuzz_corpus: the golden vectors, their unframed
// legacy forms, a frame without a declared size and 0x00 alone).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>

#include "diag/errc.hpp"
#include "proto/codec.hpp"

namespace {

using namespace ds::proto;

constexpr std::size_t cap = std::size_t{1} << 20;

[[noreturn]] void fail(const char* what, const caf::error& err = {}) {
  std::fprintf(stderr, "decode_fuzz: %s %s\n", what,
               err ? ds::diag::describe(err).c_str() : "");
  std::abort();
}

// Map entries have no defined wire order; deterministic serialisation sorts
// them so two equal messages compare equal as bytes (NaNs included).
std::string canonical(const message& msg) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream sink{&out};
    google::protobuf::io::CodedOutputStream coded{&sink};
    coded.SetSerializationDeterministic(true);
    msg.SerializeWithCachedSizes(&coded);
  }
  return out;
}

void round_trip(message& first) {
  // Encoding may grow a message by two bytes per header (the compression
  // mark); leave room so only a real fault fails here.
  encode_options eopts;
  eopts.max_message_bytes = 2 * cap;
  std::string bytes;
  if (auto err = encode(first, eopts, bytes)) {
    fail("re-encoding a decoded message failed:", err);
  }
  message second;
  auto info = decode(bytes, {decode_mode::strict, 2 * cap}, second);
  if (!info) {
    fail("decoding our own encoding failed:", info.error());
  }
  if (info->how != framing::raw && info->how != framing::zstd) {
    fail("our own encoding decoded as a legacy value");
  }
  first.ByteSizeLong(); // canonical() serialises with cached sizes
  second.ByteSizeLong();
  if (canonical(first) != canonical(second)) {
    fail("round trip changed the message");
  }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Invalid UTF-8 in a string field makes protobuf log one line per parse.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view bytes{reinterpret_cast<const char*>(data), size};
  message strict_out;
  message compat_out;
  auto strict = decode(bytes, {decode_mode::strict, cap}, strict_out);
  auto compat = decode(bytes, {decode_mode::compatible, cap}, compat_out);
  if (size > 0 && data[0] <= 0x01) {
    // Framed values: the modes differ only for other first bytes.
    if (static_cast<bool>(strict) != static_cast<bool>(compat) ||
        (!strict && to_errc(strict.error()) != to_errc(compat.error()))) {
      fail("strict and compatible disagree on a framed value");
    }
  }
  for (auto* res : {&strict, &compat}) {
    if (!*res && to_errc(res->error()) == errc::none) {
      fail("decode failed without a codec error", res->error());
    }
  }
  if (strict) {
    if (strict->decoded_bytes > cap) {
      fail("decoded more than the cap");
    }
    round_trip(strict_out);
  }
  if (compat) {
    if (compat->decoded_bytes > cap) {
      fail("decoded more than the cap");
    }
    round_trip(compat_out);
  }
  return 0;
}
