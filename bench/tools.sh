#!/usr/bin/env bash
# Side by side: the quality part of an audit (NDCG, precision, recall, MRR and hit per user; per
# group of each slice column and overall, the mean with its 95% bootstrap interval from 1,000
# replicates, the 10th/50th/90th percentiles and the gap to the best-off group) done by recaudit
# and by the Python tools people use for it today, ranx and LensKit, with pandas and numpy for the
# groups and the bootstrap, or ranx with fairlearn's MetricFrame for them (bench/tools.py). Same
# bench case (recs, truth, users of `bench-1m`: 1M recommendation rows, 100k users), each tool in
# its own process, taking turns ROUNDS times (3 by default); prints each one's median wall time
# (range) and peak RSS, then checks that the Python tools' means, percentiles and gaps to the
# best-off group equal recaudit's (bench/tools_compare.py).
#
# recaudit runs twice: as shipped (a group of more than 4,096 users is resampled in 4,096 hashed
# buckets of users, docs/statistics.md) and with --bootstrap-units 0 (every user resampled, as
# the Python tools do).
#
#   bash bench/tools.sh                       # makes bench/out/tools-venv with pip the first time
#   PYTHON=/path/to/python bash bench/tools.sh  # a Python with ranx, lenskit, fairlearn, pyarrow
#   FAIRLEARN_DRAWS=20 TOOLS="recaudit fairlearn" ROUNDS=1 bash bench/tools.sh
#                                   # fairlearn at 1M: 20 draws take 5 minutes, 1,000 about 4 hours
#   SIZE=10m ROUNDS=1 TOOLS="recaudit recaudit-exact ranx" bash bench/tools.sh
#                                             # 10M without LensKit: 6 minutes (LensKit: 34 more)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${SIZE:-1m}
rounds=${ROUNDS:-3}
d=bench/out/$size
out=bench/out/tools-$size
mkdir -p "$out"

cargo build --release --quiet --bin recaudit
bin=${CARGO_TARGET_DIR:-target}/release/recaudit
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }
[ -f "$d/recs.parquet" ] || "$bin" generate --preset "bench-$size" --out "$d" >/dev/null
if [ -z "${PYTHON:-}" ]; then
  venv=bench/out/tools-venv
  [ -x "$venv/bin/python" ] || {
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "ranx==0.3.21" "lenskit==2025.8.1" "fairlearn==0.15.0" \
      "pandas>=2.2" "pyarrow>=15"
  }
  PYTHON=$venv/bin/python
fi

source bench/stats.sh

tools=${TOOLS:-"recaudit recaudit-exact ranx lenskit"}
: > "$out/rounds.txt"
for r in $(seq "$rounds"); do
  for t in $tools; do
    case $t in
      recaudit | recaudit-exact)
        units=""
        [ "$t" = recaudit-exact ] && units="--bootstrap-units 0"
        # shellcheck disable=SC2086
        /usr/bin/time -f '%e %M' -o "$out/time.txt" "$bin" audit --recs "$d/recs.parquet" \
          --users "$d/users.parquet" --truth "$d/truth.parquet" --bootstrap 1000 --json-only \
          --quiet --out "$out/$t" $units ;;
      *)
        /usr/bin/time -f '%e %M' -o "$out/time.txt" "$PYTHON" bench/tools.py "$t" "$d" \
          "$out/$t.json" 2> "$out/steps-$t.txt" ;;
    esac
    read -r wall rss_kb < "$out/time.txt"
    echo "$r $t $wall $rss_kb" | tee -a "$out/rounds.txt"
  done
done

printf '\n%-15s %10s %14s %12s\n' tool wall_s range_s peak_rss_mb
for t in $tools; do
  wall=$(awk -v t="$t" '$2 == t {print $3}' "$out/rounds.txt" | median)
  span=$(awk -v t="$t" '$2 == t {print $3}' "$out/rounds.txt" | range)
  rss=$(awk -v t="$t" '$2 == t {print $4 / 1024}' "$out/rounds.txt" | median)
  printf '%-15s %10.2f %14s %12.0f\n' "$t" "$wall" "$span" "$rss"
done
echo
# The means and percentiles do not depend on the resampling units; the intervals are compared
# best with every user resampled, as the Python side does.
ours=""
for t in recaudit recaudit-exact; do
  case " $tools " in *" $t "*) ours=$t ;; esac
done
[ -n "$ours" ] || exit 0
for t in $tools; do
  case $t in recaudit*) continue ;; esac
  printf '%s against %s: ' "$t" "$ours"
  "$PYTHON" bench/tools_compare.py "$out/$t.json" "$out/$ours/audit.json"
done
