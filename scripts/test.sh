#!/usr/bin/env bash
# The README's second command (and CI's): install, build, run the whole test suite, then the
# sanitizer and fuzzer step (scripts/sanitize.sh; docs/testing.md; MADLAB_SANITIZE=0 leaves it
# out, for a quicker local run). Tests labelled `slow` (long statistical studies) run only when
# MADLAB_SLOW_TESTS=1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
clang-format --version >/dev/null 2>&1 && bash scripts/check-format.sh
exclude=(-LE slow)
[ "${MADLAB_SLOW_TESTS:-0}" = "1" ] && exclude=()
ctest --test-dir build --output-on-failure -j"$(nproc)" "${exclude[@]}"
if [ "${MADLAB_SANITIZE:-1}" = "1" ]; then bash scripts/sanitize.sh; fi
