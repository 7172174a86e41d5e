#!/usr/bin/env bash
# Regenerates reports/example/ (the committed report of the shipped example data).
# The example has planted unfairness, so the policy fails and recaudit exits 1: that is expected.
set -uo pipefail
cd "$(dirname "$0")/.."
rm -rf reports/example
cargo run --quiet -- audit --data datasets/example --policy datasets/policy.example.toml \
  --out reports/example --quiet
code=$?
[ "$code" -le 1 ] || exit "$code"
echo "reports/example regenerated (exit $code: the example policy fails by design)"
