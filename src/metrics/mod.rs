//! Metric families. Each module holds pure kernels over one user's list (no IO, no polars) and a
//! wrapper that runs them over all users of a [`Dataset`](crate::data::Dataset).
//!
//! Two shapes of result come out of a family:
//! - [`UserMetric`]: one value per user (NaN where the metric is undefined for that user); slices
//!   average it, and the statistics attach intervals and disparities to it.
//! - [`CorpusValues`]: values of a set of lists as a whole (coverage, Gini, exposure shares); they
//!   are computed once overall and once for each unsuppressed slice group's users.

pub mod bubble;
pub mod calibration;
pub mod categories;
pub mod category_pass;
pub mod diversity;
pub mod exposure;
pub mod log_memo;
pub mod popularity;
pub mod quality;
pub mod rbo;
pub mod registry;
pub mod segregation;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The most users one task of a per-user pass takes (`with_max_len`). Left to itself, rayon cuts a
/// pass on two threads into pieces of up to a quarter of the users, and the last piece runs on
/// one core while the other waits (about 0.05 s at 1M users); pieces of this size end within
/// a few milliseconds of each other. Each user's value is computed alone, so the pieces do not
/// change it.
pub(crate) const USERS_PER_TASK: usize = 8_192;

/// Position weight w(r) of rank r (1 = top), shared by NDCG-style and exposure metrics (docs/metrics.md).
///
/// Written `{ kind = "rbp", patience = 0.8 }`, `{ kind = "log" }` or `{ kind = "uniform" }`. It is
/// read through a plain struct (`WeightFields`) so that a misspelt key inside it is reported like
/// any other unknown settings key, and a patience given to `log` or `uniform` is an error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", try_from = "WeightFields")]
pub enum PositionWeight {
    /// w(r) = 1 / log2(r + 1) (Singh & Joachims 2018, "Fairness of Exposure in Rankings").
    Log,
    /// w(r) = p^(r − 1), rank-biased precision with patience p (Moffat & Zobel 2008).
    Rbp {
        /// Patience p in (0, 1].
        patience: f64,
    },
    /// w(r) = 1.
    Uniform,
}

/// The keys of a [`PositionWeight`] as written in a settings file or `audit.json`.
#[derive(Deserialize)]
#[serde(expecting = "a table such as { kind = \"rbp\", patience = 0.8 }")]
struct WeightFields {
    kind: WeightKind,
    patience: Option<f64>,
}

/// The `kind` of a [`PositionWeight`].
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum WeightKind {
    Log,
    Rbp,
    Uniform,
}

impl TryFrom<WeightFields> for PositionWeight {
    type Error = String;

    fn try_from(w: WeightFields) -> Result<Self, String> {
        match (w.kind, w.patience) {
            (WeightKind::Rbp, Some(patience)) => Ok(PositionWeight::Rbp { patience }),
            (WeightKind::Rbp, None) => Err(
                "position weight `rbp` needs a patience, e.g. { kind = \"rbp\", patience = 0.8 }"
                    .into(),
            ),
            (WeightKind::Log, None) => Ok(PositionWeight::Log),
            (WeightKind::Uniform, None) => Ok(PositionWeight::Uniform),
            (kind @ (WeightKind::Log | WeightKind::Uniform), Some(_)) => Err(format!(
                "position weight `{}` takes no patience; only `rbp` does",
                if matches!(kind, WeightKind::Log) {
                    "log"
                } else {
                    "uniform"
                }
            )),
        }
    }
}

impl PositionWeight {
    /// The patience of `rbp` when none is given (Moffat & Zobel 2008 use 0.8 for a patient user).
    pub const DEFAULT_PATIENCE: f64 = 0.8;

    /// The weight of 1-based rank `rank`.
    ///
    /// ```
    /// use recaudit::metrics::PositionWeight;
    /// assert_eq!(PositionWeight::Log.weight(1), 1.0);
    /// assert!((PositionWeight::Log.weight(3) - 0.5).abs() < 1e-15); // 1/log2(4)
    /// assert!((PositionWeight::Rbp { patience: 0.8 }.weight(3) - 0.64).abs() < 1e-15);
    /// assert_eq!(PositionWeight::Uniform.weight(7), 1.0);
    /// ```
    #[inline]
    pub fn weight(&self, rank: usize) -> f64 {
        match *self {
            PositionWeight::Log => 1.0 / ((rank as f64) + 1.0).log2(),
            PositionWeight::Rbp { patience } => patience.powi(rank as i32 - 1),
            PositionWeight::Uniform => 1.0,
        }
    }

    /// Short name used in JSON keys (`log`, `rbp`, `uniform`).
    pub fn name(&self) -> &'static str {
        match self {
            PositionWeight::Log => "log",
            PositionWeight::Rbp { .. } => "rbp",
            PositionWeight::Uniform => "uniform",
        }
    }
}

/// Which direction of a metric is better, for reports and gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// Larger values are better (e.g. NDCG, coverage).
    Higher,
    /// Smaller values are better (e.g. miscalibration, popularity lift).
    Lower,
    /// Neither direction is better by itself (e.g. the share of an item group).
    Neutral,
}

/// A per-user metric: `values[u]` for dense user `u`, NaN where undefined for that user (for example
/// recall for a user with no relevant item). Slice means skip NaN and report how many were skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct UserMetric {
    /// The metric's entry in the [`registry`].
    pub definition: &'static registry::MetricDef,
    /// One value per dense user.
    pub values: Vec<f64>,
}

impl UserMetric {
    /// The values of the metric `definition`.
    pub fn new(definition: &'static registry::MetricDef, values: Vec<f64>) -> Self {
        UserMetric { definition, values }
    }

    /// Its stable JSON key (`ndcg`, `recall`, `arp`, ...).
    pub fn name(&self) -> &'static str {
        self.definition.key
    }

    /// Which direction is better.
    pub fn better(&self) -> Better {
        self.definition.better
    }
}

/// Values of a set of lists taken as a whole (one user subset): scalar metrics and share
/// distributions over item groups. `None` means undefined (reported as JSON `null`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CorpusValues {
    /// Scalar metrics by name (`catalog_coverage`, `gini_exposure_log`, ...).
    pub scalars: BTreeMap<String, Option<f64>>,
    /// Distributions by name (`exposure_share_provider` → {group → share}).
    pub shares: BTreeMap<String, BTreeMap<String, Option<f64>>>,
}

impl CorpusValues {
    /// Adds all values of `other` (names must not clash).
    pub fn extend(&mut self, other: CorpusValues) {
        self.scalars.extend(other.scalars);
        self.shares.extend(other.shares);
    }
}

/// `Some(x)` when finite, `None` otherwise: the JSON convention for undefined values.
#[inline]
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}
