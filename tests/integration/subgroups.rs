//! The subgroup search end to end: a planted gap is found, every finding is large enough to
//! publish and significant after Benjamini–Yekutieli, a clean case has no quality finding, and
//! `max_subgroup_gap` fails the audit on a finding.

use std::path::Path;

use serde_json::Value;

use crate::util::{audit_data, outcome, read_json, recaudit, write};

const SMALL: &[&str] = &["--users", "1500", "--items", "400", "--seed", "7"];
const QUALITY: [&str; 5] = ["precision", "recall", "hit", "mrr", "ndcg"];

fn generate(dir: &Path, extra: &[&str]) -> std::path::PathBuf {
    let data = dir.join("data");
    let mut args = vec!["generate", "--out", data.to_str().unwrap()];
    args.extend_from_slice(SMALL);
    args.extend_from_slice(extra);
    let o = recaudit(&args);
    assert_eq!(outcome(&o).0, 0, "generate: {}", outcome(&o).2);
    data
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn a_planted_gap_is_found_and_gated_and_a_clean_case_has_none() {
    let dir = tempfile::tempdir().unwrap();
    let data = generate(dir.path(), &["--plant", "worse-group"]);
    let out = dir.path().join("out");
    audit_data(&data, &out, &["--bootstrap", "50", "--clusters", "2"]);
    let j = read_json(&out.join("audit.json"));
    let s = &j["subgroups"];
    assert!(
        f(&s["tests"]) > 0.0 && s["combinations_skipped"] == 0,
        "{s}"
    );
    let findings = s["findings"].as_array().unwrap();
    // Women get less accurate lists: the search finds them on NDCG without being told.
    assert!(
        findings.iter().any(|x| x["metric"] == "ndcg"
            && x["columns"] == serde_json::json!(["gender"])
            && x["values"] == serde_json::json!(["F"])),
        "{findings:#?}"
    );
    let min_size = f(&j["settings"]["slices"]["min_slice_size"]);
    for x in findings {
        assert!(f(&x["n_users"]) >= min_size, "{x}");
        assert!(f(&x["adjusted_p"]) <= f(&s["alpha"]) && f(&x["adjusted_p"]) >= f(&x["p_value"]));
        assert!(f(&x["gap"]) > 0.0);
        // The interval of the difference lies on the side the gap says.
        let d = &x["difference"];
        assert!(f(&d["ci_low"]) <= f(&d["value"]) && f(&d["value"]) <= f(&d["ci_high"]));
    }
    // A gate on the subgroups fails the audit.
    let policy = write(
        dir.path(),
        "policy.toml",
        "[[gate]]\nmetric = \"ndcg\"\nrule = \"max_subgroup_gap\"\nthreshold = 0.01\n",
    );
    let o = recaudit([
        "audit",
        "--data",
        data.to_str().unwrap(),
        "--bootstrap",
        "50",
        "--clusters",
        "2",
        "--policy",
        policy.to_str().unwrap(),
        "--out",
        dir.path().join("gated").to_str().unwrap(),
        "--quiet",
    ]);
    let (code, stdout, stderr) = outcome(&o);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let gated = read_json(&dir.path().join("gated/audit.json"));
    let failed: Vec<&Value> = gated["gates"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["rule"] == "max_subgroup_gap" && o["status"] == "fail")
        .collect();
    assert!(!failed.is_empty(), "{}", gated["gates"]);
    // The report says it in a sentence.
    let html = std::fs::read_to_string(dir.path().join("gated/report.html")).unwrap();
    assert!(html.contains("Subgroups nobody named") && html.contains("for everyone else"));

    // Without the plant, no subgroup is significantly worse off on quality.
    let clean = tempfile::tempdir().unwrap();
    let data = generate(clean.path(), &[]);
    let out = clean.path().join("out");
    audit_data(&data, &out, &["--bootstrap", "50", "--clusters", "2"]);
    let j = read_json(&out.join("audit.json"));
    let quality: Vec<&Value> = j["subgroups"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| QUALITY.contains(&x["metric"].as_str().unwrap()))
        .collect();
    assert!(quality.is_empty(), "false discoveries: {quality:#?}");
}
