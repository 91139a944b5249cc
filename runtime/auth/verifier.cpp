#include "runtime/auth/verifier.hpp"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

#include <jwt/jwt.hpp>

#include "runtime/auth/errc.hpp"
#include "runtime/auth/jwk.hpp"

namespace ds::auth {

namespace {

caf::expected<std::string> read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    return make_error(errc::bad_key, "cannot read key file " + path);
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The token's header, parsed: its "alg" and "kid" decide which key and
// algorithm cpp-jwt is given, before cpp-jwt sees the token.
struct header_fields {
  std::string alg;
  std::string kid;
};

// A compact JWS is base64url parts joined by dots (RFC 7515 §7.1); '=' is
// tolerated, as cpp-jwt strips it. Checked before cpp-jwt sees a token:
// its base64 decoder (1.4) indexes a 256-entry table with a plain char, so
// a byte >= 0x80 reads before the table (an assertion in debug builds).
bool jws_characters_only(std::string_view token) {
  return std::all_of(token.begin(), token.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c == '=';
  });
}

caf::expected<header_fields> header_of(std::string_view token) {
  if (!jws_characters_only(token)) {
    return make_error(errc::malformed, "not a JWT (a byte outside base64url)");
  }
  auto dot = token.find('.');
  if (dot == std::string_view::npos || dot == 0) {
    return make_error(errc::malformed, "not a JWT");
  }
  std::string head;
  try {
    head = jwt::base64_uri_decode(token.data(), dot);
  } catch (...) {
    return make_error(errc::malformed, "header is not base64url");
  }
  auto j = nlohmann::json::parse(head, nullptr, false);
  if (!j.is_object() || !j.contains("alg") || !j["alg"].is_string()) {
    return make_error(errc::malformed, "header without alg");
  }
  header_fields h;
  h.alg = j["alg"].get<std::string>();
  if (auto kid = j.find("kid"); kid != j.end() && kid->is_string()) {
    h.kid = kid->get<std::string>();
  }
  return h;
}

// cpp-jwt 1.4 reads exp, nbf and iat as uint64_t (nlohmann's get<>)
// before it checks the signature: a number outside uint64_t's range (a
// float such as 4e23, or below 0) converted there is undefined behaviour,
// a negative integer wrapped into a date that never comes (exp = -1 did not
// expire), and exp + leeway wrapped past 2^64 into the past. So any token's
// NumericDate claims are checked first: each present must be a number from
// 0 to below 2^63.
std::optional<std::string> date_claims_problem(std::string_view token) {
  auto first = token.find('.');
  auto second = token.find('.', first + 1);
  if (second == std::string_view::npos) {
    return std::nullopt; // not three parts: cpp-jwt refuses it
  }
  auto payload = nlohmann::json::parse(
    jwt::base64_uri_decode(token.data() + first + 1, second - first - 1),
    nullptr, false);
  if (!payload.is_object()) {
    return std::nullopt; // cpp-jwt refuses it
  }
  for (const char* name : {"exp", "nbf", "iat"}) {
    auto it = payload.find(name);
    if (it == payload.end()) {
      continue;
    }
    // nlohmann keeps a non-negative integer as unsigned, a negative one
    // as signed, anything else (beyond 2^64 too) as a double.
    bool ok = false;
    if (it->is_number_unsigned()) {
      ok = it->get<uint64_t>() < uint64_t{1} << 63;
    } else if (it->is_number_float()) {
      ok = it->get<double>() >= 0.0 && it->get<double>() < 0x1p63;
    }
    if (!ok) {
      return std::string{name} + " is not a date from 0 to 2^63";
    }
  }
  return std::nullopt;
}

errc reason_of(const std::error_code& ec) {
  if (ec == jwt::VerificationErrc::TokenExpired) {
    return errc::expired;
  }
  if (ec == jwt::VerificationErrc::ImmatureSignature) {
    return errc::not_yet_valid;
  }
  if (ec == jwt::VerificationErrc::InvalidSignature ||
      ec == jwt::AlgorithmErrc::VerificationErr) {
    return errc::bad_signature;
  }
  if (ec == jwt::VerificationErrc::InvalidAlgorithm ||
      ec == jwt::AlgorithmErrc::NoneAlgorithmUsed) {
    return errc::wrong_algorithm;
  }
  return errc::malformed;
}

} // namespace

caf::expected<std::shared_ptr<const verifier>>
verifier::load(const key_settings& settings) {
  auto v = std::make_shared<verifier>();
  v->settings_ = settings;
  if (!settings.hs256_secret_file.empty()) {
    auto secret = read_file(settings.hs256_secret_file);
    if (!secret) {
      return secret.error();
    }
    if (!secret->empty() && secret->back() == '\n') {
      secret->pop_back();
    }
    if (secret->empty()) {
      return make_error(errc::bad_key,
                        settings.hs256_secret_file + " is empty");
    }
    v->keys_.push_back({"", "HS256", std::move(*secret)});
  } else if (!settings.public_key_file.empty()) {
    auto pem = read_file(settings.public_key_file);
    if (!pem) {
      return pem.error();
    }
    if (pem->find("-----BEGIN PUBLIC KEY-----") == std::string::npos) {
      return make_error(errc::bad_key,
                        settings.public_key_file + " holds no PEM public key");
    }
    v->keys_.push_back({"", settings.public_key_algorithm, std::move(*pem)});
  } else if (!settings.jwks_file.empty()) {
    auto text = read_file(settings.jwks_file);
    if (!text) {
      return text.error();
    }
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_object() || !j.contains("keys") || !j["keys"].is_array()) {
      return make_error(errc::bad_key,
                        settings.jwks_file + " is not a JWKS (no keys array)");
    }
    for (const auto& k : j["keys"]) {
      auto pem = pem_of_jwk(k);
      if (!pem) {
        return make_error(errc::bad_key, settings.jwks_file + ": " +
                                           diag::error_detail(pem.error()));
      }
      v->keys_.push_back({pem->kid, pem->algorithm, std::move(pem->pem)});
    }
    if (v->keys_.empty()) {
      return make_error(errc::bad_key, settings.jwks_file + " has no keys");
    }
  } else {
    return make_error(errc::bad_key, "no key configured");
  }
  return std::shared_ptr<const verifier>{std::move(v)};
}

caf::expected<identity> verifier::verify(std::string_view token) const {
  auto head = header_of(token);
  if (!head) {
    return head.error();
  }
  const key* k = nullptr;
  for (const auto& candidate : keys_) {
    if (candidate.kid.empty() || candidate.kid == head->kid) {
      k = &candidate;
      break;
    }
  }
  if (k == nullptr) {
    return make_error(errc::unknown_key, "no key with this kid");
  }
  if (head->alg != k->algorithm) {
    return make_error(errc::wrong_algorithm,
                      "the key takes " + k->algorithm + " only");
  }
  if (auto why = date_claims_problem(token)) {
    return make_error(errc::malformed, *why);
  }
  std::error_code ec;
  jwt::jwt_object obj;
  try {
    obj = jwt::decode(
      jwt::string_view{token.data(), token.size()},
      jwt::params::algorithms({k->algorithm}), ec,
      jwt::params::secret(k->material), jwt::params::verify(true),
      jwt::params::leeway(static_cast<uint32_t>(settings_.leeway.count())));
  } catch (const std::exception& e) {
    return make_error(errc::malformed, e.what());
  }
  if (ec) {
    return make_error(reason_of(ec), ec.message());
  }
  const auto& claims = obj.payload().create_json_obj();
  identity id;
  if (!settings_.admin_claim.empty()) {
    auto it = claims.find(settings_.admin_claim);
    id.admin = it != claims.end() && it->is_boolean() && it->get<bool>();
  }
  auto t = claims.find(settings_.tenant_claim);
  if (t != claims.end() && t->is_string() && !t->get<std::string>().empty()) {
    id.tenant = t->get<std::string>();
  } else if (!id.admin) {
    return make_error(errc::missing_tenant,
                      "no " + settings_.tenant_claim + " claim");
  }
  return id;
}

caf::expected<identity>
key_store::identify(std::optional<std::string_view> authorization,
                    std::optional<std::string> query_token) const {
  auto token = token_of(authorization, std::move(query_token));
  auto keys = current();
  if (!token || !keys) {
    return make_error(errc::missing_token, "no bearer token");
  }
  return keys->verify(*token);
}

caf::error key_store::reload() {
  auto v = verifier::load(settings_);
  if (!v) {
    return v.error();
  }
  std::lock_guard<std::mutex> guard{mtx_};
  current_ = std::move(*v);
  return {};
}

std::shared_ptr<const verifier> key_store::current() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return current_;
}

std::optional<std::string>
token_of(std::optional<std::string_view> authorization,
         std::optional<std::string> query_token) {
  if (authorization) {
    auto a = *authorization;
    constexpr std::string_view bearer = "Bearer ";
    if (a.size() > bearer.size() &&
        std::equal(bearer.begin(), bearer.end(), a.begin(), [](char x, char y) {
          return std::tolower(static_cast<unsigned char>(x)) ==
                 std::tolower(static_cast<unsigned char>(y));
        })) {
      return std::string{a.substr(bearer.size())};
    }
  }
  if (query_token && !query_token->empty()) {
    return query_token;
  }
  return std::nullopt;
}

} // namespace ds::auth
