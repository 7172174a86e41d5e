//! The "about this audit" lists: the input and the settings as dotted keys.

use super::model::{fact, Fact};

/// `a.b.c = value` lines of a JSON value, in key order; arrays of scalars joined with commas.
pub(super) fn flatten_json(v: &serde_json::Value) -> Vec<Fact> {
    fn scalar(v: &serde_json::Value) -> Option<String> {
        match v {
            serde_json::Value::Null => Some("not set".into()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }
    fn walk(prefix: &str, v: &serde_json::Value, out: &mut Vec<Fact>) {
        let join = |k: &str| {
            if prefix.is_empty() {
                k.to_string()
            } else {
                format!("{prefix}.{k}")
            }
        };
        match v {
            serde_json::Value::Object(m) if m.is_empty() => out.push(fact(prefix, "none")),
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    walk(&join(k), v, out);
                }
            }
            serde_json::Value::Array(a) => {
                let items: Option<Vec<String>> = a.iter().map(scalar).collect();
                match items {
                    Some(items) if items.is_empty() => out.push(fact(prefix, "none")),
                    Some(items) => out.push(fact(prefix, items.join(", "))),
                    None => {
                        for (i, v) in a.iter().enumerate() {
                            walk(&join(&i.to_string()), v, out);
                        }
                    }
                }
            }
            other => out.push(fact(prefix, scalar(other).unwrap_or_default())),
        }
    }
    let mut out = Vec::new();
    walk("", v, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_flatten_to_dotted_keys() {
        let v = serde_json::json!({"k": 10, "stats": {"seed": 42, "alpha": 0.05},
            "slices": {"reference": {}, "intersections": [["a", "b"]]}, "buckets": [], "x": null});
        let f = flatten_json(&v);
        let got: Vec<(String, String)> = f.into_iter().map(|f| (f.label, f.value)).collect();
        assert!(got.contains(&("k".into(), "10".into())));
        assert!(got.contains(&("stats.seed".into(), "42".into())));
        assert!(got.contains(&("slices.reference".into(), "none".into())));
        assert!(got.contains(&("slices.intersections.0".into(), "a, b".into())));
        assert!(got.contains(&("buckets".into(), "none".into())));
        assert!(got.contains(&("x".into(), "not set".into())));
    }
}
