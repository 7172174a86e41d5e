"""Compares the means, percentiles and intervals of `bench/tools.py` (OUT_JSON) with recaudit's
audit.json of the same case: prints, over the five quality metrics, overall and per group, the
largest absolute difference of the means, of the percentiles and of the gaps to the best-off
group (these must agree to rounding, and the best-off group must be the same one), and of the
interval bounds, the means' and the gaps', as a share of the interval's width (these differ by
Monte-Carlo error only: the two draw different replicates). fairlearn's output has no gaps.

    python bench/tools_compare.py OUT_JSON AUDIT_JSON
"""

import json
import sys

METRICS = ["ndcg", "precision", "recall", "mrr", "hit"]


def main():
    theirs = json.load(open(sys.argv[1]))
    ours = json.load(open(sys.argv[2]))["metrics"]
    mean_diff = quantile_diff = ci_diff = gap_diff = gap_ci_diff = 0.0
    compared = gaps = 0

    def bound_diff(lo_hi, est):
        width = est["ci_high"] - est["ci_low"]
        if width <= 0:
            return 0.0
        return max(abs(lo_hi[0] - est["ci_low"]), abs(lo_hi[1] - est["ci_high"])) / width

    for m in METRICS:
        for col, groups in ours[m]["slices"].items():
            disparity = groups.get("disparity")
            if disparity is None:
                continue
            for label, g in disparity["groups"].items():
                t = theirs[col][label][m].get("difference")
                if t is None:
                    continue
                assert t["reference"] == disparity["reference"], (m, col, t, disparity["reference"])
                gap_diff = max(gap_diff, abs(t["value"] - g["difference"]["value"]))
                gap_ci_diff = max(gap_ci_diff, bound_diff(t["ci"], g["difference"]))
                gaps += 1
        pairs = [(theirs["overall"][m], ours[m]["overall"], ours[m]["quantiles"])]
        for col, groups in ours[m]["slices"].items():
            for label, est in groups["groups"].items():
                pairs.append((theirs[col][label][m], est, groups["quantiles"][label]))
        for t, o, q in pairs:
            assert t["n"] == o["n"], (m, t["n"], o["n"])
            mean_diff = max(mean_diff, abs(t["value"] - o["value"]))
            qs = [q["q10"], q["q50"], q["q90"]]
            quantile_diff = max(quantile_diff, max(abs(a - b) for a, b in zip(t["quantiles"], qs)))
            ci_diff = max(ci_diff, bound_diff(t["ci"], o))
            compared += 1
    print(
        f"{compared} estimates (5 metrics, overall and per group): means differ by at most "
        f"{mean_diff:.1e}, percentiles by {quantile_diff:.1e}; interval bounds by at most "
        f"{100 * ci_diff:.0f}% of the interval's width"
    )
    if gaps:
        print(
            f"{gaps} gaps to the best-off group (the same group each time) differ by at most "
            f"{gap_diff:.1e}; their interval bounds by at most {100 * gap_ci_diff:.0f}% of the "
            f"interval's width"
        )


if __name__ == "__main__":
    main()
