# Shared by the suites that run the packaged service as a process (interop/, reliability/, bench/,
# src/test/container/): Debian packages installed when missing, and the test class path. Sourced, not run:
#
#   source src/test/sh/suite.sh
#   suite_packages wrk:wrk openssl:openssl     # command:package pairs; installs the missing ones
#   suite_test_classpath                       # package, test classes, TEST_CP (after a change too)
#
# Both print what they do to stderr and return non-zero, with the tool's last lines, when it fails.

# suite_packages COMMAND:PACKAGE...: installs (apt-get, as root) the packages whose command is missing. The
# lock timeout waits out another apt run (an unattended upgrade on a new machine) instead of failing.
suite_packages() {
  local pair missing=()
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
  ((${#missing[@]})) || return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  suite_apt_install "${missing[@]}"
}

# suite_apt_install PACKAGE...: installs the packages, whatever is present.
suite_apt_install() {
  [[ $(id -u) == 0 ]] || { echo "missing packages ($*) and not root to install them" >&2; return 1; }
  local log
  log=$(mktemp)
  echo "installing $*" >&2
  if ! { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@"; } \
    >"$log" 2>&1; then
    tail -20 "$log" >&2
    rm -f "$log"
    echo "apt-get install $* failed" >&2
    return 1
  fi
  rm -f "$log"
}

# suite_test_classpath: the packaged service, the test classes (compiled again when a source is newer) and
# TEST_CP, the test class path (resolved again when the pom is newer than the file that records it).
suite_test_classpath() {
  local log
  log=$(mktemp)
  if [[ ! -f target/quarkus-app/quarkus-run.jar ]]; then
    echo "packaging the service (./mvnw package)" >&2
    timeout 900 ./mvnw -B -ntp -q -DskipTests package >"$log" 2>&1 || { tail -40 "$log" >&2; rm -f "$log"; return 1; }
  fi
  local stamp=target/test-classes/io/spiffeoidc/testsupport/FakeWorkloadApi.class
  if [[ ! -f $stamp || -n "$(find src/test/java src/main/java -newer "$stamp" -name '*.java' 2>/dev/null | head -1)" ]]; then
    echo "compiling the test classes (./mvnw test-compile)" >&2
    timeout 900 ./mvnw -B -ntp -q test-compile >"$log" 2>&1 || { tail -40 "$log" >&2; rm -f "$log"; return 1; }
  fi
  if [[ ! -s target/test-classpath.txt || pom.xml -nt target/test-classpath.txt ]]; then
    echo "resolving the test class path" >&2
    timeout 600 ./mvnw -B -ntp -q dependency:build-classpath -Dmdep.includeScope=test \
      -Dmdep.outputFile=target/test-classpath.txt >"$log" 2>&1 || { tail -40 "$log" >&2; rm -f "$log"; return 1; }
    touch target/test-classpath.txt # the plugin leaves an unchanged file alone, mtime included
  fi
  rm -f "$log"
  TEST_CP="target/test-classes:target/classes:$(cat target/test-classpath.txt)"
}
