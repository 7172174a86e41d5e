#!/usr/bin/env bash
# Benchmark: generate cases of 1M, 10M (and, with --big, 100M) recommendation rows as Parquet and
# time `recaudit audit` with every metric family and 1,000 bootstrap resamples. Prints wall time,
# peak RSS, and the ratio of the audit's wall time to polars' bare scan of the same files.
#
# The scan and the audit take turns, ROUNDS times (3 by default; 1 at 100M), and each is reported
# as its median: this VM's speed drifts from minute to minute, and turns make both feel the same
# drift. The ratio is the median audit over the median scan; `best_ratio` is the fastest audit over
# the fastest scan, and `ratio_range` spans the rounds' own ratios (each audit over the scan just
# before it).
#
#   bash bench/run.sh            # 1M and 10M
#   bash bench/run.sh --big      # also 100M (needs ~15 GB of disk and a long while)
#   bash bench/run.sh --huge     # partitioned audits only: 100M and 300M rows in bounded memory
#   SIZES="1m" bash bench/run.sh # a chosen subset
#   ROUNDS=5 bash bench/run.sh   # more turns
#
# --huge writes each case as a folder of partitions of users (`recaudit generate --partitions`:
# 64 partitions at 100M, 192 at 300M, about 1.6M recommendation rows each) and times one
# `recaudit audit --data <folder>` of it (read one partition at a time): rows, partitions, wall
# time and peak RSS. It needs about 8 GB of disk for the folders and up to 23 GB in TMPDIR for the
# 300M audit's sorted runs, and a few hours on 2 cores (docs/scaling.md, section 7).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--huge" ]; then
  out=bench/out
  mkdir -p "$out"
  cargo build --release --quiet --bin recaudit
  bin=${CARGO_TARGET_DIR:-target}/release/recaudit
  command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }
  printf '%-6s %12s %6s %10s %12s\n' size rec_rows parts audit_s peak_rss_mb
  for case in ${HUGE:-"100m:64 300m:192"}; do
    s=${case%%:*}
    parts=${case##*:}
    d="$out/$s-parts$parts"
    if [ ! -d "$d/recs" ]; then
      rm -rf "$d.tmp"
      "$bin" generate --preset "bench-$s" --partitions "$parts" --out "$d.tmp" >/dev/null
      mv "$d.tmp" "$d"
    fi
    rows=$(awk -v s="$s" 'BEGIN{n=s; sub(/m$/,"",n); print n*1000000}')
    /usr/bin/time -f '%e %M' -o "$out/time-huge-$s.txt" \
      "$bin" audit --data "$d" --out "$out/report-huge-$s" --bootstrap 1000 --json-only --quiet \
      --timings 2> "$out/steps-huge-$s.txt"
    read -r wall rss_kb < "$out/time-huge-$s.txt"
    printf '%-6s %12s %6s %10.2f %12.0f\n' "$s" "$rows" "$parts" "$wall" \
      "$(awk "BEGIN{print $rss_kb/1024}")"
  done
  exit 0
fi
sizes=${SIZES:-"1m 10m"}
[ "${1:-}" = "--big" ] && sizes="1m 10m 100m"
out=bench/out
mkdir -p "$out"

cargo build --release --quiet --bin recaudit --example scan_baseline
target_dir=${CARGO_TARGET_DIR:-target}
bin=$target_dir/release/recaudit
scan=$target_dir/release/examples/scan_baseline
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }

source bench/stats.sh

printf '%-6s %12s %10s %10s %12s %8s %11s %12s %11s %12s\n' size rec_rows scan_s audit_s peak_rss_mb \
  ratio best_ratio ratio_range scan_sys_s audit_sys_s
for s in $sizes; do
  d="$out/$s"
  if [ ! -f "$d/recs.parquet" ]; then
    "$bin" generate --preset "bench-$s" --out "$d" >/dev/null
  fi
  rounds=${ROUNDS:-3}
  [ "$s" = 100m ] && rounds=${ROUNDS:-1}
  rows=$(awk -v s="$s" 'BEGIN{n=s; sub(/m$/,"",n); print n*1000000}')
  "$scan" "$d" >/dev/null # warms the page cache
  : > "$out/rounds-$s.txt"
  peak=0
  for _ in $(seq "$rounds"); do
    t=$(/usr/bin/time -f '%S' -o "$out/scan-time-$s.txt" "$scan" "$d" | cut -d' ' -f1)
    read -r scan_sys < "$out/scan-time-$s.txt"
    /usr/bin/time -f '%e %M %S' -o "$out/time-$s.txt" \
      "$bin" audit --data "$d" --out "$out/report-$s" --bootstrap 1000 --json-only --quiet \
      --timings 2> "$out/steps-$s.txt"
    read -r wall rss_kb audit_sys < "$out/time-$s.txt"
    echo "$t $wall $scan_sys $audit_sys" >> "$out/rounds-$s.txt"
    [ "$rss_kb" -gt "$peak" ] && peak=$rss_kb
  done
  scan_med=$(cut -d' ' -f1 "$out/rounds-$s.txt" | median)
  audit_med=$(cut -d' ' -f2 "$out/rounds-$s.txt" | median)
  best=$(awk '{if (NR == 1 || $1 < s) s = $1; if (NR == 1 || $2 < a) a = $2} END {print a / s}' \
    "$out/rounds-$s.txt")
  range=$(awk '{r = $2 / $1; if (NR == 1 || r < lo) lo = r; if (NR == 1 || r > hi) hi = r}
    END {printf "%.2f-%.2f", lo, hi}' "$out/rounds-$s.txt")
  scan_sys_med=$(cut -d' ' -f3 "$out/rounds-$s.txt" | median)
  audit_sys_med=$(cut -d' ' -f4 "$out/rounds-$s.txt" | median)
  printf '%-6s %12s %10.2f %10.2f %12.0f %8.2f %11.2f %12s %11.2f %12.2f\n' "$s" "$rows" \
    "$scan_med" "$audit_med" "$(awk "BEGIN{print $peak/1024}")" \
    "$(awk "BEGIN{print $audit_med/$scan_med}")" "$best" "$range" "$scan_sys_med" "$audit_sys_med"
done
echo
for s in $sizes; do
  echo "steps of the last $s audit (wall time):"
  cat "$out/steps-$s.txt"
done
