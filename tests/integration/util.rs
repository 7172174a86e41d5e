//! Helpers shared by the end-to-end tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under `tests/data`.
pub fn data(rel: &str) -> PathBuf {
    root().join("tests/data").join(rel)
}

/// Runs the binary with `args`.
pub fn recaudit<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_recaudit"))
        .args(args)
        .output()
        .expect("the recaudit binary runs")
}

/// Exit code, stdout and stderr as text.
pub fn outcome(o: &Output) -> (i32, String, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Asserts |a − b| ≤ tol · max(1, |b|).
pub fn assert_close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1.0),
        "{what}: got {got}, want {want}"
    );
}

/// Audits the conformance case into `out` (with `extra` flags) and asserts it succeeded.
pub fn audit_conformance(out: &Path, extra: &[&str]) {
    let c = |f: &str| data(&format!("conformance/{f}"));
    let mut args: Vec<std::ffi::OsString> = vec!["audit".into()];
    for (flag, file) in [
        ("--recs", "recs_main.csv"),
        ("--users", "users.csv"),
        ("--items", "items.csv"),
        ("--truth", "truth.csv"),
        ("--history", "history.csv"),
    ] {
        args.push(flag.into());
        args.push(c(file).into());
    }
    args.extend(extra.iter().map(|a| a.into()));
    args.extend([
        "--json-only".into(),
        "--quiet".into(),
        "--out".into(),
        out.into(),
    ]);
    let o = recaudit(&args);
    let (code, _, err) = outcome(&o);
    assert_eq!(code, 0, "audit failed: {err}");
}

/// Audits `data` (a folder with recs, users, ... files) into `out` as JSON only, with `extra`
/// flags, and asserts it succeeded.
pub fn audit_data(data: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "audit",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--json-only",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let o = recaudit(&args);
    let (code, _, err) = outcome(&o);
    assert_eq!(code, 0, "audit: {err}");
}

/// The flags of a small, quick audit of two tables (`recs` and `users` only, every group
/// published, no intervals, JSON only) into `out`.
pub fn two_table_audit_args<'a>(
    recs: &'a Path,
    users: &'a Path,
    out: &'a Path,
) -> Vec<&'a std::ffi::OsStr> {
    vec![
        "audit".as_ref(),
        "--recs".as_ref(),
        recs.as_os_str(),
        "--users".as_ref(),
        users.as_os_str(),
        "--json-only".as_ref(),
        "--quiet".as_ref(),
        "--min-slice-size".as_ref(),
        "1".as_ref(),
        "--bootstrap".as_ref(),
        "0".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]
}

/// Every leaf of `a` and `b` that differs, as (path, a's value, b's value); objects must have the
/// same keys and arrays the same lengths (a difference of shape is reported at its path).
pub fn differences(path: &str, a: &Value, b: &Value, out: &mut Vec<(String, Value, Value)>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) if x.len() == y.len() && x.keys().eq(y.keys()) => {
            for (k, v) in x {
                differences(&format!("{path}.{k}"), v, &y[k], out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                differences(&format!("{path}[{i}]"), v, w, out);
            }
        }
        _ if a != b => out.push((path.to_string(), a.clone(), b.clone())),
        _ => {}
    }
}
