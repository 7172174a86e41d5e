//! Corpus metrics compared at one group size. Catalog coverage, distributional coverage, the Gini
//! coefficients and personalisation are values of a set of lists, and they move with the number
//! of lists: 100 lists cover less of a catalog than 1,000 lists of the same recommender. So within
//! each slice column, every published group is subsampled, without replacement, to the size of the
//! column's smallest published group, and the metrics are taken over each subsample with the same
//! corpus code as the whole groups' values (docs/statistics.md).

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::metrics::registry::{self, MetricDef};
use crate::metrics::CorpusValues;
use crate::result::SizeMatchedCorpus;
use crate::slices::SliceColumn;
use crate::stats::{Estimate, StatsConfig};

/// The corpus metrics whose value depends on the number of lists they are taken over.
pub(super) const SIZE_DEPENDENT: [&MetricDef; 7] = [
    &registry::CATALOG_COVERAGE,
    &registry::DISTRIBUTIONAL_COVERAGE,
    &registry::PERSONALISATION,
    &registry::GINI_EXPOSURE_LOG,
    &registry::GINI_EXPOSURE_RBP,
    &registry::GINI_EXPOSURE_UNIFORM,
    &registry::GINI_UNIFORM,
];

/// Most subsamples drawn per group: the comparison takes min(bootstrap resamples, this).
pub(super) const MAX_SUBSAMPLES: usize = 200;

/// Mixed into the audit's seed, so that the subsamples do not follow other seeded draws.
const SUBSAMPLE_SALT: u64 = 0x7375_6273_616d_706c;

/// The size-matched comparison of every slice column with at least two published groups, keyed by
/// column. `corpus_of(users)` gives the corpus values of the lists of `users`. Each group of more
/// users than the column's smallest published group is subsampled min(`cfg.resamples`,
/// [`MAX_SUBSAMPLES`]) times; a group of exactly that size is taken whole, once. The draws of a
/// group come from its own seeded stream (the audit's seed, the column's and the group's
/// positions), so the values do not depend on the thread count. Empty with `--bootstrap 0`.
pub(super) fn size_matched_corpus(
    slices: &[SliceColumn],
    corpus_of: &(dyn Fn(&[u32]) -> CorpusValues + Sync),
    cfg: &StatsConfig,
) -> BTreeMap<String, SizeMatchedCorpus> {
    let subsamples = cfg.resamples.min(MAX_SUBSAMPLES);
    if subsamples == 0 {
        return BTreeMap::new();
    }
    let compared: Vec<(usize, usize)> = slices
        .iter()
        .enumerate()
        .filter_map(|(c, col)| {
            let shown: Vec<usize> = col.shown().collect();
            let smallest = shown.iter().map(|&g| col.groups[g].users.len()).min()?;
            (shown.len() >= 2).then_some((c, smallest))
        })
        .collect();
    let tasks: Vec<(usize, usize, usize)> = compared
        .iter()
        .flat_map(|&(c, size)| slices[c].shown().map(move |g| (c, g, size)))
        .collect();
    let values: Vec<BTreeMap<String, Estimate>> = tasks
        .par_iter()
        .map(|&(c, g, size)| {
            let users = &slices[c].groups[g].users;
            let stream = ((c as u64) << 32) | g as u64;
            group_at_size(users, size, subsamples, cfg, stream, corpus_of)
        })
        .collect();
    let mut out: BTreeMap<String, SizeMatchedCorpus> = compared
        .iter()
        .map(|&(c, size)| {
            let matched = SizeMatchedCorpus {
                n_users: size,
                subsamples,
                groups: BTreeMap::new(),
            };
            (slices[c].name.clone(), matched)
        })
        .collect();
    for (&(c, g, _), v) in tasks.iter().zip(values) {
        let col = &slices[c];
        let matched = out.get_mut(&col.name).expect("inserted above");
        matched.groups.insert(col.groups[g].label.clone(), v);
    }
    out
}

/// The size-dependent corpus metrics of one group at `size` users: over `subsamples` subsamples of
/// `users` drawn without replacement from stream `stream` of the audit's seed, the mean value
/// with the percentile interval of the subsample values; when `users` has exactly `size` users,
/// the group's own value with a zero-width interval.
fn group_at_size(
    users: &[u32],
    size: usize,
    subsamples: usize,
    cfg: &StatsConfig,
    stream: u64,
    corpus_of: &(dyn Fn(&[u32]) -> CorpusValues + Sync),
) -> BTreeMap<String, Estimate> {
    let keep = |cv: &CorpusValues| -> Vec<(String, Option<f64>)> {
        SIZE_DEPENDENT
            .iter()
            .filter_map(|d| cv.scalars.get(d.key).map(|&v| (d.key.to_string(), v)))
            .collect()
    };
    if users.len() <= size {
        return keep(&corpus_of(users))
            .into_iter()
            .map(|(key, v)| {
                let e = Estimate {
                    value: v,
                    ci_low: v,
                    ci_high: v,
                    n: size,
                };
                (key, e)
            })
            .collect();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ SUBSAMPLE_SALT);
    rng.set_stream(stream);
    let mut per_key: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for _ in 0..subsamples {
        let mut subsample: Vec<u32> = rand::seq::index::sample(&mut rng, users.len(), size)
            .into_iter()
            .map(|i| users[i])
            .collect();
        subsample.sort_unstable();
        for (key, v) in keep(&corpus_of(&subsample)) {
            per_key.entry(key).or_default().push(v.unwrap_or(f64::NAN));
        }
    }
    per_key
        .into_iter()
        .map(|(key, values)| {
            let defined: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
            let mean =
                (!defined.is_empty()).then(|| defined.iter().sum::<f64>() / defined.len() as f64);
            let e = Estimate::with_interval(mean, &values, size, cfg.confidence);
            (key, e)
        })
        .collect()
}

#[cfg(test)]
#[path = "size_matched_tests.rs"]
mod tests;
