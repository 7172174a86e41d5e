#!/usr/bin/env bash
# Benchmark: the 1M bench case (bench-1m, as bench/run.sh generates it) audited from polars frames
# in Python (`recaudit.audit(...)` on frames already in memory, then audit.json written) against
# `recaudit audit` on the same Parquet files (reading included), with the same settings (every
# metric family, 1,000 bootstrap resamples, --json-only). The two take turns ROUNDS times (5 by
# default); each is reported as its median and range. The Python figure also shows the time to
# read the Parquet files into polars frames, which a notebook has already spent.
#
#   bash bench/python.sh              # needs the package installed: pip install ./python
#   PYTHON=.venv/bin/python bash bench/python.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
rounds=${ROUNDS:-5}
d=bench/out/1m
out=bench/out/python
mkdir -p "$out"

cargo build --release --quiet --bin recaudit
bin=${CARGO_TARGET_DIR:-target}/release/recaudit
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }
[ -f "$d/recs.parquet" ] || "$bin" generate --preset bench-1m --out "$d" >/dev/null

source bench/stats.sh

"$bin" audit --data "$d" --out "$out/cli" --bootstrap 1000 --json-only --quiet || true # warms the cache
: > "$out/rounds.txt"
for _ in $(seq "$rounds"); do
  /usr/bin/time -f '%e' -o "$out/time-cli.txt" \
    "$bin" audit --data "$d" --out "$out/cli" --bootstrap 1000 --json-only --quiet || true
  py=$("$python" - "$d" "$out/py-audit.json" <<'PY'
import sys, time
from pathlib import Path
import polars as pl
import recaudit

d = Path(sys.argv[1])
t0 = time.perf_counter()
tables = {t: pl.read_parquet(d / f"{t}.parquet") for t in ("recs", "users", "items", "truth", "history")}
t1 = time.perf_counter()
a = recaudit.audit(**tables, bootstrap=1000)
Path(sys.argv[2]).write_text(a.to_json())
t2 = time.perf_counter()
print(f"{t2 - t1:.3f} {t1 - t0:.3f}")
PY
)
  echo "$(cat "$out/time-cli.txt") $py" >> "$out/rounds.txt"
done
printf '%-28s %9s %12s\n' run median_s range_s
printf '%-28s %9.2f %12s\n' "CLI on Parquet files" "$(cut -d' ' -f1 "$out/rounds.txt" | median)" "$(cut -d' ' -f1 "$out/rounds.txt" | range)"
printf '%-28s %9.2f %12s\n' "Python on polars frames" "$(cut -d' ' -f2 "$out/rounds.txt" | median)" "$(cut -d' ' -f2 "$out/rounds.txt" | range)"
printf '%-28s %9.2f %12s\n' "(polars read_parquet)" "$(cut -d' ' -f3 "$out/rounds.txt" | median)" "$(cut -d' ' -f3 "$out/rounds.txt" | range)"
awk '{r = $2 / $1; print r}' "$out/rounds.txt" | { m=$(median); echo "ratio python/cli (median of rounds): $m"; }
