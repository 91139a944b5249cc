#include "runtime/auth/signer.hpp"
#include "runtime/auth/verifier.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>
#include <jwt/jwt.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "runtime/auth/errc.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ds;
using namespace ds::auth;
namespace fs = std::filesystem;

namespace {

struct key_pair {
  std::string private_pem;
  std::string public_pem;
  EVP_PKEY* pkey = nullptr;
  ~key_pair() { EVP_PKEY_free(pkey); }
};

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  auto len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

std::unique_ptr<key_pair> generate(bool ec) {
  auto kp = std::make_unique<key_pair>();
  kp->pkey = ec ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
  REQUIRE(kp->pkey != nullptr);
  BIO* priv = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, kp->pkey, nullptr, nullptr, 0, nullptr,
                           nullptr);
  kp->private_pem = bio_string(priv);
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(pub, kp->pkey);
  kp->public_pem = bio_string(pub);
  return kp;
}

// base64url without padding: cpp-jwt's base64 then its in-place URI pass.
std::string b64url(const std::string& bytes) {
  auto out = jwt::base64_encode(bytes.data(), bytes.size());
  out.resize(jwt::base64_uri_encode(out.data(), out.size()));
  return out;
}

std::string bn_param(EVP_PKEY* k, const char* name) {
  BIGNUM* bn = nullptr;
  REQUIRE(EVP_PKEY_get_bn_param(k, name, &bn) == 1);
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

nlohmann::json jwk_of(const key_pair& kp, bool ec, const std::string& kid) {
  if (!ec) {
    return {{"kty", "RSA"},
            {"kid", kid},
            {"n", b64url(bn_param(kp.pkey, OSSL_PKEY_PARAM_RSA_N))},
            {"e", b64url(bn_param(kp.pkey, OSSL_PKEY_PARAM_RSA_E))}};
  }
  std::string point(65, '\0');
  std::size_t len = 0;
  REQUIRE(EVP_PKEY_get_octet_string_param(
            kp.pkey, OSSL_PKEY_PARAM_PUB_KEY,
            reinterpret_cast<unsigned char*>(point.data()), point.size(),
            &len) == 1);
  REQUIRE(len == 65);
  return {{"kty", "EC"},
          {"crv", "P-256"},
          {"kid", kid},
          {"x", b64url(point.substr(1, 32))},
          {"y", b64url(point.substr(33, 32))}};
}

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

std::string sign(const std::string& alg, const std::string& key,
                 nlohmann::json claims, const std::string& kid = "") {
  jwt::jwt_object obj{jwt::params::algorithm(alg), jwt::params::secret(key)};
  for (auto& [k, v] : claims.items()) {
    if (v.is_string()) {
      obj.add_claim(k, v.get<std::string>());
    } else if (v.is_boolean()) {
      obj.add_claim(k, v.get<bool>());
    } else {
      obj.add_claim(k, v.get<int64_t>());
    }
  }
  if (!kid.empty()) {
    obj.header().add_header("kid", kid);
  }
  return obj.signature();
}

std::string write(const fs::path& dir, const std::string& name,
                  const std::string& text) {
  auto p = dir / name;
  std::ofstream{p, std::ios::binary} << text;
  return p.string();
}

errc reason(const caf::expected<identity>& r) {
  REQUIRE_FALSE(r);
  return to_errc(r.error());
}

} // namespace

TEST_CASE("HS256: the tenant claim decides, exp and nbf hold with the "
          "leeway, an edited claim breaks the signature") {
  test::temp_dir dir;
  key_settings ks;
  ks.hs256_secret_file = write(dir.path, "secret", "s3cret-s3cret\n");
  ks.admin_claim = "dashstream_admin";
  ks.leeway = std::chrono::seconds{30};
  auto v = verifier::load(ks);
  REQUIRE(v);
  const std::string key = "s3cret-s3cret";
  auto ok = (*v)->verify(
    sign("HS256", key, {{"tenant_id", "acme"}, {"exp", now_s() + 60}}));
  REQUIRE(ok);
  CHECK(ok->tenant == "acme");
  CHECK_FALSE(ok->admin);
  auto admin = (*v)->verify(sign("HS256", key, {{"dashstream_admin", true}}));
  REQUIRE(admin);
  CHECK(admin->admin);
  CHECK(reason((*v)->verify(sign("HS256", key, {{"sub", "x"}}))) ==
        errc::missing_tenant);
  // Within the leeway, then past it.
  CHECK((*v)->verify(
    sign("HS256", key, {{"tenant_id", "a"}, {"exp", now_s() - 20}})));
  CHECK(reason((*v)->verify(
          sign("HS256", key, {{"tenant_id", "a"}, {"exp", now_s() - 40}}))) ==
        errc::expired);
  CHECK(reason((*v)->verify(
          sign("HS256", key, {{"tenant_id", "a"}, {"nbf", now_s() + 40}}))) ==
        errc::not_yet_valid);
  CHECK(reason((*v)->verify(
          sign("HS256", "other-secret", {{"tenant_id", "acme"}}))) ==
        errc::bad_signature);
  // The tenant claim edited after signing: the payload swapped for another.
  auto good = sign("HS256", key, {{"tenant_id", "acme"}});
  auto other = sign("HS256", "x", {{"tenant_id", "globex"}});
  auto d1 = good.find('.');
  auto d2 = good.find('.', d1 + 1);
  auto o1 = other.find('.');
  auto o2 = other.find('.', o1 + 1);
  auto forged = good.substr(0, d1 + 1) + other.substr(o1 + 1, o2 - o1 - 1) +
                good.substr(d2);
  CHECK(reason((*v)->verify(forged)) == errc::bad_signature);
  CHECK(reason((*v)->verify("not-a-token")) == errc::malformed);
}

TEST_CASE("sign_hs256 mints tokens the verifier accepts, and only for its "
          "secret") {
  test::temp_dir dir;
  auto secret = random_secret();
  REQUIRE(secret);
  CHECK(secret->size() == 64);
  CHECK(*random_secret() != *secret);
  key_settings ks;
  ks.hs256_secret_file = write(dir.path, "secret", *secret);
  ks.admin_claim = "dashstream_admin";
  auto v = verifier::load(ks);
  REQUIRE(v);
  auto tenant =
    sign_hs256(*secret, {{"tenant_id", "t-1"}}, std::chrono::hours{1});
  REQUIRE(tenant);
  auto id = (*v)->verify(*tenant);
  REQUIRE(id);
  CHECK(id->tenant == "t-1");
  auto admin =
    sign_hs256(*secret, {{"dashstream_admin", true}}, std::chrono::hours{1});
  REQUIRE(admin);
  CHECK((*v)->verify(*admin)->admin);
  // Already expired (beyond the leeway): refused.
  auto old =
    sign_hs256(*secret, {{"tenant_id", "t-1"}}, -std::chrono::hours{1});
  REQUIRE(old);
  CHECK(reason((*v)->verify(*old)) == errc::expired);
  // Another secret's token does not verify.
  auto other =
    sign_hs256("not-the-secret", {{"tenant_id", "t-1"}}, std::chrono::hours{1});
  REQUIRE(other);
  CHECK(reason((*v)->verify(*other)) == errc::bad_signature);
  CHECK_FALSE(sign_hs256("", {{"tenant_id", "t"}}, std::chrono::hours{1}));
  CHECK_FALSE(sign_hs256(*secret, {{"x", 1.5}}, std::chrono::hours{1}));
}

TEST_CASE("alg none and an algorithm other than the key's are refused "
          "before cpp-jwt sees them (cpp-jwt#102)") {
  test::temp_dir dir;
  auto rsa = generate(false);
  key_settings ks;
  ks.public_key_file = write(dir.path, "pub.pem", rsa->public_pem);
  ks.public_key_algorithm = "RS256";
  auto v = verifier::load(ks);
  REQUIRE(v);
  CHECK((*v)->verify(sign("RS256", rsa->private_pem, {{"tenant_id", "t"}})));
  // The classic confusion: HS256 "signed" with the public key as secret.
  CHECK(reason(
          (*v)->verify(sign("HS256", rsa->public_pem, {{"tenant_id", "t"}}))) ==
        errc::wrong_algorithm);
  auto none_header = b64url(R"({"alg":"none","typ":"JWT"})");
  auto payload = b64url(R"({"tenant_id":"t"})");
  CHECK(reason((*v)->verify(none_header + "." + payload + ".")) ==
        errc::wrong_algorithm);
}

TEST_CASE("a byte outside base64url is malformed, before cpp-jwt decodes it "
          "(jwt_verify_fuzz)") {
  // cpp-jwt 1.4's base64 decoder indexes its table with a plain char: a
  // byte >= 0x80 in any part read before the table (an assertion failure
  // in debug builds, which took this test down).
  test::temp_dir dir;
  key_settings ks;
  ks.hs256_secret_file = write(dir.path, "secret", "s3cret-s3cret");
  auto v = verifier::load(ks);
  REQUIRE(v);
  auto good = sign("HS256", "s3cret-s3cret", {{"tenant_id", "acme"}});
  REQUIRE((*v)->verify(good));
  auto d1 = good.find('.');
  auto d2 = good.find('.', d1 + 1);
  for (auto at : {std::size_t{1}, d1 + 3, d2 + 2}) {
    for (char c : {'\xd8', '\x80', '\xff', ' ', '+', '/', '%'}) {
      auto bad = good;
      bad[at] = c;
      INFO("byte " << static_cast<int>(static_cast<unsigned char>(c)) << " at "
                   << at);
      CHECK(reason((*v)->verify(bad)) == errc::malformed);
    }
  }
  // '=' passes the check (cpp-jwt strips padding): refused by the
  // signature, which covers the header as sent.
  CHECK(reason((*v)->verify(good.substr(0, d1) + "=" + good.substr(d1))) ==
        errc::bad_signature);
}

TEST_CASE("exp, nbf and iat must be dates from 0 to 2^63, checked before "
          "cpp-jwt converts them (jwt_verify_fuzz)") {
  // cpp-jwt reads them as uint64_t before the signature: exp = 4e23 was an
  // out-of-range float conversion (undefined behaviour; it passed as a
  // date that never comes), exp = -1 wrapped into one, and exp + leeway
  // past 2^64 wrapped into the past.
  test::temp_dir dir;
  const std::string key = "s3cret-s3cret";
  key_settings ks;
  ks.hs256_secret_file = write(dir.path, "secret", key);
  auto v = verifier::load(ks);
  REQUIRE(v);
  // Claims of any JSON type, signed by hand (cpp-jwt adds no floats).
  auto token = [&key](const std::string& claims) {
    auto input =
      b64url(R"({"alg":"HS256","typ":"JWT"})") + "." + b64url(claims);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(),
         mac, &len);
    return input + "." + b64url(std::string(reinterpret_cast<char*>(mac), len));
  };
  auto later = std::to_string(now_s() + 600);
  REQUIRE((*v)->verify(token(R"({"tenant_id":"a","exp":)" + later + "}")));
  // A fractional date and the largest one are dates.
  CHECK((*v)->verify(token(R"({"tenant_id":"a","exp":)" + later + ".5}")));
  CHECK((*v)->verify(
    token(R"({"tenant_id":"a","exp":9223372036854775807,"iat":0})")));
  for (const char* claims :
       {R"({"tenant_id":"a","exp":4.10244480410244e+23})",
        R"({"tenant_id":"a","exp":-1})", R"({"tenant_id":"a","exp":-2.5})",
        R"({"tenant_id":"a","exp":9223372036854775808})",
        R"({"tenant_id":"a","exp":18446744073709551615})",
        R"({"tenant_id":"a","nbf":1e30})", R"({"tenant_id":"a","iat":-7})",
        R"({"tenant_id":"a","exp":"never"})",
        R"({"tenant_id":"a","exp":null})"}) {
    INFO(claims);
    CHECK(reason((*v)->verify(token(claims))) == errc::malformed);
  }
}

TEST_CASE("JWKS: RSA and EC P-256 keys picked by kid, each with its own "
          "algorithm; an unknown kid is refused") {
  test::temp_dir dir;
  auto rsa = generate(false);
  auto ec = generate(true);
  nlohmann::json jwks{
    {"keys", {jwk_of(*rsa, false, "rsa-1"), jwk_of(*ec, true, "ec-1")}}};
  key_settings ks;
  ks.jwks_file = write(dir.path, "jwks.json", jwks.dump());
  auto v = verifier::load(ks);
  REQUIRE(v);
  CHECK((*v)->key_count() == 2);
  auto r = (*v)->verify(
    sign("RS256", rsa->private_pem, {{"tenant_id", "acme"}}, "rsa-1"));
  REQUIRE(r);
  CHECK(r->tenant == "acme");
  auto e = (*v)->verify(
    sign("ES256", ec->private_pem, {{"tenant_id", "globex"}}, "ec-1"));
  REQUIRE(e);
  CHECK(e->tenant == "globex");
  CHECK(reason((*v)->verify(
          sign("RS256", rsa->private_pem, {{"tenant_id", "acme"}}, "rsa-2"))) ==
        errc::unknown_key);
  // The EC key's kid with an RSA signature: the key takes ES256 only.
  CHECK(reason((*v)->verify(
          sign("RS256", rsa->private_pem, {{"tenant_id", "acme"}}, "ec-1"))) ==
        errc::wrong_algorithm);
}

TEST_CASE("bad key files are errors that name the file") {
  test::temp_dir dir;
  key_settings ks;
  ks.jwks_file = write(dir.path, "jwks.json", R"({"keys":[{"kty":"oct"}]})");
  auto v = verifier::load(ks);
  REQUIRE_FALSE(v);
  CHECK(to_errc(v.error()) == errc::bad_key);
  CHECK_THAT(diag::describe(v.error()), Catch::Matchers::Contains("jwks.json"));
  key_settings missing;
  missing.hs256_secret_file = (dir.path / "nope").string();
  CHECK_FALSE(verifier::load(missing));
  // A reload that fails keeps the previous keys.
  key_settings good;
  auto secret_path = write(dir.path, "s", "abc");
  good.hs256_secret_file = secret_path;
  key_store store{good};
  REQUIRE_FALSE(store.reload());
  auto before = store.current();
  fs::remove(secret_path);
  CHECK(store.reload());
  CHECK(store.current() == before);
}

TEST_CASE("the token comes from Authorization: Bearer, else ?token=") {
  CHECK(token_of("Bearer abc", std::nullopt) ==
        std::optional<std::string>{"abc"});
  CHECK(token_of("bearer abc", std::string{"q"}) ==
        std::optional<std::string>{"abc"});
  CHECK(token_of("Basic abc", std::string{"q"}) ==
        std::optional<std::string>{"q"});
  CHECK_FALSE(token_of(std::nullopt, std::nullopt));
  CHECK_FALSE(token_of(std::nullopt, std::string{}));
}
