#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "diag/errc.hpp"

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

} // namespace ds::workload

template<>
struct ds::diag::errc_traits<ds::workload::errc> {
  static constexpr std::string_view name = "workload";
  static constexpr caf::atom_value category = caf::atom("ds_wload");
  static constexpr std::array<std::string_view, 8> labels{
    "none",
    "invalid_mix",
    "invalid_amount",
    "invalid_corruption_spec",
    "invalid_config",
    "cannot_place_faults",
    "compression_failed",
    "io_failed"};
};

namespace ds::workload {

using diag::make_error;
using diag::to_string;

/// The workload error carried by `err`, or errc::none for anything else.
inline errc to_errc(const caf::error& err) noexcept {
  return diag::to_errc<errc>(err);
}

} // namespace ds::workload
