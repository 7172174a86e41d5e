//! Attention-weighted rank fairness (TREC Fair Ranking 2022; Sapiezynski, Zeng, Robertson,
//! Mislove & Wilson 2019): AWRF of one list against a target distribution over item groups
//! ([`awrf`]), and per user against the catalog share of the intersectional item groups
//! ([`awrf_metrics`]).

use rayon::prelude::*;

use super::groups::{intersectional_groups, ItemGroups};
use crate::data::Dataset;
use crate::metrics::{registry, UserMetric, USERS_PER_TASK};

/// Attention-weighted rank fairness of one list (TREC Fair Ranking 2022, Sapiezynski et al. 2019
/// "Quantifying the impact of user attention on fair group representation in ranked lists"):
/// AWRF = 1 − JSD(d_L ‖ t), where d_L(G) ∝ Σ_{r} a(r) · fraction(L_r, G) with attention
/// a(r) = 1 / log2(max(r, 2)), t the target distribution over groups, and JSD the Jensen–Shannon
/// divergence in bits (= the squared JS distance, in [0, 1]); 1 = the list matches the target.
///
/// Conventions: items with no group are left out of d_L; NaN when no item of the list has a group.
/// TREC's evaluation used 1 − JS *distance*; convert with 1 − (1 − AWRF)^½.
///
/// ```
/// use recaudit::data::{Categorical, Csr};
/// use recaudit::metrics::exposure::{awrf, ItemGroups};
/// // groups A (item 0), B (item 1); list [0, 0'] = items [0, 0]: d = {A: 1}; target {½, ½}
/// // m = {¾, ¼}: JSD = ½ (1·log2(1/¾)) + ½ (½ log2(½/¾) + ½ log2(½/¼)) = 0.311278
/// let col = Categorical { name: "p".into(), labels: vec!["A".into(), "B".into()], codes: vec![0, 1] };
/// let g = ItemGroups::from_categorical(&col);
/// let a = awrf(&[0, 0], &g, &[0.5, 0.5]);
/// let jsd = 0.5 * (4.0f64 / 3.0).log2() + 0.25 * (2.0f64 / 3.0).log2() + 0.25;
/// assert!((a - (1.0 - jsd)).abs() < 1e-12);
/// assert!((awrf(&[0, 1], &g, &[0.5, 0.5]) - 1.0).abs() < 1e-12); // a(1) = a(2) = 1
/// ```
pub fn awrf(list: &[u32], groups: &ItemGroups, target: &[f64]) -> f64 {
    let mut d = vec![0.0; groups.n_groups()];
    awrf_with(list, groups, target, &attention(list.len()), &mut d)
}

/// The attention a(r) = 1 / log2(max(r, 2)) of ranks 1..=`k`, at index r − 1.
fn attention(k: usize) -> Vec<f64> {
    (1..=k).map(|r| 1.0 / (r.max(2) as f64).log2()).collect()
}

/// [`awrf`] given the [`attention`] of at least the list's ranks and a scratch vector `d` of one
/// slot per group (overwritten), for a pass over many lists.
fn awrf_with(
    list: &[u32],
    groups: &ItemGroups,
    target: &[f64],
    attention: &[f64],
    d: &mut [f64],
) -> f64 {
    d.fill(0.0);
    let mut total = 0.0;
    for (&i, &a) in list.iter().zip(attention) {
        for &(g, f) in groups.members.row(i as usize) {
            d[g as usize] += a * f;
            total += a * f;
        }
    }
    if total <= 0.0 {
        return f64::NAN;
    }
    d.iter_mut().for_each(|x| *x /= total);
    1.0 - js_divergence_bits(d, target)
}

/// Jensen–Shannon divergence in bits of two distributions over the same support:
/// ½ Σ p log2(2p / (p + q)) + ½ Σ q log2(2q / (q + p)), terms with a zero weight left out. Where
/// the other distribution is 0 a term is x · log2(2x / x) = x · log2 2 = x exactly, so it is
/// taken without the logarithm (the same bits; most groups are absent from a short list).
fn js_divergence_bits(p: &[f64], q: &[f64]) -> f64 {
    let kl_to_mid = |a: &[f64], b: &[f64]| -> f64 {
        a.iter()
            .zip(b)
            .filter(|(x, _)| **x > 0.0)
            .map(|(x, y)| {
                if *y == 0.0 {
                    *x
                } else {
                    x * (2.0 * x / (x + y)).log2()
                }
            })
            .sum()
    };
    (0.5 * kl_to_mid(p, q) + 0.5 * kl_to_mid(q, p)).clamp(0.0, 1.0)
}

/// AWRF per user against the catalog share of the intersectional item groups
/// ([`intersectional_groups`]), as the [`UserMetric`] `awrf` (better higher); empty without item
/// group columns.
pub fn awrf_metrics(ds: &Dataset) -> Vec<UserMetric> {
    let Some(groups) = intersectional_groups(&ds.items) else {
        return Vec::new();
    };
    let target = groups.catalog_share();
    let k = ds.recs.rows().map(|r| r.len()).max().unwrap_or(0);
    let attention = attention(k);
    let values = (0..ds.recs.n_rows())
        .into_par_iter()
        .with_max_len(USERS_PER_TASK)
        .map_init(
            || vec![0.0; groups.n_groups()],
            |d, u| awrf_with(ds.recs.row(u), &groups, &target, &attention, d),
        )
        .collect();
    vec![UserMetric::new(&registry::AWRF, values)]
}

#[cfg(test)]
mod tests {
    use super::super::test_data::{close, dataset};
    use super::*;

    proptest::proptest! {
        #[test]
        fn js_divergence_takes_absent_groups_without_a_logarithm(
            raw in proptest::collection::vec((0.0f64..1.0, 0u8..3), 1..12)
        ) {
            // About a third of the weights are 0 on each side.
            let p: Vec<f64> = raw.iter().map(|&(x, z)| if z == 0 { 0.0 } else { x }).collect();
            let q: Vec<f64> = raw.iter().map(|&(x, z)| if z == 1 { 0.0 } else { 1.0 - x }).collect();
            let plain = |a: &[f64], b: &[f64]| -> f64 {
                a.iter()
                    .zip(b)
                    .filter(|(x, _)| **x > 0.0)
                    .map(|(x, y)| x * (2.0 * x / (x + y)).log2())
                    .sum()
            };
            let want = (0.5 * plain(&p, &q) + 0.5 * plain(&q, &p)).clamp(0.0, 1.0);
            proptest::prop_assert_eq!(js_divergence_bits(&p, &q).to_bits(), want.to_bits());
        }
    }

    #[test]
    fn awrf_over_intersections() {
        let ds = dataset();
        // one column: groups A, B, (missing), catalog shares ½, ¼, ¼
        // (`intersectional_groups_of_one_column`)
        let m = awrf_metrics(&ds);
        // user 2: [1] → d = {A: 1}, t = {½, ¼, ¼}, M = {¾, ⅛, ⅛}
        // JSD = ½ log2(1/¾) + ½ (½ log2(½/¾) + ¼ log2(¼/⅛) + ¼ log2(¼/⅛))
        let jsd = 0.5 * (4.0f64 / 3.0).log2() + 0.5 * (0.5 * (2.0f64 / 3.0).log2() + 0.5);
        close(m[0].values[2], 1.0 - jsd);
    }
}
