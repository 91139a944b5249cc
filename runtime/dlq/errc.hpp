#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

namespace ds::dlq {

/// Failures of the DLQ sink and tools. Spool failures keep their
/// ds::spool::errc (full, disk_full, fsync_failed) so callers can tell them
/// apart.
enum class errc : uint8_t {
  none = 0,
  /// The sink was stopped; the record was not stored.
  stopped,
  /// A spooled record or DLQ envelope could not be parsed.
  malformed_record,
  /// A tool argument is invalid (bad time, unknown filter).
  invalid_argument,
};

constexpr std::string_view to_string(errc x) noexcept {
  switch (x) {
    case errc::none:
      return "none";
    case errc::stopped:
      return "stopped";
    case errc::malformed_record:
      return "malformed_record";
    case errc::invalid_argument:
      return "invalid_argument";
  }
  return "unknown";
}

constexpr caf::atom_value error_category = caf::atom("ds_dlq");

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

/// "<module reason>: <detail>" for dlq, spool and kafka errors.
std::string describe(const caf::error& err);

} // namespace ds::dlq
