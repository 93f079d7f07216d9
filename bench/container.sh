#!/usr/bin/env bash
# The container image measured in its container, beside the jar started by bin/start on the host in the
# same run: image and layer sizes, podman run to /ready 200 and to the first HTTPS 200 on /keys with and
# without the AOT cache, resident memory after 10,000 requests without a limit and with 256 and 512 MiB.
#
#   bash bench/container.sh [starts per variant, default 5]
#
# Its report replaces the section "## The container image" at the end of bench/RESULTS.md (bench/run.sh
# keeps that section when it rewrites the rest).
#
# Needs the image that src/test/container/run.sh builds (IMAGE, default
# localhost/spiffe-oidc-discovery-provider:test) and the JDK 25 package in target/quarkus-app (with its
# app.aot, which ./mvnw verify makes on JDK 25). Report: bench/out/container/RESULTS.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
IMAGE=${IMAGE:-localhost/spiffe-oidc-discovery-provider:test}
OUT=bench/out/container
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/src/test/container/containers.conf}
JDK25=${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}

source src/test/sh/suite.sh
suite_packages wrk:wrk
podman image exists "$IMAGE" || { echo "no image $IMAGE: bash src/test/container/run.sh builds it" >&2; exit 1; }
[[ -f target/quarkus-app/app.aot ]] || { echo "no target/quarkus-app/app.aot: ./mvnw verify on JDK 25 makes it" >&2; exit 1; }
suite_test_classpath
rm -rf "$OUT"
mkdir -p "$OUT"
# The driver and the load on CPU 1; the server (container or host) is put on CPU 0 by the driver.
JAVA_HOME=$JDK25 taskset -c 1 "$JDK25/bin/java" -cp "$TEST_CP" \
  io.spiffeoidc.bench.ContainerFootprint "$IMAGE" "$OUT" "${1:-5}"

{
  sed '/^## The container image/,$d' bench/RESULTS.md
  echo "## The container image"
  echo
  echo "Date: $(date -u +%Y-%m-%dT%H:%M:%SZ). Commit: $(git rev-parse --short HEAD). Command: \`bash bench/container.sh ${1:-5}\`."
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo). Base: the CI stand-in"
  echo "(Debian bookworm minbase + Temurin 25 JDK, src/test/container/stand-in-base.sh), so the base layer's size is not UBI's."
  echo
  cat "$OUT/RESULTS.md"
} >"$OUT/bench-results.md"
mv "$OUT/bench-results.md" bench/RESULTS.md
