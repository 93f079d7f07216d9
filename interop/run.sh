#!/usr/bin/env bash
# Interoperability suite: independent relying parties verify JWT-SVIDs through the running service.
#
#   bash interop/run.sh          (after ./mvnw verify; builds only what is missing)
#
# Starts the packaged service (target/quarkus-app/quarkus-run.jar) over HTTPS with a CA and a localhost
# certificate made for this run, reading keys from a fake SPIRE agent's Workload API on a Unix socket
# (or, with INTEROP_SOURCE=file, from a bundle file), mints JWT-SVIDs with keys made for this run, and has
# seven relying parties (Java jose4j and Nimbus, Node jose and openid-client, Python PyJWT and Authlib,
# Go go-oidc) discover the issuer, verify every case, then pick up a key rotation through their own JWKS
# caches.
# The service publishes two trust domains from one instance, each its own issuer: example.org at the root
# and partner.example.net under /partner (one agent map, or one file each). Every relying party runs once
# per issuer. Each issuer's cases include the other trust domain's tokens (refused) and a kid both trust
# domains publish with different keys. The primary trust domain rotates while the partner stays steady;
# then the partner's agent data is broken while both issuers keep serving and verifying.
# Prints the verifier x case matrix and ends with the line "N passed, M failed"; exits 1 on any failure.
#
# Environment:
#   INTEROP_SOURCE            workload-api (default when the fake agent is built) or file
#   INTEROP_REFRESH_LIMIT_MS  jose cooldownDuration and Nimbus rate-limit interval (default 2000);
#                             "default" keeps both libraries' own defaults (30 s)
#   INTEROP_CACHE_MAX_AGE     the service's spiffe-oidc.cache-max-age in seconds (default 45); go-oidc 2.x
#                             refetches an unknown kid only from max-age - 30 s after its last fetch, so
#                             its rotation bound here is that plus the others' bound (300, the service's
#                             default, makes the suite about five minutes longer)
#   INTEROP_OUT               where logs and results go (default interop/out, git-ignored)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SUITE_START=$(date +%s%N)

OUT=${INTEROP_OUT:-$ROOT/interop/out}
REFRESH_LIMIT_MS=${INTEROP_REFRESH_LIMIT_MS:-2000}
if [[ $REFRESH_LIMIT_MS == default ]]; then ROTATION_BOUND_MS=45000; else ROTATION_BOUND_MS=15000; fi
CACHE_MAX_AGE=${INTEROP_CACHE_MAX_AGE:-45}
[[ $CACHE_MAX_AGE =~ ^[1-9][0-9]*$|^0$ ]] && ((CACHE_MAX_AGE <= 3600)) || { echo "INTEROP_CACHE_MAX_AGE must be 0..3600 (seconds)"; exit 1; }
# go-oidc 2.x (jwks.go, keysExpiryDelta): an unknown kid is refetched only within 30 s of the cached key
# set's expiry, fetch time + max-age.
GO_ROTATION_BOUND_MS=$(( ROTATION_BOUND_MS + (CACHE_MAX_AGE > 30 ? CACHE_MAX_AGE - 30 : 0) * 1000 ))
# Every process of the run is bounded by this (s): start-up, phase 1 and the longest rotation wait.
RUN_LIMIT_S=$(( 600 + GO_ROTATION_BOUND_MS / 1000 ))
TRUST_DOMAIN=example.org
PARTNER_TRUST_DOMAIN=partner.example.net
AUDIENCE=spiffe://example.org/ns/default/sa/server
PY=/usr/bin/python3                   # Debian's python3-jwt, python3-authlib, python3-requests
JAVA_OPTS_SMALL=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx192m
                 -Djava.util.logging.manager=org.jboss.logmanager.LogManager)   # the test class path has it
AGENT_CLASS=io.spiffeoidc.testsupport.FakeWorkloadApiMain
GO_BIN=target/interop-go/verify-go    # built from interop/go with Debian's go-oidc and go-jose sources
DEBIAN_GOPATH=/usr/share/gocode       # where Debian's golang-*-dev packages put Go sources

rm -rf "$OUT"
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/spiffe-oidc-interop.XXXXXX)   # private keys, socket, PKI: removed on exit
chmod 700 "$WORK"

log() { printf '[interop %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { # the suite could not run to the end: still close with the counting line
  log "ERROR: $*"
  printf '%s passed, %s failed\n' 0 1
  exit 1
}

# ---- processes: every one is started through start_bg, bounded by timeout, stopped on exit ----------
PIDS=()
start_bg() { # start_bg SECONDS LOGBASE CMD...: runs CMD in the background under timeout
  local seconds=$1 base=$2; shift 2
  timeout --kill-after=5 "$seconds" "$@" >"$base.out" 2>"$base.err" &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}
cleanup() {
  local status=$?
  local pid i reversed=()
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do reversed+=("${PIDS[i]}"); done
  for pid in "${reversed[@]}"; do   # newest first: relying parties, then the service, then the agent
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  for pid in "${reversed[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- prerequisites: installed here when missing, so a fresh machine passes -----------------------------
source "$ROOT/src/test/sh/suite.sh"
apt_install() { suite_apt_install "$@" || die "apt-get install $* failed"; }
ensure_tools() {
  local missing=()
  command -v java >/dev/null || missing+=(openjdk-17-jdk-headless)
  command -v keytool >/dev/null || missing+=(openjdk-17-jdk-headless)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)
  command -v timeout >/dev/null || missing+=(coreutils)
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  "$PY" -c 'import jwt, authlib, requests' 2>/dev/null \
    || missing+=(python3 python3-jwt python3-authlib python3-requests python3-cryptography)
  command -v go >/dev/null || missing+=(golang-go)
  [[ -d $DEBIAN_GOPATH/src/github.com/coreos/go-oidc ]] || missing+=(golang-github-coreos-go-oidc-dev)
  [[ -d $DEBIAN_GOPATH/src/gopkg.in/square/go-jose.v2 ]] || missing+=(golang-gopkg-square-go-jose.v2-dev)
  if ((${#missing[@]})); then apt_install $(printf '%s\n' "${missing[@]}" | sort -u); fi
  local node_major
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  ((node_major >= 20)) || die "Node.js 20 or newer is needed (found $(node --version))"
}
ensure_node_modules() {
  local stamp=interop/node/node_modules/.interop-lock.sha256 want
  want=$(sha256sum interop/node/package-lock.json | cut -d' ' -f1)
  if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    log "npm ci (interop/node)"
    (cd interop/node && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >"$OUT/npm.log" 2>&1 \
      || { tail -20 "$OUT/npm.log"; die "npm ci failed"; }
    echo "$want" >"$stamp"
  fi
}
ensure_go_verifier() { # GOPATH mode against Debian's sources: no module proxy, no download. Go's own
  # build cache makes this a second's no-op when neither interop/go nor the Debian sources changed.
  log "go build (interop/go)"
  mkdir -p target/interop-go
  (export GO111MODULE=off GOPATH="$ROOT/target/interop-go/gopath:$DEBIAN_GOPATH" GOFLAGS= GOPROXY=off \
     GOCACHE="$ROOT/target/interop-go/cache"
   timeout 300 go build -o "$GO_BIN" ./interop/go) >"$OUT/go-build.log" 2>&1 \
    || { tail -20 "$OUT/go-build.log"; die "go build failed"; }
}
ensure_build() {
  suite_test_classpath || die "building the package, the test classes or the class path failed"
}

library_versions() {
  local cp jar
  cp=$(tr ':' '\n' <target/test-classpath.txt)
  jar() { sed -n "s#.*/$1-\([0-9][^/]*\)\.jar\$#\1#p" <<<"$cp" | head -1; }
  deb() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo '?'; }
  printf 'jose4j %s, nimbus-jose-jwt %s, oauth2-oidc-sdk %s, jose %s, openid-client %s, PyJWT %s, Authlib %s, Node.js %s, go-oidc %s, go-jose %s, %s' \
    "$(jar jose4j)" "$(jar nimbus-jose-jwt)" "$(jar oauth2-oidc-sdk)" \
    "$(node -p 'require("./interop/node/node_modules/jose/package.json").version')" \
    "$(node -p 'require("./interop/node/node_modules/openid-client/package.json").version')" \
    "$("$PY" -c 'import jwt; print(jwt.__version__)')" "$("$PY" -c 'import authlib; print(authlib.__version__)')" \
    "$(node --version)" "$(deb golang-github-coreos-go-oidc-dev)" "$(deb golang-gopkg-square-go-jose.v2-dev)" \
    "$(go version | cut -d' ' -f3)"
}

ensure_tools
ensure_node_modules
ensure_go_verifier
ensure_build
LIBRARIES=$(library_versions)

AGENT_BUILT=
[[ -f target/test-classes/${AGENT_CLASS//.//}.class ]] && AGENT_BUILT=1
SOURCE=${INTEROP_SOURCE:-$([[ -n $AGENT_BUILT ]] && echo workload-api || echo file)}
case $SOURCE in
  workload-api) [[ -n $AGENT_BUILT ]] || die "INTEROP_SOURCE=workload-api but $AGENT_CLASS is not built" ;;
  file) ;;
  *) die "INTEROP_SOURCE must be workload-api or file, not $SOURCE" ;;
esac

# ---- PKI: a CA and a localhost server certificate for this run only ---------------------------------------
PKI=$WORK/pki
mkdir -p "$PKI"
# shellcheck source=../src/test/sh/test-pki.sh
source "$ROOT/src/test/sh/test-pki.sh"
make_pki() {
  test_pki_ca "$PKI" "spiffe-oidc interop CA"
  test_pki_leaf "$PKI" localhost "$PKI/tls.pem" "$PKI/tls.key"
  keytool -importcert -noprompt -alias interop-ca -file "$PKI/ca.pem" -keystore "$PKI/truststore.p12" \
    -storetype PKCS12 -storepass interop >/dev/null 2>&1
  cp "$PKI/ca.pem" "$OUT/ca.pem"   # public: lets a person rerun curl against a kept service
}
make_pki

# ---- ports: free loopback ports picked by the kernel --------------------------------------------------------
read -r HTTPS_PORT HTTP_PORT MGMT_PORT < <("$PY" -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks:
    s.close()')
ISSUER=https://localhost:$HTTPS_PORT
PARTNER_ISSUER=$ISSUER/partner        # path prefix /partner, derived from the issuer's path
SOCKET=$WORK/agent.sock
BUNDLE_FILE=$WORK/bundle/bundle.json
PARTNER_BUNDLE_FILE=$WORK/bundle/partner.json
log "libraries: $LIBRARIES"
log "source=$SOURCE issuers=$ISSUER $PARTNER_ISSUER management=127.0.0.1:$MGMT_PORT refresh-limit=$REFRESH_LIMIT_MS cache-max-age=${CACHE_MAX_AGE}s"

# ---- keys and tokens --------------------------------------------------------------------------------------------
java "${JAVA_OPTS_SMALL[@]}" -cp "$TEST_CP" io.spiffeoidc.interop.InteropMint --out "$WORK/mint" \
  --issuer "$ISSUER" --audience "$AUDIENCE" --trust-domain "$TRUST_DOMAIN" \
  --partner-issuer "$PARTNER_ISSUER" --partner-trust-domain "$PARTNER_TRUST_DOMAIN" >"$OUT/mint.log" 2>&1 \
  || { cat "$OUT/mint.log"; die "minting failed"; }
cp "$WORK/mint/jwks-initial.json" "$WORK/mint/jwks-rotated.json" "$WORK/mint/jwks-partner.json" "$OUT/"   # public keys only
CASES=$WORK/mint/cases.json
PARTNER_CASES=$WORK/mint/cases-partner.json

# ---- the key source: fake SPIRE agent (Workload API) or bundle file ------------------------------------------
# The one place that knows how the fake agent is launched (issue-3's FakeWorkloadApiMain).
start_agent() {
  start_bg "$RUN_LIMIT_S" "$OUT/agent" java "${JAVA_OPTS_SMALL[@]}" -cp "$TEST_CP" "$AGENT_CLASS" \
    --socket "$SOCKET" --control-port 0 --trust-domain "spiffe://$TRUST_DOMAIN"
  AGENT_PID=$LAST_PID
  timeout 60 bash -c "until grep -q '^control-port=' '$OUT/agent.out'; do kill -0 $AGENT_PID 2>/dev/null || exit 1; sleep 0.2; done" \
    || { cat "$OUT/agent.err"; die "the fake agent did not start"; }
  CONTROL_PORT=$(sed -n 's/^control-port=\([0-9][0-9]*\).*/\1/p' "$OUT/agent.out" | head -1)
  log "fake agent on $SOCKET, control port $CONTROL_PORT"
}
bundle_file_of() { [[ $1 == "$TRUST_DOMAIN" ]] && echo "$BUNDLE_FILE" || echo "$PARTNER_BUNDLE_FILE"; }
publish_bundle() { # publish_bundle TRUST_DOMAIN JWKS_FILE: that trust domain's entry only, the other stays
  local file
  case $SOURCE in
    workload-api)
      curl -sS -f -m 10 -X POST --data-binary @"$2" "http://127.0.0.1:$CONTROL_PORT/bundle?trust-domain=spiffe://$1" \
        >/dev/null || die "the fake agent refused the bundle of $1" ;;
    file)
      file=$(bundle_file_of "$1")
      mkdir -p "$(dirname "$file")"
      cp "$2" "$file.tmp" && mv -f "$file.tmp" "$file" ;;   # atomic rename
  esac
}
break_bundle() { # break_bundle TRUST_DOMAIN: bytes that are not JSON as that trust domain's bundle
  local file
  case $SOURCE in
    workload-api)
      curl -sS -f -m 10 -X POST "http://127.0.0.1:$CONTROL_PORT/garbage?trust-domain=spiffe://$1" >/dev/null \
        || die "the fake agent refused /garbage for $1" ;;
    file)
      file=$(bundle_file_of "$1")
      printf '\0\377{' >"$file.tmp" && mv -f "$file.tmp" "$file" ;;
  esac
}
[[ $SOURCE == workload-api ]] && start_agent
publish_bundle "$TRUST_DOMAIN" "$WORK/mint/jwks-initial.json"
publish_bundle "$PARTNER_TRUST_DOMAIN" "$WORK/mint/jwks-partner.json"

# ---- the service, as packaged ----------------------------------------------------------------------------------
# The TLS key pair of the public listener's TLS configuration ("public"), as a deployment sets it: the
# production profile declares these properties, so their environment variables take effect.
# The partner trust domain as a federated entry: a map key with dots, so a system property rather than an
# environment variable (docs/federation.md).
PARTNER_PROPERTIES=("-Dspiffe-oidc.federated.\"$PARTNER_TRUST_DOMAIN\".issuer=$PARTNER_ISSUER")
[[ $SOURCE == file ]] && PARTNER_PROPERTIES+=("-Dspiffe-oidc.federated.\"$PARTNER_TRUST_DOMAIN\".file.path=$PARTNER_BUNDLE_FILE")
start_service() {
  start_bg "$RUN_LIMIT_S" "$OUT/service" env \
    SPIFFE_OIDC_SOURCE="$SOURCE" \
    SPIFFE_OIDC_TRUST_DOMAIN="$TRUST_DOMAIN" \
    SPIFFE_ENDPOINT_SOCKET="unix://$SOCKET" \
    SPIFFE_OIDC_FILE_PATH="$BUNDLE_FILE" \
    SPIFFE_OIDC_FILE_POLL_INTERVAL=1s \
    SPIFFE_OIDC_ISSUER="$ISSUER" \
    SPIFFE_OIDC_CACHE_MAX_AGE="${CACHE_MAX_AGE}s" \
    QUARKUS_HTTP_HOST=127.0.0.1 \
    QUARKUS_HTTP_PORT="$HTTP_PORT" \
    QUARKUS_HTTP_SSL_PORT="$HTTPS_PORT" \
    QUARKUS_HTTP_INSECURE_REQUESTS=disabled \
    QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_CERT="$PKI/tls.pem" \
    QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_KEY="$PKI/tls.key" \
    QUARKUS_MANAGEMENT_HOST=127.0.0.1 \
    QUARKUS_MANAGEMENT_PORT="$MGMT_PORT" \
    java -Xmx256m "${PARTNER_PROPERTIES[@]}" -jar target/quarkus-app/quarkus-run.jar
  SERVICE_PID=$LAST_PID
}
management_get() { # the management interface is plain HTTP inside the pod
  curl -s -f -m 5 "http://127.0.0.1:$MGMT_PORT$1" 2>/dev/null
}
CHECKS=()   # service-level checks, counted with the matrix: "name ok|FAIL detail"
check() { CHECKS+=("$1 $2 ${3:-}"); }
https_get() { curl -s -f -m 5 --cacert "$PKI/ca.pem" "$1" 2>/dev/null; }
etag_of() { # the ETag of a 200 answer, or "status NNN"
  curl -s -m 5 --cacert "$PKI/ca.pem" -o /dev/null -D - "$1" 2>/dev/null \
    | awk 'tolower($1) == "etag:" { tag = $2 } NR == 1 { status = $2 } END { sub(/\r$/, "", tag); print (status == 200 ? tag : "status " status) }'
}
check_etag() { # check_etag NAME URL ETAG WHEN: URL answers 200 with that ETag
  local got
  got=$(etag_of "$2")
  if [[ $got == "$3" && $got != status* ]]; then
    check "$1" ok "${2#"$ISSUER"}: 200, ETag $3 $4"
  else
    check "$1" FAIL "${2#"$ISSUER"}: $got, expected 200 with ETag $3 $4"
  fi
}
refusals_of() { # spiffe_oidc_bundle_updates_refused_total summed over the reasons of one trust domain
  management_get /q/metrics | awk -v td="trust_domain=\"$1\"" \
    '/^spiffe_oidc_bundle_updates_refused_total\{/ && index($0, td) { n += $NF } END { printf "%d\n", n }'
}

start_service
READY_START=$(date +%s%N)
ready=
deadline=$((SECONDS + 120))   # a packaged start takes 5-15 s, more on a machine busy with other builds
while ((SECONDS < deadline)); do
  kill -0 "$SERVICE_PID" 2>/dev/null || break
  if management_get /q/health/ready >/dev/null; then ready=1; break; fi
  sleep 0.2
done
if [[ -z $ready ]]; then
  tail -n 30 "$OUT/service.out" "$OUT/service.err"
  check service-ready FAIL "not ready within 120 s"
  die "the service did not become ready"
fi
check service-ready ok "$(( ($(date +%s%N) - READY_START) / 1000000 )) ms after start"
curl -sS -f -m 10 --cacert "$PKI/ca.pem" "$ISSUER/.well-known/openid-configuration" -o "$OUT/discovery.json" \
  || die "discovery over HTTPS failed"
log "discovery: $(cat "$OUT/discovery.json")"
if grep -q '"authorization_endpoint"\|"token_endpoint"' "$OUT/discovery.json"; then
  check discovery-minimal FAIL "authorization_endpoint or token_endpoint present"
else
  check discovery-minimal ok "no authorization_endpoint, no token_endpoint"
fi
https_get "$PARTNER_ISSUER/.well-known/openid-configuration" >"$OUT/discovery-partner.json" || true
log "partner discovery: $(cat "$OUT/discovery-partner.json")"
partner_discovery=$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
ok = d.get("issuer") == sys.argv[2] and d.get("jwks_uri") == sys.argv[2] + "/keys"
print("ok issuer and jwks_uri under /partner" if ok else "FAIL issuer %s jwks_uri %s" % (d.get("issuer"), d.get("jwks_uri")))
' "$OUT/discovery-partner.json" "$PARTNER_ISSUER" 2>&1 || echo "FAIL no discovery document")
check partner-discovery "${partner_discovery%% *}" "${partner_discovery#* }"
https_get "$ISSUER/keys" >"$OUT/keys-primary.json" || true
https_get "$PARTNER_ISSUER/keys" >"$OUT/keys-partner.json" || true
same_kid=$("$PY" -c '
import json, sys
def key(path):
    return [k for k in json.load(open(path))["keys"] if k["kid"] == sys.argv[3]]
a, b = key(sys.argv[1]), key(sys.argv[2])
if len(a) == 1 and len(b) == 1 and a[0]["x"] != b[0]["x"]:
    print("ok kid %s served by both issuers, a different key at each" % sys.argv[3])
else:
    print("FAIL kid %s: %d key(s) at the primary, %d at the partner, same x: %s" % (sys.argv[3], len(a), len(b), a == b))
' "$OUT/keys-primary.json" "$OUT/keys-partner.json" shared-kid 2>&1 || echo "FAIL key sets unreadable")
check same-kid-distinct "${same_kid%% *}" "${same_kid#* }"
if curl -s -m 5 -o /dev/null "http://127.0.0.1:$HTTP_PORT/keys"; then
  check plain-http-refused FAIL "http://127.0.0.1:$HTTP_PORT answered"
else
  check plain-http-refused ok
fi

# ---- relying parties ------------------------------------------------------------------------------------------------
FLAG=$WORK/rotated
FAULT_FLAG=$WORK/fault
COMMON=(--rotated-flag "$FLAG" --fault-flag "$FAULT_FLAG" --rotation-bound-ms "$ROTATION_BOUND_MS"
        --flag-timeout-ms 120000)
VERIFIERS=(java-jose4j java-nimbus node-jose node-openid-client python-pyjwt python-authlib go-oidc)
# One relying party per verifier and issuer: "<verifier>" for the primary, "<verifier>@partner" for the partner.
INSTANCES=()
for v in "${VERIFIERS[@]}"; do INSTANCES+=("$v" "$v@partner"); done
# Every relying party trusts the run's CA and nothing else: Java a PKCS12 trust store holding only it;
# Node (with --use-openssl-ca) and Python's urllib OpenSSL's default paths, pointed at the CA file and an
# empty directory; requests its own CA bundle setting; Go an x509.CertPool holding only the CA file.
JAVA_TLS=(-Djavax.net.ssl.trustStore="$PKI/truststore.p12" -Djavax.net.ssl.trustStorePassword=interop
          -Djavax.net.ssl.trustStoreType=PKCS12)
mkdir -p "$PKI/no-other-roots"
ONLY_RUN_CA=(SSL_CERT_FILE="$PKI/ca.pem" SSL_CERT_DIR="$PKI/no-other-roots")
start_verifier() { # start_verifier INSTANCE
  local instance=$1 name=${1%@*} base=$OUT/verifier-${1/@/-} issuer=$ISSUER cases=$CASES
  [[ $instance == *@partner ]] && { issuer=$PARTNER_ISSUER; cases=$PARTNER_CASES; }
  local args=(--issuer "$issuer" --cases "$cases" "${COMMON[@]}")
  case $name in
    java-jose4j) start_bg 240 "$base" java "${JAVA_OPTS_SMALL[@]}" "${JAVA_TLS[@]}" -cp "$TEST_CP" \
                   io.spiffeoidc.interop.Jose4jRelyingParty "${args[@]}" --refresh-limit-ms "$REFRESH_LIMIT_MS" ;;
    java-nimbus) start_bg 240 "$base" java "${JAVA_OPTS_SMALL[@]}" "${JAVA_TLS[@]}" -cp "$TEST_CP" \
                   io.spiffeoidc.interop.NimbusRelyingParty "${args[@]}" --refresh-limit-ms "$REFRESH_LIMIT_MS" ;;
    node-*) start_bg 240 "$base" env "${ONLY_RUN_CA[@]}" node --use-openssl-ca interop/node/verify.mjs \
              --library "${name#node-}" "${args[@]}" --refresh-limit-ms "$REFRESH_LIMIT_MS" ;;
    python-*) start_bg 240 "$base" env "${ONLY_RUN_CA[@]}" REQUESTS_CA_BUNDLE="$PKI/ca.pem" \
                "$PY" interop/python/verify.py --library "${name#python-}" "${args[@]}" ;;
    go-oidc) start_bg $(( 240 + GO_ROTATION_BOUND_MS / 1000 )) "$base" "$GO_BIN" --ca "$PKI/ca.pem" \
               "${args[@]}" --rotation-bound-ms "$GO_ROTATION_BOUND_MS" ;;   # the later bound wins
  esac
  VERIFIER_PID[$instance]=$LAST_PID
}
declare -A VERIFIER_PID
for i in "${INSTANCES[@]}"; do start_verifier "$i"; done
log "relying parties started: ${INSTANCES[*]}"

all_ready() { # all_ready LINE: every relying party printed LINE (or ended)
  local i
  for i in "${INSTANCES[@]}"; do
    grep -q "^$1\$" "$OUT/verifier-${i/@/-}.out" 2>/dev/null && continue
    kill -0 "${VERIFIER_PID[$i]}" 2>/dev/null && return 1   # still working on the phase
  done
  return 0
}
await_all() { # await_all LINE SECONDS
  local deadline=$((SECONDS + $2))
  until all_ready "$1" || ((SECONDS >= deadline)); do sleep 0.1; done
  all_ready "$1" || log "not every relying party printed $1 within $2 s"
}
await_all ready-for-rotation 120

# ---- rotation: the agent pushes a bundle with a new key, keeping the old ones --------------------------------------
PARTNER_ETAG=$(etag_of "$PARTNER_ISSUER/keys")
ROTATE_START=$(date +%s%N)
publish_bundle "$TRUST_DOMAIN" "$WORK/mint/jwks-rotated.json"
rotated_kid=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["rotated_kid"])' "$CASES")
served=
deadline=$((SECONDS + 30))
while ((SECONDS < deadline)); do
  if curl -s -f -m 5 --cacert "$PKI/ca.pem" "$ISSUER/keys" | grep -q "\"$rotated_kid\""; then served=1; break; fi
  sleep 0.1
done
PROPAGATION_MS=$(( ($(date +%s%N) - ROTATE_START) / 1000000 ))
if [[ -n $served ]]; then
  check rotation-served ok "new kid $rotated_kid served ${PROPAGATION_MS} ms after the push"
else
  check rotation-served FAIL "new kid $rotated_kid not served within 30 s"
fi
check_etag steady-etag "$PARTNER_ISSUER/keys" "$PARTNER_ETAG" "(unchanged by the primary's rotation)"
touch "$FLAG"
log "rotation: $rotated_kid served after ${PROPAGATION_MS} ms; relying parties told"
await_all ready-for-fault $(( GO_ROTATION_BOUND_MS / 1000 + 60 ))
check_etag steady-etag-after "$PARTNER_ISSUER/keys" "$PARTNER_ETAG" "(unchanged when every relying party was done with the rotation)"

# ---- fault: the partner's agent data turns to garbage; both issuers keep serving and verifying -------------------
PRIMARY_ETAG=$(etag_of "$ISSUER/keys")
refused_before=$(refusals_of "$PARTNER_TRUST_DOMAIN")
break_bundle "$PARTNER_TRUST_DOMAIN"
FAULT_START=$(date +%s%N)
refused=$refused_before
deadline=$((SECONDS + 30))
while ((SECONDS < deadline)); do
  refused=$(refusals_of "$PARTNER_TRUST_DOMAIN")
  ((refused > refused_before)) && break
  sleep 0.1
done
FAULT_MS=$(( ($(date +%s%N) - FAULT_START) / 1000000 ))
if ((refused > refused_before)); then
  log "fault: the partner's garbage refused ${FAULT_MS} ms after the push; relying parties told"
else
  check fault-refused FAIL "no refusal counted for $PARTNER_TRUST_DOMAIN within 30 s"
fi
touch "$FAULT_FLAG"
for i in "${INSTANCES[@]}"; do
  timeout $(( GO_ROTATION_BOUND_MS / 1000 + 60 )) tail --pid="${VERIFIER_PID[$i]}" -f /dev/null || true
done
refused_after=$(refusals_of "$PARTNER_TRUST_DOMAIN")
if ((refused > refused_before)); then
  if ((refused_after - refused_before == 1)); then
    check fault-refused ok "the partner's garbage refused once (${FAULT_MS} ms after the push), still once when the relying parties were done"
  else
    check fault-refused FAIL "$((refused_after - refused_before)) refusals counted for one garbage push"
  fi
fi
check_etag fault-last-good "$PARTNER_ISSUER/keys" "$PARTNER_ETAG" "(its last good keys, while its data is garbage)"
check_etag fault-other-serves "$ISSUER/keys" "$PRIMARY_ETAG" "(the rotated set, untouched by the partner's garbage)"
if management_get /q/health/ready >/dev/null; then
  check fault-ready ok "readiness UP while one trust domain's data is refused"
else
  check fault-ready FAIL "readiness not UP while only the partner's data is refused"
fi

# ---- results ------------------------------------------------------------------------------------------------------------
for i in "${INSTANCES[@]}"; do grep '^{' "$OUT/verifier-${i/@/-}.out" || true; done >"$OUT/results.jsonl"
printf '%s\n' "${CHECKS[@]}" >"$OUT/checks.txt"
SUITE_MS=$(( ($(date +%s%N) - SUITE_START) / 1000000 ))
"$PY" interop/summarize.py --cases "$CASES $PARTNER_CASES" --results "$OUT/results.jsonl" --checks "$OUT/checks.txt" \
  --verifiers "${VERIFIERS[*]}" --source "$SOURCE" --refresh-limit-ms "$REFRESH_LIMIT_MS" --cache-max-age "$CACHE_MAX_AGE" \
  --propagation-ms "$PROPAGATION_MS" --suite-ms "$SUITE_MS" --logs "$OUT" --libraries "$LIBRARIES" | tee "$OUT/summary.txt"
