#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

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

constexpr std::string_view to_string(errc x) noexcept {
  switch (x) {
    case errc::none:
      return "none";
    case errc::invalid_scenario:
      return "invalid_scenario";
    case errc::setup_failed:
      return "setup_failed";
    case errc::child_failed:
      return "child_failed";
    case errc::timed_out:
      return "timed_out";
    case errc::io_failed:
      return "io_failed";
    case errc::interrupted:
      return "interrupted";
  }
  return "unknown";
}

constexpr caf::atom_value error_category = caf::atom("ds_bench");

inline caf::error make_error(errc x, std::string detail) {
  return caf::error{static_cast<uint8_t>(x), error_category,
                    caf::make_message(std::move(detail))};
}

inline errc to_errc(const caf::error& err) noexcept {
  if (!err || err.category() != error_category) {
    return errc::none;
  }
  return static_cast<errc>(err.code());
}

} // namespace ds::bench
