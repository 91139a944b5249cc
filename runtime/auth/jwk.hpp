#pragma once

#include <string>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

namespace ds::auth {

/// One JSON Web Key (RFC 7517/7518) as a PEM public key with the one
/// algorithm it is used with: RSA (n, e) -> RS256; EC P-256 (x, y) ->
/// ES256; an "alg" member must agree. cpp-jwt verifies with PEM keys only,
/// so this is the small OpenSSL 3 part of our own (EVP_PKEY_fromdata); no
/// cryptography is written here.
struct pem_key {
  std::string kid;
  std::string algorithm;
  std::string pem;
};

caf::expected<pem_key> pem_of_jwk(const nlohmann::json& jwk);

} // namespace ds::auth
