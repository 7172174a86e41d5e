//! Over-personalisation: the share of a list that stays inside the categories of the user's last
//! few history items (docs/metrics.md).
//!
//! OP(u) = |{i ∈ L_u : cat(i) ≠ ∅, cat(i) ⊆ R_u}| / |{i ∈ L_u : cat(i) ≠ ∅}|, R_u = the categories
//! of the last N history items (Adamopoulos & Tuzhilin 2014, "On unexpectedness in recommender
//! systems", ACM TIST). [`user_over_personalisation`] is the definition over sorted category lists;
//! [`user_over_personalisation_fast`] computes the same value with 64-bit category sets (held equal
//! to it by the property test `fast_equals_the_definition`), and [`over_personalisation`] applies
//! it to every user.

use rayon::prelude::*;

use crate::data::{Csr, Dataset};
use crate::metrics::bubble::{row_or_empty, BubbleConfig};
use crate::metrics::categories::ItemCategories;
use crate::metrics::{registry, UserMetric, USERS_PER_TASK};

/// Over-personalisation of one user: the share of the list's categorised items whose categories
/// all lie within the categories of the user's last `last_n` history items.
///
/// *Formula*: R = ∪ cat(i) over the last min(N, |H_u|) history rows (history rows are oldest
/// first); OP = |{i ∈ L_u : cat(i) ≠ ∅, cat(i) ⊆ R}| / |{i ∈ L_u : cat(i) ≠ ∅}|.
///
/// *Source*: docs/metrics.md ("items nearly identical to what the user already consumed"); an
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

/// [`user_over_personalisation`] with the categories prepared once for many users: the same
/// value, computed faster. With category bit sets, R is the union of the recent items' sets and an item lies
/// inside R when its set has no bit outside R, with no allocation.
pub fn user_over_personalisation_fast(
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
        .with_max_len(USERS_PER_TASK)
        .map(|u| {
            user_over_personalisation_fast(
                row_or_empty(&ds.recs, u),
                row_or_empty(&history.per_user, u),
                cfg.last_n,
                &cats,
            )
        })
        .collect();
    Some(UserMetric::new(&registry::OVER_PERSONALISATION, values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::bubble::test_fixtures::{catalog, close, dataset};

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
        fn fast_equals_the_definition(
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
            let fast = user_over_personalisation_fast(&list, &history, last_n, &prepared);
            // Ratios of the same two counts: exactly equal (or both NaN).
            proptest::prop_assert!(
                fast == plain || (fast.is_nan() && plain.is_nan()),
                "{} != {}", fast, plain
            );
        }
    }
}
