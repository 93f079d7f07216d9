#!/usr/bin/env bash
# Interoperability suite: independent relying parties verify JWT-SVIDs through the running service.
#
#   bash interop/run.sh                         (after ./mvnw verify; builds only what is missing)
#   INTEROP_ISSUER_VIA=s3 bash interop/run.sh   (the same, every issuer read from an S3 store's public URL)
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
# With INTEROP_ISSUER_VIA=s3 both issuers are static ones (docs/static-issuer.md): S3Proxy (a real S3 API,
# target/stores/s3proxy.jar) runs on loopback with an HTTPS endpoint whose certificate the run's CA issued; the
# service writes each issuer's documents into one bucket through that endpoint (targets "primary" and
# "partner", canned ACL public-read); the tokens' iss and every relying party's issuer are the bucket's public
# URLs, read anonymously. The service's listener still runs; it is only compared with the store.
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
#   INTEROP_ISSUER_VIA        service (default): relying parties discover the service's listener;
#                             s3: they discover the issuers in an S3 bucket the service publishes to
#   INTEROP_OUT               where logs and results go (default interop/out, with s3 interop/out-s3; git-ignored)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SUITE_START=$(date +%s%N)

ISSUER_VIA=${INTEROP_ISSUER_VIA:-service}
[[ $ISSUER_VIA == service || $ISSUER_VIA == s3 ]] || { echo "INTEROP_ISSUER_VIA must be service or s3"; exit 1; }
if [[ $ISSUER_VIA == s3 ]]; then OUT=${INTEROP_OUT:-$ROOT/interop/out-s3}; else OUT=${INTEROP_OUT:-$ROOT/interop/out}; fi
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
  if [[ -n ${STORE_DIR:-} ]]; then   # INTEROP_ISSUER_VIA=s3: the bucket's files; S3Proxy's log kept in $OUT
    rm -rf "$STORE_DIR"
    if [[ -n ${S3_LOG:-} ]]; then   # S3ProxyServer's files: s3proxy-<port>.log and .properties (its keys)
      cp "$S3_LOG" "$OUT/s3proxy.log" 2>/dev/null || true
      rm -f "$S3_LOG" "${S3_LOG%.log}.properties"
    fi
  fi
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
  if [[ $ISSUER_VIA == s3 ]]; then   # S3Proxy's own localhost certificate, in the PKCS#12 keystore it reads
    test_pki_leaf "$PKI" localhost "$PKI/s3.pem" "$PKI/s3.key"
    openssl pkcs12 -export -in "$PKI/s3.pem" -inkey "$PKI/s3.key" -certfile "$PKI/ca.pem" -name s3proxy \
      -passout pass:interop -out "$PKI/s3.p12" 2>/dev/null || die "cannot make S3Proxy's keystore"
  fi
}
make_pki
# A JVM that trusts the run's CA and nothing else: the Java relying parties, and with INTEROP_ISSUER_VIA=s3 the
# service too (its S3 client writes through S3Proxy's HTTPS endpoint).
JAVA_TLS=(-Djavax.net.ssl.trustStore="$PKI/truststore.p12" -Djavax.net.ssl.trustStorePassword=interop
          -Djavax.net.ssl.trustStoreType=PKCS12)

# ---- ports: free loopback ports picked by the kernel --------------------------------------------------------
read -r HTTPS_PORT HTTP_PORT MGMT_PORT < <("$PY" -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks:
    s.close()')
SERVICE_URL=https://localhost:$HTTPS_PORT   # the service's listener

# ---- the store (INTEROP_ISSUER_VIA=s3): S3Proxy with one bucket, plain HTTP and HTTPS with the run's CA --------
BUCKET=interop-issuers
start_store() {
  # Objects keep their Content-Type, Cache-Control and metadata in user extended attributes: a directory
  # under target/ has them where /tmp may be a tmpfs without them.
  STORE_DIR=$(mktemp -d "$ROOT/target/interop-s3.XXXXXX")
  start_bg "$RUN_LIMIT_S" "$OUT/store" java "${JAVA_OPTS_SMALL[@]}" -cp "$TEST_CP" io.spiffeoidc.testsupport.S3ProxyMain \
    --dir "$STORE_DIR" --bucket "$BUCKET" --key-dir "$WORK/s3-keys" \
    --keystore "$PKI/s3.p12" --keystore-password interop
  STORE_PID=$LAST_PID
  timeout 120 bash -c "until grep -q '^ready\$' '$OUT/store.out'; do kill -0 $STORE_PID 2>/dev/null || exit 1; sleep 0.2; done" \
    || { tail -n 30 "$OUT/store.err"; die "S3Proxy did not start"; }
  S3_HTTPS_PORT=$(sed -n 's#^secure-endpoint=https://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$OUT/store.out")
  S3_LOG=$(sed -n 's/^log=//p' "$OUT/store.out")
  [[ -n $S3_HTTPS_PORT ]] || die "S3Proxy printed no secure-endpoint"
  log "S3Proxy: $(grep 'endpoint=' "$OUT/store.out" | tr '\n' ' ')bucket $BUCKET"
}
if [[ $ISSUER_VIA == s3 ]]; then
  start_store
  STORE_BASE=https://localhost:$S3_HTTPS_PORT/$BUCKET   # path style: the bucket is the first path segment
  ISSUER=$STORE_BASE/primary            # target "primary", prefix primary/
  PARTNER_ISSUER=$STORE_BASE/partner    # target "partner", prefix partner/
  URL_BASE=$STORE_BASE                  # what check lines leave out of a URL
  SERVED_BY=" by the store"
else
  ISSUER=$SERVICE_URL
  PARTNER_ISSUER=$ISSUER/partner        # path prefix /partner, derived from the issuer's path
  URL_BASE=$ISSUER
  SERVED_BY=
fi
SOCKET=$WORK/agent.sock
BUNDLE_FILE=$WORK/bundle/bundle.json
PARTNER_BUNDLE_FILE=$WORK/bundle/partner.json
log "libraries: $LIBRARIES"
log "source=$SOURCE issuers=$ISSUER $PARTNER_ISSUER management=127.0.0.1:$MGMT_PORT refresh-limit=$REFRESH_LIMIT_MS cache-max-age=${CACHE_MAX_AGE}s"
[[ $ISSUER_VIA == s3 ]] && log "issuers via S3Proxy; the service's listener at $SERVICE_URL"

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
# INTEROP_ISSUER_VIA=s3: each issuer a static one in the bucket (docs/static-issuer.md). A store gets no
# requests to derive URLs from, so both jwks_uri are set. The listener's host names default to the issuer's
# host, localhost; it serves the primary at / and the partner under its issuer's path (/<bucket>/partner).
# The S3 client writes through S3Proxy's HTTPS endpoint, trusting the run's CA only (JAVA_TLS).
STORE_PROPERTIES=()
store_target() { # store_target NAME TRUST_DOMAIN: target NAME writes that trust domain under the prefix NAME/
  local p="-Dspiffe-oidc.target.\"$1\"."
  STORE_PROPERTIES+=("${p}type=s3" "${p}trust-domain=$2" "${p}prefix=$1/" "${p}s3.bucket=$BUCKET"
    "${p}s3.region=us-east-1" "${p}s3.endpoint=https://localhost:$S3_HTTPS_PORT" "${p}s3.path-style=true"
    "${p}s3.acl=public-read" "${p}s3.access-key-id-file=$WORK/s3-keys/access-key-id"
    "${p}s3.secret-access-key-file=$WORK/s3-keys/secret-access-key")
}
if [[ $ISSUER_VIA == s3 ]]; then
  STORE_PROPERTIES=("${JAVA_TLS[@]}" "-Dspiffe-oidc.jwks-uri=$ISSUER/keys"
    "-Dspiffe-oidc.federated.\"$PARTNER_TRUST_DOMAIN\".jwks-uri=$PARTNER_ISSUER/keys")
  store_target primary "$TRUST_DOMAIN"
  store_target partner "$PARTNER_TRUST_DOMAIN"
fi
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
    java -Xmx256m "${PARTNER_PROPERTIES[@]}" "${STORE_PROPERTIES[@]}" -jar target/quarkus-app/quarkus-run.jar
  SERVICE_PID=$LAST_PID
}
management_get() { # the management interface is plain HTTP inside the pod
  curl -s -f -m 5 "http://127.0.0.1:$MGMT_PORT$1" 2>/dev/null
}
CHECKS=()   # service-level checks, counted with the matrix: "name ok|FAIL detail"
check() { CHECKS+=("$1 $2 ${3:-}"); }
https_get() { curl -s -f -m 5 --cacert "$PKI/ca.pem" "$1" 2>/dev/null; }
# With INTEROP_ISSUER_VIA=s3 the URLs are the store's, and so are the ETags: S3's (S3Proxy's) is the MD5 of
# the object's bytes, not the listener's SHA-256, but it too stays the same exactly while the bytes do, which
# is what the ETag checks below compare.
etag_of() { # the ETag of a 200 answer, or "status NNN"
  curl -s -m 5 --cacert "$PKI/ca.pem" -o /dev/null -D - "$1" 2>/dev/null \
    | awk 'tolower($1) == "etag:" { tag = $2 } NR == 1 { status = $2 } END { sub(/\r$/, "", tag); print (status == 200 ? tag : "status " status) }'
}
check_etag() { # check_etag NAME URL ETAG WHEN: URL answers 200 with that ETag
  local got
  got=$(etag_of "$2")
  if [[ $got == "$3" && $got != status* ]]; then
    check "$1" ok "${2#"$URL_BASE"}: 200, ETag $3 $4"
  else
    check "$1" FAIL "${2#"$URL_BASE"}: $got, expected 200 with ETag $3 $4"
  fi
}
refusals_of() { # spiffe_oidc_bundle_updates_refused_total summed over the reasons of one trust domain
  management_get /q/metrics | awk -v td="trust_domain=\"$1\"" \
    '/^spiffe_oidc_bundle_updates_refused_total\{/ && index($0, td) { n += $NF } END { printf "%d\n", n }'
}

# ---- INTEROP_ISSUER_VIA=s3: what the store holds, compared with what the listener serves ----------------------------
STORE_DOCUMENTS=("$ISSUER/.well-known/openid-configuration" "$ISSUER/keys"
                 "$PARTNER_ISSUER/.well-known/openid-configuration" "$PARTNER_ISSUER/keys")
header_of() { # header_of FILE NAME: the value of header NAME (any case) in curl's -D output, without CR
  awk -v name="$(tr '[:upper:]' '[:lower:]' <<<"$2"):" \
    'tolower($1) == name { sub(/\r$/, ""); sub(/^[^:]*:[ \t]*/, ""); print; exit }' "$1"
}
listener_url_of() { # listener_url_of STORE_URL: where the listener serves that document (the primary at /,
  # spiffe-oidc.path-prefix's default; the partner under its issuer's path, its path prefix's default)
  if [[ $1 == "$PARTNER_ISSUER"/* ]]; then echo "$SERVICE_URL${1#"https://localhost:$S3_HTTPS_PORT"}"; else echo "$SERVICE_URL/${1#"$ISSUER/"}"; fi
}
status_of() { awk 'NR == 1 { print $2 }' "$1" 2>/dev/null || echo none; }   # of curl's -D output
store_copy() { # store_copy NAME WHEN: each store object, read anonymously, holds the listener's bytes for it,
  # its Cache-Control, JSON as Content-Type, and metadata naming the listener's ETag and the trust domain
  local url dir=$WORK/copy problems=() td status listener_etag count=0
  mkdir -p "$dir"
  for url in "${STORE_DOCUMENTS[@]}"; do
    td=$TRUST_DOMAIN
    [[ $url == "$PARTNER_ISSUER"/* ]] && td=$PARTNER_TRUST_DOMAIN
    rm -f "$dir"/*
    curl -s -m 5 --cacert "$PKI/ca.pem" -D "$dir/store.h" -o "$dir/store.b" "$url" || true
    curl -s -m 5 --cacert "$PKI/ca.pem" -D "$dir/listener.h" -o "$dir/listener.b" "$(listener_url_of "$url")" || true
    status="$(status_of "$dir/store.h") $(status_of "$dir/listener.h")"
    if [[ $status != "200 200" ]]; then problems+=("${url#"$URL_BASE"}: status (store, listener) $status"); continue; fi
    listener_etag=$(header_of "$dir/listener.h" ETag)
    cmp -s "$dir/store.b" "$dir/listener.b" || problems+=("${url#"$URL_BASE"}: bytes differ from the listener's")
    [[ $(header_of "$dir/store.h" Content-Type) == application/json* ]] \
      || problems+=("${url#"$URL_BASE"}: Content-Type $(header_of "$dir/store.h" Content-Type)")
    [[ $(header_of "$dir/store.h" Cache-Control) == "$(header_of "$dir/listener.h" Cache-Control)" ]] \
      || problems+=("${url#"$URL_BASE"}: Cache-Control '$(header_of "$dir/store.h" Cache-Control)', the listener's '$(header_of "$dir/listener.h" Cache-Control)'")
    [[ \"$(header_of "$dir/store.h" x-amz-meta-digest)\" == "$listener_etag" ]] \
      || problems+=("${url#"$URL_BASE"}: x-amz-meta-digest '$(header_of "$dir/store.h" x-amz-meta-digest)', the listener's ETag $listener_etag")
    [[ $(header_of "$dir/store.h" x-amz-meta-trustdomain) == "$td" ]] \
      || problems+=("${url#"$URL_BASE"}: x-amz-meta-trustdomain '$(header_of "$dir/store.h" x-amz-meta-trustdomain)'")
    count=$((count + 1))
  done
  if ((${#problems[@]})); then
    check "$1" FAIL "$(IFS=';'; echo "${problems[*]}")"
  else
    check "$1" ok "$count objects: the listener's bytes and Cache-Control, x-amz-meta-digest its ETag $2"
  fi
}
target_metric() { # target_metric NAME TARGET: the sum of metric NAME's series for one static issuer target
  management_get /q/metrics | awk -v m="$1{" -v t="target=\"$2\"" \
    'index($0, m) == 1 && index($0, t) { n += $NF } END { printf "%d\n", n }'
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
if [[ $ISSUER_VIA == s3 ]]; then   # readiness is about the listener; the targets publish on their own threads
  published=
  deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    kill -0 "$SERVICE_PID" 2>/dev/null || break
    published=1
    for url in "${STORE_DOCUMENTS[@]}"; do https_get "$url" >/dev/null || { published=; break; }; done
    [[ -n $published ]] && break
    sleep 0.2
  done
  if [[ -z $published ]]; then
    tail -n 30 "$OUT/service.out" "$OUT/service.err"
    check store-published FAIL "the store did not hold both issuers' documents within 60 s of readiness"
    die "the service did not publish to the store"
  fi
  check store-published ok "both issuers' discovery and JWKS readable anonymously $(( ($(date +%s%N) - READY_START) / 1000000 )) ms after start"
  # what a relying party reads first, kept for people: status, headers, body
  curl -s -i -m 5 --cacert "$PKI/ca.pem" "$ISSUER/.well-known/openid-configuration" >"$OUT/store-discovery.http" || true
  curl -s -i -m 5 --cacert "$PKI/ca.pem" "$ISSUER/keys" >"$OUT/store-keys.http" || true
  store_copy store-copy "(after start)"
fi
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
# Every relying party trusts the run's CA and nothing else: Java a PKCS12 trust store holding only it
# (JAVA_TLS); Node (with --use-openssl-ca) and Python's urllib OpenSSL's default paths, pointed at the CA file
# and an empty directory; requests its own CA bundle setting; Go an x509.CertPool holding only the CA file.
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
  check rotation-served ok "new kid $rotated_kid served$SERVED_BY ${PROPAGATION_MS} ms after the push"
else
  check rotation-served FAIL "new kid $rotated_kid not served$SERVED_BY within 30 s"
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
if [[ $ISSUER_VIA == s3 ]]; then
  store_copy store-copy-after "(the rotated set and the partner's last good one)"
  targets_ok=1
  target_state=
  for t in primary partner; do   # the primary published at start and at the rotation, the partner at start
    min=1
    [[ $t == primary ]] && min=2
    publications=$(target_metric spiffe_oidc_target_publications_total "$t") || publications=0
    held=$(target_metric spiffe_oidc_target_lease_held "$t") || held=0
    failures=$(target_metric spiffe_oidc_target_failures_total "$t") || failures=0
    target_state+="$t: $publications publication(s), lease held $held, $failures failure(s); "
    ((publications >= min && held == 1 && failures == 0)) || targets_ok=
  done
  if [[ -n $targets_ok ]]; then
    check store-targets ok "${target_state%; }"
  else
    check store-targets FAIL "${target_state%; } (expected the lease held, no failures, the primary written twice)"
  fi
fi

# ---- results ------------------------------------------------------------------------------------------------------------
for i in "${INSTANCES[@]}"; do grep '^{' "$OUT/verifier-${i/@/-}.out" || true; done >"$OUT/results.jsonl"
printf '%s\n' "${CHECKS[@]}" >"$OUT/checks.txt"
SUITE_MS=$(( ($(date +%s%N) - SUITE_START) / 1000000 ))
"$PY" interop/summarize.py --cases "$CASES $PARTNER_CASES" --results "$OUT/results.jsonl" --checks "$OUT/checks.txt" \
  --verifiers "${VERIFIERS[*]}" --source "$SOURCE" --refresh-limit-ms "$REFRESH_LIMIT_MS" --cache-max-age "$CACHE_MAX_AGE" \
  --propagation-ms "$PROPAGATION_MS" --suite-ms "$SUITE_MS" --logs "$OUT" --libraries "$LIBRARIES" \
  --issuer-via "$ISSUER_VIA" | tee "$OUT/summary.txt"
