#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace ds::trace {

using trace_id = std::array<uint8_t, 16>;
using span_id = std::array<uint8_t, 8>;

/// W3C Trace Context (level 1): what a record's `traceparent` and
/// `tracestate` Kafka headers carry, and what a span continues.
struct span_context {
  trace_id trace{};
  span_id span{};
  uint8_t flags = 0;
  /// Passed on as received (vendors' entries; at most 512 bytes kept).
  std::string tracestate;

  bool sampled() const noexcept { return (flags & 0x01) != 0; }
  bool operator==(const span_context&) const = default;
};

/// Parses "00-<32 hex>-<16 hex>-<2 hex>". As the spec asks: lower-case hex
/// only, neither id all zeros, version "ff" refused; a version above 00
/// may carry more fields after the flags ("-..."), which are ignored.
/// errc::malformed_traceparent otherwise.
caf::expected<span_context> parse_traceparent(std::string_view text);

/// The same without an error value, for the record path: false when `text`
/// is not a valid traceparent (then `out` holds garbage). Leaves
/// out.tracestate alone.
bool parse_traceparent(std::string_view text, span_context& out) noexcept;

/// The traceparent of `ctx` (version 00).
std::string format_traceparent(const span_context& ctx);

/// Lower-case hex of an id (32 or 16 digits).
std::string to_hex(const trace_id& id);
std::string to_hex(const span_id& id);

/// A tracestate header as it may be passed on: trimmed, and dropped whole
/// when longer than 512 bytes (the spec's limit for propagation).
std::string bounded_tracestate(std::string_view text);

} // namespace ds::trace
