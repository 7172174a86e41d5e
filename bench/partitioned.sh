#!/usr/bin/env bash
# Benchmark of the partitioned audit (docs/scaling.md, "Partitioned input"): the generated bench
# case written as PARTS partitions of users (`recaudit generate --partitions`: Parquet, one file
# per partition and table, every user's rows in partition pmod(xxhash64(user_id), PARTS), as a
# Spark job writes them), audited one partition at a time, against the one-pass audit of the same
# rows (one file per table) and, with SPLIT=1, against `audit --partitions PARTS` on those files
# (the audit splits them itself into a temporary folder). Prints rows, partitions, wall time and
# peak RSS of each, in turns (ROUNDS, 1 by default).
#
#   bash bench/partitioned.sh                      # 10M rows, 16 partitions
#   SIZE=100m PARTS=64 bash bench/partitioned.sh
#   SIZE=300m PARTS=192 bash bench/partitioned.sh  # partitioned only (no one-pass above 100M)
#   SPLIT=1 bash bench/partitioned.sh              # also the audit's own split of the files
#
# Disk: the case's folder (about 21 bytes per recommendation row of the bench layout: 6.3 GB at
# 300M), the one-pass files as much again (up to 100M), and the partitioned audit's sorted runs in
# TMPDIR (up to 36 bytes per user and metric: 23 GB at 300M).
set -euo pipefail
cd "$(dirname "$0")/.."
size=${SIZE:-10m}
parts=${PARTS:-16}
rounds=${ROUNDS:-1}
split_too=${SPLIT:-0}
out=bench/out
mkdir -p "$out"

cargo build --release --quiet --bin recaudit
target_dir=${CARGO_TARGET_DIR:-target}
bin=$target_dir/release/recaudit
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }

rows=$(awk -v s="$size" 'BEGIN{n=s; sub(/m$/,"",n); print n*1000000}')
# The one-pass audit of 300M rows would need about 20 GB of memory: above 100M it is left out.
one_pass=1
[ "$rows" -gt 100000000 ] && one_pass=0

whole="$out/$size"
if [ "$one_pass" = 1 ] && [ ! -f "$whole/recs.parquet" ]; then
  "$bin" generate --preset "bench-$size" --out "$whole" >/dev/null
fi
folder="$out/$size-parts$parts"
if [ ! -d "$folder/recs" ]; then
  rm -rf "$folder.tmp"
  "$bin" generate --preset "bench-$size" --partitions "$parts" --out "$folder.tmp" >/dev/null
  mv "$folder.tmp" "$folder"
fi

modes="partitioned"
[ "$one_pass" = 1 ] && modes="one-pass partitioned"
[ "$one_pass" = 1 ] && [ "$split_too" = 1 ] && modes="$modes split"
printf '%-6s %11s %6s %-12s %10s %12s\n' size rec_rows parts mode wall_s peak_rss_mb
for _ in $(seq "$rounds"); do
  for mode in $modes; do
    case $mode in
      one-pass) args=(--data "$whole") ;;
      partitioned) args=(--data "$folder") ;;
      split) args=(--data "$whole" --partitions "$parts") ;;
    esac
    /usr/bin/time -f '%e %M' -o "$out/time-partitioned.txt" \
      "$bin" audit "${args[@]}" --out "$out/report-$size-$mode" --bootstrap 1000 --json-only \
      --quiet
    read -r wall rss_kb < "$out/time-partitioned.txt"
    printf '%-6s %11s %6s %-12s %10.2f %12.0f\n' "$size" "$rows" "$parts" "$mode" "$wall" \
      "$(awk "BEGIN{print $rss_kb/1024}")"
  done
done
