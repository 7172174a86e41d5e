//! Drift of the recommendations over snapshots (docs/metrics.md): per user, the least-squares slope of the
//! list's category entropy over the snapshot index and the mean overlap of successive lists (with
//! their flags `diversity_falling` and `list_frozen`); per snapshot, personalisation, catalog
//! coverage and mean list entropy. Source: recaudit's filter-bubble flags after Nguyen et al. 2014,
//! "Exploring the filter bubble" (WWW). The verdict per slice group is in
//! [`slice_trend`](mod@super::slice_trend).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{Csr, Dataset};
use crate::metrics::bubble::{flag, row_or_empty, BubbleConfig};
use crate::metrics::categories::{category_distribution, entropy_bits};
use crate::metrics::diversity::{catalog_coverage, item_counts_of_lists, personalisation};
use crate::metrics::{registry, UserMetric};

/// Ordinary least-squares slope of y on x: Σ (x − x̄)(y − ȳ) / Σ (x − x̄)². NaN with fewer than two
/// points or when all x are equal.
///
/// ```
/// use recaudit::metrics::bubble::least_squares_slope;
/// assert_eq!(least_squares_slope(&[(0.0, 2.0), (1.0, 1.0), (2.0, 0.0)]), -1.0);
/// assert!(least_squares_slope(&[(0.0, 1.0)]).is_nan());
/// ```
pub fn least_squares_slope(points: &[(f64, f64)]) -> f64 {
    if points.len() < 2 {
        return f64::NAN;
    }
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for &(x, y) in points {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
    }
    if sxx > 0.0 {
        sxy / sxx
    } else {
        f64::NAN
    }
}

/// Overlap of two lists: |a ∩ b| / k (docs/metrics.md; k is the audit cutoff, so short lists still divide
/// by k, as personalisation does). Lists hold distinct items. NaN when k = 0.
///
/// ```
/// use recaudit::metrics::bubble::list_overlap;
/// assert_eq!(list_overlap(&[1, 2, 3, 4], &[4, 3, 9, 8], 4), 0.5);
/// ```
pub fn list_overlap(a: &[u32], b: &[u32], k: usize) -> f64 {
    if k == 0 {
        return f64::NAN;
    }
    let mut sorted = b.to_vec();
    sorted.sort_unstable();
    let common = a.iter().filter(|i| sorted.binary_search(i).is_ok()).count();
    common as f64 / k as f64
}

/// Drift of one user's lists across snapshots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UserTrend {
    /// Least-squares slope of H(L_u^t) (bits) over the snapshot index t; NaN with < 2 lists.
    pub slope: f64,
    /// Mean of |L^t ∩ L^next| / k over the user's successive lists; NaN with < 2 lists.
    pub mean_overlap: f64,
    /// Number of snapshots in which the user has a (non-empty) list.
    pub n_lists: usize,
}

/// Drift of one user's lists: `lists[t]` is the user's list in snapshot t (empty when the user is
/// absent from it).
///
/// *Formula*: slope = OLS slope of the points (t, H(L_u^t)) over the snapshots t where the list is
/// non-empty, H the category entropy in bits (docs/metrics.md), t the 0-based snapshot index (snapshots are
/// taken as evenly spaced: the slope is in bits per snapshot). Overlap = mean over the user's
/// successive non-empty lists (t, t') of |L^t ∩ L^t'| / k (docs/metrics.md).
///
/// *Conventions*: snapshots where the user has no list are skipped, in the slope and in the overlap
/// (the lists before and after a gap count as successive). Both are NaN with fewer than 2 lists;
/// the slope is NaN when `categories` is `None` (items without a category table).
///
/// *Example*: entropies 2, 1, 0.811278 at t = 0, 1, 2: x̄ = 1, slope =
/// ((−1)(2 − ȳ) + (1)(0.811278 − ȳ)) / 2 = (0.811278 − 2) / 2 = −0.594361.
pub fn user_trend(
    lists: &[&[u32]],
    categories: Option<&Csr<u32>>,
    scratch: &mut [f64],
    k: usize,
) -> UserTrend {
    let mut points = Vec::with_capacity(lists.len());
    let mut overlaps = Vec::with_capacity(lists.len());
    let mut previous: Option<&[u32]> = None;
    for (t, list) in lists.iter().enumerate() {
        if list.is_empty() {
            continue;
        }
        let h = categories.map_or(f64::NAN, |cats| {
            entropy_bits(&category_distribution(list, None, cats, scratch))
        });
        points.push((t as f64, h));
        if let Some(prev) = previous {
            overlaps.push(list_overlap(prev, list, k));
        }
        previous = Some(list);
    }
    let mean_overlap = if overlaps.is_empty() {
        f64::NAN
    } else {
        overlaps.iter().sum::<f64>() / overlaps.len() as f64
    };
    UserTrend {
        slope: if categories.is_some() {
            least_squares_slope(&points)
        } else {
            f64::NAN
        },
        mean_overlap,
        n_lists: points.len(),
    }
}

/// Values of one snapshot's lists (for all users or one slice's users).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotValues {
    /// The snapshot label as given.
    pub label: String,
    /// Users with a non-empty list in this snapshot.
    pub n_users: usize,
    /// Personalisation (docs/metrics.md) of those lists; `null` with fewer than 2 lists.
    pub personalisation: Option<f64>,
    /// Catalog coverage |∪ L_u| / |I|; `null` with no list or an empty catalog.
    pub catalog_coverage: Option<f64>,
    /// Mean category entropy H(L_u) in bits; `null` with no list or no item categories.
    pub mean_list_entropy: Option<f64>,
}

/// The sums over a set of users that one snapshot's [`SnapshotValues`] are a function of: the
/// non-empty lists, how many of them hold each item, and the sum of their category entropies. Sums
/// over users, so the sums of disjoint sets add up ([`SnapshotSums::merge`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SnapshotSums {
    /// Users with a non-empty list.
    pub n_lists: u64,
    /// Per catalog item, the lists holding it; empty when `n_lists` is 0.
    pub counts: Vec<u32>,
    /// Σ H(L_u) in bits over the lists, summed in the order the lists were added (0 without item
    /// categories).
    pub entropy_sum: f64,
}

impl SnapshotSums {
    /// The sums of `lists` (empty lists are skipped), in their order. `categories` is `None`
    /// without item categories (no entropy is summed); `scratch` holds one slot per category.
    pub fn of_lists<'a>(
        lists: impl IntoIterator<Item = &'a [u32]>,
        n_items: usize,
        categories: Option<&Csr<u32>>,
        scratch: &mut [f64],
    ) -> SnapshotSums {
        let lists: Vec<&[u32]> = lists.into_iter().filter(|l| !l.is_empty()).collect();
        let n = lists.len();
        let mut entropy_sum = 0.0;
        if let Some(cats) = categories {
            for list in &lists {
                entropy_sum += entropy_bits(&category_distribution(list, None, cats, scratch));
            }
        }
        SnapshotSums {
            n_lists: n as u64,
            counts: if n > 0 {
                item_counts_of_lists(lists.iter().copied(), n_items)
            } else {
                Vec::new()
            },
            entropy_sum,
        }
    }

    /// The sums of the union of two disjoint sets of users: counts added item by item, the
    /// entropy sums added (`self` first).
    pub fn merge(self, other: SnapshotSums) -> SnapshotSums {
        // A set without lists sums nothing (its entropy sum is +0.0, the identity).
        if self.n_lists == 0 {
            return other;
        }
        if other.n_lists == 0 {
            return self;
        }
        SnapshotSums {
            n_lists: self.n_lists + other.n_lists,
            counts: self
                .counts
                .iter()
                .zip(&other.counts)
                .map(|(a, b)| a + b)
                .collect(),
            entropy_sum: self.entropy_sum + other.entropy_sum,
        }
    }

    /// The snapshot's values: [`personalisation()`] and [`catalog_coverage`] of the item counts
    /// (k the audit cutoff), the mean entropy Σ H / n (`has_categories`: the items have a
    /// category table).
    pub fn values(&self, label: &str, has_categories: bool, k: usize) -> SnapshotValues {
        let n = self.n_lists as usize;
        SnapshotValues {
            label: label.to_string(),
            n_users: n,
            personalisation: personalisation(&self.counts, n, k),
            catalog_coverage: if n > 0 {
                catalog_coverage(&self.counts)
            } else {
                None
            },
            mean_list_entropy: (n > 0 && has_categories).then(|| self.entropy_sum / n as f64),
        }
    }
}

/// Personalisation, catalog coverage and mean list entropy of each snapshot, over the users
/// `users` (dense ids, summed in that order; `None` = every user): [`personalisation()`] and
/// [`catalog_coverage`] of the item counts of their non-empty lists, and the mean of
/// [`entropy_bits`] of the lists' category distributions ([`SnapshotSums::values`] of
/// [`SnapshotSums::of_lists`]).
pub fn snapshot_values(ds: &Dataset, users: Option<&[u32]>) -> Vec<SnapshotValues> {
    let n_items = ds.items.n_items();
    let n_cat = ds.items.category_labels.len();
    let categories = (n_cat > 0).then_some(&ds.items.categories);
    let mut scratch = vec![0.0; n_cat];
    ds.snapshots
        .iter()
        .map(|snap| {
            let sums = match users {
                Some(us) => SnapshotSums::of_lists(
                    us.iter().map(|&u| row_or_empty(&snap.lists, u as usize)),
                    n_items,
                    categories,
                    &mut scratch,
                ),
                None => {
                    SnapshotSums::of_lists(snap.lists.rows(), n_items, categories, &mut scratch)
                }
            };
            sums.values(&snap.label, n_cat > 0, ds.k)
        })
        .collect()
}

/// Drift of the recommendations over snapshots.
#[derive(Debug, Clone, PartialEq)]
pub struct OverTime {
    /// Number of snapshots.
    pub n_snapshots: usize,
    /// Per user: `diversity_slope` (higher is better), `list_overlap` (lower is better),
    /// `diversity_falling` (0/1, lower is better) and `list_frozen` (0/1, lower is better), in that
    /// order; NaN for users with fewer than two lists.
    pub user_metrics: Vec<UserMetric>,
    /// Per snapshot, over all users.
    pub snapshots: Vec<SnapshotValues>,
    /// Per user entropy slope (the same values as the `diversity_slope` metric).
    pub slopes: Vec<f64>,
    /// Per user mean overlap (the same values as the `list_overlap` metric).
    pub overlaps: Vec<f64>,
}

/// Drift over snapshots (docs/metrics.md): per user [`user_trend`] and its flags, per snapshot
/// [`snapshot_values`]. `None` with fewer than two snapshots. Without item categories the slopes
/// (and `diversity_falling`) are NaN; overlaps, personalisation and coverage are still computed.
///
/// Flags: `diversity_falling` = 1\[slope < −`slope_threshold`\], `list_frozen` = 1\[mean overlap ≥
/// `overlap_threshold`\]; NaN where the underlying value is NaN.
pub fn over_time(ds: &Dataset, cfg: &BubbleConfig) -> Option<OverTime> {
    if ds.snapshots.len() < 2 {
        return None;
    }
    let n_cat = ds.items.category_labels.len();
    let categories = (n_cat > 0).then_some(&ds.items.categories);
    let trends: Vec<UserTrend> = (0..ds.n_users)
        .into_par_iter()
        .map_init(
            || vec![0.0; n_cat],
            |scratch, u| {
                let lists: Vec<&[u32]> = ds
                    .snapshots
                    .iter()
                    .map(|s| row_or_empty(&s.lists, u))
                    .collect();
                user_trend(&lists, categories, scratch, ds.k)
            },
        )
        .collect();
    let slopes: Vec<f64> = trends.iter().map(|t| t.slope).collect();
    let overlaps: Vec<f64> = trends.iter().map(|t| t.mean_overlap).collect();
    let flags = |values: &[f64], pred: &dyn Fn(f64) -> bool| -> Vec<f64> {
        values
            .iter()
            .map(|&v| if v.is_nan() { f64::NAN } else { flag(pred(v)) })
            .collect()
    };
    let falling = flags(&slopes, &|s| s < -cfg.slope_threshold);
    let frozen = flags(&overlaps, &|o| o >= cfg.overlap_threshold);
    Some(OverTime {
        n_snapshots: ds.snapshots.len(),
        user_metrics: vec![
            UserMetric::new(&registry::DIVERSITY_SLOPE, slopes.clone()),
            UserMetric::new(&registry::LIST_OVERLAP, overlaps.clone()),
            UserMetric::new(&registry::DIVERSITY_FALLING, falling),
            UserMetric::new(&registry::LIST_FROZEN, frozen),
        ],
        snapshots: snapshot_values(ds, None),
        slopes,
        overlaps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::bubble::test_fixtures::{catalog, close, snapshot_dataset};

    #[test]
    fn slope_and_overlap_three_snapshots_hand_worked() {
        let it = catalog();
        let mut s = vec![0.0; 4];
        // t0 = [0 1 2 3] → A B C D: H = 2
        // t1 = [0 1 4 5] → A B A B: H = 1;      t0 ∩ t1 = {0, 1} → 2/4
        // t2 = [4 6 7 8] → A A A B: q = (3/4, 1/4), H = 0.811278; t1 ∩ t2 = {4} → 1/4
        let (l0, l1, l2): (&[u32], &[u32], &[u32]) = (&[0, 1, 2, 3], &[0, 1, 4, 5], &[4, 6, 7, 8]);
        let t = user_trend(&[l0, l1, l2], Some(&it.categories), &mut s, 4);
        let h2 = -(0.75f64 * 0.75f64.log2() + 0.25 * 0.25f64.log2());
        // x = 0 1 2, x̄ = 1, Σ(x−x̄)² = 2, Σ(x−x̄)(y−ȳ) = −(2 − ȳ) + (h2 − ȳ) = h2 − 2
        close(t.slope, (h2 - 2.0) / 2.0);
        close(t.slope, -0.594_360_937_770_433_5);
        close(t.mean_overlap, (0.5 + 0.25) / 2.0);
        assert_eq!(t.n_lists, 3);
        // absent in t1: points (0, 2), (2, h2) → slope (h2 − 2)/2; t0 and t2 are successive lists:
        // t0 ∩ t2 = ∅ → overlap 0
        let t = user_trend(&[l0, &[], l2], Some(&it.categories), &mut s, 4);
        close(t.slope, (h2 - 2.0) / 2.0);
        close(t.mean_overlap, 0.0);
        // one list: undefined
        let t = user_trend(&[&[], l1, &[]], Some(&it.categories), &mut s, 4);
        assert!(t.slope.is_nan() && t.mean_overlap.is_nan());
        // identical lists: slope 0, overlap 1
        let t = user_trend(&[l1, l1, l1], Some(&it.categories), &mut s, 4);
        assert_eq!((t.slope, t.mean_overlap), (0.0, 1.0));
        // without categories: no slope, overlap still defined
        let t = user_trend(&[l0, l1, l2], None, &mut [], 4);
        assert!(t.slope.is_nan());
        close(t.mean_overlap, 0.375);
    }

    #[test]
    fn over_time_flags_and_snapshot_values() {
        let ds = snapshot_dataset();
        let cfg = BubbleConfig::default();
        let ot = over_time(&ds, &cfg).unwrap();
        let h2 = -(0.75f64 * 0.75f64.log2() + 0.25 * 0.25f64.log2());
        close(ot.slopes[0], (h2 - 2.0) / 2.0);
        close(ot.slopes[1], 0.0);
        close(ot.slopes[2], 1.0); // 0, 1, 2 → slope 1
        assert!(ot.slopes[3].is_nan());
        // user 2: t0 ∩ t1 = {0, 4} → 2/4; t1 ∩ t2 = {0, 1} → 2/4; mean 0.5
        close(ot.overlaps[2], 0.5);
        let names: Vec<_> = ot.user_metrics.iter().map(|m| m.name()).collect();
        assert_eq!(
            names,
            [
                "diversity_slope",
                "list_overlap",
                "diversity_falling",
                "list_frozen"
            ]
        );
        assert_eq!(&ot.user_metrics[2].values[..3], &[1.0, 0.0, 0.0]);
        assert_eq!(&ot.user_metrics[3].values[..3], &[0.0, 1.0, 0.0]);
        assert!(ot.user_metrics[2].values[3].is_nan());

        // Snapshot t1 (2024-02): three users with lists [0 1 4 5] each: c = 3 for four items,
        // Σ C(3,2) = 4·3 = 12; k·C(3,2) = 4·3 = 12 → personalisation 1 − 12/12 = 0.
        // Coverage 4 of 11 items. Entropies 1, 1, 1 → mean 1.
        let t1 = &ot.snapshots[1];
        assert_eq!(t1.label, "2024-02");
        assert_eq!(t1.n_users, 3);
        close(t1.personalisation.unwrap(), 0.0);
        close(t1.catalog_coverage.unwrap(), 4.0 / 11.0);
        close(t1.mean_list_entropy.unwrap(), 1.0);
        // Snapshot t0: lists [0 1 2 3], [0 1 4 5], [4 6 7 0]: c_0 = 3, c_1 = 2, c_4 = 2, others 1:
        // Σ C(c,2) = 3 + 1 + 1 = 5 → 1 − 5/12 = 7/12. Items shown {0..7} → 8/11.
        let t0 = &ot.snapshots[0];
        close(t0.personalisation.unwrap(), 7.0 / 12.0);
        close(t0.catalog_coverage.unwrap(), 8.0 / 11.0);
        // Snapshot t2 has four users (user 3's single item 9): C(4,2) = 6; c_4 = 2, c_0 = 2,
        // c_1 = 2 → Σ = 3 → 1 − 3/(4·6) = 0.875.
        close(ot.snapshots[2].personalisation.unwrap(), 0.875);

        // no categories: slopes undefined, overlaps and personalisation kept
        let mut bare = ds.clone();
        bare.items.category_labels.clear();
        bare.items.categories = Csr::default();
        let ot2 = over_time(&bare, &cfg).unwrap();
        assert!(ot2.slopes.iter().all(|s| s.is_nan()));
        assert_eq!(ot2.overlaps[2], 0.5);
        assert_eq!(ot2.snapshots[1].personalisation, Some(0.0));
        assert_eq!(ot2.snapshots[1].mean_list_entropy, None);

        // one snapshot: no over-time analysis
        let mut one = ds.clone();
        one.snapshots.truncate(1);
        assert!(over_time(&one, &cfg).is_none());
    }
}
