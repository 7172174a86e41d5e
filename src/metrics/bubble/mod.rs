//! Filter-bubble flags (docs/metrics.md): narrowing against the user's own history, over-personalisation,
//! and drift over snapshots. Segregation (clusters vs slices) lives in
//! [`segregation`](crate::metrics::segregation).
//!
//! | file | metrics |
//! |---|---|
//! | [`narrowing`](mod@narrowing) | `narrowing_ratio`, `narrowed`, `history_category_coverage` |
//! | [`over_personalisation`](mod@over_personalisation) | `over_personalisation` |
//! | [`over_time`](mod@over_time) | `diversity_slope`, `list_overlap`, `diversity_falling`, `list_frozen`, snapshot values |
//! | [`slice_trend`](mod@slice_trend) | the over-time summary and verdict of a slice group |
//!
//! All category distributions come from
//! [`category_distribution`](crate::metrics::categories::category_distribution) (an item with m
//! categories gives 1/m to each; items without a category give nothing) and all entropies are in
//! bits ([`entropy_bits`](crate::metrics::categories::entropy_bits)). Every per-user value is NaN
//! where it is undefined for that user; slice means skip NaN. Thresholds live in [`BubbleConfig`],
//! which serialises so the audit can echo them.
//!
//! Per-user metrics (family `bubble`):
//!
//! | name | meaning | defined for |
//! |---|---|---|
//! | `narrowing_ratio` | H(L_u) / H(H_u) | ≥ `min_history` history rows and H(H_u) > 0 |
//! | `narrowed` | 1 when `narrowing_ratio` < `narrowing_threshold`, else 0 | as the ratio |
//! | `history_category_coverage` | share of the history's categories the list covers | ≥ `min_history` rows, history has a category |
//! | `over_personalisation` | share of the list inside the categories of the last N history items | history and list each have a categorised item |
//! | `diversity_slope` | least-squares slope of H(L_u^t) over snapshot index | lists in ≥ 2 snapshots |
//! | `list_overlap` | mean of \|L^t ∩ L^next\| / k over the user's successive lists | lists in ≥ 2 snapshots |
//! | `diversity_falling` | 1 when `diversity_slope` < −`slope_threshold` | as the slope |
//! | `list_frozen` | 1 when `list_overlap` ≥ `overlap_threshold` | as the overlap |

pub mod narrowing;
pub mod over_personalisation;
pub mod over_time;
pub mod slice_trend;

use serde::{Deserialize, Serialize};

use crate::data::Csr;

pub use narrowing::{
    narrowing_from_entropies, narrowing_metrics, narrowing_of_distributions, user_narrowing,
    Narrowing,
};
pub use over_personalisation::{
    over_personalisation, user_over_personalisation, user_over_personalisation_fast,
};
pub use over_time::{
    least_squares_slope, list_overlap, over_time, snapshot_values, user_trend, OverTime,
    SnapshotSums, SnapshotValues, UserTrend,
};
pub use slice_trend::{slice_trend, trend_of_sums, SliceTrend, TrendSums, Verdict};

/// Thresholds and settings of the filter-bubble checks (docs/metrics.md), echoed in the audit JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BubbleConfig {
    /// Users need at least this many history rows (duplicates counted) for narrowing (default 5).
    pub min_history: usize,
    /// A user is narrowed when H(L_u) / H(H_u) is below this (default 0.5).
    pub narrowing_threshold: f64,
    /// Diversity is falling when the per-user entropy slope is below −this, in bits per snapshot
    /// (default 0.1); also the ε of the slice verdict.
    pub slope_threshold: f64,
    /// A user's lists are frozen when the mean overlap of successive lists is at least this
    /// (default 0.8).
    pub overlap_threshold: f64,
    /// A slice is narrowing (widening) when at least this share of its users with a slope have a
    /// falling (rising) diversity, besides the mean slope condition (default 0.5).
    pub verdict_min_share: f64,
    /// Lists homogenise when the slope of personalisation over snapshots is below −this, per
    /// snapshot (default 0.05).
    pub homogenisation_threshold: f64,
    /// Over-personalisation compares the list with the categories of the last N history items
    /// (default 5).
    pub last_n: usize,
    /// Number of k-means clusters for segregation; `None` chooses it by silhouette (see
    /// [`segregation`](crate::metrics::segregation)).
    pub n_clusters: Option<usize>,
    /// Seed of every random choice of the segregation clustering (default 42).
    pub seed: u64,
}

impl Default for BubbleConfig {
    fn default() -> Self {
        BubbleConfig {
            min_history: 5,
            narrowing_threshold: 0.5,
            slope_threshold: 0.1,
            overlap_threshold: 0.8,
            verdict_min_share: 0.5,
            homogenisation_threshold: 0.05,
            last_n: 5,
            n_clusters: None,
            seed: 42,
        }
    }
}

/// Row `r` of a per-user table, empty when the table has fewer rows.
#[inline]
pub(crate) fn row_or_empty<T>(csr: &Csr<T>, r: usize) -> &[T] {
    if r < csr.n_rows() {
        csr.row(r)
    } else {
        &[]
    }
}

/// 1 when `condition` holds, else 0 (the value of a 0/1 flag metric).
#[inline]
fn flag(condition: bool) -> f64 {
    if condition {
        1.0
    } else {
        0.0
    }
}

/// Fixtures shared by the tests of the bubble files.
#[cfg(test)]
pub(crate) mod test_fixtures {
    use crate::data::{Csr, Dataset, History, Items, Snapshot};

    pub(crate) use crate::metrics::diversity::tests::close;

    /// Items with one category each: `cats[i]` is item i's category (or several).
    fn items(cats: Vec<Vec<u32>>, n_cat: usize) -> Items {
        Items {
            ids: (0..cats.len()).map(|i| format!("i{i}")).collect(),
            category_labels: (0..n_cat).map(|c| format!("c{c}")).collect(),
            categories: Csr::from_rows(cats),
            ..Items::default()
        }
    }

    /// Categories A=0, B=1, C=2, D=3. Items 0..4 = A, B, C, D; 4 = A, 5 = B, 6 = A, 7 = A, 8 = B,
    /// 9 = {A, B}, 10 = no category.
    pub(crate) fn catalog() -> Items {
        items(
            vec![
                vec![0],
                vec![1],
                vec![2],
                vec![3],
                vec![0],
                vec![1],
                vec![0],
                vec![0],
                vec![1],
                vec![0, 1],
                vec![],
            ],
            4,
        )
    }

    /// The [`catalog`] with these lists and histories, k = 4.
    pub(crate) fn dataset(recs: Vec<Vec<u32>>, history: Vec<Vec<u32>>) -> Dataset {
        let n_users = recs.len();
        Dataset {
            truth_propensity: None,
            n_users,
            k: 4,
            recs: Csr::from_rows(recs),
            items: catalog(),
            history: Some(History {
                per_user: Csr::from_rows(history),
                ..History::default()
            }),
            ..Dataset::default()
        }
    }

    /// Three snapshots of four users over the [`catalog`]: user 0 narrows, user 1 is frozen on
    /// A B A B, user 2 widens from all A (H 0) to A B (H 1) to A B C D (H 2), user 3 appears once.
    pub(crate) fn snapshot_dataset() -> Dataset {
        let snaps = vec![
            vec![vec![0, 1, 2, 3], vec![0, 1, 4, 5], vec![4, 6, 7, 0], vec![]],
            vec![vec![0, 1, 4, 5], vec![0, 1, 4, 5], vec![0, 1, 4, 5], vec![]],
            vec![
                vec![4, 6, 7, 8],
                vec![0, 1, 4, 5],
                vec![0, 1, 2, 3],
                vec![9],
            ],
        ];
        let snapshots: Vec<Snapshot> = snaps
            .into_iter()
            .enumerate()
            .map(|(t, rows)| Snapshot {
                label: format!("2024-0{}", t + 1),
                lists: Csr::from_rows(rows),
            })
            .collect();
        Dataset {
            truth_propensity: None,
            n_users: 4,
            k: 4,
            recs: snapshots[2].lists.clone(),
            snapshots,
            items: catalog(),
            ..Dataset::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_round_trips_and_defaults() {
        let cfg = BubbleConfig::default();
        let json = serde_json::to_string(&cfg).unwrap();
        assert!(json.contains("\"min_history\":5"));
        let back: BubbleConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, cfg);
        let partial: BubbleConfig = serde_json::from_str("{\"last_n\": 3}").unwrap();
        assert_eq!((partial.last_n, partial.min_history), (3, 5));
    }
}
