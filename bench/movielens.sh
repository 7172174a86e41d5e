#!/usr/bin/env bash
# recaudit on real public data, checked against established libraries: MovieLens 100K (the copy
# inside RecBole 1.2.1's wheel on PyPI, its SHA-256 checked), split by time, top-10 lists of an
# item-kNN recommender; then every number that RecBole, ranx, LensKit, Microsoft Recommenders, the
# rbo package, SciPy, statsmodels or NumPy also compute is compared with audit.json (bench/movielens.py prints one line per
# comparison and exits 1 on a difference above its tolerance). About a minute once the Python
# packages are in.
#
#   bash bench/movielens.sh                     # uses (and adds to) bench/out/tools-venv
#   PYTHON=/path/to/python bash bench/movielens.sh  # a Python with the packages listed below
#   PYTHON=... RECAUDIT_BIN=target/debug/recaudit SKIP=recbole,lenskit bash bench/movielens.sh
#       # as .ci/run does: a built binary, and without the two references that need torch
#
# The MovieLens data is not committed: its licence does not allow redistribution.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out/movielens
mkdir -p "$out"

bin=${RECAUDIT_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release --quiet --bin recaudit
  bin=${CARGO_TARGET_DIR:-target}/release/recaudit
fi
if [ -z "${PYTHON:-}" ]; then
  venv=bench/out/tools-venv
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c "import ranx, lenskit, rbo, statsmodels, sklearn, colorlog, texttable, \
    tensorboard" 2>/dev/null || {
    # RecBole's metrics module imports its package's logger and tensorboard writer (and torch,
    # which LensKit brings). Microsoft Recommenders 1.2.1 indexes a Series by position, which
    # pandas 3 refuses.
    "$venv/bin/pip" install --quiet "ranx==0.3.21" "lenskit==2025.8.1" "pandas>=2.2,<3" \
      "pyarrow>=15" "scipy>=1.11" "statsmodels>=0.14" "scikit-learn>=1.4" colorlog colorama \
      texttable tensorboard
    # rbo 0.1.3 declares numpy<2 but runs on NumPy 2; without --no-deps pip would downgrade NumPy
    # under pyarrow and LensKit.
    "$venv/bin/pip" install --quiet --no-deps "rbo==0.1.3"
  }
  PYTHON=$venv/bin/python
fi

# RecBole (with the data) and Microsoft Recommenders are unpacked from their wheels rather than
# installed: their declared dependencies (old NumPy, a whole training stack) are not needed by the
# metric code the check calls.
unpack() { # name version sha256
  local wheel=$out/$1-$2-py3-none-any.whl
  [ -f "$wheel" ] || "$PYTHON" -m pip download --quiet --no-deps "$1==$2" -d "$out"
  echo "$3  $wheel" | sha256sum --check --quiet
  rm -rf "${out:?}/$1"
  unzip -q -o "$wheel" "$1/*" -d "$out/$1"
}
unpack recbole 1.2.1 9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407
unpack recommenders 1.2.1 5f9ed1d38b1405033d396878ee9e3b9d1e98c0c8174659b06cdee26e13312fae

PYTHONPATH=$out/recbole:$out/recommenders "$PYTHON" bench/movielens.py \
  "$out/recbole/recbole/dataset_example/ml-100k" "$out" "$bin" --skip "${SKIP:-}"
