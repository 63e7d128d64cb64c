#!/usr/bin/env bash
# Quick start, command 2: installs what is needed, builds the test build
# (Debug, ASan/UBSan, warnings as errors), starts the throwaway database
# servers the integration tests use, runs every test, and checks formatting.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh test

# playwright-core and axe-core for the browser test (tests/e2e), from its lock file; only
# when the lock changed since the last install. It drives Debian's chromium and
# never downloads a browser.
e2e_stamp=tests/e2e/node_modules/.contactsync-lock
if ! cmp -s tests/e2e/package-lock.json "$e2e_stamp" 2>/dev/null; then
  (cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  cp tests/e2e/package-lock.json "$e2e_stamp"
fi

servers_dir=""
cleanup() {
  if [[ -n "$servers_dir" ]]; then scripts/test-servers.sh stop "$servers_dir" || true; fi
}
trap cleanup EXIT
if [[ -x scripts/test-servers.sh ]]; then
  servers_dir="$(mktemp -d /tmp/contactsync-servers.XXXXXX)"
  scripts/test-servers.sh start "$servers_dir" >/dev/null
  # shellcheck disable=SC1091
  source "$servers_dir/env"
  export CONTACTSYNC_REQUIRE_TEST_SERVERS=1
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
ctest --test-dir build/test --output-on-failure --parallel "$(nproc)" --timeout 600 || status=1

# Formatting is part of the suite: a difference fails the run.
if ! scripts/format.sh --check; then
  echo "test: clang-format differences (run scripts/format.sh)" >&2
  status=1
fi
exit "$status"
