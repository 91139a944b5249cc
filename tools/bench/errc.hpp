#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "diag/errc.hpp"

namespace ds::bench {

/// Why a bench run could not start or finish. invalid_scenario is the
/// user's to fix (the CLI reports it as a usage error); the others are
/// failures of the run itself.
enum class errc : uint8_t {
  none = 0,
  /// The scenario file is missing, not TOML, or has an unknown key or an
  /// out-of-range value.
  invalid_scenario,
  /// The broker, the topic or the producer could not be set up.
  setup_failed,
  /// A child process (daemon or raw consumer) could not start or died.
  child_failed,
  /// A run did not finish within its time limit.
  timed_out,
  /// Writing results, plot data or running gnuplot failed.
  io_failed,
  /// Stopped by a signal.
  interrupted,
};

} // namespace ds::bench

template<>
struct ds::diag::errc_traits<ds::bench::errc> {
  static constexpr std::string_view name = "bench";
  static constexpr caf::atom_value category = caf::atom("ds_bench");
  static constexpr std::array<std::string_view, 7> labels{
    "none",      "invalid_scenario", "setup_failed", "child_failed",
    "timed_out", "io_failed",        "interrupted"};
};

namespace ds::bench {

using diag::make_error;
using diag::to_string;

/// The bench error carried by `err`, or errc::none for anything else.
inline errc to_errc(const caf::error& err) noexcept {
  return diag::to_errc<errc>(err);
}

} // namespace ds::bench
