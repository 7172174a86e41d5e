#!/usr/bin/env bash
# Benchmark of the partitioned audit (docs/scaling.md, "Partitioned input"): the generated bench
# case split into PARTS partitions of users (Parquet, one file per partition and table, by a hash
# of the user id, as a Spark job writes them), audited one partition at a time, against the
# one-pass audit of the same rows. Prints wall time and peak RSS of each, in turns (ROUNDS, 1 by
# default), and the number of partitions.
#
#   bash bench/partitioned.sh                 # 10M rows, 16 partitions
#   SIZE=100m PARTS=64 bash bench/partitioned.sh
#
# The split needs polars (Python): installed into bench/out/venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${SIZE:-10m}
parts=${PARTS:-16}
rounds=${ROUNDS:-1}
out=bench/out
mkdir -p "$out"

cargo build --release --quiet --bin recaudit
target_dir=${CARGO_TARGET_DIR:-target}
bin=$target_dir/release/recaudit
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }

whole="$out/$size"
[ -f "$whole/recs.parquet" ] || "$bin" generate --preset "bench-$size" --out "$whole" >/dev/null

split="$out/$size-parts$parts"
if [ ! -d "$split/recs" ]; then
  venv="$out/venv"
  [ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q polars; }
  "$venv/bin/python" - "$whole" "$split" "$parts" <<'EOF'
import pathlib, shutil, sys
import polars as pl

whole, split, n = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
tmp = split.with_name(split.name + ".tmp")
shutil.rmtree(tmp, ignore_errors=True)
tmp.mkdir(parents=True)
for table in ["recs", "users", "truth", "history"]:
    src = whole / f"{table}.parquet"
    if not src.exists():
        continue
    (tmp / table).mkdir()
    # Rows keep their order within a partition; a user's rows all land in one partition.
    df = pl.read_parquet(src).with_columns(
        (pl.col("user_id").cast(pl.Utf8).hash(seed=42) % n).alias("_part")
    )
    for (p,), rows in df.group_by("_part", maintain_order=True):
        rows.drop("_part").write_parquet(tmp / table / f"part-{p:05d}.parquet")
    del df
if (whole / "items.parquet").exists():
    shutil.copy(whole / "items.parquet", tmp / "items.parquet")
tmp.rename(split)
EOF
fi

printf '%-6s %6s %-12s %10s %12s\n' size parts mode wall_s peak_rss_mb
for _ in $(seq "$rounds"); do
  for mode in one-pass partitioned; do
    data=$whole
    [ "$mode" = partitioned ] && data=$split
    /usr/bin/time -f '%e %M' -o "$out/time-partitioned.txt" \
      "$bin" audit --data "$data" --out "$out/report-$size-$mode" --bootstrap 1000 --json-only \
      --quiet
    read -r wall rss_kb < "$out/time-partitioned.txt"
    printf '%-6s %6s %-12s %10.2f %12.0f\n' "$size" "$parts" "$mode" "$wall" \
      "$(awk "BEGIN{print $rss_kb/1024}")"
  done
done
