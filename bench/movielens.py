"""recaudit on real public data, against established libraries: MovieLens 100K (GroupLens; the copy
RecBole ships in its wheel) split by time, top-10 lists of an item-kNN recommender, then every
number both sides compute, compared.

    python bench/movielens.py ML_DIR OUT_DIR RECAUDIT_BINARY [--skip recbole,lenskit]

ML_DIR holds RecBole's ml-100k.inter, ml-100k.user and ml-100k.item; `bash bench/movielens.sh` gets
them and a Python with the libraries (RecBole, ranx, LensKit, Microsoft Recommenders, rbo, SciPy,
statsmodels, NumPy, pandas). The case (OUT_DIR/case):

- truth: each user's last 20% of ratings by time (ties by item id), ratings of 4 and 5, graded
  (relevance = rating − 3) in `truth.csv` and binary in `truth-binary/` (RecBole's metrics are
  binary); history: the rest of the user's ratings, with their timestamps;
- users: gender, age band (under 18, 18-24, 25-34, 35-44, 45-49, 50-55, 56+: MovieLens 1M's
  bands), occupation (21 groups, several below the 20-user publication threshold);
- items: the genres as categories (`|`-joined), the release decade as an item group; in
  `features/items.csv` also the genres as a 0/1 `features` vector (ild's cosine form);
- recs: top 10 unseen items by item-kNN (cosine over binary history, every neighbour), ranks
  given, ties by item id as text (recaudit's rule); baseline: the 10 most popular unseen items.

Each reference computes per user (or per list set) from the same CSV files; means per group come
from pandas. Prints one line per comparison and exits 1 when a difference is above its tolerance.
"""

import argparse
import json
import math
import warnings
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

K = 10
AGE_EDGES = [(0, "under 18"), (18, "18-24"), (25, "25-34"), (35, "35-44"), (45, "45-49"),
             (50, "50-55"), (56, "56+")]
MIN_SLICE = 20  # recaudit's default publication threshold
TOL = 1e-12
REFERENCE = {
    "arp": "RecBole 1.2.1 AveragePopularity",
    "rbo": "rbo 0.1.3 rbo_ext (p = 0.9)",
    "list_entropy": "SciPy entropy (base 2)",
    "miscalibration": "SciPy rel_entr",
}


def load(ml_dir):
    def read(name):
        df = pd.read_csv(ml_dir / f"ml-100k.{name}", sep="\t", dtype=str, keep_default_na=False)
        df.columns = [c.split(":")[0] for c in df.columns]
        return df

    inter = read("inter")
    inter["rating"] = inter["rating"].astype(float).astype(int)
    inter["timestamp"] = inter["timestamp"].astype(float).astype(np.int64)
    return inter, read("user"), read("item")


def age_band(age):
    label = AGE_EDGES[0][1]
    for edge, name in AGE_EDGES:
        if age >= edge:
            label = name
    return label


def build_case(ml_dir, case):
    inter, users, items = load(ml_dir)
    inter = inter.sort_values(["user_id", "timestamp", "item_id"], kind="stable")
    inter["pos"] = inter.groupby("user_id").cumcount()
    inter["n"] = inter.groupby("user_id")["item_id"].transform("size")
    held_out = inter["pos"] >= inter["n"] - np.ceil(inter["n"] * 0.2).astype(int)
    history = inter[~held_out]
    test = inter[held_out & (inter["rating"] >= 4)]

    item_ids = sorted(items["item_id"], key=int)
    col = {i: j for j, i in enumerate(item_ids)}
    user_ids = sorted(inter["user_id"].unique(), key=int)
    row = {u: j for j, u in enumerate(user_ids)}
    seen = np.zeros((len(user_ids), len(item_ids)))
    seen[history["user_id"].map(row), history["item_id"].map(col)] = 1.0
    norms = np.sqrt(seen.sum(axis=0))
    norms[norms == 0] = 1.0
    sim = (seen.T @ seen) / np.outer(norms, norms)
    np.fill_diagonal(sim, 0.0)
    scores = seen @ sim
    popularity = seen.sum(axis=0)

    def top_k(values, u):
        unseen = [j for j in range(len(item_ids)) if seen[u, j] == 0]
        # Descending value, ties by item id as text (recaudit's rule for equal ranks or scores).
        unseen.sort(key=lambda j: (-values[j], item_ids[j]))
        return unseen[:K]

    recs, baseline = [], []
    for u, uid in enumerate(user_ids):
        for r, j in enumerate(top_k(scores[u], u), start=1):
            recs.append((uid, item_ids[j], r, scores[u, j]))
        for r, j in enumerate(top_k(popularity, u), start=1):
            baseline.append((uid, item_ids[j], r))

    case.mkdir(parents=True, exist_ok=True)
    (case / "truth-binary").mkdir(exist_ok=True)
    pd.DataFrame(recs, columns=["user_id", "item_id", "rank", "score"]).to_csv(
        case / "recs.csv", index=False, float_format="%.17g")
    pd.DataFrame(baseline, columns=["user_id", "item_id", "rank"]).to_csv(
        case / "baseline.csv", index=False)
    out_users = pd.DataFrame({
        "user_id": users["user_id"],
        "gender": users["gender"],
        "age_band": users["age"].astype(int).map(age_band),
        "occupation": users["occupation"],
    })
    out_users.to_csv(case / "users.csv", index=False)
    year = pd.to_numeric(items["release_year"], errors="coerce")
    decade = year.map(lambda y: "unknown" if math.isnan(y) else f"{int(y) // 10 * 10}s")
    out_items = pd.DataFrame({
        "item_id": items["item_id"],
        "category": items["class"].str.split(" ").str.join("|"),
        "decade": decade,
    })
    out_items.to_csv(case / "items.csv", index=False)
    genres = sorted({g for cs in items["class"] for g in cs.split(" ")})
    (case / "features").mkdir(exist_ok=True)
    out_items.assign(features=[" ".join("1" if g in cs.split(" ") else "0" for g in genres)
                               for cs in items["class"]]).to_csv(
        case / "features" / "items.csv", index=False)
    history[["user_id", "item_id", "timestamp"]].to_csv(case / "history.csv", index=False)
    truth = test[["user_id", "item_id"]].assign(relevance=test["rating"] - 3)
    truth.to_csv(case / "truth.csv", index=False)
    truth.assign(relevance=1).to_csv(case / "truth-binary" / "truth.csv", index=False)
    return {
        "ratings": len(inter), "history": len(history), "truth": len(truth),
        "users": len(user_ids), "users_with_truth": truth["user_id"].nunique(),
        "items": len(item_ids), "rec_rows": len(recs),
    }


def audit(binary, case, truth, out, extra=(), items=None):
    """recaudit's audit.json of the case with `truth` and `items` (the case's by default; exits
    on an error)."""
    cmd = [str(binary), "audit", "--recs", str(case / "recs.csv"), "--users",
           str(case / "users.csv"), "--items", str(items or case / "items.csv"), "--history",
           str(case / "history.csv"), "--truth", str(truth), "--slices",
           "gender,age_band,occupation", "--item-groups", "decade", "--bootstrap", "200",
           "--json-only", "--quiet", "--out", str(out), *extra]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        sys.exit(f"recaudit failed ({done.returncode}): {done.stderr}")
    return json.load(open(out / "audit.json"))


class Checks:
    def __init__(self):
        self.failed = 0

    def check(self, what, reference, n, diff, tol=TOL):
        ok = diff <= tol
        self.failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {what:<48} {reference:<41} {n:>5} compared, "
              f"max |diff| {diff:.1e}")


def group_means(per_user, users, column):
    """Per published group of `column`: (mean, n) of the defined values of `per_user`."""
    frame = users.set_index("user_id")[[column]].join(per_user.rename("v"), how="inner")
    frame = frame.dropna(subset=["v"])
    out = {}
    for label, g in frame.groupby(column):
        if len(g) >= MIN_SLICE:
            out[label] = (g["v"].mean(), len(g))
    return out


def compare_metric(checks, name, reference, per_user, ours, users, slices):
    """The overall mean and every published group's mean of `per_user` against audit.json."""
    m = ours["metrics"][name]
    diffs = [abs(m["overall"]["value"] - per_user.dropna().mean())]
    assert m["overall"]["n"] == per_user.notna().sum(), (name, m["overall"]["n"])
    for col in slices:
        theirs = group_means(per_user, users, col)
        published = m["slices"][col]["groups"]
        assert set(published) == set(theirs), (name, col, set(published) ^ set(theirs))
        for label, (mean, n) in theirs.items():
            assert published[label]["n"] == n, (name, col, label)
            diffs.append(abs(published[label]["value"] - mean))
    checks.check(f"{name} (overall and {len(diffs) - 1} groups)", reference, len(diffs),
                 max(diffs))


def compare_distribution(checks, name, per_user, ours, users, slices, lenskit=True):
    """Percentiles (NumPy's default, linear: Hyndman & Fan type 7) of `per_user` overall and per
    published group; for a utility metric also the share of each group in the worst decile of all
    users (x ≤ the 10th percentile), the worst-off group's share of the column's total and, with
    `lenskit`, the Gini coefficient within each group (`lenskit.stats.gini`)."""
    if lenskit:
        import lenskit.data  # noqa: F401  (lenskit.stats imported first: a circular import)
        from lenskit.stats import gini
    else:
        def gini(_):
            return math.nan

    m = ours["metrics"][name]
    values = per_user.dropna()
    qs = lambda v: np.percentile(v, [10, 50, 90])  # noqa: E731
    q_diff = [np.max(np.abs(qs(values) - [m["quantiles"][q] for q in ("q10", "q50", "q90")]))]
    utility = m.get("distribution") is not None
    cut = np.percentile(values, 10)
    g_diff, d_diff, w_diff = [], [], []
    if utility:
        g_diff.append(abs(gini(values.to_numpy()) - m["distribution"]["gini"]["value"]))
        d_diff.append(abs((values <= cut).mean()
                          - m["distribution"]["worst_decile_share"]["value"]))
    for col in slices:
        frame = users.set_index("user_id")[[col]].join(values.rename("v"), how="inner")
        groups = {label: g["v"] for label, g in frame.groupby(col) if len(g) >= MIN_SLICE}
        published = m["slices"][col]["quantiles"]
        for label, v in groups.items():
            q = published[label]
            q_diff.append(np.max(np.abs(qs(v) - [q["q10"], q["q50"], q["q90"]])))
        if not utility:
            continue
        dist = m["slices"][col]["distribution"]
        for label, v in groups.items():
            g_diff.append(abs(gini(v.to_numpy()) - dist["gini"][label]["value"]))
            d_diff.append(abs((v <= cut).mean() - dist["worst_decile_share"][label]["value"]))
        worst = min(sorted(groups), key=lambda label: groups[label].mean())
        assert dist["worst_off"]["group"] == worst, (name, col, worst)
        total = sum(v.sum() for v in groups.values())
        w_diff.append(abs(groups[worst].sum() / total - dist["worst_off"]["utility_share"]["value"]))
    checks.check(f"{name} percentiles ({len(q_diff)} sets)", "NumPy percentile (linear)",
                 len(q_diff), max(q_diff))
    if utility and lenskit:
        checks.check(f"{name} Gini within groups ({len(g_diff)} sets)", "LensKit stats.gini",
                     len(g_diff), max(g_diff))
        checks.check(f"{name} worst-decile share, worst-off share", "the definitions (pandas)",
                     len(d_diff) + len(w_diff), max(d_diff + w_diff))


def compare_tests(checks, name, per_user, ours, users, slices, welch):
    """Each published group's test against its column's reference group: with `welch`, the
    p-value against SciPy's Welch t-test (`ttest_ind(equal_var=False)`); always, the
    Benjamini–Hochberg adjustment within the column against statsmodels' `multipletests`."""
    from scipy.stats import ttest_ind
    from statsmodels.stats.multitest import multipletests

    m = ours["metrics"][name]
    p_diff, adj_diff, tested = [], [], 0
    for col in slices:
        d = m["slices"][col].get("disparity")
        if d is None:
            continue
        frame = users.set_index("user_id")[[col]].join(per_user.dropna().rename("v"), how="inner")
        values = {label: g["v"].to_numpy() for label, g in frame.groupby(col)}
        compared = {k: g for k, g in d["groups"].items() if g["p_value"] is not None}
        for label, g in compared.items():
            if welch:
                assert g["test"] == "welch", (name, col, label, g["test"])
                p = ttest_ind(values[label], values[d["reference"]], equal_var=False).pvalue
                p_diff.append(abs(p - g["p_value"]))
        labels = sorted(compared)
        if labels:
            adjusted = multipletests([compared[k]["p_value"] for k in labels], method="fdr_bh")[1]
            adj_diff += [abs(a - compared[k]["p_adjusted"]) for a, k in zip(adjusted, labels)]
            tested += len(labels)
    if welch:
        checks.check(f"{name} Welch p-values ({len(p_diff)} groups)", "SciPy ttest_ind",
                     len(p_diff), max(p_diff))
    test = "Welch" if welch else "permutation"
    checks.check(f"{name} BH-adjusted {test} p ({tested} groups)",
                 "statsmodels multipletests fdr_bh", tested, max(adj_diff))


def lists_of(case):
    recs = pd.read_csv(case / "recs.csv", dtype={"user_id": str, "item_id": str})
    recs = recs.sort_values(["user_id", "rank"])
    return {u: list(g["item_id"]) for u, g in recs.groupby("user_id")}


def recbole_quality(case, truth_file):
    np.float = float  # RecBole 1.2.1 still spells numpy's removed alias
    from recbole.evaluator import metrics as rb

    lists = lists_of(case)
    truth = pd.read_csv(truth_file, dtype={"user_id": str, "item_id": str})
    rel = {u: set(g["item_id"]) for u, g in truth.groupby("user_id")}
    users = sorted(rel, key=int)
    pos_index = np.array([[i in rel[u] for i in lists[u]] for u in users])
    pos_len = np.array([len(rel[u]) for u in users])
    me = object.__new__(rb.TopkMetric)
    out = {
        "precision": rb.Precision.metric_info(me, pos_index),
        "recall": rb.Recall.metric_info(me, pos_index, pos_len),
        "hit": rb.Hit.metric_info(me, pos_index),
        "mrr": rb.MRR.metric_info(me, pos_index),
        "ndcg": rb.NDCG.metric_info(me, pos_index, pos_len),
    }
    return {name: pd.Series(v[:, K - 1].astype(float), index=users) for name, v in out.items()}


def ranx_quality(case, truth_file):
    from ranx import Qrels, Run, evaluate

    truth = pd.read_csv(truth_file, dtype={"user_id": str, "item_id": str})
    qrels = {u: {i: int(r) for i, r in zip(g["item_id"], g["relevance"])}
             for u, g in truth.groupby("user_id")}
    lists = lists_of(case)
    run = {u: {i: float(K + 1 - r) for r, i in enumerate(lists[u], start=1)} for u in qrels}
    names = {"ndcg": "ndcg@10", "precision": "precision@10", "recall": "recall@10",
             "mrr": "mrr@10", "hit": "hit_rate@10"}
    scores = evaluate(Qrels(qrels), Run(run), list(names.values()), return_mean=False)
    users = list(qrels)
    return {name: pd.Series(np.asarray(scores[m], dtype=float), index=users)
            for name, m in names.items()}


def list_sets(case, users, slices):
    """The lists of every set of users recaudit summarises a corpus metric over: overall, and each
    published group of each slice column (users with a list), as (name, item id matrix)."""
    lists = lists_of(case)
    sets = [("overall", sorted(lists, key=int))]
    for col in slices:
        for label, g in users.groupby(col):
            members = [u for u in g["user_id"] if u in lists]
            if len(members) >= MIN_SLICE:
                sets.append((f"{col}={label}", members))
    return [(name, np.array([[int(i) for i in lists[u]] for u in members]), members)
            for name, members in sets]


def corpus_of(ours, name):
    if name == "overall":
        return ours["corpus"]["overall"]["scalars"]
    col, label = name.split("=", 1)
    return ours["corpus"]["slices"][col][label]["scalars"]


def compare_corpus_recbole(checks, case, ours, users, slices, n_items):
    """Corpus metrics of every set of lists against RecBole's coverage, Gini and Shannon
    entropy (over the whole catalog, never-shown items as 0)."""
    np.float = float  # RecBole 1.2.1 still spells numpy's removed alias
    from recbole.evaluator import metrics as rb

    me = object.__new__(rb.AbstractMetric)
    coverage, gini, entropy = [], [], []
    sets = list_sets(case, users, slices)
    for name, matrix, _ in sets:
        theirs = corpus_of(ours, name)
        coverage.append(
            abs(rb.ItemCoverage.get_coverage(me, matrix, n_items) - theirs["catalog_coverage"]))
        gini.append(abs(rb.GiniIndex.get_gini(me, matrix, n_items) - theirs["gini_uniform"]))
        entropy_nats = rb.ShannonEntropy.get_entropy(me, matrix) * len(np.unique(matrix))
        entropy.append(abs(entropy_nats / math.log(2) - theirs["distributional_coverage_bits"]))
    n = len(sets)
    checks.check(f"catalog_coverage ({n} sets)", "RecBole 1.2.1 ItemCoverage", n, max(coverage))
    checks.check(f"gini_uniform ({n} sets)", "RecBole 1.2.1 GiniIndex", n, max(gini))
    checks.check(f"distributional_coverage_bits ({n} sets)", "RecBole ShannonEntropy × n / ln 2",
                 n, max(entropy))


def compare_corpus_lenskit(checks, case, ours, users, slices, n_items):
    """LensKit's list and exposure Gini of every set of lists (over the whole catalog)."""
    from lenskit.data import ItemList
    from lenskit.metrics.ranking import ExposureGini, ListGini, LogRankWeight

    list_gini = ListGini(K, items=n_items)
    exposure_gini = ExposureGini(K, items=n_items, weight=LogRankWeight(offset=1))
    by_list, by_exposure = [], []
    sets = list_sets(case, users, slices)
    for name, matrix, _ in sets:
        theirs = corpus_of(ours, name)
        lists = [ItemList(item_ids=[str(i) for i in row], ordered=True) for row in matrix]
        lk_list = list_gini.global_aggregate([list_gini.compute_list_data(li, None) for li in lists])
        lk_exp = exposure_gini.global_aggregate(
            [exposure_gini.compute_list_data(li, None) for li in lists])
        by_list.append(abs(lk_list - theirs["gini_uniform"]))
        by_exposure.append(abs(lk_exp - theirs["gini_exposure_log"]))
    n = len(sets)
    checks.check(f"gini_uniform ({n} sets)", "LensKit 2025.8.1 ListGini", n, max(by_list))
    # LensKit sums exposure in float32.
    checks.check(f"gini_exposure_log ({n} sets)", "LensKit ExposureGini (float32)", n,
                 max(by_exposure), 1e-6)


def recbole_arp(case):
    """Per-user `arp`: RecBole's AveragePopularity of the list (history counts), at 10."""
    np.float = float
    from recbole.evaluator import metrics as rb

    lists = lists_of(case)
    users = sorted(lists, key=int)
    history = pd.read_csv(case / "history.csv", dtype={"user_id": str, "item_id": str})
    count = Counter(int(i) for i in history["item_id"])
    matrix = np.array([[int(i) for i in lists[u]] for u in users])
    me = object.__new__(rb.AbstractMetric)
    arp = rb.AveragePopularity.metric_info(me, rb.AveragePopularity.get_pop(me, matrix, count))
    return pd.Series(arp[:, K - 1].astype(float), index=users)


def per_user_references(case):
    """Per-user values of metrics outside the quality family, from libraries where one computes
    them: the rbo package's rbo_ext (rbo, p = 0.9), SciPy's entropy (list_entropy, in bits) and
    relative entropy (miscalibration, Steck's KL in nats with q̃ = 0.99 q + 0.01 p)."""
    import rbo
    from scipy.special import rel_entr
    from scipy.stats import entropy

    lists = lists_of(case)
    users = sorted(lists, key=int)
    history = pd.read_csv(case / "history.csv", dtype={"user_id": str, "item_id": str})
    out = {}

    baseline = pd.read_csv(case / "baseline.csv", dtype={"user_id": str, "item_id": str})
    base = {u: list(g.sort_values("rank")["item_id"]) for u, g in baseline.groupby("user_id")}
    out["rbo"] = pd.Series(
        [rbo.RankingSimilarity(base[u], lists[u]).rbo_ext(p=0.9) for u in users], index=users)

    items = pd.read_csv(case / "items.csv", dtype=str, keep_default_na=False)
    cats = {i: c.split("|") for i, c in zip(items["item_id"], items["category"])}

    def mix(item_ids):
        m = Counter()
        for i in item_ids:
            for c in cats[i]:
                m[c] += 1 / len(cats[i])
        total = sum(m.values())
        return {c: v / total for c, v in m.items()}

    own = {u: list(g["item_id"]) for u, g in history.groupby("user_id")}
    names = sorted({c for cs in cats.values() for c in cs})
    entropies, kls = [], []
    for u in users:
        q = mix(lists[u])
        entropies.append(entropy(list(q.values()), base=2))
        p = mix(own[u])
        pv = np.array([p.get(c, 0.0) for c in names])
        qv = np.array([q.get(c, 0.0) for c in names])
        kls.append(rel_entr(pv, 0.99 * qv + 0.01 * pv).sum())
    out["list_entropy"] = pd.Series(entropies, index=users)
    out["miscalibration"] = pd.Series(kls, index=users)
    return out


def diversity_references(case):
    """Per-user `ild`: SciPy's Jaccard distance between the category sets of each pair of a list
    (`pdist(..., "jaccard")`, averaged), and with genre vectors as `features`, Microsoft
    Recommenders' `user_diversity(item_sim_measure="item_feature_vector")` (1 − the mean cosine
    similarity of the pairs)."""
    from recommenders.evaluation.python_evaluation import user_diversity
    from scipy.spatial.distance import pdist

    lists = lists_of(case)
    users = sorted(lists, key=int)
    items = pd.read_csv(case / "items.csv", dtype=str, keep_default_na=False)
    genres = sorted({c for cs in items["category"] for c in cs.split("|")})
    onehot = {i: np.array([g in cs.split("|") for g in genres])
              for i, cs in zip(items["item_id"], items["category"])}
    jaccard = pd.Series([pdist(np.array([onehot[i] for i in lists[u]]), "jaccard").mean()
                         for u in users], index=users)

    recs = pd.read_csv(case / "recs.csv")[["user_id", "item_id"]]
    history = pd.read_csv(case / "history.csv")[["user_id", "item_id"]]
    features = pd.DataFrame({"itemID": [int(i) for i in onehot],
                             "features": [v.astype(float) for v in onehot.values()]})
    theirs = user_diversity(history.rename(columns={"user_id": "userID", "item_id": "itemID"}),
                            recs.rename(columns={"user_id": "userID", "item_id": "itemID"}),
                            item_feature_df=features, item_sim_measure="item_feature_vector")
    cosine = pd.Series(theirs["user_diversity"].to_numpy(),
                       index=theirs["userID"].astype(str))
    return jaccard, cosine


def compare_corpus_more(checks, case, ours, users, slices):
    """`personalisation` of each set of lists against SciPy's mean cosine distance between the
    users' binary item vectors; `novelty` and `distributional_coverage_bits` against Microsoft
    Recommenders' `novelty` and `distributional_coverage`. Its novelty takes φ(i) over history
    *interactions* (N) where recaudit's takes it over history *users* (U): recaudit's is its
    value − log2(N / U)."""
    from recommenders.evaluation.python_evaluation import distributional_coverage, novelty
    from scipy.spatial.distance import pdist

    history = pd.read_csv(case / "history.csv")[["user_id", "item_id"]].rename(
        columns={"user_id": "userID", "item_id": "itemID"})
    shift = math.log2(len(history) / history["userID"].nunique())
    sets = list_sets(case, users, slices)
    n_items = int(pd.read_csv(case / "items.csv")["item_id"].max()) + 1
    p_diff, n_diff, d_diff = [], [], []
    for name, matrix, members in sets:
        theirs = corpus_of(ours, name)
        binary = np.zeros((len(matrix), n_items), dtype=bool)
        binary[np.repeat(np.arange(len(matrix)), K), matrix.ravel()] = True
        p_diff.append(abs(pdist(binary, "cosine").mean() - theirs["personalisation"]))
        reco = pd.DataFrame({"userID": np.repeat([int(u) for u in members], K),
                             "itemID": matrix.ravel()})
        n_diff.append(abs(novelty(history, reco) - shift - theirs["novelty"]))
        d_diff.append(abs(distributional_coverage(history, reco)
                          - theirs["distributional_coverage_bits"]))
    n = len(sets)
    checks.check(f"personalisation ({n} sets)", "SciPy pdist cosine, averaged", n, max(p_diff))
    checks.check(f"novelty ({n} sets)", "MS Recommenders novelty − log2(N/U)", n, max(n_diff))
    checks.check(f"distributional_coverage_bits ({n} sets)",
                 "MS Recommenders distributional_coverage", n, max(d_diff))


def user_novelty_reference(case):
    """Per-user `novelty_user`: Microsoft Recommenders' `historical_item_novelty` of the list's
    items, averaged per list, − log2(N / U) (see [`compare_corpus_more`])."""
    from recommenders.evaluation.python_evaluation import historical_item_novelty

    history = pd.read_csv(case / "history.csv")[["user_id", "item_id"]].rename(
        columns={"user_id": "userID", "item_id": "itemID"})
    recs = pd.read_csv(case / "recs.csv")[["user_id", "item_id"]].rename(
        columns={"user_id": "userID", "item_id": "itemID"})
    shift = math.log2(len(history) / history["userID"].nunique())
    per_item = historical_item_novelty(history, recs).set_index("itemID")["item_novelty"]
    per_user = recs.assign(n=recs["itemID"].map(per_item)).groupby("userID")["n"].mean()
    return pd.Series(per_user.to_numpy() - shift, index=per_user.index.astype(str))


def compare_exposure(checks, case, ours):
    """Each decade's exposure share (E_i = Σ_u 1 / log2(r + 1)), catalog share and their ratio,
    from their definitions in pandas."""
    recs = pd.read_csv(case / "recs.csv", dtype={"item_id": str})
    items = pd.read_csv(case / "items.csv", dtype=str, keep_default_na=False)
    decade = dict(zip(items["item_id"], items["decade"]))
    exposure = (1 / np.log2(recs["rank"] + 1)).groupby(recs["item_id"].map(decade)).sum()
    share = exposure / exposure.sum()
    catalog = items["decade"].value_counts() / len(items)
    shares = ours["corpus"]["overall"]["shares"]
    diffs = []
    for g in catalog.index:
        diffs.append(abs(share.get(g, 0.0) - shares["exposure_share_decade"][g]))
        diffs.append(abs(catalog[g] - shares["target_share_catalog_decade"][g]))
        diffs.append(abs(share.get(g, 0.0) / catalog[g]
                         - shares["disparate_exposure_ratio_catalog_decade"][g]))
    checks.check(f"exposure shares by decade ({len(catalog)} decades)",
                 "the definitions (pandas)", len(diffs), max(diffs))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ml_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("recaudit", type=Path)
    parser.add_argument("--skip", default="", help="comma-separated: recbole, lenskit (both need "
                        "torch): their comparisons are left out and listed as skipped")
    args = parser.parse_args()
    skip = {s for s in args.skip.split(",") if s}
    assert skip <= {"recbole", "lenskit"}, skip
    # Microsoft Recommenders 1.2.1 fills NaN through pandas' chained assignment, which pandas
    # warns about (the pairs it fills do not occur here: every film has a genre vector).
    warnings.filterwarnings("ignore", module="recommenders")
    # ranx's Numba kernels warn of an unsigned-to-signed cast of the (small) relevance grades.
    warnings.filterwarnings("ignore", message="unsafe cast", module="ranx")
    case, out_dir, binary = args.out_dir / "case", args.out_dir, args.recaudit
    sizes = build_case(args.ml_dir, case)
    print("MovieLens 100K:", ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    # Every group compared by Welch's test, so that its p-values can be checked against SciPy's.
    welch = out_dir / "welch.toml"
    welch.write_text("[stats]\npermutation_max_n = 0\n")
    graded = audit(binary, case, case / "truth.csv", out_dir / "graded",
                   ["--baseline-recs", str(case / "baseline.csv"), "--config", str(welch)])
    binary_run = audit(binary, case, case / "truth-binary" / "truth.csv", out_dir / "binary")
    # With genre vectors as `features`, ild is the cosine distance instead of Jaccard's.
    with_features = audit(binary, case, case / "truth.csv", out_dir / "features",
                          items=case / "features" / "items.csv")
    users = pd.read_csv(case / "users.csv", dtype=str)
    slices = ["gender", "age_band", "occupation"]
    checks = Checks()
    lenskit = "lenskit" not in skip

    # Binary truth: RecBole's metrics, or ranx's without RecBole.
    binary_truth = case / "truth-binary" / "truth.csv"
    if "recbole" in skip:
        quality, source = ranx_quality(case, binary_truth), "ranx 0.3.21 (binary truth)"
    else:
        quality, source = recbole_quality(case, binary_truth), "RecBole 1.2.1 (binary truth)"
    for name, values in quality.items():
        compare_metric(checks, name, source, values, binary_run, users, slices)
        compare_distribution(checks, name, values, binary_run, users, slices, lenskit)
        compare_tests(checks, name, values, binary_run, users, slices, welch=False)
    for name, values in ranx_quality(case, case / "truth.csv").items():
        compare_metric(checks, name, "ranx 0.3.21 (graded truth)", values, graded, users,
                       slices)
        compare_tests(checks, name, values, graded, users, slices, welch=True)
    per_user = per_user_references(case)
    if "recbole" not in skip:
        per_user = {"arp": recbole_arp(case), **per_user}
    for name, values in per_user.items():
        compare_metric(checks, name, REFERENCE[name], values, graded, users, slices)
        compare_distribution(checks, name, values, graded, users, slices, lenskit)
        compare_tests(checks, name, values, graded, users, slices, welch=True)
    if "recbole" not in skip:
        compare_corpus_recbole(checks, case, graded, users, slices, sizes["items"])
    if lenskit:
        compare_corpus_lenskit(checks, case, graded, users, slices, sizes["items"])
    compare_corpus_more(checks, case, graded, users, slices)
    compare_metric(checks, "novelty_user", "MS Recommenders item novelty − log2(N/U)",
                   user_novelty_reference(case), graded, users, slices)
    compare_exposure(checks, case, graded)
    jaccard, cosine = diversity_references(case)
    compare_metric(checks, "ild", "SciPy pdist jaccard, averaged", jaccard, graded, users, slices)
    compare_metric(checks, "ild", "MS Recommenders user_diversity", cosine, with_features, users,
                   slices)
    if skip:
        print(f"skipped: the comparisons with {', '.join(sorted(skip))} (--skip)")
    sys.exit(1 if checks.failed else 0)


if __name__ == "__main__":
    main()
