//! Tests of [`NullReasons`]: hand-made `audit.json` fragments, each `null` with the reason its
//! surroundings give.

use serde_json::json;

use super::*;

/// A metric `key` (better `better`) compared across gender: F is the reference with `f`, M has
/// `m`, the ratio M / F `ratio`; M's p-value is `p`.
fn metric(better: &str, f: Value, m: Value, ratio: Value, p: Value) -> Value {
    json!({
        "better": better,
        "overall": {"value": 0.5, "ci_low": 0.4, "ci_high": 0.6, "n": 10},
        "slices": {"gender": {
            "groups": {},
            "disparity": {
                "reference": "F",
                "groups": {
                    "F": {"estimate": {"value": f, "ci_low": null, "ci_high": null, "n": 5},
                          "ratio": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 5},
                          "p_value": null, "p_adjusted": null, "test": null,
                          "four_fifths": if better == "higher" { json!(false) } else { Value::Null }},
                    "M": {"estimate": {"value": m, "ci_low": 0.1, "ci_high": 0.3, "n": 5},
                          "ratio": {"value": ratio, "ci_low": null, "ci_high": null, "n": 5},
                          "p_value": p, "p_adjusted": p, "test": if p.is_null() { Value::Null } else { json!("welch") },
                          "four_fifths": if better == "higher" && !ratio.is_null() { json!(true) } else { Value::Null }}
                }
            }
        }}
    })
}

fn reasons(root: &Value) -> BTreeMap<String, String> {
    NullReasons::of_json(root).0
}

#[test]
fn the_reference_group_and_an_untested_group_get_their_own_reasons() {
    let root = json!({
        "settings": {"stats": {"resamples": 100}},
        "metrics": {
            "ndcg": metric("higher", json!(0.2), json!(0.1), json!(0.5), json!(0.01)),
            "recall": metric("higher", json!(0.2), json!(0.1), json!(0.5), Value::Null),
        }
    });
    let r = reasons(&root);
    // ndcg: only F's p-value is null; recall: F's and M's, for different reasons, so each
    // pointer is listed with its own.
    let p = |metric: &str, group: &str| {
        r[&format!("/metrics/{metric}/slices/gender/disparity/groups/{group}/p_value")].clone()
    };
    assert!(
        p("ndcg", "F").contains("reference group"),
        "{}",
        p("ndcg", "F")
    );
    assert!(p("recall", "F").contains("reference group"));
    assert!(p("recall", "M").starts_with("no test was possible"));
    assert!(!r.contains_key("/metrics/*/slices/*/disparity/groups/*/p_value"));
    let adjusted = &r["/metrics/recall/slices/gender/disparity/groups/M/p_adjusted"];
    assert!(
        adjusted.starts_with("no p-value to adjust: no test"),
        "{adjusted}"
    );
    assert_eq!(
        NullReasons::unexplained(&with_block(root, r)),
        Vec::<String>::new()
    );
}

#[test]
fn one_reason_for_a_whole_pattern_is_written_once() {
    let root = json!({
        "settings": {"stats": {"resamples": 0}},
        "metrics": {
            "arp": metric("lower", json!(2.0), json!(3.0), json!(1.5), json!(0.01)),
            "gap_p": metric("lower", json!(2.0), json!(3.0), json!(1.5), json!(0.01)),
        }
    });
    let r = reasons(&root);
    let pattern = "/metrics/*/slices/*/disparity/groups/*/four_fifths";
    assert!(r[pattern].contains("only to metrics where higher is better"));
    assert!(r["/metrics/*/slices/*/disparity/groups/*/p_value"].contains("reference group"));
    // The bootstrap is off: every missing bound says so, under one pattern each.
    assert!(r["/metrics/*/slices/*/disparity/groups/*/ratio/ci_low"].contains("resamples = 0"));
    assert!(r["/metrics/*/slices/*/disparity/groups/*/estimate/ci_high"].contains("resamples = 0"));
    assert!(
        !r.keys()
            .any(|k| k.contains("/arp/") || k.contains("/gap_p/")),
        "{r:?}"
    );
}

#[test]
fn an_undefined_ratio_names_the_reference_value() {
    let root = json!({
        "settings": {"stats": {"resamples": 100}},
        "metrics": {"recall": metric("higher", json!(0.0), json!(0.1), Value::Null, json!(0.01))}
    });
    let r = reasons(&root);
    let ratio = &r["/metrics/*/slices/*/disparity/groups/*/ratio/value"];
    assert_eq!(
        ratio,
        "the reference group's value is 0, so the ratio to it is undefined"
    );
    assert_eq!(
        r["/metrics/*/slices/*/disparity/groups/*/ratio/ci_low"],
        "no interval: the value is undefined"
    );
    assert!(r["/metrics/*/slices/*/disparity/groups/*/four_fifths"].contains("ratio"));
}

#[test]
fn a_share_ratio_names_its_target() {
    let root = json!({"corpus": {"overall": {"scalars": {}, "shares": {
        "disparate_exposure_ratio_relevance_band": {"head": null, "tail": 0.5},
        "target_share_relevance_band": {"head": 0.0, "tail": 1.0},
    }}}});
    let r = reasons(&root);
    assert_eq!(
        r["/corpus/overall/shares/*/*"],
        "the item group's target share (target_share_relevance_band) is 0, so the ratio of its \
         exposure share to it is undefined"
    );
}

#[test]
fn pointers_escape_slash_and_tilde() {
    // An intersection's group label with `/` and `~`; its p-value alone differs from the
    // reference's, so it is listed by pointer.
    let mut m = metric("higher", json!(0.2), json!(0.1), json!(0.5), Value::Null);
    let groups = m["slices"]["gender"]["disparity"]["groups"]
        .as_object_mut()
        .unwrap();
    let g = groups.remove("M").unwrap();
    groups.insert("a/b~c".into(), g);
    let root = json!({"metrics": {"ndcg": m}});
    let r = reasons(&root);
    assert!(
        r.contains_key("/metrics/ndcg/slices/gender/disparity/groups/a~1b~0c/p_value"),
        "{r:?}"
    );
}

#[test]
fn an_unknown_null_is_reported_unexplained() {
    let root = json!({"metrics": {}, "brand_new": {"field": null}, "gates": null});
    let r = reasons(&root);
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r["/gates"].contains("--policy"));
    let json = with_block(root, r);
    assert_eq!(NullReasons::unexplained(&json), ["/brand_new/field"]);
}

/// `root` with `reasons` as its `nulls` block.
fn with_block(mut root: Value, reasons: BTreeMap<String, String>) -> Value {
    root["nulls"] = serde_json::to_value(reasons).unwrap();
    root
}
