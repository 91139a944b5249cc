// libFuzzer target for the bearer token a client presents: the bytes as a
// token (and as an Authorization header, through token_of()) through four
// verifiers loaded from tests/runtime/auth/fuzz_keys: an HS256 secret (with
// an admin claim), an RS256 and an ES256 PEM public key, and a JWKS holding
// both public keys under their kids.
// For any bytes:
// - verify() neither crashes, reads out of bounds nor lets an exception out
//   (ASan/UBSan watch);
// - a refusal carries an auth errc; an identity has a tenant or is admin;
// - no token verifies under both the HS256 secret and a public key (the
//   algorithm confusion of cpp-jwt#102), and a token the HS256 verifier
//   accepts names HS256 in its header, one the RS256 and ES256 verifiers
//   accept names theirs.
// Run: jwt_verify_fuzz -max_total_time=20 <corpus-dir> (ctest -L fuzz does
// this on a copy of tests/runtime/auth/fuzz_corpus; make_fuzz_corpus.py
// remakes the seeds and the keys together).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <jwt/jwt.hpp>
#include <nlohmann/json.hpp>

#include "diag/errc.hpp"
#include "runtime/auth/errc.hpp"
#include "runtime/auth/verifier.hpp"

#ifndef DS_FUZZ_KEYS
#error "DS_FUZZ_KEYS: the directory of the fuzzer's key files"
#endif

namespace {

using namespace ds::auth;

[[noreturn]] void fail(const char* what, std::string_view token = {}) {
  std::fprintf(stderr, "jwt_verify_fuzz: %s\ntoken: %.*s\n", what,
               static_cast<int>(token.size()), token.data());
  std::abort();
}

struct verifiers {
  std::shared_ptr<const verifier> hs256, rs256, es256, jwks;
};

verifiers* v = nullptr;

std::shared_ptr<const verifier> load(key_settings ks) {
  ks.admin_claim = "is_admin";
  auto loaded = verifier::load(ks);
  if (!loaded) {
    fail("cannot load the fuzzer's keys (see DS_FUZZ_KEYS)");
  }
  return *loaded;
}

bool accepted(const verifier& by, std::string_view token) {
  auto id = by.verify(token);
  if (!id) {
    if (to_errc(id.error()) == errc::none) {
      fail("refused without an auth error", token);
    }
    return false;
  }
  if (id->tenant.empty() && !id->admin) {
    fail("an identity without a tenant that is not admin", token);
  }
  return true;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::string dir = DS_FUZZ_KEYS;
  v = new verifiers;
  key_settings hs;
  hs.hs256_secret_file = dir + "/hs256.secret";
  v->hs256 = load(hs);
  key_settings rs;
  rs.public_key_file = dir + "/rsa.pem";
  rs.public_key_algorithm = "RS256";
  v->rs256 = load(rs);
  key_settings es;
  es.public_key_file = dir + "/ec.pem";
  es.public_key_algorithm = "ES256";
  v->es256 = load(es);
  key_settings jw;
  jw.jwks_file = dir + "/keys.jwks";
  v->jwks = load(jw);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view token{reinterpret_cast<const char*>(data), size};
  bool hs = accepted(*v->hs256, token);
  bool rs = accepted(*v->rs256, token);
  bool es = accepted(*v->es256, token);
  bool jw = accepted(*v->jwks, token);
  if (hs && (rs || es || jw)) {
    fail("one token verifies under the secret and a public key", token);
  }
  if (rs && es) {
    fail("one token verifies under the RSA and the EC key", token);
  }
  // A verified token's header decodes, and names the key's one algorithm.
  if (hs || rs || es || jw) {
    auto dot = token.find('.');
    auto header = nlohmann::json::parse(
      jwt::base64_uri_decode(token.data(), dot), nullptr, false);
    auto alg =
      header.is_object() && header.contains("alg") && header["alg"].is_string()
        ? header["alg"].get<std::string>()
        : std::string{};
    if ((hs && alg != "HS256") || (rs && alg != "RS256") ||
        (es && alg != "ES256") || (jw && alg != "RS256" && alg != "ES256")) {
      fail("verified under a key of another algorithm than its header's",
           token);
    }
  }
  // The same token as the header a browser cannot send, and as ?token=.
  std::string header = "Bearer " + std::string{token};
  auto from_header = token_of(header, std::nullopt);
  auto from_query = token_of(std::nullopt, std::string{token});
  if (!token.empty() && (!from_header || *from_header != token || !from_query ||
                         *from_query != token)) {
    fail("token_of() changed the token", token);
  }
  return 0;
}
