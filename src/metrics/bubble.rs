//! Filter-bubble flags (SPEC §8): narrowing against the user's own history, drift over snapshots,
//! and over-personalisation. Segregation (clusters vs slices) lives in
//! [`segregation`](crate::metrics::segregation).
//!
//! All category distributions come from [`category_distribution`] (an item with m categories gives
//! 1/m to each; items without a category give nothing) and all entropies are in bits
//! ([`entropy_bits`]). Every per-user value is NaN where it is undefined for that user; slice means
//! skip NaN. Thresholds live in [`BubbleConfig`], which serialises so the audit can echo them.
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

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{Csr, Dataset};
use crate::metrics::categories::{category_distribution, entropy_bits, ItemCategories};
use crate::metrics::{finite, registry, UserMetric};

/// Thresholds and settings of the filter-bubble checks (SPEC §8), echoed in the audit JSON.
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

#[inline]
fn flag(condition: bool) -> f64 {
    if condition {
        1.0
    } else {
        0.0
    }
}

// ---------------------------------------------------------------------------------------------
// Narrowing
// ---------------------------------------------------------------------------------------------

/// Narrowing of one user's list against the user's history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Narrowing {
    /// H(L_u) / H(H_u); NaN when H(H_u) = 0.
    pub ratio: f64,
    /// 1 when `ratio` < threshold, 0 otherwise; NaN when the ratio is NaN.
    pub narrowed: f64,
    /// |cats(L_u) ∩ cats(H_u)| / |cats(H_u)|; NaN when no history item has a category.
    pub coverage: f64,
}

/// Narrowing of one user (SPEC §8).
///
/// *Formula*: ratio = H(L_u) / H(H_u), with H the category entropy in bits of SPEC §7 (an item with
/// m categories gives 1/m to each); narrowed = 1\[ratio < `threshold`\]; coverage = the share of the
/// categories present in the history (positive mass) that also appear in the list.
///
/// *Source*: SPEC §8; the entropy ratio follows Nguyen et al. 2014, "Exploring the filter bubble:
/// the effect of using recommender systems on content diversity" (WWW, doi:10.1145/2566486.2568012).
///
/// *Conventions*: returns `None` (the user is not eligible) when the history has fewer than
/// `min_history` rows, duplicates counted. When H(H_u) = 0 (the history holds a single category, or
/// none) the ratio is undefined: ratio and flag are NaN, so such users are left out of the share
/// narrowed (a list cannot be narrower than a one-category history). The list is the top-k as given;
/// a list without a categorised item has H(L_u) = 0. `scratch` is as in [`category_distribution`].
///
/// *Example*: history categories {A, B, C, D} equally (2 bits), list all A (0 bits): ratio 0,
/// narrowed, coverage 1/4.
///
/// ```
/// use recaudit::data::Csr;
/// use recaudit::metrics::bubble::user_narrowing;
/// use recaudit::metrics::categories::ItemCategories;
/// let csr = Csr::from_rows(vec![vec![0], vec![1], vec![2], vec![3]]);
/// let cats = ItemCategories::new(&csr);
/// let mut scratch = vec![0.0; 4];
/// let n = user_narrowing(&[0, 0], &[0, 1, 2, 3, 0], &cats, &mut scratch, 5, 0.5).unwrap();
/// assert_eq!((n.narrowed, n.coverage), (1.0, 0.25));
/// assert!(user_narrowing(&[0], &[0, 1], &cats, &mut scratch, 5, 0.5).is_none());
/// ```
pub fn user_narrowing(
    list: &[u32],
    history: &[u32],
    categories: &ItemCategories,
    scratch: &mut [f64],
    min_history: usize,
    threshold: f64,
) -> Option<Narrowing> {
    if history.len() < min_history {
        return None;
    }
    let p = categories.distribution(history, None, scratch);
    let q = categories.distribution(list, None, scratch);
    Some(narrowing_of_distributions(&p, &q, threshold))
}

/// [`user_narrowing`] of an eligible user from the category distributions of the history (`p`)
/// and of the list (`q`), each sorted by category.
pub fn narrowing_of_distributions(p: &[(u32, f64)], q: &[(u32, f64)], threshold: f64) -> Narrowing {
    narrowing_given_entropies(p, q, entropy_bits(p), entropy_bits(q), threshold)
}

/// [`narrowing_of_distributions`] given the entropies in bits of the history distribution `p`
/// (`h_hist`) and of the list distribution `q` (`h_list`), as [`entropy_bits`] gives them, for a
/// caller that has them already.
pub fn narrowing_given_entropies(
    p: &[(u32, f64)],
    q: &[(u32, f64)],
    h_hist: f64,
    h_list: f64,
    threshold: f64,
) -> Narrowing {
    let ratio = if h_hist > 0.0 {
        h_list / h_hist
    } else {
        f64::NAN
    };
    let narrowed = if ratio.is_nan() {
        f64::NAN
    } else {
        flag(ratio < threshold)
    };
    let coverage = if p.is_empty() {
        f64::NAN
    } else if let (Some(in_p), Some(in_q)) = (support_set(p), support_set(q)) {
        // Categories below 64 (the common case): the common support is the set intersection.
        f64::from((in_p & in_q).count_ones()) / p.len() as f64
    } else {
        // Both distributions are sorted by category: count the common support by a merge.
        let (mut i, mut j, mut common) = (0, 0, 0usize);
        while i < p.len() && j < q.len() {
            match p[i].0.cmp(&q[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    common += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        common as f64 / p.len() as f64
    };
    Narrowing {
        ratio,
        narrowed,
        coverage,
    }
}

/// The categories of a distribution as a 64-bit set, or `None` when one is 64 or above.
fn support_set(d: &[(u32, f64)]) -> Option<u64> {
    d.iter()
        .try_fold(0u64, |set, &(c, _)| Some(set | 1u64.checked_shl(c)?))
}

/// Narrowing for every user of the main lists: `narrowing_ratio` (higher is better), `narrowed`
/// (0/1, lower is better; its slice mean is the share narrowed) and `history_category_coverage`
/// (higher is better), in that order. Users without enough history are NaN in all three. Empty when
/// the dataset has no history or no item categories. See [`user_narrowing`].
pub fn narrowing_metrics(ds: &Dataset, cfg: &BubbleConfig) -> Vec<UserMetric> {
    let Some(history) = ds.history.as_ref() else {
        return Vec::new();
    };
    let n_cat = ds.items.category_labels.len();
    if n_cat == 0 {
        return Vec::new();
    }
    let cats = ItemCategories::new(&ds.items.categories);
    let per_user: Vec<Option<Narrowing>> = (0..ds.n_users)
        .into_par_iter()
        .map_init(
            || vec![0.0; n_cat],
            |scratch, u| {
                user_narrowing(
                    row_or_empty(&ds.recs, u),
                    row_or_empty(&history.per_user, u),
                    &cats,
                    scratch,
                    cfg.min_history,
                    cfg.narrowing_threshold,
                )
            },
        )
        .collect();
    narrowing_columns(&per_user)
}

/// The three narrowing metrics of [`narrowing_metrics`] from each user's narrowing (`None`: not
/// eligible).
fn narrowing_columns(per_user: &[Option<Narrowing>]) -> Vec<UserMetric> {
    let column = |f: fn(&Narrowing) -> f64| -> Vec<f64> {
        per_user
            .iter()
            .map(|n| n.as_ref().map_or(f64::NAN, f))
            .collect()
    };
    narrowing_metrics_of_columns(
        column(|n| n.ratio),
        column(|n| n.narrowed),
        column(|n| n.coverage),
    )
}

/// The three narrowing metrics of [`narrowing_metrics`], one value per user in each column (NaN:
/// not eligible).
pub(crate) fn narrowing_metrics_of_columns(
    ratio: Vec<f64>,
    narrowed: Vec<f64>,
    coverage: Vec<f64>,
) -> Vec<UserMetric> {
    vec![
        UserMetric::new(&registry::NARROWING_RATIO, ratio),
        UserMetric::new(&registry::NARROWED, narrowed),
        UserMetric::new(&registry::HISTORY_CATEGORY_COVERAGE, coverage),
    ]
}

// ---------------------------------------------------------------------------------------------
// Over-personalisation
// ---------------------------------------------------------------------------------------------

/// Over-personalisation of one user: the share of the list's categorised items whose categories
/// all lie within the categories of the user's last `last_n` history items.
///
/// *Formula*: R = ∪ cat(i) over the last min(N, |H_u|) history rows (history rows are oldest
/// first); OP = |{i ∈ L_u : cat(i) ≠ ∅, cat(i) ⊆ R}| / |{i ∈ L_u : cat(i) ≠ ∅}|.
///
/// *Source*: SPEC §8 / issue 4 ("items nearly identical to what the user already consumed"); an
/// item-category reading of the over-specialisation notion of Adamopoulos & Tuzhilin 2014, "On
/// unexpectedness in recommender systems" (doi:10.1145/2559952).
///
/// *Conventions*: items without a category are left out of numerator and denominator; NaN when R is
/// empty (no history, or no category among the last N items) or no list item has a category.
///
/// ```
/// use recaudit::data::Csr;
/// use recaudit::metrics::bubble::user_over_personalisation;
/// // items 0: {A}, 1: {B}, 2: {A, B}; history [1, 0] (last 1 item: item 0 → R = {A})
/// let cats = Csr::from_rows(vec![vec![0], vec![1], vec![0, 1]]);
/// // list [0, 1, 2]: only item 0 lies inside R → 1/3
/// let op = user_over_personalisation(&[0, 1, 2], &[1, 0], 1, &cats);
/// assert!((op - 1.0 / 3.0).abs() < 1e-12);
/// assert!(user_over_personalisation(&[0], &[], 5, &cats).is_nan());
/// ```
pub fn user_over_personalisation(
    list: &[u32],
    history: &[u32],
    last_n: usize,
    categories: &Csr<u32>,
) -> f64 {
    let recent = &history[history.len().saturating_sub(last_n)..];
    let mut allowed: Vec<u32> = recent
        .iter()
        .flat_map(|&i| categories.row(i as usize).iter().copied())
        .collect();
    allowed.sort_unstable();
    allowed.dedup();
    if allowed.is_empty() {
        return f64::NAN;
    }
    let (mut inside, mut categorised) = (0usize, 0usize);
    for &item in list {
        let cats = categories.row(item as usize);
        if cats.is_empty() {
            continue;
        }
        categorised += 1;
        if cats.iter().all(|c| allowed.binary_search(c).is_ok()) {
            inside += 1;
        }
    }
    share(inside, categorised)
}

/// [`user_over_personalisation`] with the categories prepared once for many users (the same
/// value): with category bit sets, R is the union of the recent items' sets and an item lies
/// inside R when its set has no bit outside R, with no allocation.
pub fn user_over_personalisation_prepared(
    list: &[u32],
    history: &[u32],
    last_n: usize,
    categories: &ItemCategories,
) -> f64 {
    let Some(sets) = categories.sets() else {
        return user_over_personalisation(list, history, last_n, categories.csr);
    };
    let recent = &history[history.len().saturating_sub(last_n)..];
    let allowed = recent.iter().fold(0u64, |r, &i| r | sets.get(i));
    if allowed == 0 {
        return f64::NAN;
    }
    let (mut inside, mut categorised) = (0usize, 0usize);
    for &item in list {
        let set = sets.get(item);
        if set != 0 {
            categorised += 1;
            inside += usize::from(set & !allowed == 0);
        }
    }
    share(inside, categorised)
}

/// `inside / categorised`, NaN when nothing is categorised.
fn share(inside: usize, categorised: usize) -> f64 {
    if categorised == 0 {
        f64::NAN
    } else {
        inside as f64 / categorised as f64
    }
}

/// `over_personalisation` (lower is better) for every user of the main lists, with
/// N = `cfg.last_n`; `None` without history or item categories. See [`user_over_personalisation`].
pub fn over_personalisation(ds: &Dataset, cfg: &BubbleConfig) -> Option<UserMetric> {
    let history = ds.history.as_ref()?;
    if ds.items.category_labels.is_empty() {
        return None;
    }
    let cats = ItemCategories::new(&ds.items.categories);
    let values = (0..ds.n_users)
        .into_par_iter()
        .map(|u| {
            user_over_personalisation_prepared(
                row_or_empty(&ds.recs, u),
                row_or_empty(&history.per_user, u),
                cfg.last_n,
                &cats,
            )
        })
        .collect();
    Some(UserMetric::new(&registry::OVER_PERSONALISATION, values))
}

// ---------------------------------------------------------------------------------------------
// Over time
// ---------------------------------------------------------------------------------------------

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

/// Overlap of two lists: |a ∩ b| / k (SPEC §8; k is the audit cutoff, so short lists still divide
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
/// non-empty, H the category entropy in bits (SPEC §7), t the 0-based snapshot index (snapshots are
/// taken as evenly spaced: the slope is in bits per snapshot). Overlap = mean over the user's
/// successive non-empty lists (t, t') of |L^t ∩ L^t'| / k (SPEC §8).
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

/// Personalisation of a set of lists (SPEC §7): 1 − Σ_i C(c_i, 2) / (k · C(n, 2)), c_i the number
/// of lists containing item i, n the number of non-empty lists. `None` with fewer than two lists
/// or k = 0. Linear in the number of recommendations (exact; no pairwise comparison).
///
/// ```
/// use recaudit::metrics::bubble::personalisation;
/// // k = 2, lists {1,2}, {1,3}, {4,5}: c_1 = 2 → Σ C(c,2) = 1; C(3,2) = 3 → 1 − 1/(2·3) = 5/6
/// let lists: Vec<&[u32]> = vec![&[1, 2], &[1, 3], &[4, 5]];
/// let p = personalisation(lists.into_iter(), 6, 2).unwrap();
/// assert!((p - 5.0 / 6.0).abs() < 1e-12);
/// ```
pub fn personalisation<'a>(
    lists: impl Iterator<Item = &'a [u32]>,
    n_items: usize,
    k: usize,
) -> Option<f64> {
    let mut counts = vec![0u32; n_items];
    let mut n = 0usize;
    for list in lists.filter(|l| !l.is_empty()) {
        n += 1;
        for &i in list {
            counts[i as usize] += 1;
        }
    }
    crate::metrics::diversity::personalisation(&counts, n, k)
}

/// Values of one snapshot's lists (for all users or one slice's users).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotValues {
    /// The snapshot label as given.
    pub label: String,
    /// Users with a non-empty list in this snapshot.
    pub n_users: usize,
    /// Personalisation (SPEC §7) of those lists; `null` with fewer than 2 lists.
    pub personalisation: Option<f64>,
    /// Catalog coverage |∪ L_u| / |I|; `null` with no list or an empty catalog.
    pub catalog_coverage: Option<f64>,
    /// Mean category entropy H(L_u) in bits; `null` with no list or no item categories.
    pub mean_list_entropy: Option<f64>,
}

/// Personalisation, catalog coverage and mean list entropy of each snapshot, over the users
/// `users` (dense ids; `None` = every user).
pub fn snapshot_values(ds: &Dataset, users: Option<&[u32]>) -> Vec<SnapshotValues> {
    let n_items = ds.items.n_items();
    let n_cat = ds.items.category_labels.len();
    let mut scratch = vec![0.0; n_cat];
    ds.snapshots
        .iter()
        .map(|snap| {
            let lists: Vec<&[u32]> = match users {
                Some(us) => us
                    .iter()
                    .map(|&u| row_or_empty(&snap.lists, u as usize))
                    .filter(|l| !l.is_empty())
                    .collect(),
                None => snap.lists.rows().filter(|l| !l.is_empty()).collect(),
            };
            let n = lists.len();
            let mut shown = vec![false; n_items];
            let mut entropy_sum = 0.0;
            for list in &lists {
                for &i in *list {
                    shown[i as usize] = true;
                }
                if n_cat > 0 {
                    entropy_sum += entropy_bits(&category_distribution(
                        list,
                        None,
                        &ds.items.categories,
                        &mut scratch,
                    ));
                }
            }
            let covered = shown.iter().filter(|&&s| s).count();
            SnapshotValues {
                label: snap.label.clone(),
                n_users: n,
                personalisation: personalisation(lists.iter().copied(), n_items, ds.k),
                catalog_coverage: (n > 0 && n_items > 0).then(|| covered as f64 / n_items as f64),
                mean_list_entropy: (n > 0 && n_cat > 0).then(|| entropy_sum / n as f64),
            }
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

/// Drift over snapshots (SPEC §8): per user [`user_trend`] and its flags, per snapshot
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

/// The direction of a slice's list diversity over snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Diversity falls for the slice.
    Narrowing,
    /// Neither narrowing nor widening.
    Stable,
    /// Diversity rises for the slice.
    Widening,
    /// No user of the slice has lists in two snapshots.
    Undetermined,
}

/// The over-time picture of one set of users (a slice group, or everyone), with its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceTrend {
    /// Users of the set with a defined slope (lists in ≥ 2 snapshots).
    pub n_users: usize,
    /// Mean per-user entropy slope, bits per snapshot.
    pub mean_slope: Option<f64>,
    /// Share of those users with slope < −`slope_threshold`.
    pub share_falling: Option<f64>,
    /// Share of those users with slope > `slope_threshold`.
    pub share_rising: Option<f64>,
    /// Mean of the per-user mean overlap of successive lists.
    pub mean_overlap: Option<f64>,
    /// Share of those users with mean overlap ≥ `overlap_threshold`.
    pub share_frozen: Option<f64>,
    /// Per snapshot values of the set's lists.
    pub snapshots: Vec<SnapshotValues>,
    /// Least-squares slope of personalisation over the snapshot index (snapshots with a value).
    pub personalisation_slope: Option<f64>,
    /// Personalisation slope < −`homogenisation_threshold`.
    pub homogenising: bool,
    /// The verdict (see [`slice_trend`]).
    pub verdict: Verdict,
}

/// The over-time summary and verdict of the users `users` (dense ids).
///
/// *Rule* (ε = `slope_threshold`, x = `verdict_min_share`), over the users with a defined slope:
/// - `narrowing` when mean slope < −ε and share falling ≥ x;
/// - `widening` when mean slope > ε and share rising ≥ x;
/// - `stable` otherwise; `undetermined` when no user has a slope.
///
/// Frozen lists and homogenisation (falling personalisation) are reported beside the verdict, not
/// folded into it.
pub fn slice_trend(ds: &Dataset, ot: &OverTime, users: &[u32], cfg: &BubbleConfig) -> SliceTrend {
    let eps = cfg.slope_threshold;
    let slopes: Vec<f64> = users
        .iter()
        .map(|&u| ot.slopes[u as usize])
        .filter(|s| !s.is_nan())
        .collect();
    let overlaps: Vec<f64> = users
        .iter()
        .map(|&u| ot.overlaps[u as usize])
        .filter(|o| !o.is_nan())
        .collect();
    let n = slopes.len();
    let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    let share = |v: &[f64], pred: &dyn Fn(f64) -> bool| {
        (!v.is_empty()).then(|| v.iter().filter(|&&x| pred(x)).count() as f64 / v.len() as f64)
    };
    let mean_slope = mean(&slopes);
    let share_falling = share(&slopes, &|s| s < -eps);
    let share_rising = share(&slopes, &|s| s > eps);
    let verdict = match (mean_slope, share_falling, share_rising) {
        (Some(m), Some(f), _) if m < -eps && f >= cfg.verdict_min_share => Verdict::Narrowing,
        (Some(m), _, Some(r)) if m > eps && r >= cfg.verdict_min_share => Verdict::Widening,
        (Some(_), _, _) => Verdict::Stable,
        _ => Verdict::Undetermined,
    };
    let snapshots = snapshot_values(ds, Some(users));
    let points: Vec<(f64, f64)> = snapshots
        .iter()
        .enumerate()
        .filter_map(|(t, s)| s.personalisation.map(|p| (t as f64, p)))
        .collect();
    let personalisation_slope = finite(least_squares_slope(&points));
    SliceTrend {
        n_users: n,
        mean_slope,
        share_falling,
        share_rising,
        mean_overlap: mean(&overlaps),
        share_frozen: share(&overlaps, &|o| o >= cfg.overlap_threshold),
        homogenising: personalisation_slope.is_some_and(|s| s < -cfg.homogenisation_threshold),
        personalisation_slope,
        snapshots,
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{History, Items, Snapshot};

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    /// Items with one category each: `cats[i]` is item i's category (or several).
    fn items(cats: Vec<Vec<u32>>, n_cat: usize) -> Items {
        Items {
            ids: (0..cats.len()).map(|i| format!("i{i}")).collect(),
            category_labels: (0..n_cat).map(|c| format!("c{c}")).collect(),
            categories: Csr::from_rows(cats),
            ..Items::default()
        }
    }

    // Categories A=0, B=1, C=2, D=3. Items 0..4 = A, B, C, D; 4 = A, 5 = B, 6 = A, 7 = A, 8 = B,
    // 9 = {A, B}, 10 = no category.
    fn catalog() -> Items {
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

    #[test]
    fn coverage_by_sets_equals_the_merge() {
        // Supports drawn from categories 0..80: below 64 the set path, else the merge; the
        // coverage must be the share of p's categories that q also has, either way.
        let mut state = 7u64;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        for round in 0..500 {
            let top = if round % 2 == 0 { 64 } else { 80 };
            let support = |ids: Vec<u32>| -> Vec<(u32, f64)> {
                let mut c = ids;
                c.sort_unstable();
                c.dedup();
                c.iter().map(|&c| (c, 1.0 / c.max(1) as f64)).collect()
            };
            let (len_p, len_q) = (1 + next(12), next(12));
            let p = support((0..len_p).map(|_| next(top) as u32).collect());
            let q = support((0..len_q).map(|_| next(top) as u32).collect());
            let common = p
                .iter()
                .filter(|(c, _)| q.iter().any(|(d, _)| d == c))
                .count();
            let n = narrowing_given_entropies(&p, &q, 1.0, 0.5, 0.5);
            assert_eq!(n.coverage, common as f64 / p.len() as f64, "{p:?} {q:?}");
        }
    }

    #[test]
    fn narrowing_flags_hand_built() {
        let it = catalog();
        let cats = ItemCategories::new(&it.categories);
        let mut s = vec![0.0; 4];
        let hist = [0, 1, 2, 3, 4, 5, 2, 3]; // A B C D A B C D: p = 1/4 each, H = 2 bits
                                             // list all A: H = 0, ratio 0/2 = 0 < 0.5 → narrowed; covers {A} of {A,B,C,D} = 1/4
        let n = user_narrowing(&[0, 4, 6, 7], &hist, &cats, &mut s, 5, 0.5).unwrap();
        assert_eq!((n.ratio, n.narrowed, n.coverage), (0.0, 1.0, 0.25));
        // list A A B B: H = 1, ratio 1/2 = 0.5, not < 0.5 → not narrowed; coverage 2/4
        let n = user_narrowing(&[0, 4, 1, 5], &hist, &cats, &mut s, 5, 0.5).unwrap();
        assert_eq!((n.ratio, n.narrowed, n.coverage), (0.5, 0.0, 0.5));
        // list A, {A,B}, uncategorised: q = {A: 1.5/2, B: 0.5/2} = {0.75, 0.25},
        // H = 0.811278; ratio 0.405639 < 0.5 → narrowed
        let n = user_narrowing(&[0, 9, 10], &hist, &cats, &mut s, 5, 0.5).unwrap();
        let h = -(0.75f64 * 0.75f64.log2() + 0.25 * 0.25f64.log2());
        close(n.ratio, h / 2.0);
        assert_eq!((n.narrowed, n.coverage), (1.0, 0.5));
        // threshold is configurable: at 0.4 the same user is not narrowed
        let n = user_narrowing(&[0, 9, 10], &hist, &cats, &mut s, 5, 0.4).unwrap();
        assert_eq!(n.narrowed, 0.0);
        // 4 history rows < min_history 5: ineligible
        assert!(user_narrowing(&[0], &hist[..4], &cats, &mut s, 5, 0.5).is_none());
        // duplicates count toward min_history
        assert!(user_narrowing(&[0], &[0, 0, 0, 1, 1], &cats, &mut s, 5, 0.5).is_some());
        // history of one category: H(H) = 0 → ratio and flag undefined, coverage still defined
        let n = user_narrowing(&[1, 2], &[0, 4, 6, 7, 0], &cats, &mut s, 5, 0.5).unwrap();
        assert!(n.ratio.is_nan() && n.narrowed.is_nan());
        assert_eq!(n.coverage, 0.0);
        // history with no categories at all: coverage undefined too
        let n = user_narrowing(&[1], &[10; 5], &cats, &mut s, 5, 0.5).unwrap();
        assert!(n.ratio.is_nan() && n.coverage.is_nan());
        assert!(s.iter().all(|&x| x == 0.0));
    }

    fn dataset(recs: Vec<Vec<u32>>, history: Vec<Vec<u32>>) -> Dataset {
        let n_users = recs.len();
        Dataset {
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

    #[test]
    fn narrowing_metrics_over_users() {
        let hist = vec![0, 1, 2, 3, 4, 5, 2, 3];
        let ds = dataset(
            vec![vec![0, 4, 6, 7], vec![0, 4, 1, 5], vec![0]],
            vec![hist.clone(), hist, vec![0, 1]],
        );
        let m = narrowing_metrics(&ds, &BubbleConfig::default());
        let names: Vec<_> = m.iter().map(|m| m.name()).collect();
        assert_eq!(
            names,
            ["narrowing_ratio", "narrowed", "history_category_coverage"]
        );
        assert_eq!(&m[1].values[..2], &[1.0, 0.0]);
        assert!(m[1].values[2].is_nan()); // 2 history rows: ineligible
        assert_eq!(&m[2].values[..2], &[0.25, 0.5]);
        // no history table → nothing
        let mut no_hist = ds.clone();
        no_hist.history = None;
        assert!(narrowing_metrics(&no_hist, &BubbleConfig::default()).is_empty());
    }

    #[test]
    fn over_personalisation_hand_built() {
        let it = catalog();
        // history oldest first: B B C D A; last 3 = C D A → R = {A, C, D}
        let hist = [1, 5, 2, 3, 0];
        // list: A (in), B (out), {A,B} (out: B ∉ R), D (in), uncategorised (skipped)
        // → 2 inside / 4 categorised = 0.5
        close(
            user_over_personalisation(&[0, 1, 9, 3, 10], &hist, 3, &it.categories),
            0.5,
        );
        // N = 5 covers the whole history: R = {A, B, C, D} → 4/4
        close(
            user_over_personalisation(&[0, 1, 9, 3, 10], &hist, 5, &it.categories),
            1.0,
        );
        // N larger than the history uses all of it
        close(
            user_over_personalisation(&[0, 1, 9, 3], &hist, 50, &it.categories),
            1.0,
        );
        // only uncategorised list items, or no history: undefined
        assert!(user_over_personalisation(&[10], &hist, 3, &it.categories).is_nan());
        assert!(user_over_personalisation(&[0], &[], 3, &it.categories).is_nan());
        let ds = dataset(vec![vec![0, 1, 9, 3, 10]], vec![hist.to_vec()]);
        let cfg = BubbleConfig {
            last_n: 3,
            ..BubbleConfig::default()
        };
        let m = over_personalisation(&ds, &cfg).unwrap();
        assert_eq!((m.name(), m.values[0]), ("over_personalisation", 0.5));
    }

    proptest::proptest! {
        #[test]
        fn over_personalisation_sets_equal_sorted_lists(
            cats in proptest::collection::vec(proptest::collection::vec(0u32..70, 0..4), 1..12),
            list in proptest::collection::vec(0usize..12, 0..12),
            history in proptest::collection::vec(0usize..12, 0..12),
            last_n in 0usize..8,
        ) {
            let n = cats.len();
            let cats = Csr::from_rows(cats);
            let list: Vec<u32> = list.iter().map(|&i| (i % n) as u32).collect();
            let history: Vec<u32> = history.iter().map(|&i| (i % n) as u32).collect();
            let plain = user_over_personalisation(&list, &history, last_n, &cats);
            let prepared = ItemCategories::new(&cats);
            let fast = user_over_personalisation_prepared(&list, &history, last_n, &prepared);
            // Ratios of the same two counts: exactly equal (or both NaN).
            proptest::prop_assert!(
                fast == plain || (fast.is_nan() && plain.is_nan()),
                "{} != {}", fast, plain
            );
        }
    }

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

    fn snapshot_dataset() -> Dataset {
        // user 0 narrows (the case above), user 1 is frozen on A B A B, user 2 widens from all A
        // (H 0) to A B (H 1) to A B C D (H 2), user 3 appears once.
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
            n_users: 4,
            k: 4,
            recs: snapshots[2].lists.clone(),
            snapshots,
            items: catalog(),
            ..Dataset::default()
        }
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

    #[test]
    fn slice_verdicts() {
        let ds = snapshot_dataset();
        let cfg = BubbleConfig::default();
        let ot = over_time(&ds, &cfg).unwrap();
        // user 0 alone: slope −0.594 < −0.1 and share falling 1 ≥ 0.5 → narrowing
        let t = slice_trend(&ds, &ot, &[0], &cfg);
        assert_eq!(t.verdict, Verdict::Narrowing);
        assert_eq!((t.n_users, t.share_falling), (1, Some(1.0)));
        // user 2 alone: slope 1 → widening
        assert_eq!(slice_trend(&ds, &ot, &[2], &cfg).verdict, Verdict::Widening);
        // users 0 and 1: mean slope −0.297 < −0.1, share falling 1/2 ≥ 0.5 → narrowing;
        // share frozen 1/2 (user 1's overlap 1); users 0, 1, 2: mean slope +0.135 → stable
        let t = slice_trend(&ds, &ot, &[0, 1], &cfg);
        assert_eq!(t.verdict, Verdict::Narrowing);
        assert_eq!(t.share_frozen, Some(0.5));
        let t = slice_trend(&ds, &ot, &[0, 1, 2, 3], &cfg);
        assert_eq!(t.n_users, 3); // user 3 has no slope
        assert_eq!(t.verdict, Verdict::Stable);
        // a stricter share rule turns users 0 and 1 stable
        let strict = BubbleConfig {
            verdict_min_share: 0.6,
            ..cfg.clone()
        };
        assert_eq!(
            slice_trend(&ds, &ot, &[0, 1], &strict).verdict,
            Verdict::Stable
        );
        // user 3 alone: no slope → undetermined
        assert_eq!(
            slice_trend(&ds, &ot, &[3], &cfg).verdict,
            Verdict::Undetermined
        );
        // users 0 and 1 per snapshot: t0 lists [0 1 2 3], [0 1 4 5]: Σ C = 2 → 1 − 2/4 = 0.5;
        // t1 identical lists: 0; t2 [4 6 7 8], [0 1 4 5]: 1 − 1/4 = 0.75.
        // personalisation slope over (0, .5), (1, 0), (2, .75) = (0.75 − 0.5)/2 = 0.125
        let t = slice_trend(&ds, &ot, &[0, 1], &cfg);
        let p: Vec<f64> = t
            .snapshots
            .iter()
            .map(|s| s.personalisation.unwrap())
            .collect();
        assert_eq!(p, [0.5, 0.0, 0.75]);
        close(t.personalisation_slope.unwrap(), 0.125);
        assert!(!t.homogenising);
    }

    #[test]
    fn personalisation_edge_cases() {
        let one: Vec<&[u32]> = vec![&[1, 2]];
        assert_eq!(personalisation(one.into_iter(), 3, 2), None);
        // identical lists → 0; disjoint → 1
        let same: Vec<&[u32]> = vec![&[1, 2], &[2, 1]];
        assert_eq!(personalisation(same.into_iter(), 3, 2), Some(0.0));
        let apart: Vec<&[u32]> = vec![&[0, 1], &[2, 3], &[]];
        assert_eq!(personalisation(apart.into_iter(), 4, 2), Some(1.0));
    }

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
