#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "diag/errc.hpp"

namespace ds::trace {

/// Why trace context or a span could not be used.
enum class errc : uint8_t {
  none = 0,
  /// A traceparent that is not W3C Trace Context level 1: wrong length or
  /// separators, upper-case or non-hex digits, an all-zero id, version ff.
  malformed_traceparent,
  /// An OTLP endpoint that is not http://host:port[/path].
  bad_endpoint,
  /// OTEL_TRACES_SAMPLER (tracing.sampler) names no known sampler, or its
  /// argument is not a ratio from 0 to 1.
  bad_sampler,
  /// OTEL_RESOURCE_ATTRIBUTES is not key=value,... with valid
  /// percent-encoding.
  bad_resource_attributes,
};

} // namespace ds::trace

template<>
struct ds::diag::errc_traits<ds::trace::errc> {
  static constexpr std::string_view name = "trace";
  static constexpr caf::atom_value category = caf::atom("ds_trace");
  static constexpr std::array<std::string_view, 5> labels{
    "none", "malformed_traceparent", "bad_endpoint", "bad_sampler",
    "bad_resource_attributes"};
};

namespace ds::trace {

using diag::make_error;
using diag::to_string;

inline errc to_errc(const caf::error& err) noexcept {
  return diag::to_errc<errc>(err);
}

} // namespace ds::trace
