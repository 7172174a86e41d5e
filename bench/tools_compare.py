"""Compares the means, percentiles and intervals of `bench/tools.py` (OUT_JSON) with recaudit's
audit.json of the same case: prints, over the five quality metrics, overall and per group, the
largest absolute difference of the means and of the percentiles (these must agree to rounding),
and of the interval bounds as a share of the interval's width (these differ by Monte-Carlo error
only: the two draw different replicates).

    python bench/tools_compare.py OUT_JSON AUDIT_JSON
"""

import json
import sys

METRICS = ["ndcg", "precision", "recall", "mrr", "hit"]


def main():
    theirs = json.load(open(sys.argv[1]))
    ours = json.load(open(sys.argv[2]))["metrics"]
    mean_diff = quantile_diff = ci_diff = 0.0
    compared = 0
    for m in METRICS:
        pairs = [(theirs["overall"][m], ours[m]["overall"], ours[m]["quantiles"])]
        for col, groups in ours[m]["slices"].items():
            for label, est in groups["groups"].items():
                pairs.append((theirs[col][label][m], est, groups["quantiles"][label]))
        for t, o, q in pairs:
            assert t["n"] == o["n"], (m, t["n"], o["n"])
            mean_diff = max(mean_diff, abs(t["value"] - o["value"]))
            qs = [q["q10"], q["q50"], q["q90"]]
            quantile_diff = max(quantile_diff, max(abs(a - b) for a, b in zip(t["quantiles"], qs)))
            width = o["ci_high"] - o["ci_low"]
            if width > 0:
                ci_diff = max(
                    ci_diff,
                    abs(t["ci"][0] - o["ci_low"]) / width,
                    abs(t["ci"][1] - o["ci_high"]) / width,
                )
            compared += 1
    print(
        f"{compared} estimates (5 metrics, overall and per group): means differ by at most "
        f"{mean_diff:.1e}, percentiles by {quantile_diff:.1e}; interval bounds by at most "
        f"{100 * ci_diff:.0f}% of the interval's width"
    )


if __name__ == "__main__":
    main()
