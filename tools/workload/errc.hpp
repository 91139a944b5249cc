#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

namespace ds::workload {

/// Why a workload could not be planned or produced. Everything except
/// compression_failed and io_failed is a problem with the settings, which the
/// CLI reports as a usage error.
enum class errc : uint8_t {
  none = 0,
  /// A --mix spec is malformed: unknown kind, bad or duplicate weight.
  invalid_mix,
  /// A count or percentage ("N" or "N%") is malformed.
  invalid_amount,
  /// A --inject-corrupt spec is malformed.
  invalid_corruption_spec,
  /// Settings that cannot work together (too few threads for a batch
  /// group, a tenant without threads, a size above the message cap, ...).
  invalid_config,
  /// There are not enough eligible messages to place the requested faults
  /// without letting two of them touch the same or adjacent sequences.
  cannot_place_faults,
  /// zstd refused to build a corrupt record.
  compression_failed,
  /// Writing the ground truth file failed.
  io_failed,
};

constexpr std::string_view to_string(errc x) noexcept {
  switch (x) {
    case errc::none:
      return "none";
    case errc::invalid_mix:
      return "invalid_mix";
    case errc::invalid_amount:
      return "invalid_amount";
    case errc::invalid_corruption_spec:
      return "invalid_corruption_spec";
    case errc::invalid_config:
      return "invalid_config";
    case errc::cannot_place_faults:
      return "cannot_place_faults";
    case errc::compression_failed:
      return "compression_failed";
    case errc::io_failed:
      return "io_failed";
  }
  return "unknown";
}

constexpr caf::atom_value error_category = caf::atom("ds_wload");

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

} // namespace ds::workload
