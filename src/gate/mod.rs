//! Fairness gates for CI: a TOML [`Policy`] of gates judged against an
//! [`AuditResult`], one line per gate on stdout, `gates.junit.xml`, and compare mode.
//!
//! - [`policy`]: the file format and its validation (before any data is read), with the gate's
//!   parts in [`rule`] and its columns checked against the data in [`columns`].
//! - [`evaluate`](mod@evaluate): one [`GateOutcome`] per gate and slice group: pass, fail or
//!   skipped, gathered in a [`GateReport`] ([`outcome`]).
//! - [`junit`]: the JUnit XML of the outcomes.
//! - [`compare`](mod@compare): baseline vs candidate, the change of every metric and its
//!   significance; `max_regression` gates judge it.
//!
//! Exit codes are the caller's: 0 when every gate passed (skips included), 1 when one failed
//! ([`GateReport::failed`]), 2 on a bad policy ([`PolicyError`]) or input.
//!
//! ```
//! use recaudit::gate::Policy;
//! let p = Policy::parse(r#"
//!     [[gate]]
//!     metric = "ndcg"
//!     slice = "gender"
//!     rule = "min_ratio"
//!     threshold = 0.8
//! "#).unwrap();
//! assert!(p.gates[0].significant_only);
//! assert!(Policy::parse("[[gate]]\nmetric = \"ndgc\"\nrule = \"max_value\"\nthreshold = 1\n")
//!     .unwrap_err().to_string().contains("valid metrics: per-user metrics: precision, recall"));
//! ```

pub mod columns;
pub mod compare;
pub mod evaluate;
pub mod junit;
pub mod outcome;
pub mod policy;
pub mod rule;

use std::path::{Path, PathBuf};

pub use compare::{compare, ChangeRow, Comparison, Direction};
pub use evaluate::evaluate;
pub use junit::{junit_xml, write_junit};
pub use outcome::{GateOutcome, GateReport, GateResults, PolicyRef, Status, Verdict};
pub use policy::{Policy, PolicyError};
pub use rule::{Gate, Rule, Target};

use crate::result::AuditResult;

/// File name of the JUnit report.
pub const JUNIT_FILE: &str = "gates.junit.xml";
/// File name of the comparison.
pub const COMPARE_FILE: &str = "compare.json";
/// File name of the comparison's full table (`recaudit compare`).
pub const COMPARE_TABLE_FILE: &str = "compare.txt";

/// What can go wrong when judging gates.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// The policy is bad or does not fit the audit (exit code 2).
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// An output file could not be written.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Judges `result` against `policy` (with `baseline`, `max_regression` gates compare with it),
/// writes `out_dir/gates.junit.xml`, prints the outcomes unless `quiet` ([`GateReport::print`]) and
/// returns the report; the caller exits 1 when [`GateReport::failed`].
pub fn run_gates(
    result: &AuditResult,
    policy: &Policy,
    baseline: Option<&AuditResult>,
    out_dir: &Path,
    quiet: bool,
) -> Result<GateReport, GateError> {
    let cmp = baseline.map(|b| compare(b, result));
    run_gates_with(result, policy, cmp.as_ref(), out_dir, quiet)
}

/// [`run_gates`] with an already computed comparison.
pub fn run_gates_with(
    result: &AuditResult,
    policy: &Policy,
    comparison: Option<&Comparison>,
    out_dir: &Path,
    quiet: bool,
) -> Result<GateReport, GateError> {
    let report = evaluate(result, policy, comparison)?;
    let path = write_file(out_dir.join(JUNIT_FILE), junit_xml(&report))?;
    if !quiet {
        report.print(&path);
    }
    Ok(report)
}

/// Writes `out_dir/compare.json`.
pub fn write_comparison(cmp: &Comparison, out_dir: &Path) -> Result<PathBuf, GateError> {
    let text = serde_json::to_string_pretty(cmp).expect("a comparison serialises") + "\n";
    write_file(out_dir.join(COMPARE_FILE), text)
}

/// Writes the full table of the comparison ([`Comparison::table`]) to `out_dir/compare.txt`.
pub fn write_comparison_table(cmp: &Comparison, out_dir: &Path) -> Result<PathBuf, GateError> {
    write_file(out_dir.join(COMPARE_TABLE_FILE), cmp.table())
}

/// Writes `text` to `path` and returns the path.
fn write_file(path: PathBuf, text: String) -> Result<PathBuf, GateError> {
    match std::fs::write(&path, text) {
        Ok(()) => Ok(path),
        Err(source) => Err(GateError::Write { path, source }),
    }
}

#[cfg(test)]
mod test_support;
