#pragma once

#include <string>
#include <string_view>

#include "config/schema.hpp"

// Spelling values as TOML text, shared by print --effective, the example
// file, the reference and error messages (module-internal).

namespace ds::config {

/// A TOML basic string: quotes, backslashes and control characters escaped.
std::string toml_quote(std::string_view text);

/// A key as TOML spells it: bare when it only has [A-Za-z0-9_-], else quoted.
std::string toml_key(std::string_view name);

/// The shortest decimal that reads back as `x`, always with a '.' or an
/// exponent so that TOML sees a float.
std::string toml_real(double x);

/// The value as it is written in the file: sizes with a unit when one
/// divides them ("10MiB"), choices and strings quoted, maps inline.
/// Secret strings that are set come out as "***".
std::string toml_value(const setting& s, const setting_value& value,
                       bool redact_secrets = true);

} // namespace ds::config
