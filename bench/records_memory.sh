#!/usr/bin/env bash
# Peak memory of a study of 36 million records (bench/configs/records_36m.toml), with the
# results database and with --no-db, report included. Usage: bench/records_memory.sh [BUILD_DIR]
# Prints, per mode, the wall time, the peak resident memory (GNU time's "Maximum resident set
# size") and the number of records written to records.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
madlab="${MADLAB:-$build/madlab}"
config=bench/configs/records_36m.toml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for mode in db no-db; do
    flags=()
    [ "$mode" = no-db ] && flags=(--no-db)
    /usr/bin/time -v "$madlab" run "$config" --out "$work/$mode" --quiet "${flags[@]}" \
        2> "$work/$mode.time" > /dev/null
    peak_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/$mode.time")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/$mode.time")
    rows=$(($(wc -l < "$work/$mode/records.csv") - 1))
    echo "$mode: records $rows, wall $wall, peak memory $((peak_kb / 1024)) MB"
    rm -rf "$work/$mode"
done
