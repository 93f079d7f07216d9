#!/usr/bin/env bash
# Key propagation through the Workload API source: the fake agent pushes a bundle with a new key and a
# client polls /keys until it is served. Called by bench/run.sh; prints one result line on stdout.
# Arguments: output-dir test-class-path rotations load-cpu socket-dir (the socket lives apart from the
# output: a Unix socket path must stay under 108 bytes however deep the checkout is)
set -euo pipefail
OUT=$1 CP=$2 ROTATIONS=$3 LOAD_CPU=$4 SOCKET_DIR=$5
LOG="$OUT/propagation.log"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT

SOCKET="$SOCKET_DIR/agent.sock"
# The agent and the probe share the load core; the service has CPU 0 to itself, as in the load runs.
taskset -c "$LOAD_CPU" java -Djava.util.logging.manager=org.jboss.logmanager.LogManager -Xmx128m -cp "$CP" \
  io.spiffeoidc.testsupport.FakeWorkloadApiMain --socket "$SOCKET" --control-port 0 \
  --trust-domain spiffe://example.org --bundle-file "$OUT/keys-3/bundle.json" >"$OUT/agent.out" 2>>"$LOG" &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q '^control-port=' "$OUT/agent.out" 2>/dev/null && break; sleep 0.1; done
CONTROL=$(sed -n 's/^control-port=//p' "$OUT/agent.out")

PORT=$(free_port)
SPIFFE_OIDC_SOURCE=workload-api SPIFFE_ENDPOINT_SOCKET="unix://$SOCKET" SPIFFE_OIDC_TRUST_DOMAIN=example.org \
SPIFFE_OIDC_ISSUER="https://localhost:$PORT" QUARKUS_HTTP_SSL_PORT="$PORT" QUARKUS_HTTP_PORT="$(free_port)" \
QUARKUS_MANAGEMENT_PORT="$(free_port)" QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_CERT="$OUT/cert.pem" \
QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_KEY="$OUT/key.pem" \
  JAVA_OPTS_EXTRA="-XX:MaxRAM=${MEMORY_LIMIT:-512m}" taskset -c 0 bin/start >>"$LOG" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 600); do
  curl -fsS --cacert "$OUT/ca.pem" -o /dev/null "https://localhost:$PORT/keys" 2>/dev/null && break
  sleep 0.1
done
taskset -c "$LOAD_CPU" java -Xmx128m -cp "$CP" io.spiffeoidc.bench.PropagationProbe "$CONTROL" "https://localhost:$PORT/keys" \
  "$OUT/ca.pem" "$ROTATIONS" 2>>"$LOG"
