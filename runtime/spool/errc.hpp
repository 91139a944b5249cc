#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "diag/errc.hpp"

namespace ds::spool {

/// Failures of the on-disk spool. `full`, `disk_full` and `fsync_failed` are
/// the ones a writer must expect: the record was not stored and the caller
/// keeps it.
enum class errc : uint8_t {
  none = 0,
  /// The append would take the spool past its byte budget.
  full,
  /// The filesystem has no room (ENOSPC, EDQUOT, EFBIG or a short write).
  disk_full,
  /// fsync failed: the segment is sealed; the batch is not durable.
  fsync_failed,
  /// Any other I/O failure (open, read, write, unlink).
  io_error,
  /// io_uring could not be set up.
  uring_failed,
  /// Another process holds the spool directory.
  locked,
  /// The spool was opened read-only or is closed.
  read_only,
  /// A settings value cannot work (zero sizes, empty directory).
  invalid_config,
  /// A record longer than max_record_bytes.
  record_too_large,
};

} // namespace ds::spool

template<>
struct ds::diag::errc_traits<ds::spool::errc> {
  static constexpr std::string_view name = "spool";
  static constexpr caf::atom_value category = caf::atom("ds_spool");
  static constexpr std::array<std::string_view, 10> labels{
    "none",           "full",
    "disk_full",      "fsync_failed",
    "io_error",       "uring_failed",
    "locked",         "read_only",
    "invalid_config", "record_too_large"};
};

namespace ds::spool {

using diag::make_error;
using diag::to_string;

/// The spool error carried by `err`, or errc::none for anything else.
inline errc to_errc(const caf::error& err) noexcept {
  return diag::to_errc<errc>(err);
}

} // namespace ds::spool
