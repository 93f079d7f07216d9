#!/usr/bin/python3
"""Python relying parties of the interoperability suite (driven by interop/run.sh).

    /usr/bin/python3 verify.py --library pyjwt|authlib --issuer URL --cases FILE --rotated-flag FILE
                               [--fault-flag FILE] [--rotation-bound-ms N] [--flag-timeout-ms N]

Uses Debian's python3-jwt, python3-authlib and python3-requests (hence /usr/bin/python3). Same protocol
as the Java and Node verifiers: one JSON line per case (discovery first, named by the case file's
discovery_case), "ready-for-rotation" after phase "initial", then (once the flag file exists) phase
"rotation" with the SAME client objects; with --fault-flag, "ready-for-fault" and (once that flag exists)
phase "fault".

pyjwt:   discovery with requests, exact issuer comparison, PyJWKClient(jwks_uri) (caches the JWKS and
         refetches once when no key has the token's kid, with no rate limit), jwt.decode with the
         algorithm allow-list from the discovery document, issuer and audience.
authlib: discovery with requests, exact issuer comparison, the JWKS fetched by this program and imported
         with JsonWebKey.import_key_set; refetched here when the token's kid is unknown (Authlib's JOSE
         layer has no remote key set of its own); JsonWebToken(algorithms).decode + claims.validate().

TLS trust: REQUESTS_CA_BUNDLE (requests) and SSL_CERT_FILE with an empty SSL_CERT_DIR (urllib, used by
PyJWKClient), all set by run.sh so that the run's CA is the only trusted root.
"""

import base64
import json
import os
import sys
import time

import jwt
import requests
from authlib.jose import JsonWebKey, JsonWebToken

RETRY_PAUSE_S = 0.2


def parse_options(argv):
    if len(argv) % 2:
        raise SystemExit("expected --name value pairs, got: " + " ".join(argv))
    return {argv[i][2:]: argv[i + 1] for i in range(0, len(argv), 2)}


OPTS = parse_options(sys.argv[1:])
LIBRARY = OPTS["library"]
ISSUER = OPTS["issuer"]
ROTATION_BOUND_S = int(OPTS.get("rotation-bound-ms", "15000")) / 1000
FLAG_TIMEOUT_S = int(OPTS.get("flag-timeout-ms", "120000")) / 1000
with open(OPTS["cases"], encoding="utf-8") as f:
    DOCUMENT = json.load(f)
AUDIENCE = DOCUMENT["audience"]
DISCOVERY_CASE = DOCUMENT.get("discovery_case", "discovery")
VERIFIER = "python-" + LIBRARY


def emit(name, expect, result, seconds, attempts, detail):
    line = {
        "verifier": VERIFIER, "case": name, "expect": expect, "result": result, "ok": expect == result,
        "ms": round(seconds * 1000), "attempts": attempts, "detail": " ".join(str(detail).split())[:300],
    }
    print(json.dumps(line), flush=True)


def describe(error):
    return "%s: %s" % (type(error).__name__, error)


def discover():
    response = requests.get(ISSUER + "/.well-known/openid-configuration", timeout=10, allow_redirects=False)
    if response.status_code != 200:
        raise ValueError("discovery answered %d" % response.status_code)
    metadata = response.json()
    if metadata.get("issuer") != ISSUER:
        raise ValueError("discovery issuer %r is not %r" % (metadata.get("issuer"), ISSUER))
    if not isinstance(metadata.get("jwks_uri"), str):
        raise ValueError("discovery returned no jwks_uri")
    return metadata


def pyjwt_verifier(metadata):
    client = jwt.PyJWKClient(metadata["jwks_uri"])
    algorithms = metadata["id_token_signing_alg_values_supported"]

    def verify(token):
        key = client.get_signing_key_from_jwt(token)
        jwt.decode(token, key.key, algorithms=algorithms, audience=AUDIENCE, issuer=ISSUER,
                   options={"require": ["iss", "sub", "aud", "iat", "exp"]})
    return verify


def authlib_verifier(metadata):
    jwks_uri = metadata["jwks_uri"]
    decoder = JsonWebToken(metadata["id_token_signing_alg_values_supported"])
    state = {}

    def fetch():
        response = requests.get(jwks_uri, timeout=10, allow_redirects=False)
        response.raise_for_status()
        document = response.json()
        state["keys"] = JsonWebKey.import_key_set(document)
        state["kids"] = {k.get("kid") for k in document.get("keys", [])}

    fetch()

    def token_kid(token):
        header = token.split(".")[0]
        return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))).get("kid")

    def load_key(header, payload):
        kid = header.get("kid")
        if kid not in state["kids"]:
            fetch()  # refetch on unknown kid, as the application must with Authlib
            if kid not in state["kids"]:
                raise LookupError("no key with kid %r in the JWKS, even after a refetch" % kid)
        return state["keys"].find_by_kid(kid)

    options = {
        "iss": {"essential": True, "value": ISSUER},
        "aud": {"essential": True, "value": AUDIENCE},
        "sub": {"essential": True},
        "iat": {"essential": True},
        "exp": {"essential": True},
    }

    def verify(token):
        token_kid(token)  # a malformed header is a rejection, like in the other libraries
        claims = decoder.decode(token, load_key, claims_options=options)
        claims.validate()
    return verify


def run_phase(verify, phase, retry_bound_s):
    for case in [c for c in DOCUMENT["cases"] if c["phase"] == phase]:
        if verify is None:
            emit(case["name"], case["expect"], "reject", 0, 0, "discovery failed")
            continue
        retry = phase == "rotation" and case["expect"] == "accept"
        start = time.monotonic()
        attempts = 0
        while True:
            attempts += 1
            try:
                verify(case["token"])
                emit(case["name"], case["expect"], "accept", time.monotonic() - start, attempts, "")
                break
            except Exception as error:  # every library error is a rejection
                if not retry or time.monotonic() - start >= retry_bound_s:
                    emit(case["name"], case["expect"], "reject", time.monotonic() - start, attempts,
                         describe(error))
                    break
                time.sleep(RETRY_PAUSE_S)


def main():
    builders = {"pyjwt": pyjwt_verifier, "authlib": authlib_verifier}
    if LIBRARY not in builders:
        raise SystemExit("unknown --library " + LIBRARY)
    verify = None
    start = time.monotonic()
    try:
        verify = builders[LIBRARY](discover())
        emit(DISCOVERY_CASE, "accept", "accept", time.monotonic() - start, 1, "")
    except Exception as error:
        emit(DISCOVERY_CASE, "accept", "reject", time.monotonic() - start, 1, describe(error))
    run_phase(verify, "initial", 0)
    flagged = await_flag("ready-for-rotation", OPTS["rotated-flag"])
    run_phase(verify, "rotation", ROTATION_BOUND_S if flagged else 0)
    if "fault-flag" in OPTS:
        await_flag("ready-for-fault", OPTS["fault-flag"])
        run_phase(verify, "fault", 0)


def await_flag(line, flag):
    """Announces the end of a phase, then waits (bounded) for run.sh's flag file; True when it came."""
    print(line, flush=True)
    deadline = time.monotonic() + FLAG_TIMEOUT_S
    while not os.path.exists(flag) and time.monotonic() < deadline:
        time.sleep(0.05)
    return os.path.exists(flag)


if __name__ == "__main__":
    main()
