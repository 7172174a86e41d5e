//! Expected exposure of stochastic rankings (Diaz, Mitra, Ekstrand, Biega & Carterette 2020,
//! "Evaluating stochastic rankings with expected exposure", CIKM '20, doi:10.1145/3340531.3411962):
//! EE-L2, EE-D and EE-R of one user ([`expected_exposure`]) and per user over the sampled rankings
//! of a dataset ([`expected_exposure_metrics`]).

use rayon::prelude::*;

use super::config::ExposureConfig;
use crate::data::{Dataset, Relevant};
use crate::metrics::{registry, PositionWeight, UserMetric};

/// Expected exposure of one user (Diaz et al. 2020, "Evaluating stochastic rankings with expected
/// exposure", CIKM '20, doi:10.1145/3340531.3411962): `(EE-L2, EE-D, EE-R)`.
///
/// ε_i = the mean over the user's sampled rankings of w(rank of i) (0 when absent from a sample);
/// ε*_i = the equal-merit target: an ideal ranking puts items by descending relevance grade, items
/// of the same grade (non-relevant catalog items included, grade 0) share equally the exposure of
/// the positions the ideal ranking gives their grade, and positions beyond `k` get no exposure (the
/// audited lists are cut at k). Then
/// EE-D = ‖ε‖² (disparity, lower better), EE-R = 2 ε·ε* (relevance, higher better),
/// EE-L2 = ‖ε − ε*‖² = EE-D − EE-R + ‖ε*‖² (lower better). Empty samples are left out (ε averages
/// over the others); NaN when the user has no non-empty sample or no relevant item. `relevant` is
/// sorted by item id; `n_items` = |I|.
///
/// ```
/// use recaudit::data::Relevant;
/// use recaudit::metrics::PositionWeight;
/// use recaudit::metrics::exposure::expected_exposure;
/// // uniform weight, k = 1, catalog of 3 items, item 0 relevant; samples [0] and [1]
/// // ε = {0: 1/2, 1: 1/2}; ε* = {0: 1} (the single position goes to the relevant item)
/// // EE-D = 1/4 + 1/4 = 0.5; EE-R = 2 · (1/2 · 1) = 1; ‖ε*‖² = 1; EE-L2 = 0.5 − 1 + 1 = 0.5
/// let rel = [Relevant { item: 0, relevance: 1.0 }];
/// let (l2, d, r) = expected_exposure(&[&[0][..], &[1][..]], &rel, 3, 1, &PositionWeight::Uniform);
/// assert_eq!((l2, d, r), (0.5, 0.5, 1.0));
/// assert!(expected_exposure(&[], &rel, 3, 1, &PositionWeight::Uniform).0.is_nan());
/// ```
pub fn expected_exposure(
    samples: &[&[u32]],
    relevant: &[Relevant],
    n_items: usize,
    k: usize,
    weight: &PositionWeight,
) -> (f64, f64, f64) {
    let nan = (f64::NAN, f64::NAN, f64::NAN);
    let samples: Vec<&[u32]> = samples.iter().copied().filter(|s| !s.is_empty()).collect();
    let rel: Vec<&Relevant> = relevant.iter().filter(|r| r.relevance > 0.0).collect();
    if samples.is_empty() || rel.is_empty() {
        return nan;
    }
    // ε over the shown items (sparse)
    let s = samples.len() as f64;
    let mut eps: Vec<(u32, f64)> = samples
        .iter()
        .flat_map(|l| {
            l.iter()
                .enumerate()
                .map(|(pos, &i)| (i, weight.weight(pos + 1) / s))
        })
        .collect();
    eps.sort_unstable_by_key(|&(i, _)| i);
    eps.dedup_by(|b, a| {
        if a.0 == b.0 {
            a.1 += b.1;
            true
        } else {
            false
        }
    });
    // ε*: grades descending, each grade's block of ideal positions shared equally
    let mut grades: Vec<f64> = rel.iter().map(|r| r.relevance).collect();
    grades.sort_unstable_by(|a, b| b.total_cmp(a));
    let pos_weight = |r: usize| if r <= k { weight.weight(r) } else { 0.0 };
    let mut per_grade: Vec<(f64, f64)> = Vec::new(); // (grade, target of each item)
    let mut norm_target = 0.0;
    let mut start = 0;
    while start < grades.len() {
        let g = grades[start];
        let end = start + grades[start..].iter().take_while(|&&x| x == g).count();
        let block: f64 = (start + 1..=end).map(pos_weight).sum();
        let each = block / (end - start) as f64;
        norm_target += (end - start) as f64 * each * each;
        per_grade.push((g, each));
        start = end;
    }
    let n_rel = grades.len();
    let n_rest = n_items.saturating_sub(n_rel);
    let rest = if n_rest > 0 {
        (n_rel + 1..=k.min(n_items)).map(pos_weight).sum::<f64>() / n_rest as f64
    } else {
        0.0
    };
    norm_target += n_rest as f64 * rest * rest;
    let target_of = |item: u32| match relevant.binary_search_by_key(&item, |r| r.item) {
        Ok(at) if relevant[at].relevance > 0.0 => {
            let g = relevant[at].relevance;
            per_grade
                .iter()
                .find(|(x, _)| *x == g)
                .map_or(0.0, |&(_, t)| t)
        }
        _ => rest,
    };
    let mut disparity = 0.0;
    let mut dot = 0.0;
    for &(i, e) in &eps {
        disparity += e * e;
        dot += e * target_of(i);
    }
    let relevance = 2.0 * dot;
    (disparity - relevance + norm_target, disparity, relevance)
}

/// Expected exposure per user over `ds.samples` as [`UserMetric`]s `ee_l2`, `ee_d` (both better
/// lower) and `ee_r` (better higher); empty without samples or truth.
///
/// Input convention: the recommendations table carries a `sample` column (any labels); each
/// sample is one ranking drawn from the stochastic recommender for every user, loaded as one
/// [`RecLists`](crate::data::RecLists) of `ds.samples`. A user's ε averages over the samples where
/// the user has a non-empty list. Weight `cfg.weight` (Diaz et al. use RBP; `rbp` with patience p
/// reproduces it).
pub fn expected_exposure_metrics(ds: &Dataset, cfg: &ExposureConfig) -> Vec<UserMetric> {
    let Some(truth) = ds.truth.as_ref() else {
        return Vec::new();
    };
    if ds.samples.is_empty() {
        return Vec::new();
    }
    let n = ds.recs.n_rows();
    let per_user: Vec<(f64, f64, f64)> = (0..n)
        .into_par_iter()
        .map(|u| {
            let samples: Vec<&[u32]> = ds
                .samples
                .iter()
                .filter(|s| u < s.n_rows())
                .map(|s| s.row(u))
                .collect();
            let rel = if u < truth.n_rows() {
                truth.row(u)
            } else {
                &[]
            };
            expected_exposure(&samples, rel, ds.items.n_items(), ds.k, &cfg.weight)
        })
        .collect();
    vec![
        UserMetric::new(&registry::EE_L2, per_user.iter().map(|x| x.0).collect()),
        UserMetric::new(&registry::EE_D, per_user.iter().map(|x| x.1).collect()),
        UserMetric::new(&registry::EE_R, per_user.iter().map(|x| x.2).collect()),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::test_data::{close, dataset};
    use super::*;
    use crate::data::Csr;

    #[test]
    fn expected_exposure_graded_and_decomposed() {
        // log weight, k = 2, catalog 4, truth {0: 2, 1: 1}; samples [0, 1] and [1, 0]
        // ε = {0: (1 + w2)/2, 1: (w2 + 1)/2}; ideal: item 0 (grade 2) at rank 1 → ε*_0 = 1,
        // item 1 at rank 2 → ε*_1 = w2, non-relevant items 2, 3 share nothing (k = 2 used up)
        let w2 = 1.0 / 3f64.log2();
        let rel = [
            Relevant {
                item: 0,
                relevance: 2.0,
            },
            Relevant {
                item: 1,
                relevance: 1.0,
            },
        ];
        let (l2, d, r) = expected_exposure(&[&[0, 1], &[1, 0]], &rel, 4, 2, &PositionWeight::Log);
        let e = (1.0 + w2) / 2.0;
        close(d, 2.0 * e * e);
        close(r, 2.0 * (e * 1.0 + e * w2));
        close(l2, (e - 1.0).powi(2) + (e - w2).powi(2));
        // equal grades: both items share (1 + w2)/2 each → the stochastic ranking is ideal, L2 = 0
        let eq = [
            Relevant {
                item: 0,
                relevance: 1.0,
            },
            Relevant {
                item: 1,
                relevance: 1.0,
            },
        ];
        let (l2, _, _) = expected_exposure(&[&[0, 1], &[1, 0]], &eq, 4, 2, &PositionWeight::Log);
        close(l2, 0.0);
        // non-relevant items share the leftover positions: k = 2, one relevant item (0),
        // 3 others share w2 → ε*_other = w2/3; deterministic ranking [0, 2]:
        // L2 = (1 − 1)² + (w2 − w2/3)² + 2·(w2/3)²
        let one = [Relevant {
            item: 0,
            relevance: 1.0,
        }];
        let (l2, d, r) = expected_exposure(&[&[0, 2]], &one, 4, 2, &PositionWeight::Log);
        close(l2, (2.0 * w2 / 3.0).powi(2) + 2.0 * (w2 / 3.0).powi(2));
        close(d, 1.0 + w2 * w2);
        close(r, 2.0 * (1.0 + w2 * w2 / 3.0));
    }

    #[test]
    fn expected_exposure_metrics_need_samples_and_truth() {
        let mut ds = dataset();
        assert!(expected_exposure_metrics(&ds, &ExposureConfig::default()).is_empty());
        ds.samples = vec![
            ds.recs.clone(),
            Csr::from_rows(vec![vec![1, 0], vec![], vec![]]),
        ];
        let m = expected_exposure_metrics(&ds, &ExposureConfig::default());
        assert_eq!(m.len(), 3);
        // users 1 and 2 have no relevant item → NaN; user 0 is defined
        assert!(m[0].values[0].is_finite());
        assert!(m[0].values[1].is_nan() && m[0].values[2].is_nan());
        assert!(m[1].values[0] > 0.0 && m[2].values[0] >= 0.0);
    }
}
