//! What judging a policy gives: one [`GateOutcome`] per gate and scope, with its [`Status`] and
//! its line for the terminal and the JUnit XML, gathered in a [`GateReport`].

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::rule::Rule;
use crate::stats::Estimate;
use crate::text::visible;

/// The verdict of one gate on one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Within the threshold (or beyond it without significance, with `significant_only`).
    Pass,
    /// Beyond the threshold (and significant, with `significant_only`).
    Fail,
    /// Not judged: suppressed group, undefined value, or no baseline.
    Skipped,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Skipped => "SKIP",
        })
    }
}

/// One gate judged on one scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateOutcome {
    /// 1-based index of the gate in the policy.
    pub gate: usize,
    /// The gate's name, or `rule metric slice`.
    pub label: String,
    /// The rule.
    pub rule: Rule,
    /// The metric's key in the audit (`ndcg`, `exposure_share_provider`, `nmi`).
    pub metric: String,
    /// `overall`, a slice column, or (for shares named without a column) the item-group column.
    pub slice: String,
    /// The slice group.
    pub group: Option<String>,
    /// The item group, for shares.
    pub item_group: Option<String>,
    /// For `min_ratio` and `max_difference`: the group `group` is compared with (one of the two is
    /// the slice's reference group).
    pub versus: Option<String>,
    /// `overall`, `gender=F`, `gender=F vs M`, `provider=indie`, `gender=F provider=indie`,
    /// `region` (NMI).
    pub scope: String,
    /// The verdict.
    pub status: Status,
    /// The judged number with its interval: the ratio (`min_ratio`), the signed difference
    /// (`max_difference`), the value, the NMI, or the change from the baseline (`max_regression`).
    pub value: Estimate,
    /// The threshold.
    pub threshold: f64,
    /// Whether the breach (or gap) is significant, where the rule has a notion of it.
    pub significant: Option<bool>,
    /// BH-adjusted p-value behind `significant`, when there is one.
    pub p_adjusted: Option<f64>,
    /// What the line shows after the scope: number, interval, comparison with the threshold and
    /// the significance; or the reason for skipping.
    pub detail: String,
}

impl GateOutcome {
    /// `PASS  min_ratio ndcg gender=F  0.812 [0.741, 0.880] ≥ 0.8  vs gender=M`, as [`visible`]
    /// shows it (labels come from the data; the line goes to the terminal and the JUnit XML).
    pub fn line(&self) -> String {
        let head = match &self.label {
            l if *l == format!("{} {} {}", self.rule, self.metric, self.slice) => {
                format!("{} {}", self.rule, self.metric)
            }
            l => format!("{l}: {} {}", self.rule, self.metric),
        };
        let line = format!("{:<4}  {head} {}  {}", self.status, self.scope, self.detail);
        visible(&line).into_owned()
    }
}

/// Every outcome of a policy.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GateReport {
    /// The policy file, when read from one.
    pub policy: Option<std::path::PathBuf>,
    /// One per gate and scope, in policy order.
    pub outcomes: Vec<GateOutcome>,
}

impl GateReport {
    /// Outcomes with `status`.
    pub fn count(&self, status: Status) -> usize {
        self.outcomes.iter().filter(|o| o.status == status).count()
    }

    /// True when any outcome failed (exit code 1).
    pub fn failed(&self) -> bool {
        self.count(Status::Fail) > 0
    }

    /// One line per outcome.
    pub fn lines(&self) -> Vec<String> {
        self.outcomes.iter().map(GateOutcome::line).collect()
    }

    /// `3 passed, 1 failed, 2 skipped`.
    pub fn summary(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.count(Status::Pass),
            self.count(Status::Fail),
            self.count(Status::Skipped)
        )
    }

    /// One line per outcome on stdout, then the summary and where the JUnit file `junit` is on
    /// stderr.
    pub fn print(&self, junit: &Path) {
        for line in self.lines() {
            println!("{line}");
        }
        eprintln!("gates: {}; wrote {}", self.summary(), junit.display());
    }
}

/// The verdict of a policy on an audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No gate failed (skipped gates do not fail).
    Pass,
    /// At least one gate failed.
    Fail,
}

/// The gates as `audit.json` stores them: the policy judged, the verdict, the counts and every
/// outcome in policy order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResults {
    /// The policy file: the path as given and its SHA-256 (its gates are in `provenance.policy`).
    pub policy: PolicyRef,
    /// `fail` when any gate failed, else `pass` (the exit code is 1 or 0).
    pub verdict: Verdict,
    /// Outcomes that passed.
    pub passed: usize,
    /// Outcomes that failed.
    pub failed: usize,
    /// Outcomes not judged (a suppressed group, an undefined value, no baseline); `detail` says
    /// why.
    pub skipped: usize,
    /// One per gate and scope, in policy order.
    pub rules: Vec<GateOutcome>,
}

/// A policy file named by its path and its contents' hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRef {
    /// The path as given.
    pub path: std::path::PathBuf,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
}

impl GateResults {
    /// The results of `report`, judged against the policy file `policy`.
    pub fn new(report: &GateReport, policy: PolicyRef) -> Self {
        GateResults {
            policy,
            verdict: if report.failed() {
                Verdict::Fail
            } else {
                Verdict::Pass
            },
            passed: report.count(Status::Pass),
            failed: report.count(Status::Fail),
            skipped: report.count(Status::Skipped),
            rules: report.outcomes.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::test_support::{hostile_report, HOSTILE, HOSTILE_SHOWN};

    #[test]
    fn gate_results_count_each_status_and_fail_on_any_failure() {
        let report = hostile_report();
        let policy = PolicyRef {
            path: "p.toml".into(),
            sha256: "00".into(),
        };
        let r = GateResults::new(&report, policy.clone());
        assert_eq!(
            (r.passed, r.failed, r.skipped),
            (
                report.count(Status::Pass),
                report.count(Status::Fail),
                report.count(Status::Skipped)
            )
        );
        assert_eq!(r.passed + r.failed + r.skipped, report.outcomes.len());
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(r.rules, report.outcomes);
        let mut passing = report.clone();
        passing.outcomes.retain(|o| o.status != Status::Fail);
        let r = GateResults::new(&passing, policy);
        assert_eq!((r.verdict, r.failed), (Verdict::Pass, 0));
    }

    #[test]
    fn line_shows_hostile_labels_visibly() {
        let report = hostile_report();
        let f = &report.outcomes[0];
        assert_eq!(
            f.group.as_deref(),
            Some(HOSTILE),
            "the outcome keeps the raw label"
        );
        assert_eq!(
            f.line(),
            format!("FAIL  min_ratio ndcg gender={HOSTILE_SHOWN} vs M  ratio 0.700 [0.600, 0.800] < 0.8, significant, p_adj 0.0010")
        );
    }
}
