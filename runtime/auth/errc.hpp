#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "diag/errc.hpp"

namespace ds::auth {

/// Why a client's token was refused (also the `reason` label of
/// dashstream_websocket_auth_rejections_total), or why keys did not load.
enum class errc : uint8_t {
  none = 0,
  /// No token: neither Authorization: Bearer nor ?token=.
  missing_token,
  /// Not three base64url JSON parts, or claims of the wrong type.
  malformed,
  /// The signature does not verify (a wrong key, an edited claim).
  bad_signature,
  /// Past exp (with the leeway).
  expired,
  /// Before nbf (with the leeway).
  not_yet_valid,
  /// An algorithm other than the key's one ("none" included).
  wrong_algorithm,
  /// A kid no configured key has.
  unknown_key,
  /// No tenant claim (and not an admin).
  missing_tenant,
  /// A key file could not be read or parsed.
  bad_key,
};

} // namespace ds::auth

template<>
struct ds::diag::errc_traits<ds::auth::errc> {
  static constexpr std::string_view name = "auth";
  static constexpr caf::atom_value category = caf::atom("ds_auth");
  static constexpr std::array<std::string_view, 10> labels{
    "none",           "missing_token", "malformed",       "bad_signature",
    "expired",        "not_yet_valid", "wrong_algorithm", "unknown_key",
    "missing_tenant", "bad_key"};
};

namespace ds::auth {

using diag::make_error;
using diag::to_string;

inline errc to_errc(const caf::error& err) noexcept {
  return diag::to_errc<errc>(err);
}

} // namespace ds::auth
