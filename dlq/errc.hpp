#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "diag/errc.hpp"

namespace ds::dlq {

/// Failures of reading DLQ records and their envelopes back.
enum class errc : uint8_t {
  none = 0,
  /// A spooled record or DLQ envelope could not be parsed.
  malformed_record,
  /// A value given to parse is invalid (a time for --since).
  invalid_argument,
};

} // namespace ds::dlq

template<>
struct ds::diag::errc_traits<ds::dlq::errc> {
  static constexpr std::string_view name = "dlq";
  static constexpr caf::atom_value category = caf::atom("ds_dlq");
  static constexpr std::array<std::string_view, 3> labels{
    "none", "malformed_record", "invalid_argument"};
};

namespace ds::dlq {

using diag::make_error;
using diag::to_string;

/// The dlq error carried by `err`, or errc::none for anything else.
inline errc to_errc(const caf::error& err) noexcept {
  return diag::to_errc<errc>(err);
}

} // namespace ds::dlq
