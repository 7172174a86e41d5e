//! Corpus metrics compared at one group size. Catalog coverage, distributional coverage, the Gini
//! coefficients and personalisation are values of a set of lists, and they move with the number
//! of lists: 100 lists cover less of a catalog than 1,000 lists of the same recommender. So within
//! each slice column, every published group is subsampled, without replacement, to the size of the
//! column's smallest published group, and the metrics are taken over each subsample with the same
//! corpus code as the whole groups' values (docs/statistics.md).
//!
//! Each subsample reads its users' lists and passes over the catalog, so the comparison's cost
//! grows with the group sizes times the number of subsamples. It is bounded by [`WORK_BUDGET`]:
//! a column whose groups are too large to be subsampled [`MIN_SUBSAMPLES`] times within its share
//! of the budget is not compared, and the audit says so in a note.

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

/// Fewest subsamples that make a comparison: fewer, and the interval is little more than the
/// range of a handful of values.
pub(super) const MIN_SUBSAMPLES: usize = 20;

/// The work all columns' comparisons may do together, in list rows read (each subsample of `n`
/// users reads `n·k` rows plus one pass over the catalog). 40 million rows take about a second of
/// one core in a release build, so the comparison never costs more than about half a second on
/// two cores; every column gets an equal share.
pub(super) const WORK_BUDGET: usize = 40_000_000;

/// What one subsample costs in list rows read: `per_user` rows for each of its users (the
/// cutoff k) and `per_subsample` for the pass over the catalog (its size).
#[derive(Debug, Clone, Copy)]
pub(super) struct SubsampleCost {
    /// Rows read per user of a subsample.
    pub per_user: usize,
    /// Rows read once per subsample.
    pub per_subsample: usize,
}

/// The size-matched comparisons of an audit, and the columns left out because their groups were
/// too large to subsample within [`WORK_BUDGET`].
#[derive(Debug, Default, PartialEq)]
pub(super) struct SizeMatched {
    /// Per compared slice column.
    pub columns: BTreeMap<String, SizeMatchedCorpus>,
    /// (column, size of its smallest published group) of each column not compared for cost.
    pub too_costly: Vec<(String, usize)>,
}

impl SizeMatched {
    /// The notes that name the columns not compared, and why.
    pub(super) fn notes(&self) -> Vec<String> {
        self.too_costly
            .iter()
            .map(|(col, n)| {
                format!(
                    "Coverage, Gini and personalisation of {} were not compared at one group size: its smallest published group has {n} users, and subsampling every group to that size {MIN_SUBSAMPLES} times exceeds the comparison's work budget (docs/statistics.md). Their per-group values in the corpus tables depend on group size and are not compared across groups.",
                    crate::text::visible(col)
                )
            })
            .collect()
    }
}

/// Subsamples per group that column `sizes` (the sizes of its published groups) can afford
/// within `budget` rows: min(`cap`, budget ÷ the cost of one subsample of every group larger than
/// the smallest), `None` when that is below [`MIN_SUBSAMPLES`]. Groups of the smallest size are
/// taken whole once and cost nothing here.
fn affordable_subsamples(
    sizes: &[usize],
    cost: SubsampleCost,
    budget: usize,
    cap: usize,
) -> Option<usize> {
    let smallest = sizes.iter().copied().min().unwrap_or(0);
    let round: usize = sizes
        .iter()
        .filter(|&&n| n > smallest)
        .map(|_| smallest.saturating_mul(cost.per_user) + cost.per_subsample)
        .sum();
    let affordable = budget.checked_div(round).unwrap_or(cap).min(cap);
    (affordable >= MIN_SUBSAMPLES).then_some(affordable)
}

/// Mixed into the audit's seed, so that the subsamples do not follow other seeded draws.
const SUBSAMPLE_SALT: u64 = 0x7375_6273_616d_706c;

/// The size-matched comparison of every slice column with at least two published groups, keyed by
/// column. `corpus_of(users)` gives the corpus values of the lists of `users`. Each group of more
/// users than the column's smallest published group is subsampled min(`cfg.resamples`,
/// [`MAX_SUBSAMPLES`], what the column's share of [`WORK_BUDGET`] affords at `cost`) times; a
/// column that cannot afford [`MIN_SUBSAMPLES`] is left out (`too_costly`). A group of exactly
/// the smallest size is taken whole, once. The draws of a group come from its own seeded stream
/// (the audit's seed, the column's and the group's positions), so the values do not depend on the
/// thread count. Empty with `--bootstrap 0`.
pub(super) fn size_matched_corpus(
    slices: &[SliceColumn],
    corpus_of: &(dyn Fn(&[u32]) -> CorpusValues + Sync),
    cfg: &StatsConfig,
    cost: SubsampleCost,
) -> SizeMatched {
    let cap = cfg.resamples.min(MAX_SUBSAMPLES);
    let mut out = SizeMatched::default();
    if cap == 0 {
        return out;
    }
    let candidates: Vec<(usize, Vec<usize>)> = slices
        .iter()
        .enumerate()
        .filter_map(|(c, col)| {
            let sizes: Vec<usize> = col.shown().map(|g| col.groups[g].users.len()).collect();
            (sizes.len() >= 2).then_some((c, sizes))
        })
        .collect();
    let budget = WORK_BUDGET / candidates.len().max(1);
    // (column, smallest size, subsamples)
    let mut compared: Vec<(usize, usize, usize)> = Vec::new();
    for (c, sizes) in &candidates {
        let smallest = sizes.iter().copied().min().unwrap_or(0);
        match affordable_subsamples(sizes, cost, budget, cap) {
            Some(subsamples) => compared.push((*c, smallest, subsamples)),
            None => out.too_costly.push((slices[*c].name.clone(), smallest)),
        }
    }
    let tasks: Vec<(usize, usize, usize, usize)> = compared
        .iter()
        .flat_map(|&(c, size, subsamples)| slices[c].shown().map(move |g| (c, g, size, subsamples)))
        .collect();
    let values: Vec<BTreeMap<String, Estimate>> = tasks
        .par_iter()
        .map(|&(c, g, size, subsamples)| {
            let users = &slices[c].groups[g].users;
            let stream = ((c as u64) << 32) | g as u64;
            group_at_size(users, size, subsamples, cfg, stream, corpus_of)
        })
        .collect();
    for &(c, size, subsamples) in &compared {
        let matched = SizeMatchedCorpus {
            n_users: size,
            subsamples,
            groups: BTreeMap::new(),
        };
        out.columns.insert(slices[c].name.clone(), matched);
    }
    for (&(c, g, _, _), v) in tasks.iter().zip(values) {
        let col = &slices[c];
        let matched = out.columns.get_mut(&col.name).expect("inserted above");
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
