#include "runtime/auth/signer.hpp"

#include <array>
#include <cstdio>

#include <jwt/jwt.hpp>
#include <openssl/rand.h>

#include "runtime/auth/errc.hpp"

namespace ds::auth {

caf::expected<std::string> sign_hs256(const std::string& secret,
                                      const nlohmann::json& claims,
                                      std::chrono::seconds ttl) {
  if (secret.empty() || !claims.is_object()) {
    return make_error(errc::malformed, "an HS256 token needs a secret and "
                                       "an object of claims");
  }
  jwt::jwt_object obj{jwt::params::algorithm("HS256"),
                      jwt::params::secret(secret)};
  for (const auto& [k, v] : claims.items()) {
    if (v.is_string()) {
      obj.add_claim(k, v.get<std::string>());
    } else if (v.is_boolean()) {
      obj.add_claim(k, v.get<bool>());
    } else if (v.is_number_integer()) {
      obj.add_claim(k, v.get<int64_t>());
    } else {
      return make_error(errc::malformed, "claim " + k +
                                           " is not a string, boolean or "
                                           "integer");
    }
  }
  obj.add_claim("exp", std::chrono::system_clock::now() + ttl);
  std::error_code ec;
  auto token = obj.signature(ec);
  if (ec) {
    return make_error(errc::malformed, ec.message());
  }
  return token;
}

caf::expected<std::string> random_secret() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return make_error(errc::malformed, "OpenSSL's RAND_bytes failed");
  }
  std::string hex;
  char buf[3];
  for (auto b : bytes) {
    std::snprintf(buf, sizeof(buf), "%02x", b);
    hex += buf;
  }
  return hex;
}

} // namespace ds::auth
