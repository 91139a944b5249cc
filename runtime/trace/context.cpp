#include "runtime/trace/context.hpp"

#include <algorithm>

#include "runtime/trace/errc.hpp"

namespace ds::trace {

namespace {

constexpr std::size_t max_tracestate = 512;

// Every record's traceparent is parsed when tracing is on: a table, not
// branches. Upper case is not allowed by the spec.
constexpr std::array<int8_t, 256> hex_table = [] {
  std::array<int8_t, 256> t{};
  for (auto& x : t) {
    x = -1;
  }
  for (int c = '0'; c <= '9'; ++c) {
    t[static_cast<std::size_t>(c)] = static_cast<int8_t>(c - '0');
  }
  for (int c = 'a'; c <= 'f'; ++c) {
    t[static_cast<std::size_t>(c)] = static_cast<int8_t>(c - 'a' + 10);
  }
  return t;
}();

int hex_value(char c) {
  return hex_table[static_cast<uint8_t>(c)];
}

// Fills `out` from 2 * out.size() lower-case hex digits.
template<std::size_t N>
bool parse_hex(std::string_view text, std::array<uint8_t, N>& out) {
  if (text.size() != 2 * N) {
    return false;
  }
  int bad = 0; // one check at the end: valid input is the common case
  for (std::size_t i = 0; i < N; ++i) {
    int hi = hex_value(text[2 * i]);
    int lo = hex_value(text[2 * i + 1]);
    bad |= hi | lo;
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return bad >= 0;
}

template<std::size_t N>
bool all_zero(const std::array<uint8_t, N>& x) {
  return std::all_of(x.begin(), x.end(), [](uint8_t b) { return b == 0; });
}

template<std::size_t N>
std::string hex_of(const std::array<uint8_t, N>& x) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(2 * N, '0');
  for (std::size_t i = 0; i < N; ++i) {
    out[2 * i] = digits[x[i] >> 4];
    out[2 * i + 1] = digits[x[i] & 0x0f];
  }
  return out;
}

caf::error malformed(std::string_view why) {
  return make_error(errc::malformed_traceparent, std::string{why});
}

} // namespace

namespace {

// The traceparent in `text` into `ctx`; nullptr on success, else why not.
const char* parse_into(std::string_view text, span_context& ctx) noexcept {
  // version(2) - trace(32) - span(16) - flags(2) = 55 characters.
  if (text.size() < 55 || text[2] != '-' || text[35] != '-' ||
      text[52] != '-') {
    return "not version-traceid-spanid-flags";
  }
  std::array<uint8_t, 1> version{};
  if (!parse_hex(text.substr(0, 2), version) || version[0] == 0xff) {
    return "bad version";
  }
  // Version 00 has exactly these fields; later versions may append more.
  if (text.size() > 55 && (version[0] == 0 || text[55] != '-')) {
    return "trailing characters";
  }
  std::array<uint8_t, 1> flags{};
  if (!parse_hex(text.substr(3, 32), ctx.trace) ||
      !parse_hex(text.substr(36, 16), ctx.span) ||
      !parse_hex(text.substr(53, 2), flags)) {
    return "ids and flags must be lower-case hex";
  }
  if (all_zero(ctx.trace) || all_zero(ctx.span)) {
    return "an all-zero id";
  }
  ctx.flags = flags[0];
  return nullptr;
}

} // namespace

caf::expected<span_context> parse_traceparent(std::string_view text) {
  span_context ctx;
  if (const char* why = parse_into(text, ctx)) {
    return malformed(why);
  }
  return ctx;
}

bool parse_traceparent(std::string_view text, span_context& out) noexcept {
  return parse_into(text, out) == nullptr;
}

std::string format_traceparent(const span_context& ctx) {
  std::array<uint8_t, 1> flags{ctx.flags};
  return "00-" + hex_of(ctx.trace) + "-" + hex_of(ctx.span) + "-" +
         hex_of(flags);
}

std::string to_hex(const trace_id& id) {
  return hex_of(id);
}

std::string to_hex(const span_id& id) {
  return hex_of(id);
}

std::string bounded_tracestate(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  if (text.size() > max_tracestate) {
    return {};
  }
  return std::string{text};
}

} // namespace ds::trace
