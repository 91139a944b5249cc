// libFuzzer target for what a WebSocket client sends: bytes off the socket
// through the frame parser (masking, lengths, fragments, control frames,
// the message cap), then each text message through the protocol parser.
// For any bytes:
// - neither parser crashes or reads out of bounds (ASan/UBSan watch);
// - the frame parser only ever consumes input, and never yields a message
//   over its cap;
// - a parsed resume respects the partition and thread limits, with
//   non-negative offsets.
// Run: client_message_fuzz -max_total_time=30 <corpus-dir> (ctest -L fuzz
// does this on a copy of tests/clients/fuzz_corpus).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "clients/protocol.hpp"
#include "runtime/http/websocket.hpp"

namespace {

constexpr std::size_t cap = 4096;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "client_message_fuzz: %s\n", what);
  std::abort();
}

void check_message(const std::string& text) {
  ds::clients::protocol_limits lim;
  lim.max_partitions = 8;
  lim.max_threads = 8;
  auto m = ds::clients::parse_client_message(text, lim);
  if (m.what == ds::clients::client_message::kind::resume) {
    if (m.resume.last_offsets.size() > lim.max_partitions ||
        m.resume.last_sequences.size() > lim.max_threads) {
      fail("a resume over the limits parsed");
    }
    for (const auto& [p, o] : m.resume.last_offsets) {
      if (p < 0 || o < 0) {
        fail("a negative partition or offset parsed");
      }
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string raw(reinterpret_cast<const char*>(data), size);
  // The same bytes as one message's text (a client that sends JSON)...
  check_message(raw);
  // ...and as a socket stream, fed in two pieces.
  ds::http::ws_frame_parser parser{cap};
  std::string in;
  auto half = size / 2;
  for (int piece = 0; piece < 2; ++piece) {
    in += piece == 0 ? raw.substr(0, half) : raw.substr(half);
    for (;;) {
      auto before = in.size();
      auto ev = parser.next(in);
      if (in.size() > before) {
        fail("the parser grew its input");
      }
      using kind = ds::http::ws_frame_parser::event::kind;
      if (ev.what == kind::need_more) {
        break;
      }
      if (ev.what != kind::message) {
        return 0; // the connection would close here
      }
      if (ev.payload.size() > cap) {
        fail("a message over the cap");
      }
      if (ev.op == ds::http::ws_opcode::text) {
        check_message(ev.payload);
      }
    }
  }
  return 0;
}
