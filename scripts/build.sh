#!/usr/bin/env bash
# Configures and builds one of the two builds:
#   release  optimised, no tests      -> build/release/src/cli/contactsync
#   test     Debug + ASan/UBSan + tests -> build/test
set -euo pipefail
cd "$(dirname "$0")/.."

kind="${1:-release}"
jobs="$(nproc)"
# ccache, when installed, makes rebuilds of unchanged files (another build
# directory, a fresh clone) nearly free; it is optional.
if [[ -z "${CMAKE_CXX_COMPILER_LAUNCHER:-}" ]] && command -v ccache >/dev/null 2>&1; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache
fi
case "$kind" in
  release)
    cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DCONTACTSYNC_BUILD_TESTS=OFF >/dev/null
    cmake --build build/release --parallel "$jobs"
    ;;
  test)
    cmake -S . -B build/test -DCMAKE_BUILD_TYPE=Debug -DCONTACTSYNC_SANITIZE=ON \
      -DCONTACTSYNC_BUILD_TESTS=ON >/dev/null
    cmake --build build/test --parallel "$jobs"
    ;;
  *)
    echo "usage: scripts/build.sh [release|test]" >&2
    exit 2
    ;;
esac
