#!/usr/bin/env bash
# clang-tidy with the project's checks (.clang-tidy: naming as
# docs/architecture.md states it, plus a few bug-prone patterns) over every
# C++ source under src/ and tests/. Needs a configured build for
# compile_commands.json (scripts/build.sh test makes one).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${1:-build/test}"
if [[ ! -f "$build_dir/compile_commands.json" ]]; then
  echo "lint: no $build_dir/compile_commands.json; run scripts/build.sh test first" >&2
  exit 2
fi
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- 'src/*.cpp' 'tests/*.cpp')
printf '%s\n' "${files[@]}" |
  xargs -P "$(nproc)" -n 4 clang-tidy -p "$build_dir" --quiet --warnings-as-errors='readability-identifier-naming' 2>/dev/null
