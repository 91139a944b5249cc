#pragma once

#include <chrono>
#include <string>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

namespace ds::auth {

/// An HS256 JWT over `claims` (string, boolean and integer values), valid
/// for `ttl` from now (`exp` is added). For operators minting a token from
/// the daemon's own shared secret (the demo); the verifier is what checks.
/// errc::malformed for a claim of another type or an empty secret.
caf::expected<std::string> sign_hs256(const std::string& secret,
                                      const nlohmann::json& claims,
                                      std::chrono::seconds ttl);

/// 32 random bytes from OpenSSL's generator, hex-encoded: a fresh HS256
/// secret.
caf::expected<std::string> random_secret();

} // namespace ds::auth
