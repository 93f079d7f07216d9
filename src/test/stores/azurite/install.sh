#!/usr/bin/env bash
# Installs Azurite, pinned by package-lock.json beside this script, into the directory given (the build passes
# target/stores/azurite, in pre-integration-test). npm ci runs only when that lock differs from the one last
# installed there, so a build after the first costs nothing here.
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
dest=${1:?usage: install.sh DIRECTORY}
stamp=$dest/node_modules/.installed-package-lock.json
if [[ -f $stamp ]] && cmp -s "$src/package-lock.json" "$stamp"; then
  echo "azurite: $dest is up to date"
  exit 0
fi
for tool in node npm; do
  command -v "$tool" >/dev/null || {
    echo "azurite: $tool is not installed; the object-store integration tests need Node.js 20 and npm (-DskipITs skips them)" >&2
    exit 1
  }
done
mkdir -p "$dest"
cp "$src/package.json" "$src/package-lock.json" "$dest/"
start=$SECONDS
# --prefer-offline: what npm's cache holds is used without asking the registry again
(cd "$dest" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
cp "$src/package-lock.json" "$stamp"
echo "azurite: npm ci into $dest took $((SECONDS - start)) s (node $(node --version))"
