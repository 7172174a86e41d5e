//! Exposure and its shares (docs/metrics.md): the exposure E_i of every item over a set of users, the
//! exposure share S_G of each item group, its target shares T_G (catalog, merit, relevance) and the
//! disparate exposure ratio S_G / T_G. The corpus pass
//! ([`ExposureContext`](super::ExposureContext)) computes them for many user sets at once.

use super::groups::ItemGroups;
use crate::data::{Csr, RecLists, Relevant};
use crate::metrics::{finite, PositionWeight};

/// Exposure of every catalog item over the lists of `users`: E_i = Σ_{u∈users} w(r(u,i)), w the
/// position weight of the rank of i in u's list, 0 for an item u was not shown (Singh & Joachims
/// 2018, "Fairness of exposure in rankings", KDD '18, doi:10.1145/3219819.3220088; docs/metrics.md).
/// Every catalog item gets a value, never-shown items 0.
///
/// ```
/// use recaudit::data::Csr;
/// use recaudit::metrics::PositionWeight;
/// use recaudit::metrics::exposure::item_exposure;
/// // lists [0, 1] and [1, 2], log weight: w(1) = 1, w(2) = 1/log2(3) = 0.63093
/// // E = [1, 0.63093 + 1, 0.63093, 0] (item 3 never shown)
/// let recs = Csr::from_rows(vec![vec![0, 1], vec![1, 2]]);
/// let e = item_exposure(&recs, &[0, 1], 4, &PositionWeight::Log);
/// let w2 = 1.0 / 3f64.log2();
/// assert_eq!(e, vec![1.0, 1.0 + w2, w2, 0.0]);
/// assert_eq!(item_exposure(&recs, &[], 4, &PositionWeight::Log), vec![0.0; 4]);
/// ```
pub fn item_exposure(
    recs: &RecLists,
    users: &[u32],
    n_items: usize,
    weight: &PositionWeight,
) -> Vec<f64> {
    let max_len = users
        .iter()
        .map(|&u| recs.row(u as usize).len())
        .max()
        .unwrap_or(0);
    let w: Vec<f64> = (1..=max_len).map(|r| weight.weight(r)).collect();
    let mut e = vec![0.0; n_items];
    for &u in users {
        for (pos, &i) in recs.row(u as usize).iter().enumerate() {
            e[i as usize] += w[pos];
        }
    }
    e
}

/// Exposure share of every group: S_G = Σ_{i∈G} E_i · fraction(i, G) / Σ_i E_i, the denominator
/// over every item (items with no group included, so the shares of the listed groups may sum to
/// less than 1; docs/metrics.md). `None` for every group when nothing was shown (Σ_i E_i = 0).
///
/// `exposure` is E_i per catalog item ([`item_exposure`]).
///
/// ```
/// use recaudit::data::Categorical;
/// use recaudit::metrics::exposure::{exposure_shares, ItemGroups};
/// // items 0, 1 in A, item 2 in B, item 3 in none; E = [1, 2, 1, 4]: A 3/8, B 1/8
/// let labels = vec!["A".into(), "B".into()];
/// let col = Categorical { name: "p".into(), labels, codes: vec![0, 0, 1, Categorical::MISSING] };
/// let g = ItemGroups::from_categorical(&col);
/// assert_eq!(exposure_shares(&g, &[1.0, 2.0, 1.0, 4.0]), vec![Some(0.375), Some(0.125)]);
/// assert_eq!(exposure_shares(&g, &[0.0; 4]), vec![None, None]);
/// ```
pub fn exposure_shares(groups: &ItemGroups, exposure: &[f64]) -> Vec<Option<f64>> {
    group_shares(&groups.group_mass(exposure), exposure.iter().sum())
}

/// Target share of every group from a mass per item: T_G = Σ_{i∈G} m_i · fraction(i, G) / Σ_i m_i
/// (docs/metrics.md). With m = [`item_interactions`] of a user set it is the `merit` target, with
/// m = [`item_relevance`] the `relevance` target; the `catalog` target |G| / |I| is
/// [`ItemGroups::catalog_share`]. `None` for every group when the mass is 0.
///
/// ```
/// use recaudit::data::Categorical;
/// use recaudit::metrics::exposure::{target_shares, ItemGroups};
/// // items 0, 1 in A, item 2 in B; 1 interaction with item 0, 2 with item 2: A 1/3, B 2/3
/// let labels = vec!["A".into(), "B".into()];
/// let col = Categorical { name: "p".into(), labels, codes: vec![0, 0, 1] };
/// let t = target_shares(&ItemGroups::from_categorical(&col), &[1.0, 0.0, 2.0]);
/// assert_eq!(t, vec![Some(1.0 / 3.0), Some(2.0 / 3.0)]);
/// ```
pub fn target_shares(groups: &ItemGroups, item_mass: &[f64]) -> Vec<Option<f64>> {
    group_shares(&groups.group_mass(item_mass), item_mass.iter().sum())
}

/// Each group's mass over `total` (`None` when `total` is not > 0).
pub(super) fn group_shares(mass: &[f64], total: f64) -> Vec<Option<f64>> {
    mass.iter()
        .map(|&x| (total > 0.0).then(|| x / total))
        .collect()
}

/// The history interactions (rows, duplicates kept) of `users` per catalog item, the mass of the
/// `merit` target ([`target_shares`]). Users past the end of `history` have none.
///
/// ```
/// use recaudit::data::Csr;
/// use recaudit::metrics::exposure::item_interactions;
/// let history = Csr::from_rows(vec![vec![2, 2], vec![0]]);
/// assert_eq!(item_interactions(&history, &[0, 1], 3), vec![1.0, 0.0, 2.0]);
/// assert_eq!(item_interactions(&history, &[1, 5], 3), vec![1.0, 0.0, 0.0]);
/// ```
pub fn item_interactions(history: &Csr<u32>, users: &[u32], n_items: usize) -> Vec<f64> {
    // Counted as integers (exact, so the same bits as summing 1.0s).
    let mut m = vec![0u32; n_items];
    for &u in users {
        if (u as usize) < history.n_rows() {
            for &i in history.row(u as usize) {
                m[i as usize] += 1;
            }
        }
    }
    m.into_iter().map(f64::from).collect()
}

/// The truth relevance grades of `users` summed per catalog item (grades below 0 count as 0), the
/// mass of the `relevance` target ([`target_shares`]). Users past the end of `truth` have none.
///
/// ```
/// use recaudit::data::{Csr, Relevant};
/// use recaudit::metrics::exposure::item_relevance;
/// let truth = Csr::from_rows(vec![vec![Relevant { item: 1, relevance: 2.0 }], vec![]]);
/// assert_eq!(item_relevance(&truth, &[0, 1], 3), vec![0.0, 2.0, 0.0]);
/// ```
pub fn item_relevance(truth: &Csr<Relevant>, users: &[u32], n_items: usize) -> Vec<f64> {
    let mut m = vec![0.0; n_items];
    for &u in users {
        if (u as usize) < truth.n_rows() {
            for r in truth.row(u as usize) {
                m[r.item as usize] += r.relevance.max(0.0);
            }
        }
    }
    m
}

/// Disparate exposure ratios S_G / T_G per group, the exposure share of a group over its target
/// share (1 = proportional, < 1 = under-exposed; docs/metrics.md). `None` when either is undefined or
/// T_G = 0.
///
/// ```
/// use recaudit::metrics::exposure::disparate_exposure_ratio;
/// // share 0.1 against a catalog share 0.25 → 0.4; a target of 0 is undefined
/// assert_eq!(
///     disparate_exposure_ratio(&[Some(0.1), Some(0.9)], &[Some(0.25), Some(0.0)]),
///     vec![Some(0.4), None]
/// );
/// ```
pub fn disparate_exposure_ratio(
    shares: &[Option<f64>],
    targets: &[Option<f64>],
) -> Vec<Option<f64>> {
    shares
        .iter()
        .zip(targets)
        .map(|(s, t)| match (s, t) {
            (Some(s), Some(t)) if *t > 0.0 => finite(s / t),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_data::dataset;
    use super::*;

    #[test]
    fn item_exposure_hand_worked() {
        // lists [0, 1], [0, 2], [1]; log weight: w(1) = 1, w(2) = 1/log2(3)
        let ds = dataset();
        let w2 = 1.0 / 3f64.log2();
        let e = item_exposure(&ds.recs, &[0, 1, 2], 4, &PositionWeight::Log);
        assert_eq!(e, vec![2.0, w2 + 1.0, w2, 0.0]);
        // rbp 0.5: w(2) = 0.5; users 1 and 2 only
        let e = item_exposure(&ds.recs, &[1, 2], 4, &PositionWeight::Rbp { patience: 0.5 });
        assert_eq!(e, vec![1.0, 1.0, 0.5, 0.0]);
    }

    #[test]
    fn shares_and_targets_hand_worked() {
        // provider: items 0, 1 in A, item 2 in B, item 3 in none
        let ds = dataset();
        let provider = ItemGroups::from_categorical(&ds.items.groups[0]);
        // E = [2, 2, 1, 0] (uniform weight): A 4/5, B 1/5
        let e = item_exposure(&ds.recs, &[0, 1, 2], 4, &PositionWeight::Uniform);
        assert_eq!(e, vec![2.0, 2.0, 1.0, 0.0]);
        assert_eq!(exposure_shares(&provider, &e), vec![Some(0.8), Some(0.2)]);
        // merit: history rows of the 3 users, item 2 twice (B), item 0 once (A)
        let history = &ds.history.as_ref().unwrap().per_user;
        let merit = item_interactions(history, &[0, 1, 2], 4);
        assert_eq!(merit, vec![1.0, 0.0, 2.0, 0.0]);
        let t = target_shares(&provider, &merit);
        assert_eq!(t, vec![Some(1.0 / 3.0), Some(2.0 / 3.0)]);
        // relevance: only item 2 (B)
        let truth = ds.truth.as_ref().unwrap();
        let rel = target_shares(&provider, &item_relevance(truth, &[0, 1, 2], 4));
        assert_eq!(rel, vec![Some(0.0), Some(1.0)]);
        // user 2 has no history: no merit target
        assert_eq!(
            target_shares(&provider, &item_interactions(history, &[2], 4)),
            vec![None, None]
        );
        // ratios: A 0.8 / (1/3), B 0.2 / (2/3); a target of 0 is undefined
        let s = exposure_shares(&provider, &e);
        assert_eq!(
            disparate_exposure_ratio(&s, &t),
            vec![Some(0.8 / (1.0 / 3.0)), Some(0.2 / (2.0 / 3.0))]
        );
        assert_eq!(disparate_exposure_ratio(&s, &rel)[0], None);
    }

    #[test]
    fn shares_split_items_between_their_categories() {
        // category: item 1 gives ½ to x and ½ to y; item 3 has no category
        let ds = dataset();
        let category = ItemGroups::from_categories(&ds.items);
        let e = [2.0, 1.0, 1.0, 4.0];
        assert_eq!(
            exposure_shares(&category, &e),
            vec![Some(2.5 / 8.0), Some(1.5 / 8.0)]
        );
    }
}
