#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "diag/errc.hpp"

namespace ds::config {

/// Why a configuration was rejected. A load that finds several problems
/// reports them all at once (so a user fixes a file in one pass): the error
/// carries the first problem's code and one line per problem in its detail.
/// Every line names the key, where the value came from (file:line:column,
/// environment variable or flag), the bad value and what is allowed.
enum class errc : uint8_t {
  none = 0,
  /// A key, section or DASHSTREAM_<SECTION>_* variable we do not know.
  unknown_key,
  /// The value has the right type but is not an allowed value (bad choice,
  /// malformed size, bad topic name, ...).
  invalid_value,
  /// A number outside the key's documented range.
  out_of_range,
  /// The TOML value has the wrong type (a string where an integer goes).
  type_mismatch,
  /// The configuration file cannot be opened or read.
  file_unreadable,
  /// The configuration file is not valid TOML.
  parse_error,
  /// Each value is valid alone but together they are not (low water mark
  /// not below the high water mark, ...).
  conflicting_values,
};

} // namespace ds::config

template<>
struct ds::diag::errc_traits<ds::config::errc> {
  static constexpr std::string_view name = "config";
  static constexpr caf::atom_value category = caf::atom("ds_config");
  static constexpr std::array<std::string_view, 8> labels{
    "none",          "unknown_key",     "invalid_value", "out_of_range",
    "type_mismatch", "file_unreadable", "parse_error",   "conflicting_values"};
};

namespace ds::config {

using diag::make_error;
using diag::to_string;

/// The config error carried by `err`, or errc::none for anything else.
inline errc to_errc(const caf::error& err) noexcept {
  return diag::to_errc<errc>(err);
}

} // namespace ds::config
