//! The SNIPS quality metrics of every user ([`snips_precision`], [`snips_recall`],
//! [`snips_ndcg`]) from the propensities of the truth rows: given in the truth table's
//! `propensity` column, or modelled from popularity ([`popularity_propensity`]).

use rayon::prelude::*;

use super::ndcg::discount;
use super::popularity_propensity;
use super::snips_ndcg::{ideal_of_gains, weighted_gains};
use super::snips_recall::observed_weight;
#[cfg(test)]
use super::{snips_ndcg, snips_precision, snips_recall};
use crate::data::{Csr, RecLists, Relevant};
use crate::metrics::{registry, UserMetric, USERS_PER_TASK};

/// Whether the truth rows have propensities: given in the truth table, or modelled from a
/// popularity. The SNIPS metrics run when they do (and there is a truth table).
pub fn has_propensities(given: bool, popularity: bool) -> bool {
    given || popularity
}

/// The propensity of every truth row (in the order of `truth.values()`): `given` when the truth
/// table has a `propensity` column, else the popularity model of the row's item with exponent
/// `gamma`, else `None` (no propensities, [`has_propensities`]: the SNIPS metrics are skipped).
pub fn truth_propensities(
    truth: &Csr<Relevant>,
    given: Option<&[f64]>,
    popularity: Option<&[f64]>,
    gamma: f64,
) -> Option<Vec<f64>> {
    if !has_propensities(given.is_some(), popularity.is_some()) {
        return None;
    }
    if let Some(p) = given {
        return Some(p.to_vec());
    }
    let per_item = popularity_propensity(popularity?, gamma);
    Some(
        truth
            .values()
            .iter()
            .map(|r| per_item.get(r.item as usize).copied().unwrap_or(1.0))
            .collect(),
    )
}

/// SNIPS precision, recall and NDCG at `k` for every user, as [`UserMetric`]s; `propensity` holds
/// the propensity of every truth row (see [`truth_propensities`]).
pub fn snips_metrics(
    recs: &RecLists,
    truth: &Csr<Relevant>,
    propensity: &[f64],
    k: usize,
) -> Vec<UserMetric> {
    let offsets = truth.offsets();
    // Collected straight into the three columns (no per-user triples held beside them).
    let (precision, (recall, ndcg)): (Vec<f64>, (Vec<f64>, Vec<f64>)) = (0..recs.n_rows())
        .into_par_iter()
        .with_max_len(USERS_PER_TASK)
        .map(|u| {
            let p = &propensity[offsets[u]..offsets[u + 1]];
            let [precision, recall, ndcg] = user_snips(recs.row(u), truth.row(u), p, k);
            (precision, (recall, ndcg))
        })
        .unzip();
    vec![
        UserMetric::new(&registry::SNIPS_PRECISION, precision),
        UserMetric::new(&registry::SNIPS_RECALL, recall),
        UserMetric::new(&registry::SNIPS_NDCG, ndcg),
    ]
}

/// The most list positions [`user_snips`] keeps on the stack; longer lists (k above it) take
/// the heap.
const ON_STACK: usize = 64;

/// [`snips_precision`], [`snips_recall`] and [`snips_ndcg`] of one user in one pass: each item of
/// the top k is looked up in the truth once, and the three are evaluated from those lookups with
/// the definitions' own sums in the definitions' order (the same bits: a property test holds
/// them equal).
pub(crate) fn user_snips(
    list: &[u32],
    relevant: &[Relevant],
    propensity: &[f64],
    k: usize,
) -> [f64; 3] {
    let top = &list[..k.min(list.len())];
    // The truth row of each item of the top k with a positive grade, in list order.
    let mut found_on_stack = [0usize; ON_STACK];
    let mut found_on_heap = Vec::new();
    let mut n_found = 0;
    for &item in top {
        if let Ok(at) = relevant.binary_search_by_key(&item, |r| r.item) {
            if relevant[at].relevance > 0.0 {
                if top.len() <= ON_STACK {
                    found_on_stack[n_found] = at;
                } else {
                    found_on_heap.push(at);
                }
                n_found += 1;
            }
        }
    }
    let found: &[usize] = if top.len() <= ON_STACK {
        &found_on_stack[..n_found]
    } else {
        &found_on_heap
    };

    // snips_recall
    let total = observed_weight(relevant, propensity);
    let recall = if k == 0 || total == 0.0 {
        f64::NAN
    } else {
        let hit: f64 = found.iter().map(|&at| 1.0 / propensity[at]).sum();
        hit / total
    };
    // snips_precision
    let observed = relevant.iter().filter(|r| r.relevance > 0.0).count();
    let precision = observed as f64 * recall / k as f64;
    // snips_ndcg
    let ndcg = if k == 0 || observed == 0 {
        f64::NAN
    } else {
        let mut dcg = 0.0;
        let mut next = found.iter().peekable();
        for (pos, &item) in top.iter().enumerate() {
            if let Some(&&at) = next.peek() {
                if relevant[at].item == item {
                    dcg += relevant[at].relevance / propensity[at] / discount(pos);
                    next.next();
                }
            }
        }
        let gains = weighted_gains(relevant, propensity);
        let mut gains_on_stack = [0.0; ON_STACK];
        let mut gains_on_heap = Vec::new();
        let gains: &mut [f64] = if observed <= ON_STACK {
            for (slot, g) in gains_on_stack.iter_mut().zip(gains) {
                *slot = g;
            }
            &mut gains_on_stack[..observed]
        } else {
            gains_on_heap.extend(gains);
            &mut gains_on_heap
        };
        dcg / ideal_of_gains(gains, k)
    };
    [precision, recall, ndcg]
}

#[cfg(test)]
mod tests {
    use super::super::fused::quality_metrics;
    use super::*;
    use proptest::prelude::*;

    /// Lists of up to 6 items and truths of up to 5 items (grades 0–3) over 12 items.
    fn case() -> impl Strategy<Value = (Vec<Vec<u32>>, Vec<Vec<Relevant>>)> {
        let list = prop::collection::vec(0u32..12, 0..6).prop_map(|mut l| {
            let mut seen = std::collections::HashSet::new();
            l.retain(|i| seen.insert(*i));
            l
        });
        let truth = prop::collection::btree_map(0u32..12, 0u8..4, 0..5).prop_map(|m| {
            m.into_iter()
                .map(|(item, g)| Relevant {
                    item,
                    relevance: f64::from(g),
                })
                .collect::<Vec<_>>()
        });
        prop::collection::vec((list, truth), 1..8).prop_map(|v| v.into_iter().unzip())
    }

    proptest! {
        #[test]
        fn equal_propensities_give_the_plain_metrics((lists, truths) in case(), p in 0.01f64..1.0) {
            let recs = Csr::from_rows(lists);
            let truth = Csr::from_rows(truths);
            let flat = vec![p; truth.n_values()];
            let snips = snips_metrics(&recs, &truth, &flat, 4);
            let plain = quality_metrics(&recs, &truth, 4);
            // precision, recall, ndcg are the 1st, 2nd and 5th quality metrics.
            for (s, q) in snips.iter().zip([&plain[0], &plain[1], &plain[4]]) {
                for (a, b) in s.values.iter().zip(&q.values) {
                    prop_assert!((a.is_nan() && b.is_nan()) || (a - b).abs() < 1e-12, "{} {} vs {}", s.definition.key, a, b);
                }
            }
        }

        #[test]
        fn one_pass_equals_the_three_definitions_bit_for_bit(
            (lists, truths) in case(),
            k in 0usize..8,
            seed in 0u64..1000,
        ) {
            // Propensities of varied magnitudes, so that the order of the sums shows.
            let recs = Csr::from_rows(lists);
            let truth = Csr::from_rows(truths);
            let p: Vec<f64> = (0..truth.n_values() as u64)
                .map(|j| 1e-3 + ((j * 7919 + seed) % 97) as f64 / 37.0)
                .collect();
            let offsets = truth.offsets();
            for u in 0..recs.n_rows() {
                let (list, rel) = (recs.row(u), truth.row(u));
                let pu = &p[offsets[u]..offsets[u + 1]];
                let fused = user_snips(list, rel, pu, k);
                let defined = [
                    snips_precision(list, rel, pu, k),
                    snips_recall(list, rel, pu, k),
                    snips_ndcg(list, rel, pu, k),
                ];
                for (a, b) in fused.iter().zip(defined) {
                    prop_assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "{:?} vs {:?}", fused, defined);
                }
            }
        }

        #[test]
        fn snips_metrics_are_scale_free_and_bounded((lists, truths) in case(), scale in 0.01f64..1.0) {
            let recs = Csr::from_rows(lists);
            let truth = Csr::from_rows(truths);
            let p: Vec<f64> = (0..truth.n_values()).map(|j| 0.05 + (j % 7) as f64 * 0.1).collect();
            let scaled: Vec<f64> = p.iter().map(|x| x * scale).collect();
            let (a, b) = (snips_metrics(&recs, &truth, &p, 4), snips_metrics(&recs, &truth, &scaled, 4));
            for (ma, mb) in a.iter().zip(&b) {
                for (x, y) in ma.values.iter().zip(&mb.values) {
                    prop_assert!((x.is_nan() && y.is_nan()) || (x - y).abs() < 1e-9);
                    prop_assert!(x.is_nan() || (-1e-12..=1.0 + 1e-12).contains(x));
                }
            }
        }
    }

    #[test]
    fn propensities_come_from_the_column_or_the_popularity_model() {
        // Users 0 and 1 with items {1, 2} and {0}; popularity 4, 1, 0 with γ = 1: P = 1, 1/4, 1/4.
        let truth = Csr::from_rows(vec![
            vec![
                Relevant {
                    item: 1,
                    relevance: 1.0,
                },
                Relevant {
                    item: 2,
                    relevance: 1.0,
                },
            ],
            vec![Relevant {
                item: 0,
                relevance: 1.0,
            }],
        ]);
        let pop = [4.0, 1.0, 0.0];
        assert_eq!(
            truth_propensities(&truth, None, Some(&pop), 1.0),
            Some(vec![0.25, 0.25, 1.0])
        );
        let given = [0.5, 0.1, 0.9];
        assert_eq!(
            truth_propensities(&truth, Some(&given), Some(&pop), 1.0),
            Some(given.to_vec())
        );
        assert_eq!(truth_propensities(&truth, None, None, 1.0), None);
    }
}
