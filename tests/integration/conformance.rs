//! The shared conformance case (`tests/data/conformance`, SPEC.md's definitions computed
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

fn run_conformance() -> Value {
    let dir = tempfile::tempdir().unwrap();
    audit_conformance(dir.path(), &["--k", "10", "--bootstrap", "200"]);
    read_json(&dir.path().join("audit.json"))
}

fn num(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what}: not a number: {v}"))
}

#[test]
fn conformance_case_matches_expected_values() {
    let got = run_conformance();
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
            let (c, g) = scope.unwrap();
            let grp = &got["slices"][c]["groups"][g];
            assert_eq!(grp["suppressed"], Value::Bool(true), "{name} suppressed");
            assert_eq!(grp["n_users"], want["n_users"], "{name} n_users");
            for m in USER_METRICS {
                assert!(
                    got["metrics"][m]["slices"][c]["groups"].get(g).is_none(),
                    "{name}: a suppressed slice must not show {m}"
                );
            }
            checked += 1;
            continue;
        }
        for m in USER_METRICS {
            let v = match scope {
                None => &got["metrics"][m]["overall"]["value"],
                Some((c, g)) => &got["metrics"][m]["slices"][c]["groups"][g]["value"],
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
        assert_eq!(
            n_accuracy, &want["n_users_accuracy"],
            "{name} n_users_accuracy"
        );
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
                let v =
                    &got["metrics"][m]["slices"][col]["disparity"]["groups"][g]["ratio"]["value"];
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
    assert!(checked > 200, "only {checked} values checked");
}
