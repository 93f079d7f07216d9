#!/usr/bin/env bash
# Benchmark: this service against nginx (static file), node-oidc-provider (peer OIDC server) and a bare
# Vert.x HTTPS server, side by side in one run on this machine. Servers are pinned to CPU 0, the load
# generator to CPU 1. Writes bench/RESULTS.md and prints the headline ratios last.
#
#   bench/run.sh           full run (about 12 minutes)
#   bench/run.sh --smoke   at most about a minute: the service and nginx, one short run each
#   bench/run.sh --prepare installs the tools and builds what the runs need, then stops (CI runs it
#                          before the timed smoke run, so a fresh machine's downloads are not timed)
#
# The load runs go round-robin over the servers (run 1 of every server, then run 2, ...), so a slow
# minute on a shared machine hits every server alike; the servers not under load stay up and idle.
# Talks only to 127.0.0.1; every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MODE=full
case "${1:-}" in
  --smoke) MODE=smoke ;;
  --prepare) MODE=prepare ;;
  "") ;;
  *) echo "usage: bench/run.sh [--smoke|--prepare]" >&2; exit 2 ;;
esac
OUT="$ROOT/bench/out"
rm -rf "$OUT" && mkdir -p "$OUT"
SERVER_CPU=0
LOAD_CPU=$(($(nproc) > 1 ? 1 : 0)) # one core: no separate core for the load, and the report says so
JVM_FLAGS=(-Xmx128m -XX:+UseSerialGC)
CONNECTIONS=64
# Warm-up is several short wrk runs rather than one long one: each run opens and closes its connections,
# and until the JIT has compiled those paths too, the first measured run pays for recompilation.
if [[ $MODE == full ]]; then RUNS=3; SECONDS_PER_RUN=10; WARMUP_RUNS=6; WARMUP_SECONDS=5
else RUNS=1; SECONDS_PER_RUN=3; WARMUP_RUNS=3; WARMUP_SECONDS=2; fi

PIDS=()
WORK=
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap 'cleanup; if [[ -n "$WORK" ]]; then rm -rf "$WORK"; fi' EXIT
log() { printf '[bench] %s\n' "$*" >&2; }

# ---- prerequisites (idempotent) ------------------------------------------------------------------
# Debian packages for the tools a fresh machine lacks; nginx-light where the release still has it. The
# lock timeout waits out another apt run (an unattended upgrade on a new machine) instead of failing.
declare -A PACKAGE=([wrk]=wrk [nginx]=nginx-light [taskset]=util-linux [openssl]=openssl [python3]=python3
  [curl]=curl [ps]=procps [free]=procps)
need=()
for tool in "${!PACKAGE[@]}"; do command -v "$tool" >/dev/null || need+=("${PACKAGE[$tool]}"); done
if ((${#need[@]})); then
  APT=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -qq)
  "${APT[@]}" update >/dev/null
  if [[ " ${need[*]} " == *" nginx-light "* ]] && ! apt-cache show nginx-light >/dev/null 2>&1; then
    need=("${need[@]/nginx-light/nginx}")
  fi
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  log "installing ${need[*]}"
  "${APT[@]}" install --no-install-recommends "${need[@]}" >/dev/null
fi
if [[ $MODE == full ]]; then
  (cd bench/node && npm ci --no-audit --no-fund --silent >/dev/null 2>&1)
fi
[[ -f target/quarkus-app/quarkus-run.jar ]] || ./mvnw -q -B -ntp -DskipTests package
[[ -f target/test-classes/io/spiffeoidc/bench/BenchKeys.class ]] || ./mvnw -q -B -ntp test-compile
# A class path file older than the pom names the jars of another build: resolve it again.
if [[ ! -s target/test-classpath.txt || pom.xml -nt target/test-classpath.txt ]]; then
  ./mvnw -q -B -ntp dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
  touch target/test-classpath.txt # the plugin leaves an unchanged file alone, mtime included
fi
[[ $MODE != prepare ]] || { log "prepared"; exit 0; }
CP="target/test-classes:target/classes:$(cat target/test-classpath.txt)"
# The bare server gets only what it needs, so its start-up is not slowed by the test classpath.
BARE_CP="target/test-classes:$(tr ':' '\n' <target/test-classpath.txt | grep -E '/(vertx-core|netty-|jackson-core)' | paste -sd:)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_200() { # url, seconds
  local deadline=$((SECONDS + $2))
  until curl -fsS --cacert "$OUT/ca.pem" -o /dev/null "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || { log "no 200 from $1"; return 1; }
    sleep 0.1
  done
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# ---- material: one CA and one localhost certificate for every server, keys of three sizes -----------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-ca \
  -keyout "$OUT/ca-key.pem" -out "$OUT/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
  -keyout "$OUT/key.pem" -out "$OUT/leaf.csr" 2>/dev/null
openssl x509 -req -in "$OUT/leaf.csr" -CA "$OUT/ca.pem" -CAkey "$OUT/ca-key.pem" -CAcreateserial -days 2 \
  -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth') \
  -out "$OUT/cert.pem" 2>/dev/null
for n in 1 3 10 100; do java -cp "$CP" io.spiffeoidc.bench.BenchKeys "$OUT/keys-$n" "$n"; done

start_service() { # port bundle [extra JVM flags...] -> pid in SERVICE_PID
  local port=$1 bundle=$2
  shift 2
  # One event loop for the one core it is pinned to, as deploy/openshift/deployment.yaml sets it.
  QUARKUS_VERTX_EVENT_LOOPS_POOL_SIZE=1 SPIFFE_OIDC_SOURCE=file SPIFFE_OIDC_FILE_PATH="$bundle" SPIFFE_OIDC_ISSUER="https://localhost:$port" \
  SPIFFE_OIDC_DOMAINS=localhost QUARKUS_HTTP_SSL_PORT="$port" QUARKUS_HTTP_INSECURE_REQUESTS=disabled \
  QUARKUS_HTTP_PORT="$(free_port)" QUARKUS_MANAGEMENT_PORT="$(free_port)" \
    taskset -c $SERVER_CPU java "${JVM_FLAGS[@]}" "$@" -Dquarkus.tls.public.key-store.pem.0.cert="$OUT/cert.pem" \
    -Dquarkus.tls.public.key-store.pem.0.key="$OUT/key.pem" -jar target/quarkus-app/quarkus-run.jar >>"$OUT/service.log" 2>&1 &
  SERVICE_PID=$!
  PIDS+=("$SERVICE_PID")
}

start_bare() { # port [extra JVM flags...] -> pid in BARE_PID
  local port=$1
  shift
  taskset -c $SERVER_CPU java "${JVM_FLAGS[@]}" "$@" -cp "$BARE_CP" io.spiffeoidc.bench.BareVertxServer "$port" \
    "$OUT/cert.pem" "$OUT/key.pem" "$OUT/keys.json" "$OUT/discovery.json" >>"$OUT/bare.log" 2>&1 &
  BARE_PID=$!
  PIDS+=("$BARE_PID")
}
steal_ticks() { awk '/^cpu / { print $9 }' /proc/stat; }
all_ticks() { awk '/^cpu / { n = 0; for (i = 2; i <= NF; i++) n += $i; print n }' /proc/stat; }

# ---- load: wrk over HTTPS keep-alive; median requests/s, p50 and p99 of the runs ----------------------
to_ms() { # wrk latency such as 850.00us, 1.42ms, 1.02s
  awk -v v="$1" 'BEGIN { if (v ~ /us$/) print v/1000; else if (v ~ /ms$/) print v+0; else if (v ~ /s$/) print v*1000; else print v }'
}
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
warm() { # url runs
  for _ in $(seq 1 "$2"); do taskset -c $LOAD_CPU wrk -t1 -c$CONNECTIONS -d${WARMUP_SECONDS}s "$1" >/dev/null; done
}
measure() { # name url run -> appends "name run rps p50 p99 errors" to $OUT/runs.txt
  local raw="$OUT/wrk-$1-$3.txt"
  taskset -c $LOAD_CPU wrk -t1 -c$CONNECTIONS -d${SECONDS_PER_RUN}s --latency "$2" >"$raw"
  printf '%s %s %s %s %s %s\n' "$1" "$3" "$(awk '/^Requests\/sec/ { print $2 }' "$raw")" \
    "$(to_ms "$(awk '$1 == "50%" { print $2 }' "$raw")")" "$(to_ms "$(awk '$1 == "99%" { print $2 }' "$raw")")" \
    "$(awk '/Non-2xx or 3xx/ { n += $5 } /Socket errors/ { for (i = 4; i <= NF; i += 2) n += $i } END { print n + 0 }' "$raw")" \
    >>"$OUT/runs.txt"
  log "$(tail -1 "$OUT/runs.txt")"
}
summarise() { # name -> appends "name rps p50 p99 errors" (medians, errors summed) to $OUT/load.txt
  local col
  {
    printf '%s' "$1"
    for col in 3 4 5; do printf ' %s' "$(awk -v n="$1" -v c=$col '$1 == n { print $c }' "$OUT/runs.txt" | median)"; done
    printf ' %s\n' "$(awk -v n="$1" '$1 == n { s += $6 } END { print s + 0 }' "$OUT/runs.txt")"
  } >>"$OUT/load.txt"
}
: >"$OUT/load.txt"
: >"$OUT/runs.txt"

# ---- 1. every server up at once, same core, same certificate, same bytes --------------------------------
PORT=$(free_port)
start_service "$PORT" "$OUT/keys-3/bundle.json"
wait_200 "https://localhost:$PORT/keys" 60
curl -fsS --cacert "$OUT/ca.pem" "https://localhost:$PORT/keys" -o "$OUT/keys.json"
curl -fsS --cacert "$OUT/ca.pem" "https://localhost:$PORT/.well-known/openid-configuration" -o "$OUT/discovery.json"
log "JWKS: $(wc -c <"$OUT/keys.json") bytes, discovery document: $(wc -c <"$OUT/discovery.json") bytes"
SERVERS=(service) KEYS_URL=("https://localhost:$PORT/keys")
DISCOVERY_URL=("https://localhost:$PORT/.well-known/openid-configuration")

# nginx's worker runs as an unprivileged user, which may not traverse the checkout's parents (a home
# directory or a mktemp -d folder is mode 0700): what it serves lives in a directory of its own under /tmp.
WORK=$(mktemp -d /tmp/spiffe-oidc-bench.XXXXXX)
chmod 755 "$WORK"
NGINX="$WORK/nginx"
mkdir -p "$NGINX/root/.well-known" "$NGINX/tmp" "$OUT/nginx"
cp "$OUT/keys.json" "$NGINX/root/keys"
cp "$OUT/discovery.json" "$NGINX/root/.well-known/openid-configuration"
chmod -R a+rX "$NGINX"
NGINX_PORT=$(free_port)
cat >"$OUT/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $OUT/nginx/nginx.pid;
error_log $OUT/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $NGINX/tmp; proxy_temp_path $NGINX/tmp; fastcgi_temp_path $NGINX/tmp;
  uwsgi_temp_path $NGINX/tmp; scgi_temp_path $NGINX/tmp;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:$NGINX_PORT ssl;
    ssl_certificate $OUT/cert.pem;
    ssl_certificate_key $OUT/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    root $NGINX/root;
    default_type application/json;
    add_header Cache-Control "public, max-age=300";
  }
}
CONF
taskset -c $SERVER_CPU nginx -c "$OUT/nginx/nginx.conf" >>"$OUT/nginx.log" 2>&1 &
PIDS+=($!)
wait_200 "https://localhost:$NGINX_PORT/keys" 20
SERVERS+=(nginx) KEYS_URL+=("https://localhost:$NGINX_PORT/keys")
DISCOVERY_URL+=("https://localhost:$NGINX_PORT/.well-known/openid-configuration")

if [[ $MODE == full ]]; then
  # node-oidc-provider with the same keys (it renders its own JWKS from the private keys)
  NODE_PORT=$(free_port)
  (cd bench/node && exec taskset -c $SERVER_CPU node provider.mjs "$NODE_PORT" "$OUT/cert.pem" "$OUT/key.pem" \
    "$OUT/keys-3/private-jwks.json") >>"$OUT/node.log" 2>&1 &
  PIDS+=($!)
  wait_200 "https://localhost:$NODE_PORT/jwks" 30
  SERVERS+=(peer) KEYS_URL+=("https://localhost:$NODE_PORT/jwks")
  DISCOVERY_URL+=("https://localhost:$NODE_PORT/.well-known/openid-configuration")

  # bare Vert.x HTTPS server, same JDK and flags, same bytes
  BARE_PORT=$(free_port)
  start_bare "$BARE_PORT"
  wait_200 "https://localhost:$BARE_PORT/keys" 30
  SERVERS+=(bare-vertx) KEYS_URL+=("https://localhost:$BARE_PORT/keys")
  DISCOVERY_URL+=("https://localhost:$BARE_PORT/.well-known/openid-configuration")
fi

for i in "${!SERVERS[@]}"; do
  log "warming up ${SERVERS[$i]}"
  warm "${KEYS_URL[$i]}" $WARMUP_RUNS
  warm "${DISCOVERY_URL[$i]}" $(((WARMUP_RUNS + 1) / 2))
done
STEAL0=$(steal_ticks) ALL0=$(all_ticks)
for run in $(seq 1 $RUNS); do
  for i in "${!SERVERS[@]}"; do
    measure "${SERVERS[$i]}-keys" "${KEYS_URL[$i]}" "$run"
    measure "${SERVERS[$i]}-discovery" "${DISCOVERY_URL[$i]}" "$run"
  done
done
STEAL_PCT=$(awk -v s=$(($(steal_ticks) - STEAL0)) -v a=$(($(all_ticks) - ALL0)) 'BEGIN { printf "%.1f", (a > 0 ? 100 * s / a : 0) }')
for server in "${SERVERS[@]}"; do summarise "$server-keys"; summarise "$server-discovery"; done
RSS_KB=$(ps -o rss= -p "$SERVICE_PID" | tr -d ' ')
cleanup
PIDS=()

if [[ $MODE == full ]]; then
  # ---- 2. start-up to the first HTTPS 200 on /keys: 5 starts each, median ------------------------------
  # The AppCDS variant maps the classes a first start loaded (training run: start, one request, stop):
  # the recipe in docs/operations.md (Tuning), for images that can afford one extra start at build time.
  PORT=$(free_port)
  start_service "$PORT" "$OUT/keys-3/bundle.json" -XX:ArchiveClassesAtExit="$OUT/service-cds.jsa"
  wait_200 "https://localhost:$PORT/keys" 60
  stop "$SERVICE_PID"
  startup_service=() startup_cds=() startup_bare=()
  for i in 1 2 3 4 5; do
    PORT=$(free_port)
    t0=$(date +%s%N)
    start_service "$PORT" "$OUT/keys-3/bundle.json"
    startup_service+=("$(python3 bench/probe.py "https://localhost:$PORT/keys" "$OUT/ca.pem" "$t0")")
    stop "$SERVICE_PID"
    PORT=$(free_port)
    t0=$(date +%s%N)
    start_service "$PORT" "$OUT/keys-3/bundle.json" -XX:SharedArchiveFile="$OUT/service-cds.jsa"
    startup_cds+=("$(python3 bench/probe.py "https://localhost:$PORT/keys" "$OUT/ca.pem" "$t0")")
    stop "$SERVICE_PID"
    BARE_PORT=$(free_port)
    t0=$(date +%s%N)
    start_bare "$BARE_PORT"
    startup_bare+=("$(python3 bench/probe.py "https://localhost:$BARE_PORT/keys" "$OUT/ca.pem" "$t0")")
    stop "$BARE_PID"
  done
  STARTUP_SERVICE=$(printf '%s\n' "${startup_service[@]}" | median)
  STARTUP_CDS=$(printf '%s\n' "${startup_cds[@]}" | median)
  STARTUP_BARE=$(printf '%s\n' "${startup_bare[@]}" | median)
  log "start-up ms: service ${startup_service[*]} (median $STARTUP_SERVICE), with AppCDS ${startup_cds[*]} (median $STARTUP_CDS), bare Vert.x ${startup_bare[*]} (median $STARTUP_BARE)"

  # ---- 3. cost against key-set size ------------------------------------------------------------------
  for n in 1 10 100; do
    PORT=$(free_port)
    start_service "$PORT" "$OUT/keys-$n/bundle.json"
    wait_200 "https://localhost:$PORT/keys" 60
    warm "https://localhost:$PORT/keys" $WARMUP_RUNS
    for run in $(seq 1 $RUNS); do measure "service-keys-$n" "https://localhost:$PORT/keys" "$run"; done
    summarise "service-keys-$n"
    echo "$n $(curl -fsS --cacert "$OUT/ca.pem" "https://localhost:$PORT/keys" | wc -c)" >>"$OUT/sizes.txt"
    stop "$SERVICE_PID"
  done

  # ---- 4. key propagation through the Workload API source ----------------------------------------------
  PROPAGATION=$(bash bench/propagation.sh "$OUT" "$CP" 50 "$LOAD_CPU" "$WORK") || PROPAGATION="failed: see $OUT/propagation.log"
  log "propagation: $PROPAGATION"
fi

# ---- report ---------------------------------------------------------------------------------------------
field() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$OUT/load.txt"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
JDK=$(java -version 2>&1 | head -1)
{
  echo "# Benchmark results"
  echo
  echo "Date: $(date -u +%Y-%m-%dT%H:%M:%SZ). Mode: $MODE. Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ { print $2 }') GiB. JDK: $JDK. JVM flags: ${JVM_FLAGS[*]}."
  echo
  echo "Servers pinned to CPU $SERVER_CPU, all up at once, each loaded in turn; wrk on CPU $LOAD_CPU: \`taskset -c $LOAD_CPU wrk -t1 -c$CONNECTIONS -d${SECONDS_PER_RUN}s --latency URL\`. Warm-up per server: $WARMUP_RUNS × ${WARMUP_SECONDS} s on /keys, $(((WARMUP_RUNS + 1) / 2)) × ${WARMUP_SECONDS} s on the discovery document; then $RUNS round(s) over all servers; the table gives the median of the rounds. TLS with one P-256 certificate for every server; JWKS of $(wc -c <"$OUT/keys.json") bytes (3 keys), the same bytes for this service, nginx and bare Vert.x. The service runs with one event loop (\`QUARKUS_VERTX_EVENT_LOOPS_POOL_SIZE=1\`), the bare Vert.x server with its one server instance. CPU time stolen by the hypervisor during the load rounds: ${STEAL_PCT} %. Command: \`bench/run.sh${1:+ $1}\`."
  echo
  echo "| server | endpoint | requests/s | p50 ms | p99 ms | errors |"
  echo "|---|---|---:|---:|---:|---:|"
  while read -r name rps p50 p99 errors; do
    echo "| ${name%-*} | ${name##*-} | $rps | $p50 | $p99 | $errors |"
  done <"$OUT/load.txt"
  echo
  echo "Ratios: /keys requests/s service/nginx $(ratio "$(field service-keys 2)" "$(field nginx-keys 2)"), p99 service/nginx $(ratio "$(field service-keys 4)" "$(field nginx-keys 4)")."
  if [[ $MODE == full ]]; then
    echo "/keys requests/s service/node-oidc-provider $(ratio "$(field service-keys 2)" "$(field peer-keys 2)"), service/bare Vert.x $(ratio "$(field service-keys 2)" "$(field bare-vertx-keys 2)")."
    echo
    echo "Start-up to the first HTTPS 200 on /keys (5 starts each, interleaved, median, pinned to one core): service $STARTUP_SERVICE ms (${startup_service[*]}), service with an AppCDS archive from a training run $STARTUP_CDS ms (${startup_cds[*]}), bare Vert.x $STARTUP_BARE ms (${startup_bare[*]})."
    echo
    echo "Resident memory of the service after the /keys and discovery load: $((RSS_KB / 1024)) MB."
    echo
    echo "Key-set size (JWKS bytes): $(tr '\n' ' ' <"$OUT/sizes.txt")"
    echo
    echo "Key propagation (agent push to first /keys response with the new kid): $PROPAGATION"
  fi
  echo
  echo "Every run (name, round, requests/s, p50 ms, p99 ms, errors):"
  echo
  echo '```'
  cat "$OUT/runs.txt"
  echo '```'
} >"$OUT/RESULTS.md"
[[ $MODE == full ]] && cp "$OUT/RESULTS.md" bench/RESULTS.md
cat "$OUT/RESULTS.md"
echo
echo "HEADLINE /keys: service $(field service-keys 2) req/s = $(ratio "$(field service-keys 2)" "$(field nginx-keys 2)")x nginx; p99 $(field service-keys 4) ms = $(ratio "$(field service-keys 4)" "$(field nginx-keys 4)")x nginx"
