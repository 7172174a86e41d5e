//! Novelty: the mean self-information −log2 φ(i) of recommended items, φ(i) the share of history
//! users who interacted with item i (Zhou et al. 2010, "Solving the apparent diversity-accuracy
//! dilemma of recommender systems", PNAS). An item no history user touched (φ = 0) counts as
//! φ = 1/U.
//!
//! - `novelty_user` = the mean over one list ([`novelty`], per user [`novelty_user_metric`]);
//! - `novelty` = the mean over all recommendations of a set of lists ([`corpus_novelty`]).

use rayon::prelude::*;

use crate::data::Dataset;
use crate::metrics::popularity::Popularity;
use crate::metrics::{finite, registry, UserMetric};

/// Mean self-information −log2 φ(i) of a list (Zhou et al. 2010, "Solving the apparent diversity-
/// accuracy dilemma of recommender systems"); φ = 0 uses 1/U. NaN for an empty list.
///
/// ```
/// use recaudit::metrics::diversity::novelty;
/// // φ = 1/2 and 1/8: (1 + 3) / 2 = 2 bits
/// assert_eq!(novelty(&[0, 1], |i| [0.5, 0.125][i as usize]), 2.0);
/// assert!(novelty(&[], |_| 1.0).is_nan());
/// ```
pub fn novelty(list: &[u32], phi: impl Fn(u32) -> f64) -> f64 {
    mean_self_information(list, |i| -phi(i).log2())
}

/// The mean of `information(i)` over the list (NaN for an empty one): [`novelty`] given each
/// item's self-information −log2 φ(i).
fn mean_self_information(list: &[u32], information: impl Fn(u32) -> f64) -> f64 {
    list.iter().map(|&i| information(i)).sum::<f64>() / list.len() as f64
}

/// `novelty_user` (better higher): [`novelty`] of every list of `ds.recs`, with φ from `pop`.
pub fn novelty_user_metric(ds: &Dataset, pop: &Popularity) -> UserMetric {
    // −log2 φ(i) once per item rather than once per list position (10M logarithms at 10M
    // rows): the same values, summed in the same order as `novelty`.
    let information: Vec<f64> = (0..ds.items.n_items() as u32)
        .into_par_iter()
        .map(|i| -pop.phi_or_floor(i).log2())
        .collect();
    let values = (0..ds.recs.n_rows())
        .into_par_iter()
        .map(|u| mean_self_information(ds.recs.row(u), |i| information[i as usize]))
        .collect();
    UserMetric::new(&registry::NOVELTY_USER, values)
}

/// Corpus novelty: the mean of −log2 φ(i) over all recommendations of a set of lists, from their
/// item counts c_i (Σ_i c_i · −log2 φ(i) / Σ_i c_i); `None` when nothing is recommended.
pub fn corpus_novelty(counts: &[u32], pop: &Popularity) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0u64);
    for (i, &c) in counts.iter().enumerate() {
        if c > 0 {
            sum += c as f64 * -pop.phi_or_floor(i as u32).log2();
            n += c as u64;
        }
    }
    finite(sum / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::diversity::tests::{close, dataset};
    use crate::metrics::diversity::{item_counts, novelty_and_ild_metrics};
    use crate::metrics::popularity::PopularityConfig;

    #[test]
    fn user_and_corpus_novelty_hand_worked() {
        let ds = dataset();
        let pop = Popularity::new(&ds, &PopularityConfig::default()).unwrap();
        // −log2 φ = [0, 1, 2, 2, 2] (φ = 0 → 1/4): user 0 (0 + 1 + 2)/3 = 1, user 1 (0 + 2 + 1)/3
        // = 1, user 2 (2 + 2)/2 = 2
        let m = novelty_user_metric(&ds, &pop);
        assert_eq!(m.values, vec![1.0, 1.0, 2.0]);
        for u in 0..3 {
            let reference = novelty(ds.recs.row(u), |i| pop.phi_or_floor(i));
            assert_eq!(m.values[u].to_bits(), reference.to_bits());
        }
        assert_eq!(novelty_and_ild_metrics(&ds, Some(&pop))[0], m);
        // counts [2, 2, 1, 2, 1]: (2·0 + 2·1 + 1·2 + 2·2 + 1·2) / 8 = 10/8
        let counts = item_counts(&ds.recs, &[0, 1, 2], 5);
        close(corpus_novelty(&counts, &pop).unwrap(), 1.25);
        assert_eq!(corpus_novelty(&[0; 5], &pop), None);
    }
}
