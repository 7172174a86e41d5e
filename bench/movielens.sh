#!/usr/bin/env bash
# recaudit on real public data, checked against established libraries: MovieLens 100K (the copy
# inside RecBole 1.2.1's wheel on PyPI, its SHA-256 checked), split by time, top-10 lists of an
# item-kNN recommender; then every number that RecBole, ranx, LensKit, the rbo package, SciPy or
# NumPy also compute is compared with audit.json (bench/movielens.py prints one line per
# comparison and exits 1 on a difference above its tolerance). About a minute once the Python
# packages are in.
#
#   bash bench/movielens.sh                     # uses (and adds to) bench/out/tools-venv
#   PYTHON=/path/to/python bash bench/movielens.sh  # a Python with the packages listed below
#
# The MovieLens data is not committed: its licence does not allow redistribution.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out/movielens
mkdir -p "$out"

cargo build --release --quiet --bin recaudit
bin=${CARGO_TARGET_DIR:-target}/release/recaudit
if [ -z "${PYTHON:-}" ]; then
  venv=bench/out/tools-venv
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c "import ranx, lenskit, rbo, sklearn, colorlog, texttable, tensorboard" \
    2>/dev/null || {
    "$venv/bin/pip" install --quiet "ranx==0.3.21" "lenskit==2025.8.1" "pandas>=2.2" \
      "pyarrow>=15" "scipy>=1.11" "scikit-learn>=1.4" colorlog colorama texttable tensorboard
    # rbo 0.1.3 declares numpy<2 but runs on NumPy 2; without --no-deps pip would downgrade NumPy
    # under pyarrow and LensKit.
    "$venv/bin/pip" install --quiet --no-deps "rbo==0.1.3"
  }
  PYTHON=$venv/bin/python
fi

wheel=$out/recbole-1.2.1-py3-none-any.whl
sha=9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407
[ -f "$wheel" ] || "$PYTHON" -m pip download --quiet --no-deps "recbole==1.2.1" -d "$out"
echo "$sha  $wheel" | sha256sum --check --quiet
rm -rf "$out/recbole"
unzip -q -o "$wheel" 'recbole/*' -d "$out/recbole"

PYTHONPATH=$out/recbole "$PYTHON" bench/movielens.py \
  "$out/recbole/recbole/dataset_example/ml-100k" "$out" "$bin"
