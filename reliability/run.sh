#!/usr/bin/env bash
# Reliability and hostile-input suite: the packaged service as real processes (Workload API source against
# the fake SPIRE agent process, file source as an unprivileged user, HTTPS with certificate reload, static
# issuers on S3Proxy processes), with rotation under load, agent / file / TLS / object-store faults, two
# instances sharing one store, and hostile HTTP. Prints one row per scenario and a last line
# "N passed, M failed"; exits non-zero on any failure. Writes reliability/out/RESULTS.md.
#
#   reliability/run.sh [--short]   at most about 4 minutes once built (what CI runs)
#   reliability/run.sh --long      about 10 minutes; also copies the results to reliability/RESULTS.md
#   RELIABILITY_ONLY=slow-request-heads reliability/run.sh   that scenario alone, when working on it
#   RELIABILITY_ONLY=two-trust-domains reliability/run.sh    the two-trust-domain rows alone
#   RELIABILITY_ONLY=store-outage reliability/run.sh         a static issuer's store stopped and started again
#   RELIABILITY_ONLY=two-instances reliability/run.sh        two instances publishing to one bucket
#
# Talks only to 127.0.0.1; every process it starts is stopped by pid on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MODE=short
case "${1:-}" in
  --long) MODE=long ;;
  --short | "") MODE=short ;;
  *) echo "usage: reliability/run.sh [--short|--long]" >&2; exit 2 ;;
esac
OUT="$ROOT/reliability/out"
log() { printf '[reliability] %s\n' "$*" >&2; }

DRIVER_PID=
RUN_DIR=
cleanup() {
  [[ -n "$DRIVER_PID" ]] && kill "$DRIVER_PID" 2>/dev/null || true
  if [[ -f "$OUT/pids" ]]; then
    while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$OUT/pids"
    sleep 0.5
    while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done <"$OUT/pids"
  fi
  [[ -n "$RUN_DIR" ]] && rm -rf "$RUN_DIR"
}
trap cleanup EXIT

# ---- prerequisites (idempotent) ----------------------------------------------------------------------
source src/test/sh/suite.sh
suite_packages openssl:openssl setpriv:util-linux
suite_test_classpath
CP=$TEST_CP
# S3Proxy, the static issuers' store: ./mvnw verify puts its jar there; after a plain package, fetch it alone.
S3PROXY_JAR="$ROOT/target/stores/s3proxy.jar"
if [[ ! -f $S3PROXY_JAR ]]; then
  log "fetching S3Proxy (./mvnw dependency:copy@s3proxy)"
  timeout 600 ./mvnw -B -ntp -q dependency:copy@s3proxy -DskipITs=false >&2
fi

rm -rf "$OUT" && mkdir -p "$OUT/tls"
chmod 755 "$OUT"

# ---- certificates: one CA, two localhost/127.0.0.1 server certificates (A served first, B later) ----------
TLS="$OUT/tls"
# shellcheck source=../src/test/sh/test-pki.sh
source "$ROOT/src/test/sh/test-pki.sh"
test_pki_ca "$TLS" reliability-ca
for name in a b; do
  test_pki_leaf "$TLS" "localhost-$name" "$TLS/$name-cert.pem" "$TLS/$name-key.pem"
done

# ---- what the services read and write at run time: a directory of their own under /tmp ----------------
# The checkout may sit under a private directory (a home directory, a mktemp -d folder: mode 0700), which
# an unprivileged process cannot traverse. So the packaged application, the file source's directory, the
# services' temporary directories and the agent socket live in a fresh run directory readable by everyone
# (and short enough for a Unix socket path); it is removed on exit.
RUN_DIR=$(mktemp -d /tmp/spiffe-oidc-reliability.XXXXXX)
chmod 755 "$RUN_DIR"
cp -r target/quarkus-app "$RUN_DIR/app"
chmod -R a+rX "$RUN_DIR/app"
JAR="$RUN_DIR/app/quarkus-run.jar"

# ---- the file-source service runs as nobody (65534) so that removed permissions mean something ------------
# Root reads any file whatever its mode; any other user is held to the file's permission bits. So as root
# the service is started as uid 65534 through setpriv; as another user it runs as that user. When neither is
# possible the permission scenario reports itself skipped with the reason, never failed.
UNPRIVILEGED=false
PERMISSION_SKIP=
JAVA_BIN=$(readlink -f "$(command -v java)")
if [[ $(id -u) == 0 ]]; then
  if ! command -v setpriv >/dev/null; then
    PERMISSION_SKIP="setpriv is not installed, and as root the service would read the file whatever its mode"
  elif ! setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    PERMISSION_SKIP="setpriv cannot switch to uid 65534 here, and as root the service would read the file whatever its mode"
  elif ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$JAVA_BIN" 2>/dev/null; then
    PERMISSION_SKIP="uid 65534 cannot run $JAVA_BIN, and as root the service would read the file whatever its mode"
  elif ! setpriv --reuid=65534 --regid=65534 --clear-groups test -r "$JAR" -a -x "$RUN_DIR" 2>/dev/null; then
    PERMISSION_SKIP="uid 65534 cannot read $JAR, and as root the service would read the file whatever its mode"
  else
    UNPRIVILEGED=true
  fi
fi
[[ -z $PERMISSION_SKIP ]] || log "permission scenario skipped: $PERMISSION_SKIP"

# The slow-client scenario holds 4,000 connections in the driver and as many in the service (each process
# has its own descriptor table); the driver skips it, with the reason, when the limit stays too low.
ulimit -n 16384 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

LIMIT=$([[ $MODE == long ]] && echo 1500 || echo 600)
timeout --kill-after=10 "$LIMIT" java -Xmx512m -Ds3proxy.jar="$S3PROXY_JAR" -cp "$CP" io.spiffeoidc.reliability.ReliabilitySuite --mode "$MODE" \
  --out "$OUT" --run-dir "$RUN_DIR" --jar "$JAR" --tls "$TLS" --unprivileged "$UNPRIVILEGED" \
  --permission-skip "$PERMISSION_SKIP" --only "${RELIABILITY_ONLY:-}" &
DRIVER_PID=$!
STATUS=0
wait "$DRIVER_PID" || STATUS=$?
DRIVER_PID=
if [[ ! -f "$OUT/RESULTS.md" ]]; then
  log "the driver ended without results (exit $STATUS); logs in $OUT"
  echo "0 passed, 1 failed"
  exit 1
fi
[[ $MODE == long && -z ${RELIABILITY_ONLY:-} ]] && cp "$OUT/RESULTS.md" reliability/RESULTS.md
exit "$STATUS"
