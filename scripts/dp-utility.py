#!/usr/bin/env python3
"""Utility of DP audits: for each ε, the median absolute error of the published group means and of
the published exposure shares against the exact audit, the publication threshold, the share of
the exact audit's groups published, and whether the planted findings of the example and the bench
cases (NDCG lower for women, the 55+ age band narrowed, the indie provider under-exposed) are
still found, over several seeds.

A gap counts as found when the DP audit flags it as significant; the indie provider counts as
under-exposed when the upper bound of its exposure share's interval is below four-fifths of its
catalog share (the same rule is applied to the exact audit, whose result is printed last).

usage: scripts/dp-utility.py RECAUDIT DATA [--seeds N] [--epsilons 0.1,1,10] [extra flags...]"""
import json, os, statistics, subprocess, sys, tempfile, time

args = sys.argv[1:]
recaudit, data, extra = args[0], args[1], args[2:]
seeds, epsilons = 5, ["0.1", "1", "10"]
while extra and extra[0] in ("--seeds", "--epsilons"):
    if extra[0] == "--seeds":
        seeds = int(extra[1])
    else:
        epsilons = extra[1].split(",")
    extra = extra[2:]


def run(flags):
    out = tempfile.mkdtemp()
    start = time.time()
    subprocess.run([recaudit, "audit", "--data", data, "--out", out, "--json-only", "--quiet", *extra, *flags],
                   check=False, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "audit.json")) as f:
        d = json.load(f)
    d["_seconds"] = time.time() - start
    return d


def flagged(d, m, c, g):
    try:
        return bool(d["metrics"][m]["slices"][c]["disparity"]["groups"][g]["significant"])
    except (KeyError, TypeError):
        return False


def under_exposed(d, col="provider", group="indie"):
    try:
        hi = d["corpus"]["exposure_share_intervals"][col]["overall"][group]["ci_high"]
        catalog = d["corpus"]["overall"]["shares"][f"target_share_catalog_{col}"][group]
        return hi is not None and hi < d["settings"]["stats"]["four_fifths"] * catalog
    except (KeyError, TypeError):
        return False


def exposure_errors(d, exact):
    errs = []
    for col, s in d["corpus"]["exposure_share_intervals"].items():
        ex = exact["corpus"]["exposure_share_intervals"].get(col)
        if ex is None:
            continue
        for g, e in s["overall"].items():
            if e["value"] is not None and ex["overall"].get(g, {}).get("value") is not None:
                errs.append(abs(e["value"] - ex["overall"][g]["value"]))
        for c, groups in s["slices"].items():
            for sg, shares in groups.items():
                for g, e in shares.items():
                    x = ex["slices"].get(c, {}).get(sg, {}).get(g, {}).get("value")
                    if e["value"] is not None and x is not None:
                        errs.append(abs(e["value"] - x))
    return errs


exact = run([])
print(f"exact audit: {exact['_seconds']:.0f} s")
print("| ε | metrics | σ | threshold T | columns audited | median abs. error of group means | of exposure shares | groups published | NDCG F flagged | narrowed 55+ flagged | indie under-exposed |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for eps in epsilons:
    for label, sel in [("all with a range", []), ("ndcg, narrowed, exposure_share", ["--dp-metrics", "ndcg,narrowed,exposure_share"])]:
        errs, exp_errs, shown, total, found = [], [], 0, 0, [0, 0, 0]
        sigma = threshold = None
        columns, secs = [], []
        for seed in range(1, seeds + 1):
            d = run(["--dp-epsilon", eps, "--seed", str(seed), *sel])
            secs.append(d["_seconds"])
            sigma = d["privacy"]["noise_sd"]
            threshold = d["privacy"]["publication_threshold"]
            columns.append(len(d["slices"]))
            for m, r in d["metrics"].items():
                for c, s in exact["metrics"][m]["slices"].items():
                    for g, e in s["groups"].items():
                        total += 1
                        got = r["slices"].get(c, {}).get("groups", {}).get(g)
                        if got and got["value"] is not None and e["value"] is not None:
                            shown += 1
                            errs.append(abs(got["value"] - e["value"]))
            exp_errs += exposure_errors(d, exact)
            found[0] += flagged(d, "ndcg", "gender", "F")
            found[1] += flagged(d, "narrowed", "age_band", "55+")
            found[2] += under_exposed(d)
        med = lambda xs: f"{statistics.median(xs):.3g}" if xs else "–"
        cols = f"{min(columns)}–{max(columns)}" if min(columns) != max(columns) else str(columns[0])
        print(f"| {eps} | {label} | {sigma:.3g} | {threshold:.0f} | {cols} | {med(errs)} | {med(exp_errs)} | "
              f"{100 * shown / max(total, 1):.0f}% | {found[0]}/{seeds} | {found[1]}/{seeds} | {found[2]}/{seeds} |")
        sys.stdout.flush()
    print(f"(ε = {eps}: {statistics.median(secs):.0f} s per DP audit)", file=sys.stderr)
print(f"\nexact: NDCG F flagged {flagged(exact, 'ndcg', 'gender', 'F')}, narrowed 55+ flagged "
      f"{flagged(exact, 'narrowed', 'age_band', '55+')}, indie under-exposed {under_exposed(exact)}")
