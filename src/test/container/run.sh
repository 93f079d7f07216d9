#!/usr/bin/env bash
# The container image suite: builds Dockerfile.jvm from the packaged application on a stand-in for its
# base image (stand-in-base.sh), AOT training step included, then runs ContainerImageIT against the image.
#
#   bash src/test/container/run.sh        (after ./mvnw verify or package on JDK 25; .ci/run calls it)
#
# Installs podman, runc and debootstrap (Debian packages) when they are missing. The build fails unless
# the JVM inside the image maps the AOT cache the build wrote; the lines that prove it are printed.
# Build log and test output: target/container-image/.
# Environment: IMAGE (default localhost/spiffe-oidc-discovery-provider:test), CONTAINERS_CONF.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
cd "$ROOT"
IMAGE=${IMAGE:-localhost/spiffe-oidc-discovery-provider:test}
OUT=target/container-image
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/src/test/container/containers.conf}
log() { printf '[container %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

source src/test/sh/suite.sh
suite_packages podman:podman runc:runc debootstrap:debootstrap

for built in target/quarkus-app/quarkus-run.jar target/aot-training; do
  [[ -e $built ]] || { log "no $built: run ./mvnw package (on JDK 25) first"; exit 1; }
done
mkdir -p "$OUT"

log "stand-in base image"
BASE=$(bash src/test/container/stand-in-base.sh)
log "base: $BASE"

log "podman build -f Dockerfile.jvm (with the AOT training run)"
started=$(date +%s)
# No layer cache: every build runs the training step and shows in its log that the cache is mapped.
if ! podman build --pull=never --no-cache --build-arg "BASE_IMAGE=$BASE" -f Dockerfile.jvm -t "$IMAGE" . >"$OUT/build.log" 2>&1; then
  tail -40 "$OUT/build.log"
  log "podman build failed (log: $OUT/build.log)"
  exit 1
fi
log "built $IMAGE in $(($(date +%s) - started)) s"
# The proof: the cache written in the build, then opened and mapped by the JVM started with AOTMode=on.
grep -E 'AOTCache creation is complete|Opened AOT cache|Using AOT-linked classes|written and used by' "$OUT/build.log"
grep -q 'Opened AOT cache /deployments/app.aot' "$OUT/build.log" || { log "the image's JVM did not map the AOT cache"; exit 1; }
podman image prune --force >/dev/null

log "ContainerImageIT against $IMAGE"
./mvnw -B -ntp -o failsafe:integration-test failsafe:verify -Dit.test=ContainerImageIT "-Dcontainer.image=$IMAGE" \
  >"$OUT/it.log" 2>&1 || { grep -E 'Tests run|FAIL|ERROR' "$OUT/it.log" | head -40; log "ContainerImageIT failed"; exit 1; }
grep -E '^container as|Tests run:' "$OUT/it.log" | sort -u
