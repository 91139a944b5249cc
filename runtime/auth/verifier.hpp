#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

namespace ds::auth {

/// Where the keys come from and what the claims mean (config [auth]).
struct key_settings {
  /// Exactly one of the three is set.
  std::string hs256_secret_file;
  std::string public_key_file;
  /// The one algorithm of public_key_file: "RS256" or "ES256".
  std::string public_key_algorithm = "RS256";
  std::string jwks_file;
  std::string tenant_claim = "tenant_id";
  /// "" = no admin tokens.
  std::string admin_claim;
  std::chrono::seconds leeway{30};
};

/// Who a verified token belongs to.
struct identity {
  std::string tenant;
  /// Sees every tenant.
  bool admin = false;
};

/// Verifies tokens against keys loaded once (JWT via cpp-jwt). Each key is
/// bound to exactly one algorithm: cpp-jwt 1.4 accepts an HS256 token
/// "signed" with an RSA public key when one key is allowed both
/// (cpp-jwt#102), so a token whose header names another algorithm, "none"
/// included, is refused before cpp-jwt sees it. Thread-safe (immutable).
class verifier {
public:
  /// Reads the key files. Errors: errc::bad_key, naming the file.
  static caf::expected<std::shared_ptr<const verifier>>
  load(const key_settings& settings);

  /// The identity of `token`, or why it is refused (auth::errc).
  caf::expected<identity> verify(std::string_view token) const;

  std::size_t key_count() const noexcept { return keys_.size(); }

  struct key {
    std::string kid; // "" = any (a single key)
    std::string algorithm;
    std::string material; // the HS256 secret, or a PEM public key
  };

private:
  key_settings settings_;
  std::vector<key> keys_;
};

/// The current verifier, swapped whole on reload (SIGHUP). Thread-safe.
class key_store {
public:
  explicit key_store(key_settings settings) : settings_(std::move(settings)) {}

  /// Loads the keys; on failure the previous verifier stays.
  caf::error reload();

  std::shared_ptr<const verifier> current() const;

  /// Who a request's token (token_of() of its Authorization header and
  /// `token` query parameter) says the caller is; errc::missing_token
  /// without one, else verifier::verify()'s errors.
  caf::expected<identity>
  identify(std::optional<std::string_view> authorization,
           std::optional<std::string> query_token) const;

private:
  key_settings settings_;
  mutable std::mutex mtx_;
  std::shared_ptr<const verifier> current_;
};

/// The token of an upgrade request: "Authorization: Bearer <t>" or the
/// `token` query parameter (browsers cannot set headers on a WebSocket).
std::optional<std::string>
token_of(std::optional<std::string_view> authorization,
         std::optional<std::string> query_token);

} // namespace ds::auth
