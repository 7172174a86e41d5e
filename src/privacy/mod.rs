//! Differentially private audits (`--dp-epsilon`): the per-user metrics are published as noisy
//! sufficient statistics under zero-concentrated DP, with one user (all their rows) as the
//! privacy unit. `docs/privacy.md` gives the design: clipping ranges, the budget split, the
//! intervals and what is withheld.
//!
//! - `accounting`: (ε, δ) ↔ ρ and the split of ρ over the queries;
//! - `mechanism`: the seeded Gaussian mechanism;
//! - `bounds`: the range each metric is clipped to;
//! - `release`: the noisy counts and sums of each metric and group, and the estimates from them.

pub mod accounting;
pub mod bounds;
pub mod exposure;
pub mod mechanism;
pub mod release;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The default δ: 10⁻⁸, far below 1 / n for any audit up to 10⁷ users (δ is the probability
/// that the ε guarantee fails, so it must be much smaller than one person's share).
pub const DEFAULT_DELTA: f64 = 1e-8;
/// The largest accepted ε (beyond it the guarantee means little).
pub const MAX_EPSILON: f64 = 100.0;
/// The smallest accepted ε: below it every published number would carry noise of standard
/// deviation above 10⁷ per count, and far below it (about 10⁻¹⁵⁰) the noise's scale overflows.
pub const MIN_EPSILON: f64 = 1e-6;

/// The `[privacy]` settings: DP mode is on when `epsilon` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PrivacyConfig {
    /// The audit's total ε (`--dp-epsilon`); `None` publishes the exact audit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epsilon: Option<f64>,
    /// The audit's total δ (default [`DEFAULT_DELTA`]).
    pub delta: f64,
    /// The per-user metrics to publish (`--dp-metrics`); `None` publishes every metric with a
    /// known range. Fewer metrics leave more budget, so less noise, for each.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<String>>,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        PrivacyConfig {
            epsilon: None,
            delta: DEFAULT_DELTA,
            metrics: None,
        }
    }
}

impl PrivacyConfig {
    /// True when DP mode is off (the settings echo then leaves `[privacy]` out).
    pub fn is_off(&self) -> bool {
        self.epsilon.is_none()
    }
}

/// One kind of query of a DP audit and its part of the budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetShare {
    /// What is released (`users`, `group sizes`, `metric counts and sums`, `exposure`).
    pub part: String,
    /// What it covers: the slice columns, metrics or item-group columns.
    pub covers: Vec<String>,
    /// Number of queries (each of L2 sensitivity 1 after scaling).
    pub queries: usize,
    /// Their ρ together (queries × ρ per query).
    pub rho: f64,
}

/// How the note of a differentially private audit in `notes` begins (the report recognises it by
/// this).
pub const PRIVATE_NOTE_START: &str = "This is a differentially private audit";

/// The `privacy` block of `audit.json`: the guarantee, how the budget was spent and what was
/// published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivacyReport {
    /// Total ε of the audit.
    pub epsilon: f64,
    /// Total δ.
    pub delta: f64,
    /// The zCDP budget ρ equivalent to (ε, δ) (Bun & Steinke 2016, Prop. 1.3).
    pub rho: f64,
    /// The privacy unit.
    pub unit: String,
    /// How ρ was split.
    pub split: String,
    /// Number of queries ρ was split over.
    pub queries: usize,
    /// Each query's ρ.
    pub rho_per_query: f64,
    /// Standard deviation of the Gaussian noise of every count and every normalised sum.
    pub noise_sd: f64,
    /// How ρ was split: per kind of query, what it covers, its number of queries and its ρ.
    pub budget: Vec<BudgetShare>,
    /// The part of δ spent on publishing group labels found in the data (the rest converts ρ).
    pub delta_labels: f64,
    /// The noisy size a slice group needs to be published: the larger of `min_slice_size` and
    /// the label threshold (a label held by one user passes with probability at most
    /// `delta_labels`, split over the slice columns).
    pub publication_threshold: f64,
    /// The mechanism and its randomness.
    pub mechanism: String,
    /// What was published, one line per kind of query with its number of queries.
    pub published: Vec<String>,
    /// Per published metric: the range its per-user values were clipped to.
    pub clipping: BTreeMap<String, [f64; 2]>,
    /// Per metric or family not published: why.
    pub withheld: BTreeMap<String, String>,
    /// How the intervals and tests are computed.
    pub intervals: String,
    /// The warning about seeds.
    pub seed: String,
}
