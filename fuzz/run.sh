#!/usr/bin/env bash
# Runs one fuzz target for a wall-clock budget, one fuzzer process at a time at the lowest CPU
# priority, restarting after a crash (timeout, OOM or, with RECAUDIT_FUZZ_PANIC=abort, a panic)
# until the budget is spent. Output, with the CPU time of each run, goes to fuzz/logs/<target>.log.
#
#   fuzz/run.sh csv_tables 1200
set -u
target=$1
budget=${2:-600}
cd "$(dirname "$0")"
mkdir -p logs "corpus/$target" "artifacts/$target"
log="logs/$target.log"
end=$(( $(date +%s) + budget ))
while :; do
  left=$(( end - $(date +%s) ))
  [ "$left" -lt 10 ] && break
  echo "=== $(date -u +%FT%TZ) start, ${left}s left" >> "$log"
  /usr/bin/time -a -o "$log" -f "=== cpu user %Us sys %Ss wall %es" \
    nice -n 19 cargo +nightly fuzz run -s none "$target" "corpus/$target" -- \
    -max_total_time="$left" -rss_limit_mb=4096 -timeout=10 -max_len=32768 -len_control=0 \
    -print_final_stats=1 >> "$log" 2>&1
  echo "=== $(date -u +%FT%TZ) exit $?" >> "$log"
done
