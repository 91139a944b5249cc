#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ds::http {

/// Decodes %XX escapes (and '+' as a space when `plus_is_space`, for query
/// strings). nullopt on a malformed escape, so "%2" or "%zz" never turn
/// into something a later check did not see.
std::optional<std::string> percent_decode(std::string_view in,
                                          bool plus_is_space = false);

/// Encodes every byte outside RFC 3986's unreserved set as %XX: safe for
/// a query value or a path segment.
std::string percent_encode(std::string_view in);

/// Splits a request-target into its path and query at the first '?'.
std::pair<std::string_view, std::string_view>
split_target(std::string_view target);

} // namespace ds::http
