//! Narrowing: is a user's list less diverse than the user's own history (docs/metrics.md)?
//!
//! For a user u with history H_u and top-k list L_u, p = the category distribution of H_u and q =
//! that of L_u ([`category_distribution`](crate::metrics::categories::category_distribution): an
//! item with m categories gives 1/m to each):
//! - `narrowing_ratio` = H(q) / H(p), H the Shannon entropy in bits;
//! - `narrowed` = 1\[ratio < `narrowing_threshold`\];
//! - `history_category_coverage` = |supp(p) ∩ supp(q)| / |supp(p)|.
//!
//! Source: the entropy ratio follows Nguyen et al. 2014, "Exploring the filter bubble: the effect
//! of using recommender systems on content diversity" (WWW, doi:10.1145/2566486.2568012).
//!
//! The plain per-user definition is [`narrowing_of_distributions`] (from p and q) and
//! [`user_narrowing`] (from the lists); [`narrowing_metrics`] applies it to every user. The audit
//! computes these metrics in the one pass of [`category_pass`](crate::metrics::category_pass),
//! which shares each user's distributions with the list entropy and miscalibration and is held
//! equal to [`narrowing_metrics`] by a test there.

use rayon::prelude::*;

use crate::data::Dataset;
use crate::metrics::bubble::{flag, row_or_empty, BubbleConfig};
use crate::metrics::categories::{common_categories, entropy_bits, ItemCategories};
use crate::metrics::{registry, UserMetric};

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

/// Narrowing of one user (docs/metrics.md).
///
/// *Formula*: ratio = H(L_u) / H(H_u), with H the category entropy in bits of docs/metrics.md (an item with
/// m categories gives 1/m to each); narrowed = 1\[ratio < `threshold`\]; coverage = the share of the
/// categories present in the history (positive mass) that also appear in the list.
///
/// *Source*: docs/metrics.md; the entropy ratio follows Nguyen et al. 2014, "Exploring the filter bubble:
/// the effect of using recommender systems on content diversity" (WWW, doi:10.1145/2566486.2568012).
///
/// *Conventions*: returns `None` (the user is not eligible) when the history has fewer than
/// `min_history` rows, duplicates counted. When H(H_u) = 0 (the history holds a single category, or
/// none) the ratio is undefined: ratio and flag are NaN, so such users are left out of the share
/// narrowed (a list cannot be narrower than a one-category history). The list is the top-k as given;
/// a list without a categorised item has H(L_u) = 0. `scratch` is as in
/// [`category_distribution`](crate::metrics::categories::category_distribution).
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
/// and of the list (`q`), each sorted by category: ratio = H(q) / H(p) with H = [`entropy_bits`],
/// narrowed = 1\[ratio < `threshold`\], coverage = |supp(p) ∩ supp(q)| / |supp(p)|.
pub fn narrowing_of_distributions(p: &[(u32, f64)], q: &[(u32, f64)], threshold: f64) -> Narrowing {
    narrowing_from_entropies(p, q, entropy_bits(p), entropy_bits(q), threshold)
}

/// [`narrowing_of_distributions`] from the entropies in bits of the history distribution `p`
/// (`h_hist`) and of the list distribution `q` (`h_list`), as [`entropy_bits`] gives them, for a
/// caller that has them already (the one pass of [`category_pass`](crate::metrics::category_pass)).
pub fn narrowing_from_entropies(
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
        common_categories(p, q, |&(c, _)| c) as f64 / p.len() as f64
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
    narrowing_metrics_from_values(
        column(|n| n.ratio),
        column(|n| n.narrowed),
        column(|n| n.coverage),
    )
}

/// The three narrowing metrics of [`narrowing_metrics`], one value per user in each column (NaN:
/// not eligible).
pub(crate) fn narrowing_metrics_from_values(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::bubble::test_fixtures::{catalog, close, dataset};

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
            let n = narrowing_from_entropies(&p, &q, 1.0, 0.5, 0.5);
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
}
