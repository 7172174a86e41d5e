//! Differentially private audits (`--dp-epsilon`) of the example, end to end: no exact count in
//! any output, the budget stated and spent, every null explained, the planted effects still
//! flagged at ε = 1, and bad privacy settings rejected.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use recaudit::privacy::accounting::epsilon_of_rho;
use serde_json::Value;

use crate::util::{outcome, read_json, recaudit, root};

/// Audits the example into `out` with `extra` flags (and the example policy when `policy`);
/// returns the exit code.
fn audit_example(out: &Path, extra: &[&str]) -> i32 {
    let data = root().join("datasets/example");
    let mut args = vec![
        "audit",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let o = recaudit(&args);
    let (code, _, err) = outcome(&o);
    assert!(code == 0 || code == 1, "audit failed ({code}): {err}");
    code
}

/// Every count of users the audit publishes, by where it stands: each slice group's size, the n
/// of every group estimate, and the input's user and row counts (the catalog's size, which no
/// user changes, is left out).
fn counts_by_place(json: &Value) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for (c, col) in json["slices"].as_object().unwrap() {
        for (g, group) in col["groups"].as_object().unwrap() {
            counts.insert(format!("{c}/{g}"), group["n_users"].as_u64().unwrap());
        }
    }
    for (m, metric) in json["metrics"].as_object().unwrap() {
        for (c, s) in metric["slices"].as_object().unwrap() {
            for (g, e) in s["groups"].as_object().unwrap() {
                counts.insert(format!("{m}/{c}/{g}"), e["n"].as_u64().unwrap());
            }
        }
    }
    let input = &json["input"];
    for key in ["users_audited", "items_recommended", "history_users"] {
        counts.insert(key.into(), input[key].as_u64().unwrap());
    }
    for (table, n) in input["rows_read"].as_object().unwrap() {
        if table != "items" {
            counts.insert(format!("rows/{table}"), n.as_u64().unwrap());
        }
    }
    counts
}

/// `text` without its markup: what is between `<` and `>` (tags and their attributes, such as
/// the charts' coordinates) is dropped, the text between tags kept.
fn without_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The whole-number tokens of `text` (runs of digits not part of a decimal number).
fn whole_numbers(text: &str) -> BTreeSet<u64> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()))
        .filter_map(|t| t.parse().ok())
        .collect()
}

/// A noisy count can round to some exact count by chance, so the test is twofold: (1) in
/// audit.json, where a count stands in both audits, the DP count differs from the exact one
/// (allowing chance equalities at the rate the noise makes them, under 5%), and no input count
/// but the users' is published; (2) every whole number in the text of the report (its markup,
/// such as the charts' coordinates, aside), the JUnit file and the CSV tables that equals an
/// exact count is also a noisy count of the DP audit.json (derived from the release, not copied
/// from the data).
#[test]
fn no_exact_count_of_the_example_appears_in_any_dp_output() {
    let exact_dir = tempfile::tempdir().unwrap();
    audit_example(exact_dir.path(), &["--json-only"]);
    let exact = counts_by_place(&read_json(&exact_dir.path().join("audit.json")));
    assert_eq!(exact["gender/F"], 1193);

    let dp_dir = tempfile::tempdir().unwrap();
    let policy = root().join("datasets/policy.example.toml");
    audit_example(
        dp_dir.path(),
        &["--dp-epsilon", "1", "--policy", policy.to_str().unwrap()],
    );
    let dp_json = read_json(&dp_dir.path().join("audit.json"));
    let dp = counts_by_place(&dp_json);
    let shared: Vec<&String> = dp.keys().filter(|k| exact.contains_key(*k)).collect();
    assert!(shared.len() > 100, "{} counts in both", shared.len());
    let equal = shared.iter().filter(|k| dp[**k] == exact[**k]).count();
    assert!(
        equal * 20 < shared.len(),
        "{equal} of {} counts exact",
        shared.len()
    );
    assert!(dp.keys().all(|k| !k.starts_with("rows/")));
    assert_eq!((dp["items_recommended"], dp["history_users"]), (0, 0));

    let noisy: BTreeSet<u64> = dp.values().copied().collect();
    let exact_values: BTreeSet<u64> = exact.values().copied().filter(|&n| n >= 20).collect();
    let mut files = vec![
        dp_dir.path().join("report.html"),
        dp_dir.path().join("gates.junit.xml"),
    ];
    for entry in std::fs::read_dir(dp_dir.path().join("tables")).unwrap() {
        files.push(entry.unwrap().path());
    }
    assert!(files.len() > 3, "tables written: {files:?}");
    for file in files {
        let text = without_markup(&std::fs::read_to_string(&file).unwrap());
        let leaked: Vec<u64> = whole_numbers(&text)
            .intersection(&exact_values)
            .filter(|n| !noisy.contains(n))
            .copied()
            .collect();
        assert!(
            leaked.is_empty(),
            "{}: exact counts {leaked:?}",
            file.display()
        );
    }
}

#[test]
fn the_dp_audit_states_its_budget_and_explains_every_null() {
    let dir = tempfile::tempdir().unwrap();
    audit_example(dir.path(), &["--dp-epsilon", "0.5", "--json-only"]);
    let json = read_json(&dir.path().join("audit.json"));
    let p = &json["privacy"];
    let (eps, delta, rho) = (
        p["epsilon"].as_f64().unwrap(),
        p["delta"].as_f64().unwrap(),
        p["rho"].as_f64().unwrap(),
    );
    assert_eq!((eps, delta), (0.5, 1e-8));
    // Half of δ is kept for the labels of groups found in the data, half converts ρ.
    let delta_labels = p["delta_labels"].as_f64().unwrap();
    assert_eq!(delta_labels, 5e-9);
    let queries = p["queries"].as_u64().unwrap() as f64;
    let spent = p["rho_per_query"].as_f64().unwrap() * queries;
    assert!(
        (spent - rho).abs() < 1e-12
            && (epsilon_of_rho(spent, delta - delta_labels) - eps).abs() < 1e-9
    );
    // The budget's parts add up to the queries and to ρ: 1 count of users, 5 vectors of group
    // sizes (every column is a candidate), for each of the C audited columns and overall 11
    // metrics × 2 (count and sum) and 2 item-group columns (provider, category), and the same
    // 24 queries reserved for each of the 5 − C columns skipped for their noisy sizes.
    let c = json["slices"].as_object().unwrap().len() as u64;
    assert!(c < 5, "at ε = 0.5 some column is skipped");
    assert_eq!(
        json["skipped_slice_columns"].as_array().unwrap().len() as u64,
        5 - c
    );
    let parts = p["budget"].as_array().unwrap();
    let part_queries: Vec<u64> = parts
        .iter()
        .map(|b| b["queries"].as_u64().unwrap())
        .collect();
    assert_eq!(
        part_queries,
        [1, 5, 22 * (1 + c), 2 * (1 + c), 24 * (5 - c)]
    );
    assert_eq!(queries, 150.0);
    let part_rho: f64 = parts.iter().map(|b| b["rho"].as_f64().unwrap()).sum();
    assert!((part_rho - rho).abs() < 1e-12 * rho.max(1.0));
    // σ = 1 / √(2 ρ_q).
    let sigma = p["noise_sd"].as_f64().unwrap();
    assert!((sigma - (queries / (2.0 * rho)).sqrt()).abs() < 1e-9 * sigma);
    assert_eq!(p["clipping"]["ndcg"], serde_json::json!([0.0, 1.0]));
    assert!(p["withheld"]["arp"]
        .as_str()
        .unwrap()
        .contains("history users"));
    assert!(json["metrics"].get("arp").is_none());
    assert_eq!(json["settings"]["privacy"]["epsilon"], 0.5);
    let missing = recaudit::result::NullReasons::unexplained(&json);
    assert!(missing.is_empty(), "nulls without a reason: {missing:?}");
}

#[test]
fn the_planted_effects_are_still_flagged_at_epsilon_1() {
    let dir = tempfile::tempdir().unwrap();
    audit_example(
        dir.path(),
        &[
            "--dp-epsilon",
            "1",
            "--dp-metrics",
            "ndcg,narrowed",
            "--slices",
            "gender,age_band",
            "--json-only",
        ],
    );
    let json = read_json(&dir.path().join("audit.json"));
    let group = |metric: &str, column: &str, g: &str| {
        json["metrics"][metric]["slices"][column]["disparity"]["groups"][g].clone()
    };
    let women = group("ndcg", "gender", "F");
    assert_eq!(women["significant"], true, "{women}");
    assert!(women["difference"]["ci_high"].as_f64().unwrap() < 0.0);
    assert_eq!(women["test"], "dp_normal");
    let older = group("narrowed", "age_band", "55+");
    assert_eq!(older["significant"], true, "{older}");
    assert!(older["estimate"]["value"].as_f64().unwrap() > 0.5);
}

#[test]
fn bad_privacy_settings_name_the_flag() {
    let data = root().join("datasets/example");
    for (flags, want) in [
        (vec!["--dp-epsilon", "0"], "--dp-epsilon"),
        // Below the floor the noise would drown every number (and far below, overflow).
        (
            vec!["--dp-epsilon", "1e-15"],
            "invalid value `1e-15` for --dp-epsilon: expected a number in [0.000001, 100]",
        ),
        (
            vec!["--dp-epsilon", "1", "--dp-metrics", "arp"],
            "--dp-metrics",
        ),
    ] {
        let mut args = vec![
            "audit",
            "--data",
            data.to_str().unwrap(),
            "--out",
            "/nonexistent",
        ];
        args.extend(flags);
        let (code, _, err) = outcome(&recaudit(&args));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(want), "{err}");
    }
}

/// Every exact count of users in the example's tables, computed here from the CSV files: the
/// users, those with and without consent, the size of every value of every users-table column
/// (among consenting users, as slices count them, and among all users), the users with a history,
/// with a truth row, and the rows of every table of users. Only counts of at least 20 are kept
/// (smaller numbers stand in any text for other reasons).
fn exact_counts_of_the_example() -> BTreeMap<String, u64> {
    let dir = root().join("datasets/example");
    let read = |name: &str| -> Vec<Vec<String>> {
        std::fs::read_to_string(dir.join(name))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect()
    };
    let users = read("users.csv");
    let header: Vec<String> = std::fs::read_to_string(dir.join("users.csv"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let consent = header.iter().position(|h| h == "consent").unwrap();
    let mut counts = BTreeMap::new();
    let mut add = |key: String| *counts.entry(key).or_insert(0u64) += 1;
    for row in &users {
        add("users".into());
        let yes = row[consent] == "true";
        add(format!("consent/{yes}"));
        for (c, value) in header.iter().zip(row).skip(1) {
            add(format!("all/{c}/{value}"));
            if yes {
                add(format!("sliced/{c}/{value}"));
            }
        }
    }
    for table in ["recs.csv", "truth.csv", "history.csv"] {
        let rows = read(table);
        counts.insert(format!("rows/{table}"), rows.len() as u64);
        let distinct: BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        counts.insert(format!("users/{table}"), distinct.len() as u64);
    }
    counts.retain(|_, n| *n >= 20);
    counts
}

/// Every value of a count field (`n`, `n_users`, `users_audited`, `n_undefined`) under `v`.
fn noisy_counts(v: &Value, out: &mut BTreeSet<u64>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x.as_u64()) {
                    ("n" | "n_users" | "users_audited" | "n_undefined", Some(n)) => {
                        out.insert(n);
                    }
                    _ => noisy_counts(x, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|x| noisy_counts(x, out)),
        _ => {}
    }
}

/// The whole numbers of a DP audit.json's text outside the parts that hold no count of users
/// (the settings echo, the definitions, the tool and the files' provenance).
fn numbers_of_dp_json(json: &Value) -> BTreeSet<u64> {
    let mut published = json.clone();
    for key in ["settings", "definitions", "tool", "provenance"] {
        published.as_object_mut().unwrap().remove(key);
    }
    whole_numbers(&serde_json::to_string(&published).unwrap())
}

/// The sizes of the example's groups, users, consent exclusions and table rows, counted from the
/// CSV files, appear nowhere in a DP audit of it (slice columns chosen from noisy sizes, no
/// `--slices`): not in audit.json (numbers and text), the report's text, the CSV tables, the JUnit
/// file or the terminal. A number equal to one is allowed only when it is itself a noisy count of
/// the DP audit.json (a chance equality, not a copy).
#[test]
fn no_exact_size_of_the_input_appears_in_dp_outputs_or_the_terminal() {
    let exact = exact_counts_of_the_example();
    // Hand-checked against the file: 2500 users, 2419 with consent, 81 without; 106 consenting
    // users have gender X.
    assert_eq!(
        (
            exact["users"],
            exact["consent/true"],
            exact["consent/false"]
        ),
        (2500, 2419, 81)
    );
    assert_eq!(exact["sliced/gender/X"], 106);
    let exact_values: BTreeSet<u64> = exact.values().copied().collect();

    let dir = tempfile::tempdir().unwrap();
    let data = root().join("datasets/example");
    let policy = root().join("datasets/policy.example.toml");
    let o = recaudit([
        "audit",
        "--data",
        data.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
        "--dp-epsilon",
        "1",
        "--policy",
        policy.to_str().unwrap(),
    ]);
    let (code, out, err) = outcome(&o);
    assert!(code == 0 || code == 1, "{err}");
    let json = read_json(&dir.path().join("audit.json"));
    // Every count the DP audit.json states (`n`, `n_users`, `users_audited`, `n_undefined`,
    // wherever they stand: sums of rounded noisy counts included) is noisy.
    let mut noisy = BTreeSet::new();
    noisy_counts(&json, &mut noisy);
    let mut texts = vec![
        ("audit.json".to_string(), numbers_of_dp_json(&json)),
        // The terminal names the output folder, a temporary one whose random name can hold
        // digits: it is left out.
        (
            "terminal".to_string(),
            whole_numbers(&format!("{out}\n{err}").replace(dir.path().to_str().unwrap(), "<out>")),
        ),
    ];
    let mut files = vec![
        dir.path().join("report.html"),
        dir.path().join("gates.junit.xml"),
    ];
    for entry in std::fs::read_dir(dir.path().join("tables")).unwrap() {
        files.push(entry.unwrap().path());
    }
    for f in files {
        let text = without_markup(&std::fs::read_to_string(&f).unwrap());
        texts.push((f.display().to_string(), whole_numbers(&text)));
    }
    for (what, numbers) in texts {
        let leaked: Vec<(&String, u64)> = exact
            .iter()
            .filter(|(_, n)| numbers.contains(n) && !noisy.contains(n))
            .map(|(k, n)| (k, *n))
            .collect();
        assert!(leaked.is_empty(), "{what}: exact counts {leaked:?}");
    }
    // The slice columns were chosen from noisy sizes, and the reasons of those skipped name the
    // threshold, not a count of values.
    for s in json["skipped_slice_columns"].as_array().unwrap() {
        let reason = s["reason"].as_str().unwrap();
        assert!(reason.contains("noisy size"), "{reason}");
        assert!(whole_numbers(reason).is_disjoint(&exact_values), "{reason}");
    }
    // No group is counted as too small or withheld (their number would count rare values).
    for (c, s) in json["slices"].as_object().unwrap() {
        assert_eq!(s["groups_too_small"], 0, "{c}");
        assert_eq!(s["groups_withheld"], 0, "{c}");
    }
}

/// The example's under-exposed indie provider (exact share 0.0695 of the exposure for 0.3 of the
/// catalog) is still found from noisy exposure sums at ε = 1: the whole interval of its share is
/// below four-fifths of its catalog share, and the intervals of the DP shares hold the exact ones.
#[test]
fn the_under_exposed_provider_is_still_found_at_epsilon_1() {
    let dir = tempfile::tempdir().unwrap();
    audit_example(
        dir.path(),
        &[
            "--dp-epsilon",
            "1",
            "--dp-metrics",
            "exposure_share",
            "--slices",
            "gender",
            "--json-only",
        ],
    );
    let json = read_json(&dir.path().join("audit.json"));
    // 1 (users) + 1 (gender sizes) + 2 item-group columns (provider, category) × (1 + 1) = 6.
    assert_eq!(json["privacy"]["queries"], 6);
    let indie = &json["corpus"]["exposure_share_intervals"]["provider"]["overall"]["indie"];
    let catalog = json["corpus"]["overall"]["shares"]["target_share_catalog_provider"]["indie"]
        .as_f64()
        .unwrap();
    assert_eq!(catalog, 0.3);
    let (lo, hi) = (
        indie["ci_low"].as_f64().unwrap(),
        indie["ci_high"].as_f64().unwrap(),
    );
    assert!(hi < 0.8 * catalog, "{indie}");
    assert!(lo < 0.0695 && 0.0695 < hi, "{indie}");
    // No merit target and no corpus scalar: they are withheld.
    let shares = json["corpus"]["overall"]["shares"].as_object().unwrap();
    assert!(shares
        .keys()
        .all(|k| !k.contains("merit") && !k.contains("relevance")));
    assert!(json["corpus"]["overall"]["scalars"]
        .as_object()
        .unwrap()
        .is_empty());
    assert!(
        json["privacy"]["withheld"]["exposure_share_popularity_band"]
            .as_str()
            .unwrap()
            .contains("history")
    );
}
