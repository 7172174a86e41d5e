"""The quality part of a recaudit audit done with the Python tools people use for it today.

    python bench/tools.py {ranx|lenskit|fairlearn} DATA_DIR OUT_JSON

Reads `recs`, `truth` and `users` (Parquet) of a bench case with pandas, computes each user's
NDCG@10 (linear gains from `relevance`), precision@10, recall@10, reciprocal rank and hit with
ranx (`evaluate(..., return_mean=False)`; also for `fairlearn`) or LensKit
(`RunAnalysis(...).measure(...)`), then what recaudit reports for them per slice: per group of
each slice column (consenting users with a value) and overall, the mean with its 95% percentile
bootstrap interval (1,000 replicates), the 10th/50th/90th percentiles (numpy's linear
interpolation), and the difference from the best-off group with its interval from the same
replicates. With ranx and LensKit the bootstrap is numpy's (one Poisson(1) weight per user and
replicate, stratified by group); with `fairlearn` it is `MetricFrame(..., n_boot=1000)`'s (all
rows drawn with replacement; no differences from the best-off group). It prints each stage's
wall time on stderr and writes the means to OUT_JSON, which `bench/tools.sh` compares with
recaudit's `audit.json`.

This is what a careful analyst would write with these libraries; it is the baseline of the
side-by-side timing in docs/performance.md ("Side by side with ranx, LensKit and fairlearn").
"""

import json
import os
import sys
import time

import numpy as np
import pandas as pd

METRICS = ["ndcg", "precision", "recall", "mrr", "hit"]
RESAMPLES = 1000
BATCH = 25  # replicates per matrix product: bounds the weights' memory to 25 × group size
# fairlearn's bootstrap recomputes every group's metrics in Python on each draw (2.4 s a draw and
# frame at 1M rows, six frames): FAIRLEARN_DRAWS=20 measures its cost in minutes, not hours.
FAIRLEARN_DRAWS = int(os.environ.get("FAIRLEARN_DRAWS", RESAMPLES))


def per_user_ranx(recs, truth):
    from ranx import Qrels, Run, evaluate

    qrels = Qrels.from_df(
        truth.astype({"relevance": "int64"}),
        q_id_col="user_id",
        doc_id_col="item_id",
        score_col="relevance",
    )
    run = Run.from_df(recs, q_id_col="user_id", doc_id_col="item_id", score_col="score")
    names = ["ndcg@10", "precision@10", "recall@10", "mrr@10", "hit_rate@10"]
    scores = evaluate(qrels, run, names, return_mean=False)
    users = list(run.keys())
    return pd.DataFrame({m: scores[n] for m, n in zip(METRICS, names)}, index=users)


def per_user_lenskit(recs, truth):
    from lenskit.data import ItemListCollection
    from lenskit.metrics import NDCG, Hit, LogRankWeight, Precision, Recall, RecipRank, RunAnalysis

    outputs = ItemListCollection.from_df(recs, "user_id")
    test = ItemListCollection.from_df(truth, "user_id")
    analysis = RunAnalysis()
    # LensKit discounts by log2(max(rank, 2)) unless told to add an offset: with offset 1 it is
    # recaudit's (and ranx's) 1 / log2(rank + 1).
    analysis.add_metric(NDCG(10, gain="relevance", weight=LogRankWeight(offset=1)), "ndcg")
    analysis.add_metric(Precision(10), "precision")
    analysis.add_metric(Recall(10), "recall")
    analysis.add_metric(RecipRank(10), "mrr")
    analysis.add_metric(Hit(10), "hit")
    return analysis.measure(outputs, test).list_metrics()[METRICS]


def bootstrap_means(x, rng):
    """RESAMPLES replicate means of each column of x (n × m), one Poisson(1) weight per row."""
    out = np.empty((RESAMPLES, x.shape[1]))
    for start in range(0, RESAMPLES, BATCH):
        w = rng.poisson(1.0, size=(min(BATCH, RESAMPLES - start), x.shape[0])).astype(np.float64)
        out[start : start + len(w)] = (w @ x) / w.sum(axis=1, keepdims=True)
    return out


def summary(x, means, lows, highs):
    """Per metric (column j of x, the users' values): its mean, interval and percentiles."""
    q = np.percentile(x, [10, 50, 90], axis=0)
    return {
        m: {
            "value": float(means[j]),
            "ci": [float(lows[j]), float(highs[j])],
            "quantiles": [float(v) for v in q[:, j]],
            "n": int(x.shape[0]),
        }
        for j, m in enumerate(METRICS)
    }


def describe(x, reps):
    lo, hi = np.percentile(reps, [2.5, 97.5], axis=0)
    return summary(x, [x[:, j].mean() for j in range(x.shape[1])], lo, hi)


def fairlearn_groups(per_user, joined, slices):
    """The means and their 95% intervals by fairlearn's MetricFrame (its bootstrap: 1,000 draws of
    all rows with replacement, every group's metrics recomputed on each), the percentiles by
    numpy: the groups stage as fairlearn users write it."""
    from fairlearn.metrics import MetricFrame

    def frame(x, features):
        # fairlearn hands each metric the rows of a group as (y_true, y_pred): here the rows'
        # positions, so one frame serves the five per-user metrics.
        rows = np.arange(len(x))
        metrics = {m: (lambda t, p, j=j: x[t, j].mean()) for j, m in enumerate(METRICS)}
        return MetricFrame(
            metrics=metrics,
            y_true=rows,
            y_pred=rows,
            sensitive_features=features,
            n_boot=FAIRLEARN_DRAWS,
            ci_quantiles=[0.025, 0.975],
            random_state=42,
        )

    def entry(x, value, lo, hi):
        return summary(x, *([s[m] for m in METRICS] for s in (value, lo, hi)))

    x = per_user.to_numpy()
    everyone = frame(x, np.zeros(len(x)))
    lo, hi = everyone.overall_ci
    result = {"overall": entry(x, everyone.overall, lo, hi)}
    for col in slices:
        xg = joined[METRICS].to_numpy()
        mf = frame(xg, joined[col].to_numpy())
        lo, hi = mf.by_group_ci
        labels = joined[col].to_numpy()
        result[col] = {
            g: entry(xg[labels == g], mf.by_group.loc[g], lo.loc[g], hi.loc[g])
            for g in mf.by_group.index
        }
    return result


def main():
    tool, data, out_path = sys.argv[1], sys.argv[2], sys.argv[3]
    stages = {}
    t = time.perf_counter()
    recs = pd.read_parquet(f"{data}/recs.parquet")
    truth = pd.read_parquet(f"{data}/truth.parquet")
    users = pd.read_parquet(f"{data}/users.parquet")
    for df in (recs, truth, users):
        for c in df.columns:
            if df[c].dtype != object and not pd.api.types.is_numeric_dtype(df[c]):
                df[c] = df[c].astype(object)
    stages["read"] = time.perf_counter() - t

    t = time.perf_counter()
    per_user = {"ranx": per_user_ranx, "lenskit": per_user_lenskit, "fairlearn": per_user_ranx}[
        tool
    ](recs, truth)
    stages["per-user metrics"] = time.perf_counter() - t

    t = time.perf_counter()
    rng = np.random.default_rng(42)
    per_user = per_user.astype(np.float64)
    slices = [c for c in users.columns if c not in ("user_id", "consent")]
    consenting = users[users["consent"].astype(bool)].set_index("user_id")
    joined = per_user.join(consenting[slices], how="inner")
    if tool == "fairlearn":
        result = fairlearn_groups(per_user, joined, slices)
        slices = []
    else:
        result = {
            "overall": describe(per_user.to_numpy(), bootstrap_means(per_user.to_numpy(), rng))
        }
    for col in slices:
        groups = {}
        reps = {}
        for label, rows in joined.groupby(col, observed=True):
            x = rows[METRICS].to_numpy()
            reps[label] = bootstrap_means(x, rng)
            groups[label] = describe(x, reps[label])
        for j, m in enumerate(METRICS):
            best = max(groups, key=lambda g: groups[g][m]["value"])
            for g in groups:
                diff = reps[g][:, j] - reps[best][:, j]
                lo, hi = np.percentile(diff, [2.5, 97.5])
                groups[g][m]["difference"] = {
                    "reference": best,
                    "value": groups[g][m]["value"] - groups[best][m]["value"],
                    "ci": [float(lo), float(hi)],
                }
        result[col] = groups
    stages["groups, percentiles and bootstrap"] = time.perf_counter() - t

    with open(out_path, "w") as f:
        json.dump(result, f)
    for name, secs in stages.items():
        print(f"{secs:8.2f} s  {name}", file=sys.stderr)


if __name__ == "__main__":
    main()
