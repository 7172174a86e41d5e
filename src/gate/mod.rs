//! Fairness gates for CI (issue 7): a TOML [`Policy`] of gates judged against an
//! [`AuditResult`], one line per gate on stdout, `gates.junit.xml`, and compare mode.
//!
//! - [`policy`]: the file format and its validation (before any data is read).
//! - [`evaluate`](mod@evaluate): one [`GateOutcome`] per gate and slice group: pass, fail or skipped.
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

pub mod compare;
pub mod evaluate;
pub mod junit;
pub mod policy;

use std::path::{Path, PathBuf};

pub use compare::{compare, ChangeRow, Comparison, Direction};
pub use evaluate::{evaluate, GateOutcome, GateReport, Status};
pub use junit::{junit_xml, write_junit};
pub use policy::{Gate, Policy, PolicyError, Rule, Target};

use crate::result::AuditResult;

/// File name of the JUnit report.
pub const JUNIT_FILE: &str = "gates.junit.xml";
/// File name of the comparison.
pub const COMPARE_FILE: &str = "compare.json";

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
/// prints one line per gate to stdout unless `quiet`, writes `out_dir/gates.junit.xml` and
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
    if !quiet {
        for line in report.lines() {
            println!("{line}");
        }
    }
    let path = out_dir.join(JUNIT_FILE);
    write_junit(&report, &path).map_err(|source| GateError::Write {
        path: path.clone(),
        source,
    })?;
    if !quiet {
        eprintln!("gates: {}; wrote {}", report.summary(), path.display());
    }
    Ok(report)
}

/// Writes `out_dir/compare.json`.
pub fn write_comparison(cmp: &Comparison, out_dir: &Path) -> Result<PathBuf, GateError> {
    let path = out_dir.join(COMPARE_FILE);
    let text = serde_json::to_string_pretty(cmp).expect("a comparison serialises") + "\n";
    std::fs::write(&path, text).map_err(|source| GateError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests;
