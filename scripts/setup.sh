#!/usr/bin/env bash
# Installs every Debian package contactsync needs to build, run and test.
# Idempotent: when everything is present it changes nothing and needs no
# network; otherwise it runs `apt-get update` once and installs what is missing.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake pkg-config clang-format clang-tidy
  # libraries (docs/architecture.md: libraries before hand-written code)
  libsqlite3-dev sqlite3 nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libsodium-dev libcurl4-openssl-dev libcpp-httplib-dev libutfcpp-dev
  libmariadb-dev libpq-dev libpg-query-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  mariadb-server mariadb-client postgresql postgresql-client python3 time
  # bench/peer_sync.py, the Python reference of bench/run.sh
  python3-mysqldb
  # bench/api_load.sh drives the REST API
  curl jq
  # the mail tests' SMTP server (tests/support/smtp_sink.py)
  python3-aiosmtpd
  # the browser end-to-end test (tests/e2e: playwright-core from npm drives Debian's chromium)
  chromium fonts-dejavu-core fonts-noto-color-emoji
)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

# Node.js and npm only when the commands are missing: a machine may carry its
# own Node.js build (e.g. a nodejs package that bundles npm and conflicts with
# Debian's npm), which the browser test uses as it is.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]} == 0)); then
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Servers installed here must not start as system services: the tests start
# their own throwaway instances (scripts/test-servers.sh).
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
