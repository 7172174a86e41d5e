//! The shared conformance case (`tests/data/conformance`, definitions of docs/metrics.md computed
//! independently): every value of its `expected.json` must be reproduced to 1e-9 relative.

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

fn run_conformance(min_slice_size: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    audit_conformance(
        dir.path(),
        &[
            "--k",
            "10",
            "--bootstrap",
            "200",
            "--min-slice-size",
            min_slice_size,
        ],
    );
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
    let got = run_conformance("20");
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
    let got = run_conformance("13");
    let published: Vec<&String> = got["slices"]["gender"]["groups"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(published, ["F", "M", "X"]);
    let checked = check_against_expected(&got, false);
    assert!(checked > 180, "only {checked} values checked");
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

    // Reference groups and ratios to them.
    for col in ["gender", "age_band"] {
        assert_eq!(
            got["slices"][col]["reference"],
            main[format!("{col}_reference")],
            "{col} reference"
        );
        for (m, groups) in main[format!("{col}_ratio_to_ref")].as_object().unwrap() {
            for (g, w) in groups.as_object().unwrap() {
                if got["slices"][col]["groups"].get(g).is_none() {
                    continue;
                }
                let v =
                    &got["metrics"][m]["slices"][col]["disparity"]["groups"][g]["ratio"]["value"];
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
