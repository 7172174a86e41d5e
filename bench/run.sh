#!/usr/bin/env bash
# Benchmark: generate cases of 1M, 10M (and, with --big, 100M) recommendation rows as Parquet and
# time `recaudit audit` with every metric family and 1,000 bootstrap resamples. Prints wall time,
# peak RSS, and the ratio of the audit's wall time to polars' bare scan of the same files.
#
#   bash bench/run.sh            # 1M and 10M
#   bash bench/run.sh --big      # also 100M (needs ~15 GB of disk and a long while)
#   SIZES="1m" bash bench/run.sh # a chosen subset
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${SIZES:-"1m 10m"}
[ "${1:-}" = "--big" ] && sizes="1m 10m 100m"
out=bench/out
mkdir -p "$out"

cargo build --release --quiet --bin recaudit --example scan_baseline
target_dir=${CARGO_TARGET_DIR:-target}
bin=$target_dir/release/recaudit
scan=$target_dir/release/examples/scan_baseline
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }

printf '%-6s %12s %10s %10s %12s %8s\n' size rec_rows scan_s audit_s peak_rss_mb ratio
for s in $sizes; do
  d="$out/$s"
  if [ ! -f "$d/recs.parquet" ]; then
    "$bin" generate --preset "bench-$s" --out "$d" >/dev/null
  fi
  # Warm the page cache once, then measure the bare scan (best of 3).
  "$scan" "$d" >/dev/null
  best=""
  for _ in 1 2 3; do
    t=$("$scan" "$d" | cut -d' ' -f1)
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
  done
  rows=$(awk -v s="$s" 'BEGIN{n=s; sub(/m$/,"",n); print n*1000000}')
  /usr/bin/time -f '%e %M' -o "$out/time-$s.txt" \
    "$bin" audit --data "$d" --out "$out/report-$s" --bootstrap 1000 --json-only --quiet \
    --timings 2> "$out/steps-$s.txt"
  read -r wall rss_kb < "$out/time-$s.txt"
  printf '%-6s %12s %10.2f %10.2f %12.0f %8.2f\n' "$s" "$rows" "$best" "$wall" \
    "$(awk "BEGIN{print $rss_kb/1024}")" "$(awk "BEGIN{print $wall/$best}")"
done
echo
for s in $sizes; do
  echo "steps of the $s audit (wall time):"
  cat "$out/steps-$s.txt"
done
