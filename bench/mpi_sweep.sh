#!/usr/bin/env bash
# Times `mpirun -np 2 madlab run` against one process on a Gaussian sweep (default
# bench/configs/mpi_sweep.toml, 2250 chains x 100 generations; bench/configs/mpi_sweep_heavy.toml
# has ten times more points per generation): one process with --threads 1,
# two MPI ranks with --threads 1 each, and one process with --threads 2 for reference. The three
# run in turn, REPEAT times (default 3); it prints every run's wall time and peak memory
# (/usr/bin/time -v: the largest single process) and the medians and ratios, and checks that
# every run wrote the same records.csv. Run it on a quiet machine (it prints the load average).
#
#   bash bench/mpi_sweep.sh [REPEAT [STUDY.toml]]   # MADLAB=path/to/madlab (default build/madlab)
set -euo pipefail
cd "$(dirname "$0")/.."
repeat="${1:-3}"
madlab="$(realpath "${MADLAB:-build/madlab}")"
study="$(realpath "${2:-bench/configs/mpi_sweep.toml}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # mpirun as root (containers)

declare -A commands=(
  [one-thread]="$madlab run $study --quiet --no-report --threads 1 --out"
  [mpi-2x1]="mpirun --oversubscribe -np 2 $madlab run $study --quiet --no-report --threads 1 --out"
  [two-threads]="$madlab run $study --quiet --no-report --threads 2 --out"
)
order=(one-thread mpi-2x1 two-threads)

echo "date: $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "madlab: $madlab; mpirun: $(mpirun --version 2>/dev/null | head -1); study: $study"
for ((r = 1; r <= repeat; r++)); do
  for name in "${order[@]}"; do
    out="$work/$name-$r"
    /usr/bin/time -v -o "$work/time" ${commands[$name]} "$out" >/dev/null
    wall=$(grep 'Elapsed (wall clock)' "$work/time" | awk '{print $NF}' |
           awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    rss=$(grep 'Maximum resident set size' "$work/time" | awk '{print $NF}')
    echo "$name run $r: ${wall} s, peak ${rss} KB"
    echo "$wall $rss" >> "$work/$name.times"
    if ! cmp -s "$out/records.csv" "$work/one-thread-1/records.csv"; then
      echo "ERROR: $name run $r wrote other records than one-thread run 1" >&2
      exit 1
    fi
    rm -rf "$out/results.sqlite"*
  done
done
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
declare -A wall rss
for name in "${order[@]}"; do
  wall[$name]=$(cut -d' ' -f1 "$work/$name.times" | median)
  rss[$name]=$(cut -d' ' -f2 "$work/$name.times" | median)
  echo "median $name: ${wall[$name]} s, peak ${rss[$name]} KB"
done
awk -v a="${wall[one-thread]}" -v b="${wall[mpi-2x1]}" -v c="${wall[two-threads]}" 'BEGIN {
  printf "speed-up of mpirun -np 2 --threads 1 over one process --threads 1: %.2fx\n", a / b
  printf "speed-up of one process --threads 2 over --threads 1: %.2fx\n", a / c }'
echo "records.csv identical in every run"
