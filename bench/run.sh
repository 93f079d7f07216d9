#!/usr/bin/env bash
# Benchmark: this service against nginx (static file), node-oidc-provider (peer OIDC server), a bare
# Vert.x HTTPS server and a Go net/http + crypto/tls server (SPIRE's own stack: bench/go/main.go), side by
# side in one run on this machine. Servers are pinned to CPU 0, the load generator to CPU 1. Writes
# bench/RESULTS.md and prints the headline ratios last.
#
#   bench/run.sh              full run (about 22 minutes): load rounds, start-up, key-set sizes,
#                             propagation, then the warm-up curves
#   bench/run.sh --smoke      at most about a minute and a half: the service and nginx, one short run each
#                             (no Go server: CI's time budget; its ratios read n/a)
#   bench/run.sh --warmup     only the warm-up curves (about 5 minutes): the service with and without its
#                             AOT cache, nginx and the Go server, each started fresh and loaded on /keys
#                             from its first HTTPS 200 for 60 s (WARMUP_CURVE_SECONDS=N shortens it);
#                             writes bench/out/RESULTS.md only
#   bench/run.sh --ab REV     also builds git revision REV's jar in a temporary worktree and loads it in
#                             the same interleaved rounds (A/B table); combines with --smoke
#   bench/run.sh --prepare    installs the tools and builds what the runs need, then stops (CI runs it
#                             before the timed smoke run, so a fresh machine's downloads are not timed)
#
# The service runs as the image runs it: bin/start (bin/jvm.options, JDK 25 and its AOT cache when
# present), with the Deployment's memory limit emulated (MEMORY_LIMIT, -XX:MaxRAM) and GC logging to
# count full collections. The load runs go round-robin over the servers (run 1 of every server, then run
# 2, ...), so a slow minute on a shared machine hits every server alike; the servers not under load stay
# up and idle. Talks only to 127.0.0.1; every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MODE=full AB_REV= COMMAND="bench/run.sh${*:+ $*}"
while (($#)); do
  case $1 in
    --smoke) MODE=smoke ;;
    --warmup) MODE=warmup ;;
    --prepare) MODE=prepare ;;
    --ab) AB_REV=${2:?--ab needs a git revision}; shift ;;
    *) echo "usage: bench/run.sh [--smoke|--warmup|--prepare] [--ab REV]" >&2; exit 2 ;;
  esac
  shift
done
[[ -z $AB_REV || $MODE != warmup ]] || { echo "bench/run.sh: --ab does not combine with --warmup" >&2; exit 2; }
OUT="$ROOT/bench/out"
rm -rf "$OUT" && mkdir -p "$OUT"
SERVER_CPU=0
LOAD_CPU=$(($(nproc) > 1 ? 1 : 0)) # one core: no separate core for the load, and the report says so
# deploy/openshift/deployment.yaml's memory limit (OpenShiftManifestsTest checks that they agree).
MEMORY_LIMIT=512m
JDK17=${JDK17_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
JDK25=${JDK25_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
[[ -x $JDK25/bin/java ]] || JDK25=
CONNECTIONS=64
# Warm-up is several short wrk runs rather than one long one: each run opens and closes its connections,
# and until the JIT has compiled those paths too, the first measured run pays for recompilation.
if [[ $MODE == full ]]; then RUNS=5; SECONDS_PER_RUN=10; WARMUP_RUNS=6; WARMUP_SECONDS=5
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
source src/test/sh/suite.sh
suite_packages wrk:wrk taskset:util-linux openssl:openssl python3:python3 curl:curl ps:procps free:procps
command -v nginx >/dev/null || suite_apt_install nginx-light || suite_apt_install nginx
if [[ $MODE == full ]]; then
  (cd bench/node && npm ci --no-audit --no-fund --silent >/dev/null 2>&1)
fi
# The warm-up curves need h2load (its per-request log); the Go reference needs Debian's Go. Without Go its
# rows say so and the rest runs.
if [[ $MODE == full || $MODE == warmup ]]; then
  suite_packages h2load:nghttp2-client
  suite_packages go:golang-go || log "no Go toolchain: the Go server's rows are left out"
fi
suite_test_classpath
[[ $MODE != prepare ]] || { log "prepared"; exit 0; }
# nginx's worker runs as an unprivileged user, which may not traverse the checkout's parents (a home
# directory or a mktemp -d folder is mode 0700): what it serves lives in a directory of its own under /tmp.
WORK=$(mktemp -d /tmp/spiffe-oidc-bench.XXXXXX)
chmod 755 "$WORK"
CP=$TEST_CP
# The bare server gets only what it needs, so its start-up is not slowed by the test classpath.
BARE_CP="target/test-classes:$(tr ':' '\n' <target/test-classpath.txt | grep -E '/(vertx-core|netty-|jackson-core)' | paste -sd:)"
# The AOT cache (./mvnw verify writes one on JDK 25): made here as the image makes it when it is missing.
if [[ $MODE != smoke && -n $JDK25 && ! -f target/quarkus-app/app.aot ]]; then
  log "training the AOT cache (ImageTraining, as in Dockerfile.jvm)"
  "$JDK25/bin/java" -cp "$CP" io.spiffeoidc.aot.ImageTraining bin/start target/quarkus-app >"$OUT/aot-training.log" 2>&1
fi
# The Go reference: standard library only, GOPATH mode (nothing is downloaded), build cache under $WORK.
GOREF=
if [[ $MODE != smoke ]] && command -v go >/dev/null; then
  if GOCACHE="$WORK/go-cache" GOPATH="$WORK/gopath" GO111MODULE=off GOFLAGS= \
    go build -o "$WORK/goref" bench/go/main.go >"$OUT/go-build.log" 2>&1; then
    GOREF=$WORK/goref
  else
    log "the Go server did not build (bench/out/go-build.log): its rows are left out"
  fi
fi
if [[ -n $AB_REV ]]; then
  # The other revision's jar, built in a temporary worktree and started with this revision's launcher,
  # so the comparison is of the code alone. Its build takes a few minutes.
  AB_DIR=$(mktemp -d /tmp/bench-ab.XXXXXX)
  AB_COMMIT=$(git rev-parse --short "$AB_REV^{commit}")
  git worktree add --detach -q "$AB_DIR" "$AB_COMMIT"
  trap 'cleanup; rm -rf "$WORK"; git worktree remove --force "$AB_DIR" 2>/dev/null || true' EXIT
  log "building $AB_REV ($AB_COMMIT) in $AB_DIR"
  (cd "$AB_DIR" && ./mvnw -q -B -ntp -DskipTests package >"$OUT/ab-build.log" 2>&1)
fi

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
# shellcheck source=../src/test/sh/test-pki.sh
source "$ROOT/src/test/sh/test-pki.sh"
test_pki_ca "$OUT" bench-ca
test_pki_leaf "$OUT" localhost "$OUT/cert.pem" "$OUT/key.pem"
for n in 1 3 10 100; do java -cp "$CP" io.spiffeoidc.bench.BenchKeys "$OUT/keys-$n" "$n"; done

# The service as the image starts it (bin/start), under the Deployment's memory limit, with a GC log.
# The event-loop count is bin/start's: one per CPU it may use, i.e. one on the pinned core.
start_service() { # name port bundle [VAR=value ...] -> pid in SERVICE_PID; JVM_EXTRA adds JVM options
  local name=$1 port=$2 bundle=$3
  shift 3
  env "$@" SPIFFE_OIDC_SOURCE=file SPIFFE_OIDC_FILE_PATH="$bundle" SPIFFE_OIDC_ISSUER="https://localhost:$port" \
    SPIFFE_OIDC_DOMAINS=localhost QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_SSL_PORT="$port" \
    QUARKUS_HTTP_INSECURE_REQUESTS=disabled QUARKUS_HTTP_PORT="$(free_port)" QUARKUS_MANAGEMENT_PORT="$(free_port)" \
    QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_CERT="$OUT/cert.pem" QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_KEY="$OUT/key.pem" \
    JAVA_OPTS_EXTRA="-XX:MaxRAM=$MEMORY_LIMIT -Xlog:gc:file=$OUT/gc-$name.log ${JVM_EXTRA:-}" \
    taskset -c $SERVER_CPU bin/start >>"$OUT/service-$name.log" 2>&1 &
  SERVICE_PID=$!
  PIDS+=("$SERVICE_PID")
}

# The reference: JDK 17 with the same JVM settings and memory limit as the service.
start_bare() { # port -> pid in BARE_PID
  taskset -c $SERVER_CPU "$JDK17/bin/java" @bin/jvm.options -XX:MaxRAM=$MEMORY_LIMIT -cp "$BARE_CP" \
    io.spiffeoidc.bench.BareVertxServer "$1" "$OUT/cert.pem" "$OUT/key.pem" "$OUT/keys.json" "$OUT/discovery.json" \
    >>"$OUT/bare.log" 2>&1 &
  BARE_PID=$!
  PIDS+=("$BARE_PID")
}

# nginx, one worker on the server core, serving the files under its root as application/json.
start_nginx() { # name port root (under $WORK) -> pid in NGINX_PID
  local dir="$WORK/nginx-$1"
  mkdir -p "$dir/tmp"
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/tmp; proxy_temp_path $dir/tmp; fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp; scgi_temp_path $dir/tmp;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:$2 ssl;
    ssl_certificate $OUT/cert.pem;
    ssl_certificate_key $OUT/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    root $3;
    default_type application/json;
    add_header Cache-Control "public, max-age=300";
  }
}
CONF
  chmod -R a+rX "$WORK"
  taskset -c $SERVER_CPU nginx -c "$dir/nginx.conf" >>"$OUT/nginx.log" 2>&1 &
  NGINX_PID=$!
  PIDS+=("$NGINX_PID")
}
# The Go reference (SPIRE's stack: net/http, crypto/tls), Go code on one OS thread, on the server core.
start_go() { # port -> pid in GO_PID
  GOMAXPROCS=1 taskset -c $SERVER_CPU "$GOREF" "$1" "$OUT/cert.pem" "$OUT/key.pem" "$OUT/keys.json" \
    "$OUT/discovery.json" >>"$OUT/go.log" 2>&1 &
  GO_PID=$!
  PIDS+=("$GO_PID")
}
# node-oidc-provider with the same keys (it renders its own JWKS, at /jwks, from the private keys).
start_node() { # port -> pid in NODE_PID
  (cd bench/node && exec taskset -c $SERVER_CPU node provider.mjs "$1" "$OUT/cert.pem" "$OUT/key.pem" \
    "$OUT/keys-3/private-jwks.json") >>"$OUT/node.log" 2>&1 &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
}
# Resident memory of a server: the process and its children (nginx: master and worker; shared pages of the
# two count twice, about 2 MiB).
rss_kb() { # pid -> KiB
  ps -o rss= -p "$(
    { echo "$1"; ps -o pid= --ppid "$1"; } | tr -d ' ' | paste -sd,
  )" | awk '{ s += $1 } END { print s + 0 }'
}
full_gcs() { # gc log -> full collections in it
  grep -c 'Pause Full' "$1" 2>/dev/null || true
}
young_gcs() { # gc log -> young collections in it
  grep -c 'Pause Young' "$1" 2>/dev/null || true
}
# Young collections after the first N of a log: "count p50-ms p99-ms max-ms freed-MiB". What they freed is
# what the requests allocated, the heap being back at its level after each collection under a steady load.
young_window() { # gc log, collections before the window
  awk -v skip="$2" '/Pause Young/ {
      if (++seen <= skip) next
      ms = $NF; sub(/ms$/, "", ms); pause[++n] = ms + 0
      if (match($0, /[0-9]+M->[0-9]+M/)) { split(substr($0, RSTART, RLENGTH), h, /M->|M/); freed += h[1] - h[2] }
    }
    END {
      if (n == 0) { print "0 0 0 0 0"; exit }
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (pause[j] < pause[i]) { t = pause[i]; pause[i] = pause[j]; pause[j] = t }
      p99 = int(n * 0.99); if (p99 < 1) p99 = 1
      printf "%d %.2f %.2f %.2f %d\n", n, pause[int((n + 1) / 2)], pause[p99], pause[n], freed
    }' "$1"
}
requests_of() { # server name -> requests its measured runs answered (both documents)
  cat "$OUT"/wrk-"$1"-keys-*.txt "$OUT"/wrk-"$1"-discovery-*.txt 2>/dev/null | awk '/requests in/ { n += $1 } END { print n + 0 }'
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

# ---- warm-up curves (full mode, --warmup) ---------------------------------------------------------------
# Each server is started fresh, alone, and loaded on /keys the moment it answers its first HTTPS 200
# (bench/probe.py), for CURVE_SECONDS s: HTTP/1.1 keep-alive, 64 connections, one client thread on the load
# core, as the wrk runs. The client is h2load, not wrk: its --log-file has every request's start time and
# latency, where wrk gives totals only (its Lua response() sees neither a latency nor the connection).
# bench/curve.py buckets the requests by the second they started in: bench/out/curve-NAME.csv.
CURVE_SECONDS=${WARMUP_CURVE_SECONDS:-60}
CURVE_TAIL=$((CURVE_SECONDS >= 20 ? 10 : (CURVE_SECONDS > 1 ? CURVE_SECONDS / 2 : 1))) # curve.py's steady window
# The server core's busy time (user, nice, system, interrupts: the kernel charges part of the loopback
# traffic's softirq time to the process it interrupts) and a process tree's, in ticks: what the core spent
# on other processes during a curve is about the difference (a shared machine's noise, which steal time
# misses; kernel work for the server that is charged to no process counts as other too).
core_ticks() { awk -v c="cpu$SERVER_CPU" '$1 == c { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
core_all_ticks() { awk -v c="cpu$SERVER_CPU" '$1 == c { n = 0; for (i = 2; i <= NF; i++) n += $i; print n }' /proc/stat; }
tree_ticks() { # pid -> user + system ticks of it and its children
  local p n=0
  for p in $1 $(ps -o pid= --ppid "$1"); do
    n=$((n + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$n"
}
cpu_sampler() { # pid -> "EPOCH_US BUSY ALL OWN" twice a second until stopped, for bench/curve.py
  while :; do
    echo "$(($(date +%s%N) / 1000)) $(core_ticks) $(core_all_ticks) $(tree_ticks "$1")"
    sleep 0.5
  done
}
warmup_curves() {
  local kind port t0 ms client pid rss summary first gap core0 all0 own0 other sampler jdk=()
  [[ -z $JDK25 ]] || jdk=(JAVA_HOME="$JDK25")
  CURVE_KINDS=()
  [[ -n $JDK25 && -f target/quarkus-app/app.aot ]] && CURVE_KINDS+=(service-aot)
  CURVE_KINDS+=(service-noaot nginx)
  [[ -z $GOREF ]] || CURVE_KINDS+=(go)
  : >"$OUT/curves.txt"
  for kind in "${CURVE_KINDS[@]}"; do
    port=$(free_port)
    rm -f "$WORK/curve.log" # h2load appends
    t0=$(date +%s%N)
    case $kind in
      service-aot) start_service curve-aot "$port" "$OUT/keys-3/bundle.json" "${jdk[@]}" SPIFFE_OIDC_AOT=require
        pid=$SERVICE_PID ;;
      service-noaot) start_service curve-noaot "$port" "$OUT/keys-3/bundle.json" "${jdk[@]}" SPIFFE_OIDC_AOT=off
        pid=$SERVICE_PID ;;
      nginx) start_nginx curve "$port" "$NGINX_ROOT"; pid=$NGINX_PID ;;
      go) start_go "$port"; pid=$GO_PID ;;
    esac
    core0=$(core_ticks) all0=$(core_all_ticks) own0=$(tree_ticks "$pid")
    cpu_sampler "$pid" >"$WORK/curve-cpu.txt" &
    sampler=$!
    taskset -p -c $LOAD_CPU "$sampler" >/dev/null
    # The probe starts the load the moment the first 200 arrives, and records the load's CPU time.
    taskset -c $LOAD_CPU python3 bench/probe.py "https://localhost:$port/keys" "$OUT/ca.pem" "$t0" "$WORK/curve-ms" \
      h2load --h1 -t1 -c$CONNECTIONS -D "$CURVE_SECONDS" --log-file="$WORK/curve.log" \
      "https://localhost:$port/keys" >"$OUT/h2load-curve-$kind.txt"
    read -r ms client <"$WORK/curve-ms"
    other=$(awk -v b=$(($(core_ticks) - core0)) -v o=$(($(tree_ticks "$pid") - own0)) -v a=$(($(core_all_ticks) - all0)) \
      'BEGIN { v = a > 0 ? 100 * (b - o) / a : 0; printf "%.0f", v < 0 ? 0 : v }')
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    rss=$(rss_kb "$pid")
    stop "$pid"
    read -r first summary < <(python3 bench/curve.py "$WORK/curve.log" "$OUT/curve-$kind.csv" "$CURVE_SECONDS" "$WORK/curve-cpu.txt")
    rm -f "$WORK/curve.log"
    gap=$((first / 1000 - t0 / 1000000 - ms)) # from the first 200 to the first request: h2load's handshakes
    client=$(awk -v c="$client" -v s="$CURVE_SECONDS" 'BEGIN { printf "%.0f", 100 * c / s }')
    echo "$kind $ms $gap $rss $other $client $summary" >>"$OUT/curves.txt"
    log "curve $kind: start-up $ms ms, load from $gap ms later, RSS $((rss / 1024)) MiB, CPU $SERVER_CPU to other processes $other %, h2load CPU $client %; $(cut -d' ' -f1-8 <<<"$summary")"
  done
  PIDS=()
}
curve_report() { # the warm-up section of the report, from $OUT/curves.txt
  local kind ms gap rss other client steady first10 s90 p99a p99s other_steady n errors _ labels="" lo
  for ((lo = 1; lo <= CURVE_SECONDS && lo <= 10; lo++)); do labels+="$lo "; done
  for ((lo = 11; lo <= CURVE_SECONDS; lo += 10)); do
    labels+="$lo-$((lo + 9 < CURVE_SECONDS ? lo + 9 : CURVE_SECONDS)) "
  done
  echo "## Warm-up curves"
  echo
  echo "Each server started fresh, alone on CPU $SERVER_CPU, and loaded on \`/keys\` from the moment it answered its first HTTPS 200 (bench/probe.py polls every 10 ms and then starts the load; its first request follows the first 200 by the milliseconds in the table, mostly h2load opening its $CONNECTIONS TLS connections), for $CURVE_SECONDS s: \`taskset -c $LOAD_CPU h2load --h1 -t1 -c$CONNECTIONS -D $CURVE_SECONDS --log-file=LOG URL\` (HTTP/1.1 keep-alive, connections opened once). Requests are counted in the second they started in (second 1 begins with the first request); p99 is over the requests of that second or window. Steady = the mean rate of the last $CURVE_TAIL s of the curve (the same client, so the percentages do not mix clients). The curves run one after another, so a busy minute on a shared machine hits one server only: the \"other %\" columns give the share of CPU $SERVER_CPU that other processes took (\`/proc/stat\` less the server's own ticks), and a curve with more than a few % there measures the machine, not the server. Per-second CSV: bench/out/curve-NAME.csv."
  echo
  echo "| server | start-up to first 200 ms | load from ms later | steady req/s | first 10 s, % of steady | first second ≥ 90 % of steady | p99 s 1-10 ms | p99 steady ms | RSS after MiB | errors | other % (start and load) | other % (steady window) | h2load CPU % |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  while read -r kind ms gap rss other client steady first10 s90 p99a p99s other_steady n errors _; do
    echo "| $(curve_name "$kind") | $ms | $gap | $steady | $first10 | $s90 | $p99a | $p99s | $((rss / 1024)) | $errors | $other | $other_steady | $client |"
  done <"$OUT/curves.txt"
  echo
  echo "Requests/s, p99 ms and other processes' share of CPU $SERVER_CPU (%) by second of load, then by 10 s window:"
  echo
  awk -v labels="$labels" -v names="$(while read -r kind _; do printf '%s|' "$(curve_name "$kind")"; done <"$OUT/curves.txt")" '
    { row[NR] = $0 }
    END {
      nw = split(labels, w, " "); ns = split(names, nm, "|") - 1
      printf "| second |"; for (r = 1; r <= ns; r++) printf " %s req/s | p99 | other |", nm[r]; print ""
      printf "|---:|"; for (r = 1; r <= ns; r++) printf "---:|---:|---:|"; print ""
      for (i = 1; i <= nw; i++) {
        printf "| %s |", w[i]
        for (r = 1; r <= ns; r++) { split(row[r], f, " "); k = 15 + 3 * (i - 1); printf " %s | %s | %s |", f[k], f[k + 1], f[k + 2] }
        print ""
      }
    }' "$OUT/curves.txt"
}
curve_name() {
  case $1 in
    service-aot) echo "service (bin/start, AOT cache)" ;;
    service-noaot) echo "service (SPIFFE_OIDC_AOT=off)" ;;
    go) echo "Go net/http" ;;
    *) echo "$1" ;;
  esac
}

# ---- 1. every server up at once, same core, same certificate, same bytes --------------------------------
PORT=$(free_port)
# An A/B compares code, so both sides start alike: without the AOT cache, which only one side has.
if [[ -n $AB_REV ]]; then start_service main "$PORT" "$OUT/keys-3/bundle.json" SPIFFE_OIDC_AOT=off
else start_service main "$PORT" "$OUT/keys-3/bundle.json"; fi
wait_200 "https://localhost:$PORT/keys" 60
curl -fsS --cacert "$OUT/ca.pem" "https://localhost:$PORT/keys" -o "$OUT/keys.json"
curl -fsS --cacert "$OUT/ca.pem" "https://localhost:$PORT/.well-known/openid-configuration" -o "$OUT/discovery.json"
log "JWKS: $(wc -c <"$OUT/keys.json") bytes, discovery document: $(wc -c <"$OUT/discovery.json") bytes"
MAIN_PID=$SERVICE_PID
SERVERS=(service) SERVER_PIDS=("$SERVICE_PID") KEYS_URL=("https://localhost:$PORT/keys")
DISCOVERY_URL=("https://localhost:$PORT/.well-known/openid-configuration")

if [[ -n $AB_REV ]]; then
  AB_PORT=$(free_port)
  start_service base "$AB_PORT" "$OUT/keys-3/bundle.json" APP_HOME="$AB_DIR/target/quarkus-app" SPIFFE_OIDC_AOT=off
  wait_200 "https://localhost:$AB_PORT/keys" 60
  SERVERS+=(base) SERVER_PIDS+=("$SERVICE_PID") KEYS_URL+=("https://localhost:$AB_PORT/keys")
  DISCOVERY_URL+=("https://localhost:$AB_PORT/.well-known/openid-configuration")
fi

NGINX_ROOT="$WORK/nginx-root"
mkdir -p "$NGINX_ROOT/.well-known"
cp "$OUT/keys.json" "$NGINX_ROOT/keys"
cp "$OUT/discovery.json" "$NGINX_ROOT/.well-known/openid-configuration"
if [[ $MODE == warmup ]]; then
  # Only the curves: the service above gave the documents, and every curve starts its server afresh.
  cleanup
  PIDS=()
  warmup_curves
  curve_report >"$OUT/RESULTS.md"
  cat "$OUT/RESULTS.md"
  exit 0
fi
NGINX_PORT=$(free_port)
start_nginx main "$NGINX_PORT" "$NGINX_ROOT"
wait_200 "https://localhost:$NGINX_PORT/keys" 20
SERVERS+=(nginx) SERVER_PIDS+=("$NGINX_PID") KEYS_URL+=("https://localhost:$NGINX_PORT/keys")
DISCOVERY_URL+=("https://localhost:$NGINX_PORT/.well-known/openid-configuration")

if [[ $MODE == full ]]; then
  # node-oidc-provider with the same keys (it renders its own JWKS from the private keys)
  NODE_PORT=$(free_port)
  start_node "$NODE_PORT"
  wait_200 "https://localhost:$NODE_PORT/jwks" 30
  SERVERS+=(peer) SERVER_PIDS+=("$NODE_PID") KEYS_URL+=("https://localhost:$NODE_PORT/jwks")
  DISCOVERY_URL+=("https://localhost:$NODE_PORT/.well-known/openid-configuration")

  # bare Vert.x HTTPS server, JDK 17, same JVM settings, same bytes
  BARE_PORT=$(free_port)
  start_bare "$BARE_PORT"
  wait_200 "https://localhost:$BARE_PORT/keys" 30
  SERVERS+=(bare-vertx) SERVER_PIDS+=("$BARE_PID") KEYS_URL+=("https://localhost:$BARE_PORT/keys")
  DISCOVERY_URL+=("https://localhost:$BARE_PORT/.well-known/openid-configuration")

  # Go net/http + crypto/tls (SPIRE's stack), same bytes
  if [[ -n $GOREF ]]; then
    GO_PORT=$(free_port)
    start_go "$GO_PORT"
    wait_200 "https://localhost:$GO_PORT/keys" 20
    SERVERS+=(go) SERVER_PIDS+=("$GO_PID") KEYS_URL+=("https://localhost:$GO_PORT/keys")
    DISCOVERY_URL+=("https://localhost:$GO_PORT/.well-known/openid-configuration")
  fi
fi

for i in "${!SERVERS[@]}"; do
  log "warming up ${SERVERS[$i]}"
  warm "${KEYS_URL[$i]}" $WARMUP_RUNS
  warm "${DISCOVERY_URL[$i]}" $(((WARMUP_RUNS + 1) / 2))
done
STEAL0=$(steal_ticks) ALL0=$(all_ticks)
FULL_GC0=$(full_gcs "$OUT/gc-main.log")
YOUNG0=$(young_gcs "$OUT/gc-main.log")
YOUNG0_BASE=$(young_gcs "$OUT/gc-base.log")
for run in $(seq 1 $RUNS); do
  for i in "${!SERVERS[@]}"; do
    measure "${SERVERS[$i]}-keys" "${KEYS_URL[$i]}" "$run"
    measure "${SERVERS[$i]}-discovery" "${DISCOVERY_URL[$i]}" "$run"
  done
done
STEAL_PCT=$(awk -v s=$(($(steal_ticks) - STEAL0)) -v a=$(($(all_ticks) - ALL0)) 'BEGIN { printf "%.1f", (a > 0 ? 100 * s / a : 0) }')
for server in "${SERVERS[@]}"; do summarise "$server-keys"; summarise "$server-discovery"; done
RSS_KB=$(ps -o rss= -p "$MAIN_PID" | tr -d ' ')
for i in "${!SERVERS[@]}"; do echo "${SERVERS[$i]} $(rss_kb "${SERVER_PIDS[$i]}")" >>"$OUT/rss.txt"; done
FULL_GC_MEASURED=$(($(full_gcs "$OUT/gc-main.log") - FULL_GC0))
FULL_GC_ALL=$(full_gcs "$OUT/gc-main.log")
read -r YOUNG_N YOUNG_P50 YOUNG_P99 YOUNG_MAX YOUNG_FREED < <(young_window "$OUT/gc-main.log" "$YOUNG0")
BYTES_PER_REQUEST=$(awk -v f="$YOUNG_FREED" -v r="$(requests_of service)" 'BEGIN { if (r > 0) printf "%.0f", f * 1048576 / r; else print "n/a" }')
if [[ -n $AB_REV ]]; then
  read -r _ _ _ _ BASE_FREED < <(young_window "$OUT/gc-base.log" "$YOUNG0_BASE")
  BASE_BYTES_PER_REQUEST=$(awk -v f="$BASE_FREED" -v r="$(requests_of base)" 'BEGIN { if (r > 0) printf "%.0f", f * 1048576 / r; else print "n/a" }')
fi
HEAP_MAX=$(grep -m1 -o 'Heap Max Capacity: [0-9A-Za-z]*' "$OUT/gc-main.log" 2>/dev/null || true)
cleanup
PIDS=()

if [[ $MODE == full ]]; then
  # ---- 2. start-up to the first HTTPS 200 on /keys: 5 starts of each variant, interleaved, median --------
  # JDK 17 and JDK 25 without a cache, JDK 25 with the AOT cache (SPIFFE_OIDC_AOT=require: a start the
  # JVM cannot map the cache for fails instead of counting as a plain start; its -Xlog:aot lines are
  # the proof), bare Vert.x on JDK 17, nginx, node-oidc-provider (its /jwks) and the Go server.
  STARTUP_KINDS=(jdk17 jdk25 jdk25-aot bare-vertx nginx peer)
  [[ -n $JDK25 && -f target/quarkus-app/app.aot ]] || STARTUP_KINDS=(jdk17 bare-vertx nginx peer)
  [[ -z $GOREF ]] || STARTUP_KINDS+=(go)
  declare -A STARTUP
  start_once() { # kind index -> start time in ms on stdout
    local port t0 ms path=/keys
    port=$(free_port)
    t0=$(date +%s%N)
    case $1 in
      jdk17) start_service "startup-$1" "$port" "$OUT/keys-3/bundle.json" JAVA_HOME="$JDK17" ;;
      jdk25) start_service "startup-$1" "$port" "$OUT/keys-3/bundle.json" JAVA_HOME="$JDK25" SPIFFE_OIDC_AOT=off ;;
      jdk25-aot) JVM_EXTRA="-Xlog:aot:file=$OUT/aot-start-$2.log" \
        start_service "startup-$1" "$port" "$OUT/keys-3/bundle.json" JAVA_HOME="$JDK25" SPIFFE_OIDC_AOT=require ;;
      bare-vertx) start_bare "$port"; SERVICE_PID=$BARE_PID ;;
      nginx) start_nginx "startup-$2" "$port" "$NGINX_ROOT"; SERVICE_PID=$NGINX_PID ;;
      peer) start_node "$port"; SERVICE_PID=$NODE_PID path=/jwks ;;
      go) start_go "$port"; SERVICE_PID=$GO_PID ;;
    esac
    ms=$(python3 bench/probe.py "https://localhost:$port$path" "$OUT/ca.pem" "$t0")
    stop "$SERVICE_PID"
    echo "$ms"
  }
  for i in 1 2 3 4 5; do
    for kind in "${STARTUP_KINDS[@]}"; do STARTUP[$kind]+="$(start_once "$kind" "$i") "; done
  done
  for kind in "${STARTUP_KINDS[@]}"; do
    echo "$kind $(printf '%s\n' ${STARTUP[$kind]} | median) ${STARTUP[$kind]}" >>"$OUT/startup.txt"
    log "start-up $kind: ${STARTUP[$kind]}(median $(printf '%s\n' ${STARTUP[$kind]} | median) ms)"
  done
  AOT_PROOF=$(grep -h -m1 'Opened AOT cache' "$OUT"/aot-start-*.log 2>/dev/null | head -1 || true)

  # ---- 3. cost against key-set size: the service and nginx with the same 1, 10 and 100 key documents ----
  mkdir -p "$WORK/nginx-sizes-root"
  SIZE_SERVERS=() SIZE_URLS=()
  for n in 1 10 100; do
    PORT=$(free_port)
    start_service "keys-$n" "$PORT" "$OUT/keys-$n/bundle.json"
    wait_200 "https://localhost:$PORT/keys" 60
    curl -fsS --cacert "$OUT/ca.pem" "https://localhost:$PORT/keys" -o "$WORK/nginx-sizes-root/keys-$n"
    echo "$n $(wc -c <"$WORK/nginx-sizes-root/keys-$n")" >>"$OUT/sizes.txt"
    SIZE_SERVERS+=("service-keys-$n") SIZE_URLS+=("https://localhost:$PORT/keys")
  done
  NGINX_PORT=$(free_port)
  start_nginx sizes "$NGINX_PORT" "$WORK/nginx-sizes-root"
  wait_200 "https://localhost:$NGINX_PORT/keys-1" 20
  for n in 1 10 100; do SIZE_SERVERS+=("nginx-keys-$n") SIZE_URLS+=("https://localhost:$NGINX_PORT/keys-$n"); done
  for i in "${!SIZE_SERVERS[@]}"; do warm "${SIZE_URLS[$i]}" $WARMUP_RUNS; done
  for run in $(seq 1 $RUNS); do
    for i in "${!SIZE_SERVERS[@]}"; do measure "${SIZE_SERVERS[$i]}" "${SIZE_URLS[$i]}" "$run"; done
  done
  for name in "${SIZE_SERVERS[@]}"; do summarise "$name"; done
  cleanup
  PIDS=()

  # ---- 4. key propagation through the Workload API source ----------------------------------------------
  PROPAGATION=$(MEMORY_LIMIT=$MEMORY_LIMIT bash bench/propagation.sh "$OUT" "$CP" 50 "$LOAD_CPU" "$WORK") || PROPAGATION="failed: see $OUT/propagation.log"
  log "propagation: $PROPAGATION"

  # ---- 5. warm-up curves: each server started fresh, /keys under load from its first 200 ------------------
  warmup_curves
fi

# ---- report ---------------------------------------------------------------------------------------------
field() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$OUT/load.txt"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
startup_ms() { # server -> its median start-up to the first 200 (section 2; the service: as bin/start starts it)
  local kinds=("$1") k
  [[ $1 == service ]] && kinds=(jdk25-aot jdk25 jdk17)
  for k in "${kinds[@]}"; do
    awk -v k="$k" '$1 == k { print $2; found = 1 } END { exit !found }' "$OUT/startup.txt" 2>/dev/null && return 0
  done
  return 0
}
rss_mib() { awk -v n="$1" '$1 == n { printf "%.0f", $2 / 1024 }' "$OUT/rss.txt" 2>/dev/null; }
# bin/start's choice of JVM: JAVA_HOME, else the JDK 25.
SERVICE_JDK=${JAVA_HOME:-$JDK25}
JDK=$("${SERVICE_JDK:+$SERVICE_JDK/bin/}java" -version 2>&1 | sed -n 2p)
{
  echo "# Benchmark results"
  echo
  echo "Date: $(date -u +%Y-%m-%dT%H:%M:%SZ). Mode: $MODE. Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ { print $2 }') GiB. Commit: $(git rev-parse --short HEAD). Command: \`$COMMAND\`."
  echo
  echo "The service runs as the image runs it: \`bin/start\` (JVM: $JDK; settings: \`$(grep -v '^#' bin/jvm.options | sed 's/ *#.*//' | grep . | paste -sd' ')\`; the AOT cache when present, except in an A/B run, where neither side uses one; one event loop per CPU it may use, here 1), with the Deployment's memory limit emulated: \`JAVA_OPTS_EXTRA=-XX:MaxRAM=$MEMORY_LIMIT\`. The bare Vert.x server runs on JDK 17 with the same settings."
  echo
  echo "Servers pinned to CPU $SERVER_CPU, all up at once, each loaded in turn; wrk on CPU $LOAD_CPU: \`taskset -c $LOAD_CPU wrk -t1 -c$CONNECTIONS -d${SECONDS_PER_RUN}s --latency URL\`. Warm-up per server: $WARMUP_RUNS × ${WARMUP_SECONDS} s on /keys, $(((WARMUP_RUNS + 1) / 2)) × ${WARMUP_SECONDS} s on the discovery document; then $RUNS round(s) over all servers; the table gives the median of the rounds. TLS with one P-256 certificate for every server; JWKS of $(wc -c <"$OUT/keys.json") bytes (3 keys), the same bytes for every server but the peer. CPU time stolen by the hypervisor during the load rounds: ${STEAL_PCT} %."
  echo
  echo "| server | endpoint | requests/s | p50 ms | p99 ms | errors |"
  echo "|---|---|---:|---:|---:|---:|"
  while read -r name rps p50 p99 errors; do
    [[ $name == *-keys-* ]] && continue
    echo "| ${name%-*} | ${name##*-} | $rps | $p50 | $p99 | $errors |"
  done <"$OUT/load.txt"
  echo
  echo "Each server against nginx and against the Go server (net/http + crypto/tls, SPIRE's stack$([[ -n ${GO_PORT:-} ]] || echo "; not in this run: n/a")): requests/s and p99 from the medians above, start-up to the first HTTPS 200 (median of the starts below$([[ $MODE == full ]] || echo ", full mode only")), resident memory after the load rounds (nginx: master and worker)."
  echo
  echo "| server | /keys req/s ÷ nginx | ÷ Go | /keys p99 ÷ nginx | ÷ Go | discovery req/s ÷ nginx | ÷ Go | discovery p99 ÷ nginx | ÷ Go | start-up ms | ÷ nginx | ÷ Go | RSS MiB | ÷ nginx | ÷ Go |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for server in "${SERVERS[@]}"; do
    row="| $server"
    for doc in keys discovery; do
      for col in 2 4; do
        row+=" | $(ratio "$(field $server-$doc $col)" "$(field nginx-$doc $col)") | $(ratio "$(field $server-$doc $col)" "$(field go-$doc $col)")"
      done
    done
    st=$(startup_ms "$server") mib=$(rss_mib "$server")
    row+=" | ${st:-n/a} | $(ratio "$st" "$(startup_ms nginx)") | $(ratio "$st" "$(startup_ms go)")"
    row+=" | ${mib:-n/a} | $(ratio "$mib" "$(rss_mib nginx)") | $(ratio "$mib" "$(rss_mib go)") |"
    echo "$row"
  done
  echo
  for doc in keys discovery; do
    echo "- $doc: requests/s service/nginx $(ratio "$(field service-$doc 2)" "$(field nginx-$doc 2)"), service/Go $(ratio "$(field service-$doc 2)" "$(field go-$doc 2)"); p99 service/nginx $(ratio "$(field service-$doc 4)" "$(field nginx-$doc 4)"), service/Go $(ratio "$(field service-$doc 4)" "$(field go-$doc 4)")."
  done
  echo "- Service's young collections during the measured rounds: $YOUNG_N, pause p50 $YOUNG_P50 ms, p99 $YOUNG_P99 ms, max $YOUNG_MAX ms; heap allocated per request (what the collections freed over the requests answered): $BYTES_PER_REQUEST bytes."
  echo "- Service after the load: resident memory $((RSS_KB / 1024)) MiB (target ≤ 160 MiB); full collections during the measured rounds: $FULL_GC_MEASURED, since start: $FULL_GC_ALL (\`-Xlog:gc\`, bench/out/gc-main.log${HEAP_MAX:+; $HEAP_MAX})."
  if [[ -n $AB_REV ]]; then
    echo
    echo "A/B, same rounds: this revision ($(git rev-parse --short HEAD)) against $AB_REV ($AB_COMMIT), both started by this revision's bin/start without an AOT cache."
    echo
    echo "| endpoint | req/s this | req/s base | this/base | p99 ms this | p99 ms base | p99 this/base |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for doc in keys discovery; do
      echo "| $doc | $(field service-$doc 2) | $(field base-$doc 2) | $(ratio "$(field service-$doc 2)" "$(field base-$doc 2)") | $(field service-$doc 4) | $(field base-$doc 4) | $(ratio "$(field service-$doc 4)" "$(field base-$doc 4)") |"
    done
    echo
    echo "- Heap allocated per request: this revision $BYTES_PER_REQUEST bytes, $AB_REV $BASE_BYTES_PER_REQUEST bytes."
  fi
  if [[ $MODE == full ]]; then
    echo "- /keys requests/s service/node-oidc-provider $(ratio "$(field service-keys 2)" "$(field peer-keys 2)"), service/bare Vert.x $(ratio "$(field service-keys 2)" "$(field bare-vertx-keys 2)")."
    echo
    echo "Start-up to the first HTTPS 200 on /keys (5 starts of each, interleaved, pinned to CPU $SERVER_CPU; from the launch to the first 200):"
    echo
    echo "| variant | median ms | starts ms | / bare Vert.x |"
    echo "|---|---:|---|---:|"
    BARE_MEDIAN=$(awk '$1 == "bare-vertx" { print $2 }' "$OUT/startup.txt")
    while read -r kind median rest; do
      echo "| $kind | $median | $rest | $(ratio "$median" "$BARE_MEDIAN") |"
    done <"$OUT/startup.txt"
    echo
    echo "AOT cache in use in every jdk25-aot start (\`SPIFFE_OIDC_AOT=require\`, \`-Xlog:aot\`): \`${AOT_PROOF:-no AOT start}\`"
    echo
    echo "Cost against key-set size, the same bytes from the service and nginx in the same rounds:"
    echo
    echo "| keys | JWKS bytes | service req/s | nginx req/s | service/nginx | service p99 ms | nginx p99 ms |"
    echo "|---:|---:|---:|---:|---:|---:|---:|"
    while read -r n bytes; do
      echo "| $n | $bytes | $(field service-keys-$n 2) | $(field nginx-keys-$n 2) | $(ratio "$(field service-keys-$n 2)" "$(field nginx-keys-$n 2)") | $(field service-keys-$n 4) | $(field nginx-keys-$n 4) |"
    done <"$OUT/sizes.txt"
    echo
    echo "Key propagation (agent push to first /keys response with the new kid): $PROPAGATION"
  fi
  echo
  echo "Every run (name, round, requests/s, p50 ms, p99 ms, errors):"
  echo
  echo '```'
  cat "$OUT/runs.txt"
  echo '```'
  if [[ $MODE == full ]]; then
    echo
    curve_report
    SERVICE_STEADY=$(awk '$1 == "service-aot" { print $7 }' "$OUT/curves.txt")
    [[ -z $SERVICE_STEADY ]] || { echo; echo "The service's steady rate in its curve (h2load, a fresh process, the last $CURVE_TAIL s) against the load rounds' \`/keys\` median above (wrk, after the warm-up runs): $SERVICE_STEADY against $(field service-keys 2) req/s."; }
  fi
} >"$OUT/RESULTS.md"
if [[ $MODE == full ]]; then
  # The container image's section comes from bench/container.sh and stays until that script replaces it.
  sed -n '/^## The container image/,$p' bench/RESULTS.md >"$OUT/container-section.md" 2>/dev/null || true
  { cat "$OUT/RESULTS.md"; [[ -s $OUT/container-section.md ]] && { echo; cat "$OUT/container-section.md"; }; } >bench/RESULTS.md
fi
cat "$OUT/RESULTS.md"
echo
echo "HEADLINE /keys: service $(field service-keys 2) req/s = $(ratio "$(field service-keys 2)" "$(field nginx-keys 2)")x nginx${GO_PORT:+, $(ratio "$(field service-keys 2)" "$(field go-keys 2)")x Go}; p99 $(field service-keys 4) ms = $(ratio "$(field service-keys 4)" "$(field nginx-keys 4)")x nginx; RSS $((RSS_KB / 1024)) MiB; full GCs measured $FULL_GC_MEASURED"
