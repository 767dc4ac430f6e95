#!/usr/bin/env bash
# Runs every libFuzzer target of tests/fuzz/ (built by scripts/sanitize.sh into build-asan/) for
# MADLAB_FUZZ_SECONDS seconds each (default 15), two at a time, on its seed corpus:
# tests/fuzz/corpus/<what>/ (the target <what>_fuzz), plus tests/data/ for the .npy reader and
# examples/ for the study reader. New inputs libFuzzer finds go to a scratch folder, not into the
# checkout. Fails when a target crashes, hangs (a case over 10 s), leaks, runs out of memory
# (2 GB) or trips a sanitizer; the input that did it is kept as <build>/fuzz/crash-* (rerun it:
# <build>/tests/fuzz/<what>_fuzz <that file>) and must become a unit test with the fix.
#
# Usage: scripts/fuzz.sh [TARGET...]   (default: every target; e.g. `scripts/fuzz.sh csv_fuzz`)
# Environment: MADLAB_FUZZ_BUILD (default build-asan), MADLAB_FUZZ_SECONDS (default 15).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
build="${MADLAB_FUZZ_BUILD:-build-asan}"
seconds="${MADLAB_FUZZ_SECONDS:-15}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  for f in tests/fuzz/*_fuzz.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
work="$build/fuzz"
rm -rf "$work"
mkdir -p "$work"

# Seed folders of one target: its own corpus and the repository's sample files of its format.
seeds() {
  local what="${1%_fuzz}"
  echo "tests/fuzz/corpus/$what"
  case "$what" in
    npy) echo tests/data ;;
    study_toml) echo examples ;;
  esac
}

run_one() {
  local target="$1" dir="$work/$1"
  mkdir -p "$dir/new"
  # -max_total_time bounds the run; -timeout fails an input that takes over 10 s (a hang);
  # -rss_limit_mb fails one that needs over 2 GB.
  local corpora=()
  for s in $(seeds "$target"); do corpora+=("$root/$s"); done
  (cd "$dir" && "$root/$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 \
     -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$root/$work/$target-" \
     new "${corpora[@]}") >"$dir/log" 2>&1
}

failed=()
pids=()
names=()
wait_one() {
  local i="$1"
  if wait "${pids[$i]}"; then
    echo "fuzz: ${names[$i]}: $(grep -o 'stat::number_of_executed_units: *[0-9]*' \
      "$work/${names[$i]}/log" | grep -o '[0-9]*$') inputs, no failure"
  else
    echo "fuzz: ${names[$i]} FAILED; its log:"
    tail -n 60 "$work/${names[$i]}/log"
    failed+=("${names[$i]}")
  fi
}
for target in "${targets[@]}"; do
  run_one "$target" &
  pids+=($!)
  names+=("$target")
  # Two at a time (CI has 2 cores).
  if [ "${#pids[@]}" -eq 2 ]; then
    wait_one 0
    wait_one 1
    pids=()
    names=()
  fi
done
[ "${#pids[@]}" -eq 1 ] && wait_one 0
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]} (inputs in $work/)" >&2
  exit 1
fi
