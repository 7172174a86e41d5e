//! The shared conformance case (`tests/data/conformance`, definitions of docs/metrics.md computed
//! independently): every value of its `expected.json` must be reproduced to 1e-9 relative: means,
//! corpus values, per-user percentiles, ratios to a chosen reference (`<col>_reference`) and to
//! the best-off group of each metric (`<col>_best`, the default reference).

use serde_json::Value;

use crate::util::{assert_close, audit_conformance, data, read_json};

/// Metrics that recaudit reports per user (averaged per slice) under `metrics.<name>`.
const USER_METRICS: &[&str] = &[
    "precision",
    "recall",
    "hit",
    "mrr",
    "ndcg",
    "arp",
    "aplt",
    "novelty_user",
    "ild",
    "list_entropy",
    "miscalibration",
    "narrowed",
];

/// Metrics of a set of lists as a whole, under `corpus.<scope>.scalars.<name>`.
const CORPUS_SCALARS: &[&str] = &[
    "catalog_coverage",
    "distributional_coverage_bits",
    "personalisation",
    "gini_exposure_log",
    "gini_uniform",
    "novelty",
    "delta_gap",
];

/// Per-user metrics whose 10th, 50th and 90th percentiles `expected.json` gives (`<m>_q10`, ...).
const QUANTILE_METRICS: &[&str] = &["ndcg", "recall"];

/// The case audited at `min_slice_size`; with `chosen_reference`, each column's reference is the
/// group `expected.json` names (`<col>_reference`), else each metric's best-off group.
fn run_conformance(min_slice_size: &str, chosen_reference: bool) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let expected = read_json(&data("conformance/expected.json"));
    let mut args: Vec<String> = ["--k", "10", "--bootstrap", "200", "--min-slice-size"]
        .iter()
        .map(|a| a.to_string())
        .collect();
    args.push(min_slice_size.to_string());
    if chosen_reference {
        for col in ["gender", "age_band"] {
            let group = expected["main"][format!("{col}_reference")]
                .as_str()
                .unwrap();
            args.extend(["--reference".to_string(), format!("{col}={group}")]);
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    audit_conformance(dir.path(), &args);
    read_json(&dir.path().join("audit.json"))
}

fn num(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what}: not a number: {v}"))
}

/// At the case's own setting (min_slice_size 20) gender X (13 users) is suppressed, and F, the
/// smaller of the other two groups, is withheld: otherwise X's figures would be overall − F − M.
/// Every published value is checked; F's are checked by the run below.
#[test]
fn conformance_case_matches_expected_values() {
    let got = run_conformance("20", true);
    assert_eq!(got["slices"]["gender"]["groups_too_small"], 1);
    assert_eq!(got["slices"]["gender"]["groups_withheld"], 1);
    let published: Vec<&String> = got["slices"]["gender"]["groups"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(published, ["M"]);
    let checked = check_against_expected(&got, true);
    assert!(checked > 150, "only {checked} values checked");
}

/// With min_slice_size 13 no group is suppressed, so F and M are both published and compared.
#[test]
fn conformance_case_matches_expected_values_with_every_group_published() {
    let got = run_conformance("13", true);
    let published: Vec<&String> = got["slices"]["gender"]["groups"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(published, ["F", "M", "X"]);
    let checked = check_against_expected(&got, false);
    assert!(checked > 180, "only {checked} values checked");
}

/// With the default reference, each metric of each column is compared with its best-off published
/// group: the group `expected.json` names where the same groups are published, with the same
/// ratios to it; where fewer are (a group withheld for the metric) or more (X, which the case
/// counts as suppressed), the group with the best mean among those published.
#[test]
fn conformance_case_compares_each_metric_with_its_best_off_group() {
    let got = run_conformance("13", false);
    let expected = read_json(&data("conformance/expected.json"));
    let main = &expected["main"];
    let mut checked = 0;
    let mut as_expected = 0;
    for col in ["gender", "age_band"] {
        assert_eq!(got["slices"][col]["chosen_reference"], Value::Null);
        for (m, want_best) in main[format!("{col}_best")].as_object().unwrap() {
            let metric = &got["metrics"][m];
            let slice = &metric["slices"][col];
            let d = &slice["disparity"];
            assert_eq!(d["reference_rule"], "best_off", "{col} {m}");
            let reference = d["reference"].as_str().unwrap();
            // The reference has the best mean among the groups published for the metric.
            let higher = match metric["better"].as_str() {
                Some("higher") => true,
                Some("lower") => false,
                other => panic!("{m}: better {other:?}"),
            };
            let mean = |g: &str| num(&slice["groups"][g]["value"], &format!("{col}={g} {m}"));
            for g in slice["groups"].as_object().unwrap().keys() {
                let (a, r) = (mean(g), mean(reference));
                assert!(
                    if higher { a <= r } else { a >= r },
                    "{col} {m}: {g} beats {reference}"
                );
            }
            checked += 1;
            let published: Vec<&String> = slice["groups"].as_object().unwrap().keys().collect();
            let want_ratios = main[format!("{col}_ratio_to_best")][m].as_object().unwrap();
            let same_groups = want_ratios.len() == published.len()
                && want_ratios.keys().all(|g| published.contains(&g));
            if !same_groups {
                continue;
            }
            assert_eq!(
                reference,
                want_best.as_str().unwrap(),
                "{col} {m} best-off group"
            );
            for (g, w) in want_ratios {
                let v = &d["groups"][g]["ratio"]["value"];
                let what = format!("{col}={g} {m} ratio to best");
                assert_close(&what, num(v, &what), num(w, m), 1e-9);
                // The four-fifths flag reads this ratio, for higher-is-better metrics only.
                let flag = &d["groups"][g]["four_fifths"];
                if higher {
                    assert_eq!(flag.as_bool(), Some(num(w, m) < 0.8), "{what}");
                } else {
                    assert!(flag.is_null(), "{what}");
                }
                checked += 1;
            }
            as_expected += 1;
        }
    }
    assert!(
        as_expected >= 8,
        "only {as_expected} best-off groups compared"
    );
    assert!(checked > 30, "only {checked} values checked");
}

/// Compares every value of `expected.json` that `got` publishes; returns how many were checked.
/// `suppression`: the run used the case's min_slice_size, so groups the case marks as suppressed
/// must be absent, unnamed, and counted.
fn check_against_expected(got: &Value, suppression: bool) -> usize {
    let expected = read_json(&data("conformance/expected.json"));
    let main = &expected["main"];
    let tol = 1e-9;
    let mut checked = 0;

    // Scopes: "overall" and each slice group.
    let mut scopes: Vec<(Option<(&str, &str)>, &Value)> = vec![(None, &main["overall"])];
    for col in ["gender", "age_band"] {
        for (g, v) in main[col].as_object().unwrap() {
            scopes.push((Some((col, g.as_str())), v));
        }
    }
    for (scope, want) in scopes {
        let name = match scope {
            None => "overall".to_string(),
            Some((c, g)) => format!("{c}={g}"),
        };
        if want.get("suppressed").and_then(Value::as_bool) == Some(true) {
            if !suppression {
                continue;
            }
            let (c, g) = scope.unwrap();
            assert!(
                got["slices"][c]["groups"].get(g).is_none(),
                "{name}: a suppressed group is not named"
            );
            assert!(got["slices"][c]["groups_too_small"].as_u64() >= Some(1));
            for m in USER_METRICS {
                assert!(
                    got["metrics"][m]["slices"][c]["groups"].get(g).is_none(),
                    "{name}: a suppressed slice must not show {m}"
                );
            }
            checked += 1;
            continue;
        }
        if let Some((c, g)) = scope {
            if got["slices"][c]["groups"].get(g).is_none() {
                assert!(
                    suppression && got["slices"][c]["groups_withheld"].as_u64() >= Some(1),
                    "{name} is not published"
                );
                continue;
            }
        }
        for m in USER_METRICS {
            let v = match scope {
                None => &got["metrics"][m]["overall"]["value"],
                Some((c, g)) => {
                    let slice = &got["metrics"][m]["slices"][c];
                    if slice["groups"].get(g).is_none() {
                        // Withheld for this metric: too few of the group's users have a value,
                        // or it would reveal a smaller group's among them.
                        assert!(slice["groups_withheld"].as_u64() >= Some(1), "{name} {m}");
                        continue;
                    }
                    &slice["groups"][g]["value"]
                }
            };
            assert_close(
                &format!("{name} {m}"),
                num(v, &format!("{name} {m}")),
                num(&want[m], m),
                tol,
            );
            checked += 1;
        }
        for m in QUANTILE_METRICS {
            let quantiles = match scope {
                None => &got["metrics"][m]["quantiles"],
                Some((c, g)) => &got["metrics"][m]["slices"][c]["quantiles"][g],
            };
            if quantiles.is_null() {
                // Withheld for this metric (checked above).
                continue;
            }
            for q in ["q10", "q50", "q90"] {
                let what = format!("{name} {m} {q}");
                assert_close(
                    &what,
                    num(&quantiles[q], &what),
                    num(&want[format!("{m}_{q}")], &what),
                    tol,
                );
                checked += 1;
            }
        }
        let corpus = match scope {
            None => &got["corpus"]["overall"],
            Some((c, g)) => &got["corpus"]["slices"][c][g],
        };
        for m in CORPUS_SCALARS {
            let v = &corpus["scalars"][m];
            assert_close(
                &format!("{name} {m}"),
                num(v, &format!("{name} {m}")),
                num(&want[m], m),
                tol,
            );
            checked += 1;
        }
        for (want_key, got_key) in [
            ("exposure_share_provider", "exposure_share_provider"),
            (
                "disparate_exposure_ratio_catalog",
                "disparate_exposure_ratio_catalog_provider",
            ),
        ] {
            for (group, w) in want[want_key].as_object().unwrap() {
                let v = &corpus["shares"][got_key][group];
                assert_close(
                    &format!("{name} {got_key} {group}"),
                    num(v, got_key),
                    num(w, want_key),
                    tol,
                );
                checked += 1;
            }
        }
        // Group sizes.
        let (n_users, n_accuracy) = match scope {
            None => (
                &got["input"]["users_audited"],
                &got["metrics"]["ndcg"]["overall"]["n"],
            ),
            Some((c, g)) => (
                &got["slices"][c]["groups"][g]["n_users"],
                &got["metrics"]["ndcg"]["slices"][c]["groups"][g]["n"],
            ),
        };
        assert_eq!(n_users, &want["n_users"], "{name} n_users");
        if !n_accuracy.is_null() {
            assert_eq!(
                n_accuracy, &want["n_users_accuracy"],
                "{name} n_users_accuracy"
            );
        }
        checked += 2;
    }

    // Reference groups (chosen with --reference) and ratios to them.
    for col in ["gender", "age_band"] {
        assert_eq!(
            got["slices"][col]["chosen_reference"],
            main[format!("{col}_reference")],
            "{col} reference"
        );
        for (m, groups) in main[format!("{col}_ratio_to_ref")].as_object().unwrap() {
            for (g, w) in groups.as_object().unwrap() {
                if got["slices"][col]["groups"].get(g).is_none() {
                    continue;
                }
                let d = &got["metrics"][m]["slices"][col]["disparity"];
                assert_eq!(
                    d["reference"],
                    main[format!("{col}_reference")],
                    "{col} {m}"
                );
                assert_eq!(d["reference_rule"], "chosen", "{col} {m}");
                let v = &d["groups"][g]["ratio"]["value"];
                if v.is_null() {
                    continue;
                }
                assert_close(
                    &format!("{col}={g} {m} ratio to reference"),
                    num(v, m),
                    num(w, m),
                    tol,
                );
                checked += 1;
            }
        }
    }
    assert_eq!(got["input"]["catalog_items"], expected["meta"]["catalog"]);
    checked
}
