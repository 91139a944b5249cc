#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

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

constexpr std::string_view to_string(errc x) noexcept {
  switch (x) {
    case errc::none:
      return "none";
    case errc::full:
      return "full";
    case errc::disk_full:
      return "disk_full";
    case errc::fsync_failed:
      return "fsync_failed";
    case errc::io_error:
      return "io_error";
    case errc::uring_failed:
      return "uring_failed";
    case errc::locked:
      return "locked";
    case errc::read_only:
      return "read_only";
    case errc::invalid_config:
      return "invalid_config";
    case errc::record_too_large:
      return "record_too_large";
  }
  return "unknown";
}

constexpr caf::atom_value error_category = caf::atom("ds_spool");

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

} // namespace ds::spool
