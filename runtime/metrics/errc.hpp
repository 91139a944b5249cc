#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "diag/errc.hpp"

namespace ds::metrics {

enum class errc : uint8_t {
  none = 0,
  /// /proc/self/stat or /proc/self/statm could not be read or parsed; the
  /// process gauges keep their previous values.
  proc_unreadable,
};

} // namespace ds::metrics

template<>
struct ds::diag::errc_traits<ds::metrics::errc> {
  static constexpr std::string_view name = "metrics";
  static constexpr caf::atom_value category = caf::atom("ds_metric");
  static constexpr std::array<std::string_view, 2> labels{"none",
                                                          "proc_unreadable"};
};

namespace ds::metrics {

using diag::make_error;
using diag::to_string;

/// The metrics error carried by `err`, or errc::none for anything else.
inline errc to_errc(const caf::error& err) noexcept {
  return diag::to_errc<errc>(err);
}

} // namespace ds::metrics
