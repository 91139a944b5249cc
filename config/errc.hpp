#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

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

constexpr std::string_view to_string(errc x) noexcept {
  switch (x) {
    case errc::none:
      return "none";
    case errc::unknown_key:
      return "unknown_key";
    case errc::invalid_value:
      return "invalid_value";
    case errc::out_of_range:
      return "out_of_range";
    case errc::type_mismatch:
      return "type_mismatch";
    case errc::file_unreadable:
      return "file_unreadable";
    case errc::parse_error:
      return "parse_error";
    case errc::conflicting_values:
      return "conflicting_values";
  }
  return "unknown";
}

constexpr caf::atom_value error_category = caf::atom("ds_config");

inline caf::error make_error(errc x, std::string detail) {
  return caf::error{static_cast<uint8_t>(x), error_category,
                    caf::make_message(std::move(detail))};
}

/// Returns the configuration error carried by `err`, or errc::none when
/// `err` is empty or belongs to another module.
inline errc to_errc(const caf::error& err) noexcept {
  if (!err || err.category() != error_category) {
    return errc::none;
  }
  return static_cast<errc>(err.code());
}

/// The detail text attached by make_error(), if any: one line per problem.
std::string error_detail(const caf::error& err);

/// What a user should read: the problem lines of a configuration error, or
/// "<reason>: <detail>" for anything else.
std::string describe(const caf::error& err);

} // namespace ds::config
