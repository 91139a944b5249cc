#!/usr/bin/python3
"""Writes jwt_verify_fuzz's keys (fuzz_keys/) and seed tokens (fuzz_corpus/).

Debian's python3-jwt and python3-cryptography (scripts/setup.sh installs
them). Each run makes a fresh RSA 2048 and EC P-256 key pair: the public
halves go to fuzz_keys/ (as PEM files and as a JWKS), the tokens are signed
with the private halves, which are then thrown away. The HS256 secret is
fixed. Run it from anywhere; commit fuzz_keys/ and fuzz_corpus/ together
(the seeds only verify against the keys they were made with).
"""

import base64
import hashlib
import hmac
import json
import pathlib

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

HERE = pathlib.Path(__file__).resolve().parent
KEYS = HERE / "fuzz_keys"
CORPUS = HERE / "fuzz_corpus"
HS256_SECRET = "jwt-verify-fuzz-hs256-secret"
FAR = 4102444800  # 2100-01-01: the valid seeds stay valid
PAST = 1000000000  # 2001


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(obj) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def public_pem(key) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo)


def jwk(key, kid: str) -> dict:
    entry = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())
                       if isinstance(key, rsa.RSAPrivateKey) else
                       jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    entry["kid"] = kid
    return entry


def main() -> None:
    KEYS.mkdir(exist_ok=True)
    CORPUS.mkdir(exist_ok=True)
    for old in CORPUS.iterdir():
        old.unlink()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    (KEYS / "hs256.secret").write_text(HS256_SECRET + "\n")
    (KEYS / "rsa.pem").write_bytes(public_pem(rsa_key))
    (KEYS / "ec.pem").write_bytes(public_pem(ec_key))
    jwks = {"keys": [jwk(rsa_key, "rsa-1"), jwk(ec_key, "ec-1")]}
    (KEYS / "keys.jwks").write_text(json.dumps(jwks, indent=2) + "\n")

    def hs(claims, headers=None):
        return jwt.encode(claims, HS256_SECRET, "HS256", headers)

    tenant = {"tenant_id": "acme", "exp": FAR, "iat": PAST}
    seeds = {
        "hs256_valid": hs(tenant),
        "hs256_admin": hs({"is_admin": True, "exp": FAR}),
        "hs256_expired": hs({"tenant_id": "acme", "exp": PAST}),
        "hs256_not_yet_valid": hs({"tenant_id": "acme", "nbf": FAR}),
        "hs256_no_tenant": hs({"sub": "user-1", "aud": ["a", "b"]}),
        "hs256_claim_types": hs({
            "tenant_id": 42, "is_admin": "yes", "exp": "never",
            "nested": {"a": [1, 2.5, None, {"b": "\u00e9\u2603"}]}}),
        "hs256_typ_cty_kid": hs(tenant, {"kid": "rsa-1", "cty": "JWT"}),
        # What jwt_verify_fuzz found next: dates cpp-jwt converted to
        # uint64_t out of range (now refused before it sees them).
        "hs256_exp_out_of_range": hs({"tenant_id": "acme", "exp": 4.1e23}),
        "hs256_exp_negative": hs({"tenant_id": "acme", "exp": -1}),
        "rs256_valid": jwt.encode(tenant, rsa_key, "RS256",
                                  {"kid": "rsa-1"}),
        "es256_valid": jwt.encode(tenant, ec_key, "ES256", {"kid": "ec-1"}),
        "es256_unknown_kid": jwt.encode(tenant, ec_key, "ES256",
                                        {"kid": "no-such-kid"}),
    }
    good = seeds["hs256_valid"]
    head, body, sig = good.split(".")
    seeds["hs256_bad_signature"] = f"{head}.{body}.{sig[:-4]}AAAA"
    seeds["alg_none"] = (b64url_json({"alg": "none", "typ": "JWT"}) + "." +
                         body + ".")
    # HS256 "signed" with the RSA public key as the secret (cpp-jwt#102).
    confused = b64url_json({"alg": "HS256", "typ": "JWT"}) + "." + body
    mac = hmac.new(public_pem(rsa_key), confused.encode(), hashlib.sha256)
    seeds["hs256_with_rsa_public_key"] = confused + "." + b64url(mac.digest())
    seeds["header_not_base64"] = "eyJhbGciOiJIUzI1NiJ9!!." + body + "." + sig
    seeds["two_parts"] = head + "." + body
    seeds["padded_base64"] = head + "==." + body + "." + sig
    # What jwt_verify_fuzz found: a byte >= 0x80 in a part read before
    # cpp-jwt's base64 table (now refused as malformed first).
    seeds["payload_byte_0xd8"] = (head + "." + body[:30]).encode() + \
        b"\xd8" + (body[31:] + "." + sig).encode()
    for name, token in seeds.items():
        data = token if isinstance(token, bytes) else token.encode()
        (CORPUS / f"{name}.jwt").write_bytes(data)
    print(f"{len(seeds)} seeds in {CORPUS.relative_to(HERE)}, keys in "
          f"{KEYS.relative_to(HERE)}")


if __name__ == "__main__":
    main()
