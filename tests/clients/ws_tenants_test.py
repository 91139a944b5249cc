#!/usr/bin/env python3
"""Tenants and tokens over /ws, from the contract and Debian's libraries.

The daemon verifies RS256 tokens against a JWKS file (key id "k1");
tokens are made with PyJWT (python3-jwt), keys with python3-cryptography.
On the real broker:

1. refused before the upgrade with 401, each counted by its reason: no
   token, a wrong signature, expired, alg "none", an unknown key id, the
   tenant claim edited after signing, and HS256 "signed" with the public
   key (the algorithm confusion of cpp-jwt#102);
2. http.ws_max_connections_per_tenant = 50: a tenant's 51st connection
   gets 429;
3. 2 tenants x 50 clients (half send the token as Authorization: Bearer,
   half as ?token=) and one admin client: every client receives every
   record of its own tenant and not one frame of the other's, checked on
   every binary frame; the admin sees all.

    ws_tenants_test.py DASHSTREAM_BIN KAFKA_BOOTSTRAP_FILE
"""
import asyncio
import base64
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

import jwt
import websockets
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import (Receiver, create_topic, fail, log,  # noqa: E402
                   metrics, start_daemon, stop_daemon, topic_values)

RECORDS = 4_000
CLIENTS_PER_TENANT = 50
TENANTS = ["tenant-0", "tenant-1"]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(key, claims, kid="k1", alg="RS256"):
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


async def refused(url, tok, where="header"):
    headers = {}
    if tok is not None and where == "header":
        headers["Authorization"] = "Bearer " + tok
    elif tok is not None:
        url += "?token=" + tok
    try:
        async with websockets.connect(url, extra_headers=headers):
            return None
    except websockets.InvalidStatusCode as e:
        return e.status_code


async def main_async(bin_, brokers, topic, port, key, other_key):
    url = "ws://127.0.0.1:%d/ws" % port
    now = int(time.time())
    good = {"tenant_id": "tenant-0", "exp": now + 3600}
    valid = token(key, good)
    h, p, s = valid.split(".")
    edited = json.loads(base64.urlsafe_b64decode(p + "=="))
    edited["tenant_id"] = "tenant-1"
    forged = ".".join([h, b64url(json.dumps(edited).encode()), s])
    none_tok = ".".join([b64url(b'{"alg":"none","typ":"JWT","kid":"k1"}'),
                         b64url(json.dumps(good).encode()), ""])
    pub_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    confused = ".".join([
        b64url(b'{"alg":"HS256","typ":"JWT","kid":"k1"}'),
        b64url(json.dumps(good).encode())])
    import hmac
    import hashlib
    confused += "." + b64url(hmac.new(pub_pem, confused.encode(),
                                      hashlib.sha256).digest())
    cases = [
        ("missing_token", None, "header"),
        ("bad_signature", token(other_key, good), "header"),
        ("expired", token(key, {"tenant_id": "tenant-0",
                                "exp": now - 3600}), "query"),
        ("wrong_algorithm", none_tok, "header"),
        ("unknown_key", token(key, good, kid="k2"), "query"),
        ("bad_signature", forged, "header"),
        ("wrong_algorithm", confused, "header"),
    ]
    for reason, tok, where in cases:
        status = await refused(url, tok, where)
        if status != 401:
            fail("%s: got %s, want 401" % (reason, status))
    log("refused with 401: no token, wrong signature, expired, alg none, "
        "unknown kid, edited tenant claim, HS256 with the public key")

    receivers = []
    tasks = []
    stop = asyncio.Event()
    for t in TENANTS:
        tok = token(key, {"tenant_id": t, "exp": now + 3600})
        for i in range(CLIENTS_PER_TENANT):
            r = Receiver("%s/%d" % (t, i), t)
            ready = asyncio.Event()
            receivers.append(r)
            tasks.append(asyncio.create_task(
                r.run(url, tok, i % 2 == 0, ready, stop)))
            await asyncio.wait_for(ready.wait(), 10)
    # The tenant's 51st connection: 429 before the upgrade.
    extra = token(key, {"tenant_id": "tenant-0", "exp": now + 3600})
    try:
        async with websockets.connect(
                url, extra_headers={"Authorization": "Bearer " + extra}):
            fail("a connection past http.ws_max_connections_per_tenant")
    except websockets.InvalidStatusCode as e:
        if e.status_code != 429:
            fail("past the tenant limit: %d, want 429" % e.status_code)
    log("the tenant's %dth connection got 429" % (CLIENTS_PER_TENANT + 1))
    admin = Receiver("admin", None)
    ready = asyncio.Event()
    tasks.append(asyncio.create_task(admin.run(
        url, token(key, {"dashstream_admin": True, "exp": now + 3600}),
        True, ready, stop)))
    await asyncio.wait_for(ready.wait(), 10)
    receivers.append(admin)
    log("%d clients connected" % len(receivers))

    await asyncio.get_running_loop().run_in_executor(None, lambda: subprocess.run(
        [bin_, "produce", "--brokers", brokers, "--topic", topic,
         "--count", str(RECORDS), "--tenants", str(len(TENANTS)),
         "--threads", "20", "--size", "200", "--rate", "2000"],
        check=True, capture_output=True, timeout=300))
    # Every record of each tenant, as Kafka has it (raw framing: the
    # tenant id is in the value's bytes).
    truth = topic_values(brokers, topic)

    def tenant_of(v):
        found = [t for t in TENANTS if t.encode() in v]
        if len(found) != 1:
            fail("a value names %s" % found)
        return found[0]

    want = {t: {k for k, v in truth.items() if tenant_of(v) == t}
            for t in TENANTS}
    if any(len(s) == 0 for s in want.values()):
        fail("a tenant has no records: %s" % {t: len(s) for t, s in
                                               want.items()})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if all(len(r.values) >= (len(want[r.tenant]) if r.tenant
                                 else len(truth)) for r in receivers):
            break
        await asyncio.sleep(0.2)
    stop.set()
    await asyncio.gather(*tasks)
    crossed = 0
    for r in receivers:
        expect = want[r.tenant] if r.tenant else set(truth)
        got = set(r.values)
        if got != expect:
            fail("%s: %d records, want %d (missing %d, foreign %d)" %
                 (r.name, len(got), len(expect), len(expect - got),
                  len(got - expect)))
        for k, v in r.values.items():
            if v != truth[k]:
                fail("%s: %s differs from Kafka's value" % (r.name, k))
            if r.tenant and tenant_of(v) != r.tenant:
                crossed += 1
    if crossed:
        fail("%d frames crossed tenants" % crossed)
    log("%d clients: each got every record of its tenant (%s), byte for "
        "byte, 0 frames crossed tenants; the admin got all %d" %
        (len(receivers) - 1, {t: len(s) for t, s in want.items()},
         len(truth)))


def main():
    if len(sys.argv) != 3:
        fail(__doc__)
    bin_ = sys.argv[1]
    brokers = open(sys.argv[2]).read().strip()
    topic = "ws-tenants-%d" % random.randrange(10**9)
    create_topic(bin_, brokers, topic)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk["kid"] = "k1"
    work = tempfile.mkdtemp()
    jwks = os.path.join(work, "jwks.json")
    with open(jwks, "w") as f:
        json.dump({"keys": [jwk]}, f)
    daemon, port = start_daemon(bin_, brokers, topic, work, [
        "auth.jwks_file=" + jwks,
        "auth.admin_claim=dashstream_admin",
        "http.max_connections_per_ip=200",
        "http.ws_max_connections_per_tenant=%d" % CLIENTS_PER_TENANT,
        # 101 clients in one Python process may read slower than the
        # stream on a loaded machine: not a slow client here
        # (ws_slow_client_test covers that rule).
        "replay.slow_client_threshold=1000000",
        "http.ws_queue_max_bytes=1GiB"])
    try:
        asyncio.run(main_async(bin_, brokers, topic, port, key, other))
        counts = {m.group(1): float(m.group(2)) for m in re.finditer(
            r'^dashstream_websocket_auth_rejections_total\{reason="(\w+)"\}'
            r' (\S+)', metrics(port), re.M)}
        want = {"missing_token": 1, "bad_signature": 2, "expired": 1,
                "wrong_algorithm": 2, "unknown_key": 1, "malformed": 0,
                "not_yet_valid": 0, "missing_tenant": 0}
        if counts != want:
            fail("rejections by reason %s, want %s" % (counts, want))
        log("rejections counted by reason: %s" % counts)
    finally:
        stop_daemon(daemon)
    log("PASS")


if __name__ == "__main__":
    main()
