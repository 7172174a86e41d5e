//! Why each `null` of `audit.json` is null: the `nulls` block.
//!
//! The result is walked as JSON. Every `null` is named by its JSON pointer (RFC 6901:
//! `/metrics/arp/slices/gender/disparity/groups/F/four_fifths`) and by its pattern, the pointer
//! with every map key and array index replaced by `*`
//! (`/metrics/*/slices/*/disparity/groups/*/four_fifths`). [`reason`] gives the reason from the
//! pattern and the values around the `null` (the metric's direction, the reference group, the
//! settings). Where every `null` of a pattern has the same reason, the block holds the pattern once;
//! where the reasons differ, it holds each pointer with its own reason. A reader looks a `null` up
//! by its pointer first, then by its pattern.
//!
//! A `null` no rule knows is left out of the block; [`NullReasons::unexplained`] lists such
//! `null`s, and the tests hold that list empty on real audits.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AuditResult;

/// JSON pointer or pattern → why the value there is `null`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NullReasons(pub BTreeMap<String, String>);

/// One `null` of the walked JSON.
struct Null {
    /// The keys and indices from the root, as text.
    path: Vec<String>,
    /// `path` with map keys and array indices replaced by `*`.
    pattern: Vec<String>,
}

impl NullReasons {
    /// The reasons for the `null`s of `result` (its own `nulls` block aside).
    pub fn of(result: &AuditResult) -> NullReasons {
        Self::of_json(&json_without_nulls_block(result))
    }

    /// The reasons for the `null`s of `root`, an `audit.json` without its `nulls` block.
    fn of_json(root: &Value) -> NullReasons {
        let mut by_pattern: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for null in nulls_of(root) {
            if let Some(why) = reason(&null, root) {
                by_pattern
                    .entry(pointer(&null.pattern))
                    .or_default()
                    .push((pointer(&null.path), why));
            }
        }
        let mut reasons = BTreeMap::new();
        for (pattern, found) in by_pattern {
            if found.iter().all(|(_, why)| *why == found[0].1) {
                reasons.insert(pattern, found[0].1.clone());
            } else {
                reasons.extend(found);
            }
        }
        NullReasons(reasons)
    }

    /// The JSON pointers of the `null`s of `json` (an `audit.json`) that its `nulls` block does
    /// not explain, neither by pointer nor by pattern.
    pub fn unexplained(json: &Value) -> Vec<String> {
        let block = json.get("nulls").and_then(Value::as_object);
        let known = |key: &str| block.is_some_and(|b| b.get(key).is_some_and(Value::is_string));
        nulls_of(json)
            .into_iter()
            .filter(|n| n.path.first().map(String::as_str) != Some("nulls"))
            .map(|n| (pointer(&n.path), pointer(&n.pattern)))
            .filter(|(path, pattern)| !known(path) && !known(pattern))
            .map(|(path, _)| path)
            .collect()
    }
}

/// `result` as JSON, with an empty `nulls` block.
fn json_without_nulls_block(result: &AuditResult) -> Value {
    let mut root = serde_json::to_value(result).unwrap_or(Value::Null);
    if let Some(map) = root.as_object_mut() {
        map.remove("nulls");
    }
    root
}

/// Every `null` under `root`, in document order.
fn nulls_of(root: &Value) -> Vec<Null> {
    fn walk(v: &Value, path: &mut Vec<String>, pattern: &mut Vec<String>, out: &mut Vec<Null>) {
        let children: Vec<(String, &Value, bool)> = match v {
            Value::Null => {
                out.push(Null {
                    path: path.clone(),
                    pattern: pattern.clone(),
                });
                return;
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (i.to_string(), item, true))
                .collect(),
            Value::Object(map) => {
                let keyed = is_map(pattern);
                map.iter().map(|(k, c)| (k.clone(), c, keyed)).collect()
            }
            _ => return,
        };
        for (key, child, is_map_key) in children {
            pattern.push(if is_map_key { "*".into() } else { key.clone() });
            path.push(key);
            walk(child, path, pattern, out);
            path.pop();
            pattern.pop();
        }
    }
    let mut out = Vec::new();
    walk(root, &mut Vec::new(), &mut Vec::new(), &mut out);
    out
}

/// Whether the object at `pattern` is a map whose keys come from the data or the registry (a
/// metric key, a slice column, a group label, an item group) rather than a struct with fixed
/// field names.
fn is_map(pattern: &[String]) -> bool {
    let p: Vec<&str> = pattern.iter().map(String::as_str).collect();
    matches!(
        p.as_slice(),
        ["slices"]
            | ["slices", "*", "groups"]
            | ["slices", "*", "groups", "*", "values"]
            | ["metrics"]
            | ["metrics", "*", "slices"]
            | ["metrics", "*", "slices", "*", "groups"]
            | ["metrics", "*", "slices", "*", "disparity", "groups"]
            | ["corpus", "overall", "scalars" | "shares"]
            | ["corpus", "overall", "shares", "*"]
            | ["corpus", "slices"]
            | ["corpus", "slices", "*"]
            | ["corpus", "slices", "*", "*", "scalars" | "shares"]
            | ["corpus", "slices", "*", "*", "shares", "*"]
            | ["corpus", "exposure_share_intervals"]
            | [
                "corpus",
                "exposure_share_intervals",
                "*",
                "overall" | "slices"
            ]
            | ["corpus", "exposure_share_intervals", "*", "slices", "*"]
            | [
                "corpus",
                "exposure_share_intervals",
                "*",
                "slices",
                "*",
                "*"
            ]
            | ["over_time", "slices"]
            | ["over_time", "slices", "*"]
            | ["input", "rows_read"]
            | ["definitions"]
    )
}

/// `segments` as a JSON pointer: `/` before each, `~` written `~0` and `/` written `~1`.
fn pointer(segments: &[String]) -> String {
    segments
        .iter()
        .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// The value at `path` under `root`.
fn at<'a>(root: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(root, |v, key| match v {
        Value::Object(map) => map.get(*key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// Why the value at `null` is `null`, or `None` when no rule knows.
fn reason(null: &Null, root: &Value) -> Option<String> {
    let path: Vec<&str> = null.path.iter().map(String::as_str).collect();
    let pattern: Vec<&str> = null.pattern.iter().map(String::as_str).collect();
    let here = |rel: &[&str]| -> Option<&Value> {
        let parent = &path[..path.len() - 1];
        at(root, &[parent, rel].concat())
    };
    let text = |s: &str| Some(s.to_string());
    if let Some(why) = privacy_reason(root, &pattern) {
        return Some(why);
    }
    match pattern.as_slice() {
        ["gates"] => text("no policy was given (--policy), so no gate was judged"),
        ["provenance"] => text(
            "this file was not written by `recaudit audit`, which records the input files it read",
        ),
        ["provenance", "policy"] => text("no policy was given (--policy)"),
        ["over_time"] => Some(over_time_reason(root)),
        ["segregation"] => Some(note_about(root, "segregation").unwrap_or_else(|| {
            "segregation clusters users by the categories of their lists; it needs item \
             categories and at least two distinct lists"
                .into()
        })),
        ["settings", "paths", table] => Some(format!(
            "no {table} table was given; the metrics that need it are skipped (see notes)"
        )),
        ["settings", "columns", "slices"] => text(
            "not set: every users-table column but the user id and the consent column is a \
             candidate slice column (see skipped_slice_columns)",
        ),
        ["settings", "columns", "item_groups"] => text(
            "not set: every items-table column but the item id, category, popularity and \
             features is an item-group column",
        ),
        ["settings", "bubble", "n_clusters"] => text(
            "not set (--clusters): the number of clusters is chosen by the mean silhouette \
             (segregation.k_candidates)",
        ),
        ["input", "users_missing_from_users_table" | "users_without_consent"] => text(
            "between 1 and min_slice_size − 1 users: a count this small could single people out, \
             so it is not published",
        ),
        ["slices", "*", "chosen_reference"] => text(
            "no --reference was chosen for this column (or its group is not published): each \
             metric compares the groups with its own reference, disparity.reference, chosen by \
             disparity.reference_rule",
        ),
        ["metrics", "*", "slices", "*", "disparity"] => text(
            "fewer than one group of this column is published for this metric (see \
             groups_withheld), so nothing is compared",
        ),
        ["metrics", "*", "slices", "*", "disparity", "groups", "*", field] => {
            comparison_reason(root, path[1], path[3], path[6], field)
        }
        ["corpus", .., "shares", _, _] => {
            let (key, item_group) = (path[path.len() - 2], path[path.len() - 1]);
            Some(share_reason(root, &path, key, item_group))
        }
        ["corpus", .., "scalars", _] => text(
            "undefined for these lists (see the metric's meaning under definitions): for \
             example no list, or an empty catalog",
        ),
        ["over_time", .., "personalisation"] => {
            text("fewer than two users have a list in this snapshot")
        }
        ["over_time", .., "catalog_coverage"] => text("no user has a list in this snapshot"),
        ["over_time", .., "mean_list_entropy"] => {
            text("no user has a list in this snapshot, or the items have no categories")
        }
        ["over_time", .., "mean_slope" | "share_falling" | "share_rising"] => text(
            "no user of the set has a defined slope: that needs lists in at least two snapshots \
             and item categories",
        ),
        ["over_time", .., "mean_overlap" | "share_frozen"] => {
            text("no user of the set has lists in two successive snapshots")
        }
        ["over_time", .., "personalisation_slope"] => {
            text("fewer than two snapshots have a personalisation value")
        }
        ["segregation", .., "silhouette"] => {
            text("the silhouette is undefined with a single cluster")
        }
        ["segregation", "slices", "*", "nmi"] => {
            text("fewer than two groups of this column have clustered users")
        }
        ["provenance", "policy", "gates", "*", "name"] => {
            text("the gate has no name; its outcomes are labelled `rule metric slice`")
        }
        ["provenance", "policy", "gates", "*", "target", "column"] => {
            text("the metric names no item-group column: the gate's `slice` names it")
        }
        ["gates", "rules", "*", field] => gate_field_reason(field),
        ["gates", "rules", "*", "value", "ci_low" | "ci_high"] => {
            Some(if here(&["value"]).is_some_and(Value::is_null) {
                "no interval: the judged number is undefined (see detail)".into()
            } else {
                "the judged number has no bootstrap interval (a corpus value or the NMI); the \
                 gate judges the point value"
                    .into()
            })
        }
        ["metrics", "*", "distribution", "worst_decile_cut"] => {
            text("no user has a defined value of this metric, so there is no worst decile")
        }
        ["metrics", "*", .., "distribution", "gini", "value"]
        | ["metrics", "*", .., "distribution", "gini", "*", "value"] => text(
            "every user here with a defined value has 0 (or none has one): the Gini divides by \
             the mean utility, so it is undefined",
        ),
        ["metrics", "*", .., "distribution", "worst_decile_share", "value"]
        | ["metrics", "*", .., "distribution", "worst_decile_share", "*", "value"] => {
            text("no user here has a defined value of this metric")
        }
        ["metrics", "*", "slices", "*", "distribution", "worst_off"] => text(
            "the published groups' total of this metric is 0 (no user got any), so no group has \
             a share of it",
        ),
        [.., "ci_low" | "ci_high"] => interval_reason(root, here(&["value"])),
        [.., owner, "value"] => Some(value_reason(root, &path, owner)),
        _ => None,
    }
}

/// Why a value of a differentially private audit (one with a `privacy` block) is `null`
/// because DP mode withholds it; `None` for an exact audit or another `null`.
fn privacy_reason(root: &Value, pattern: &[&str]) -> Option<String> {
    let withheld = at(root, &["privacy", "withheld"])?;
    let why = |part: &str| {
        withheld
            .get(part)
            .and_then(Value::as_str)
            .map(|w| format!("withheld in this differentially private audit: {w}"))
    };
    match pattern {
        ["metrics", "*", "quantiles", _] => why("percentiles"),
        ["over_time"] => why("over_time"),
        ["segregation"] => why("segregation"),
        ["input", _] => why("input counts"),
        ["metrics", "*", "slices", "*", "disparity", "spread" | "min_max_ratio", "ci_low" | "ci_high"] => {
            Some("a differentially private audit gives the spread and the min/max ratio as points: their intervals would need the joint noise of every group".into())
        }
        _ => None,
    }
}

/// Why `over_time` is `null`: no snapshot column, or a single snapshot.
fn over_time_reason(root: &Value) -> String {
    let snapshots = at(root, &["input", "snapshots"])
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if snapshots == 0 {
        "the recommendations have no snapshot column (columns.snapshot), so there is no drift \
         over time to measure"
            .into()
    } else {
        "the recommendations have a single snapshot; drift over time needs at least two".into()
    }
}

/// The audit's note that mentions `word`, if any.
fn note_about(root: &Value, word: &str) -> Option<String> {
    at(root, &["notes"])?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .find(|n| n.to_lowercase().contains(word))
        .map(str::to_string)
}

/// Why a field of a group's comparison with the reference is `null`.
fn comparison_reason(
    root: &Value,
    key: &str,
    col: &str,
    group: &str,
    field: &str,
) -> Option<String> {
    let disparity = at(root, &["metrics", key, "slices", col, "disparity"])?;
    let comparison = at(disparity, &["groups", group])?;
    let is_reference = at(disparity, &["reference"]).and_then(Value::as_str) == Some(group);
    let untested = || {
        if is_reference {
            "this is the reference group, which is not tested against itself".to_string()
        } else {
            "no test was possible: the group or the reference group has too few defined values, \
             or none that vary"
                .to_string()
        }
    };
    match field {
        "p_value" | "test" => Some(untested()),
        "p_adjusted" if comparison.get("p_value").is_some_and(Value::is_null) => {
            Some(format!("no p-value to adjust: {}", untested()))
        }
        "four_fifths" => {
            let better = at(root, &["metrics", key, "better"]).and_then(Value::as_str);
            if better != Some("higher") {
                Some(
                    "the four-fifths rule is applied only to metrics where higher is better \
                     (see the metric's `better`)"
                        .into(),
                )
            } else if at(comparison, &["ratio", "value"]).is_some_and(Value::is_null) {
                Some("the ratio to the reference group is undefined (see ratio)".into())
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Why the exposure share (or ratio of shares) `key` of `item_group` at `path` is `null`.
fn share_reason(root: &Value, path: &[&str], key: &str, item_group: &str) -> String {
    let Some(rest) = key.strip_prefix("disparate_exposure_ratio_") else {
        return "undefined for these lists: they give the item groups no exposure (or their \
                target is 0)"
            .into();
    };
    let target_key = format!("target_share_{rest}");
    let shares = &path[..path.len() - 2];
    let target = at(root, &[shares, &[target_key.as_str(), item_group]].concat());
    let was = match target.and_then(Value::as_f64) {
        Some(0.0) => "is 0",
        _ => "is 0 or undefined",
    };
    format!(
        "the item group's target share ({target_key}) {was}, so the ratio of its exposure \
         share to it is undefined"
    )
}

/// Why a gate outcome's field is `null`.
fn gate_field_reason(field: &str) -> Option<String> {
    let why = match field {
        "group" => "the gate is judged overall or on the whole column (see scope)",
        "item_group" => "the gate is not about an item group",
        "versus" => "only min_ratio and max_difference compare two groups",
        "significant" => "this rule or this outcome has no notion of significance",
        "p_adjusted" => "no adjusted p-value is behind this outcome (see significant)",
        _ => return None,
    };
    Some(why.into())
}

/// Why an interval bound is `null`, given the value it belongs to: no bootstrap at all, no value,
/// or too many undefined replicates.
fn interval_reason(root: &Value, value: Option<&Value>) -> Option<String> {
    let resamples = at(root, &["settings", "stats", "resamples"]).and_then(Value::as_u64);
    Some(if resamples == Some(0) {
        "no interval: the bootstrap is off (settings.stats.resamples = 0)".into()
    } else if value.is_some_and(Value::is_null) {
        "no interval: the value is undefined".into()
    } else {
        "no interval: more than (1 − confidence)/2 of the bootstrap replicates of this number are \
         undefined (e.g. resamples in which a divisor is 0), so a bound could move"
            .into()
    })
}

/// Why the `value` of an estimate at `path` (owned by the field `owner`) is `null`.
fn value_reason(root: &Value, path: &[&str], owner: &str) -> String {
    match (path.first().copied(), owner) {
        (Some("gates"), _) => "the judged number is undefined (see detail)".into(),
        (_, "ratio") => {
            let reference = match path {
                ["metrics", key, "slices", col, "disparity", ..] => {
                    let d = &["metrics", key, "slices", col, "disparity"];
                    at(root, &[&d[..], &["reference"]].concat())
                        .and_then(Value::as_str)
                        .and_then(|r| {
                            at(
                                root,
                                &[&d[..], &["groups", r, "estimate", "value"]].concat(),
                            )
                        })
                }
                _ => None,
            };
            match reference {
                Some(Value::Null) => "the reference group's value is undefined, so the ratio to \
                                      it is undefined"
                    .into(),
                Some(v) if v.as_f64() == Some(0.0) => {
                    "the reference group's value is 0, so the ratio to it is undefined".into()
                }
                _ => "the ratio to the reference group is undefined: the reference group's value \
                      is 0 or undefined"
                    .into(),
            }
        }
        (_, "difference") => "the group's or the reference group's value is undefined".into(),
        (_, "min_max_ratio") => {
            "the min/max ratio is undefined when the largest group value is 0 or less, or the \
             smallest is negative"
                .into()
        }
        (_, "spread") => "no group of this column has a defined value".into(),
        (Some("corpus"), _) => {
            "the lists of this group give no exposure, so the share is undefined".into()
        }
        _ => {
            let key = path.get(1).copied().unwrap_or_default();
            format!(
                "no user of this group has a defined value of this metric (see \
                 definitions.{key}.meaning and n_undefined)"
            )
        }
    }
}

#[cfg(test)]
#[path = "nulls_tests.rs"]
mod tests;
