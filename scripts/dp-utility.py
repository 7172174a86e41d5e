#!/usr/bin/env python3
"""Utility of DP audits: for each ε, the median absolute error of the published group means
against the exact audit, the share of groups withheld, and whether the planted findings of the
example (NDCG lower for women, the 55+ age band narrowed) are flagged, over several seeds.

usage: scripts/dp-utility.py RECAUDIT DATA [extra flags...]"""
import json, statistics, subprocess, sys, tempfile, os

recaudit, data, extra = sys.argv[1], sys.argv[2], sys.argv[3:]

def run(flags):
    out = tempfile.mkdtemp()
    subprocess.run([recaudit, "audit", "--data", data, "--out", out, "--json-only", "--quiet", *extra, *flags],
                   check=False, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "audit.json")) as f:
        return json.load(f)

exact = run([])
def flagged(d, m, c, g):
    try:
        return d["metrics"][m]["slices"][c]["disparity"]["groups"][g]["significant"]
    except (KeyError, TypeError):
        return False

print("| ε | metrics | σ of counts and sums | median abs. error of group means | groups published | NDCG F flagged | narrowed 55+ flagged |")
print("|---|---|---|---|---|---|---|")
for eps in ["0.1", "1", "10"]:
    for label, sel in [("all with a range", []), ("ndcg, narrowed", ["--dp-metrics", "ndcg,narrowed"])]:
        errs, shown, total, f_ndcg, f_narrow, sigma = [], 0, 0, 0, 0, None
        seeds = [1, 2, 3, 4, 5]
        for seed in seeds:
            d = run(["--dp-epsilon", eps, "--seed", str(seed), *sel])
            sigma = d["privacy"]["noise_sd"]
            for m, r in d["metrics"].items():
                for c, s in exact["metrics"][m]["slices"].items():
                    for g, e in s["groups"].items():
                        total += 1
                        got = r["slices"].get(c, {}).get("groups", {}).get(g)
                        if got and got["value"] is not None and e["value"] is not None:
                            shown += 1
                            errs.append(abs(got["value"] - e["value"]))
            f_ndcg += flagged(d, "ndcg", "gender", "F")
            f_narrow += flagged(d, "narrowed", "age_band", "55+")
        n = len(seeds)
        print(f"| {eps} | {label} | {sigma:.3g} | {statistics.median(errs):.3g} | {100*shown/total:.0f}% | {f_ndcg}/{n} | {f_narrow}/{n} |")
print(f"\nexact: NDCG F flagged {flagged(exact,'ndcg','gender','F')}, narrowed 55+ flagged {flagged(exact,'narrowed','age_band','55+')}")
