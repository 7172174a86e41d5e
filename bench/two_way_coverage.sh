#!/usr/bin/env bash
# Coverage of the 95% exposure-share intervals, user-only against two-way (users × items), on
# generated cases with item random effects and a known true share (examples/two_way_coverage.rs;
# figures in docs/statistics.md). Prints, per setting of the units, the share of cases whose
# interval covers the truth (± its binomial standard error) and the mean interval width.
#
#   bash bench/two_way_coverage.sh                  # 500 cases, 2,000 users, 200 items, σ = 1 and 0
#   CASES=1000 SIGMAS="1" bash bench/two_way_coverage.sh
#
# About 4 minutes per σ for 500 cases on a 2-core machine (release build).
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${CASES:-500}
users=${USERS:-2000}
items=${ITEMS:-200}
cargo build --release --quiet --example two_way_coverage
bin=${CARGO_TARGET_DIR:-target}/release/examples/two_way_coverage
for sigma in ${SIGMAS:-"1 0"}; do
  "$bin" "$cases" "$users" "$items" "$sigma"
  echo
done
