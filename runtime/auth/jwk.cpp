#include "runtime/auth/jwk.hpp"

#include <memory>
#include <vector>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "runtime/auth/errc.hpp"

namespace ds::auth {

namespace {

// base64url without padding (RFC 7515 §2) to bytes; nullopt if invalid.
std::optional<std::string> base64url(const std::string& in) {
  std::string b64 = in;
  for (auto& c : b64) {
    if (c == '-') {
      c = '+';
    } else if (c == '_') {
      c = '/';
    }
  }
  while (b64.size() % 4 != 0) {
    b64 += '=';
  }
  std::string out((b64.size() / 4) * 3, '\0');
  auto n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(b64.data()),
                           static_cast<int>(b64.size()));
  if (n < 0) {
    return std::nullopt;
  }
  auto pad = b64.size() - b64.find_last_not_of('=') - 1;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

struct deleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
  void operator()(BIGNUM* b) const { BN_free(b); }
  void operator()(BIO* b) const { BIO_free(b); }
};
template<class T>
using owned = std::unique_ptr<T, deleter>;

caf::error bad(const std::string& what) {
  return make_error(errc::bad_key, "JWK: " + what);
}

caf::expected<std::string> pem_from(const char* type, OSSL_PARAM_BLD* bld) {
  owned<OSSL_PARAM> params{OSSL_PARAM_BLD_to_param(bld)};
  owned<EVP_PKEY_CTX> ctx{EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr)};
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <=
        0) {
    return bad(std::string{"OpenSSL refused the "} + type + " key");
  }
  owned<EVP_PKEY> key{raw};
  owned<BIO> bio{BIO_new(BIO_s_mem())};
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) {
    return bad("cannot write PEM");
  }
  char* data = nullptr;
  auto len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

// A big-endian unsigned integer (RFC 7518 §6.3.1) as a BIGNUM.
BIGNUM* bignum(const std::string& bytes) {
  return BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                   static_cast<int>(bytes.size()), nullptr);
}

std::string str(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

} // namespace

caf::expected<pem_key> pem_of_jwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) {
    return bad("not an object");
  }
  pem_key out;
  out.kid = str(jwk, "kid");
  auto kty = str(jwk, "kty");
  auto alg = str(jwk, "alg");
  owned<OSSL_PARAM_BLD> bld{OSSL_PARAM_BLD_new()};
  if (kty == "RSA") {
    auto n = base64url(str(jwk, "n"));
    auto e = base64url(str(jwk, "e"));
    if (!n || !e || n->empty() || e->empty()) {
      return bad("RSA key " + out.kid + " without valid n and e");
    }
    owned<BIGNUM> bn_n{bignum(*n)};
    owned<BIGNUM> bn_e{bignum(*e)};
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get());
    out.algorithm = "RS256";
    auto pem = pem_from("RSA", bld.get());
    if (!pem) {
      return pem.error();
    }
    out.pem = std::move(*pem);
  } else if (kty == "EC") {
    if (str(jwk, "crv") != "P-256") {
      return bad("EC key " + out.kid + " is not on P-256");
    }
    auto x = base64url(str(jwk, "x"));
    auto y = base64url(str(jwk, "y"));
    if (!x || !y || x->size() != 32 || y->size() != 32) {
      return bad("EC key " + out.kid + " without 32-byte x and y");
    }
    std::string point = "\x04" + *x + *y;
    std::string group = "prime256v1";
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                    group.c_str(), 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                     point.data(), point.size());
    out.algorithm = "ES256";
    auto pem = pem_from("EC", bld.get());
    if (!pem) {
      return pem.error();
    }
    out.pem = std::move(*pem);
  } else {
    return bad("key " + out.kid + ": kty \"" + kty +
               "\" (only RSA and EC P-256 are supported)");
  }
  if (!alg.empty() && alg != out.algorithm) {
    return bad("key " + out.kid + ": alg " + alg + " does not fit its kty");
  }
  return out;
}

} // namespace ds::auth
