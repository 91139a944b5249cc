#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "diag/errc.hpp"

namespace ds::dlq_store {

/// Failures of the DLQ sink. Spool failures keep their ds::spool::errc
/// (full, disk_full, fsync_failed) so callers can tell them apart.
enum class errc : uint8_t {
  none = 0,
  /// The sink was stopped; the record was not stored.
  stopped,
};

} // namespace ds::dlq_store

template<>
struct ds::diag::errc_traits<ds::dlq_store::errc> {
  static constexpr std::string_view name = "dlq_store";
  static constexpr caf::atom_value category = caf::atom("ds_dlqstor");
  static constexpr std::array<std::string_view, 2> labels{"none", "stopped"};
};

namespace ds::dlq_store {

using diag::make_error;
using diag::to_string;

/// The dlq_store error carried by `err`, or errc::none for anything else.
inline errc to_errc(const caf::error& err) noexcept {
  return diag::to_errc<errc>(err);
}

} // namespace ds::dlq_store
