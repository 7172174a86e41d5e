//! Corpus metrics compared at one group size. Catalog coverage, distributional coverage, the Gini
//! coefficients and personalisation are values of a set of lists, and they move with the number
//! of lists: 100 lists cover less of a catalog than 1,000 lists of the same recommender. So within
//! each slice column, every published group is subsampled, without replacement, to the size of the
//! column's smallest published group, and the metrics are taken over each subsample with the same
//! corpus code as the whole groups' values (docs/statistics.md).
//!
//! Subsample s of a group of more than n users is its **bottom-n hash sample**: the n users with
//! the smallest [`subsample_hash`] of (seed, s, user key), ties by key ([`bottom_n`]). With the
//! hash modelled as a random function, the values of distinct users are independent and
//! identically distributed, so their order is a uniformly random permutation of the group and its
//! first n users a uniform sample without replacement (docs/statistics.md); the sample depends on
//! neither the order of the rows nor how the users are partitioned, so a partition can keep its
//! own n smallest and the smallest of those are the group's (`partial::map_size_matched`).
//!
//! Each subsample hashes its group's users, reads its users' lists and passes over the catalog,
//! so the comparison's cost grows with the group sizes times the number of subsamples. It is
//! bounded by [`WORK_BUDGET`]: a column whose groups are too large to be subsampled
//! [`MIN_SUBSAMPLES`] times within its share of the budget is not compared, and the audit says so
//! in a note.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::data::Dataset;
use crate::metrics::diversity;
use crate::metrics::exposure::ExposureContext;
use crate::metrics::registry::{self, MetricDef};
use crate::metrics::CorpusValues;
use crate::result::SizeMatchedCorpus;
use crate::slices::SliceColumn;
use crate::stats::bootstrap::{keyed_hash, mix64};
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
/// cutoff k), `per_subsample` for the pass over the catalog (its size), and one per user of the
/// group it is drawn from (the user's hash, [`bottom_n`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SubsampleCost {
    /// Rows read per user of a subsample.
    pub per_user: usize,
    /// Rows read once per subsample.
    pub per_subsample: usize,
}

/// The size-matched comparisons of an audit, and the columns left out because their groups were
/// too large to subsample within [`WORK_BUDGET`].
#[derive(Debug, Default, PartialEq)]
pub struct SizeMatched {
    /// Per compared slice column.
    pub columns: BTreeMap<String, SizeMatchedCorpus>,
    /// (column, size of its smallest published group) of each column not compared for cost.
    pub too_costly: Vec<(String, usize)>,
}

impl SizeMatched {
    /// The notes that name the columns not compared, and why.
    pub fn notes(&self) -> Vec<String> {
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
/// the smallest, hashing the group's users included), `None` when that is below
/// [`MIN_SUBSAMPLES`]. Groups of the smallest size are taken whole once and cost nothing here.
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
        .map(|&n| smallest.saturating_mul(cost.per_user) + cost.per_subsample + n)
        .sum();
    let affordable = budget.checked_div(round).unwrap_or(cap).min(cap);
    (affordable >= MIN_SUBSAMPLES).then_some(affordable)
}

/// Mixed into the audit's seed, so that the subsamples do not follow other seeded draws.
const SUBSAMPLE_SALT: u64 = 0x7375_6273_616d_706c;

/// The rank of the user whose id has key `key` ([`crate::data::id_key`]) in subsample `s` under
/// `seed`: mix64(k_s ⊕ key·γ) with k_s = mix64(mix64(seed ⊕ salt) ⊕ s·γ) (the SplitMix64
/// finaliser, [`keyed_hash`]). A function of (seed, s, user id) only.
pub(crate) fn subsample_hash(seed: u64, s: usize, key: u64) -> u64 {
    keyed_hash(subsample_stream(seed, s), key)
}

/// k_s of [`subsample_hash`].
fn subsample_stream(seed: u64, s: usize) -> u64 {
    keyed_hash(mix64(seed ^ SUBSAMPLE_SALT), s as u64)
}

/// Subsample `s` of a group: of `users` (dense ids; `keys[u]` is user u's key), the `n` with the
/// smallest (hash, key, id), the hash being [`subsample_hash`] of (seed, s, key); all of them when
/// they are at most `n`. Returned in ascending dense id, which is ascending key (the reader numbers
/// users by key).
pub(crate) fn bottom_n(users: &[u32], keys: &[u64], seed: u64, s: usize, n: usize) -> Vec<u32> {
    let stream = subsample_stream(seed, s);
    let mut ranked: Vec<(u64, u64, u32)> = users
        .iter()
        .map(|&u| {
            let key = keys[u as usize];
            (keyed_hash(stream, key), key, u)
        })
        .collect();
    if n < ranked.len() {
        ranked.select_nth_unstable(n);
        ranked.truncate(n);
    }
    let mut subsample: Vec<u32> = ranked.into_iter().map(|(_, _, u)| u).collect();
    subsample.sort_unstable();
    subsample
}

/// How one slice column is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnDraw {
    /// Fewer than two published groups, or `--bootstrap 0`: nothing to compare.
    Skipped,
    /// Every published group at `n_users` users (the smallest published group's size),
    /// `subsamples` times (once for a group of exactly `n_users` users).
    Compared { n_users: usize, subsamples: usize },
    /// Not compared: subsampling to this size (the smallest published group's) exceeds the
    /// column's share of [`WORK_BUDGET`].
    TooCostly(usize),
}

impl ColumnDraw {
    /// Subsamples drawn from a published group of `size` users: `subsamples` when it is larger
    /// than `n_users`, else 1 (the group taken whole); none when the column is not compared.
    pub(crate) fn draws_of(&self, size: usize) -> usize {
        match *self {
            ColumnDraw::Compared {
                n_users,
                subsamples,
            } if size > n_users => subsamples,
            ColumnDraw::Compared { .. } => 1,
            _ => 0,
        }
    }
}

/// How every slice column is compared, from the sizes of each column's published groups
/// (`published[c]`): the subsamples are min(`cfg.resamples`, [`MAX_SUBSAMPLES`], what the
/// column's equal share of [`WORK_BUDGET`] affords at `cost`), among the columns with at least
/// two published groups.
pub(crate) fn column_draws(
    published: &[Vec<usize>],
    cfg: &StatsConfig,
    cost: SubsampleCost,
) -> Vec<ColumnDraw> {
    let cap = cfg.resamples.min(MAX_SUBSAMPLES);
    let candidates = published.iter().filter(|sizes| sizes.len() >= 2).count();
    let budget = WORK_BUDGET / candidates.max(1);
    published
        .iter()
        .map(|sizes| {
            if cap == 0 || sizes.len() < 2 {
                return ColumnDraw::Skipped;
            }
            let smallest = sizes.iter().copied().min().unwrap_or(0);
            match affordable_subsamples(sizes, cost, budget, cap) {
                Some(subsamples) => ColumnDraw::Compared {
                    n_users: smallest,
                    subsamples,
                },
                None => ColumnDraw::TooCostly(smallest),
            }
        })
        .collect()
}

/// The corpus values of the lists of `users` (dense ids of `ctx`'s dataset `ds`, in this order)
/// that the comparison reads: the diversity and exposure corpus code of `corpus.slices`, with
/// `ctx`'s item group columns cleared (no shares).
pub(crate) fn lists_corpus(ds: &Dataset, ctx: &ExposureContext, users: &[u32]) -> CorpusValues {
    let (counts, exposure) = ctx.counts_and_exposure(users);
    let mut cv = diversity::diversity_corpus_of_counts(ds, users, &counts, None);
    cv.extend(ctx.corpus_of_counts_and_exposure(users, &counts, exposure));
    cv
}

/// The size-matched comparison of every slice column with at least two published groups, keyed by
/// column. `keys[u]` is user u's key, `corpus_of(users)` gives the corpus values of the lists of
/// `users` (dense ids, ascending). Each group of more users than the column's smallest published
/// group is subsampled ([`bottom_n`]) as many times as [`column_draws`] says; a column that cannot
/// afford [`MIN_SUBSAMPLES`] is left out (`too_costly`). A group of exactly the smallest size is
/// taken whole, once. Every subsample is a function of (seed, subsample, the group's user ids), so
/// the values depend neither on the thread count nor on the rows' order. Empty with
/// `--bootstrap 0`.
pub(crate) fn size_matched_corpus(
    slices: &[SliceColumn],
    keys: &[u64],
    corpus_of: &(dyn Fn(&[u32]) -> CorpusValues + Sync),
    cfg: &StatsConfig,
    cost: SubsampleCost,
) -> SizeMatched {
    let published: Vec<Vec<usize>> = slices
        .iter()
        .map(|col| col.shown().map(|g| col.groups[g].users.len()).collect())
        .collect();
    let draws = column_draws(&published, cfg, cost);
    let mut out = SizeMatched::default();
    let mut tasks: Vec<(usize, usize, usize, usize)> = Vec::new();
    for (c, draw) in draws.iter().enumerate() {
        let col = &slices[c];
        match *draw {
            ColumnDraw::Skipped => {}
            ColumnDraw::TooCostly(smallest) => out.too_costly.push((col.name.clone(), smallest)),
            ColumnDraw::Compared {
                n_users,
                subsamples,
            } => {
                let matched = SizeMatchedCorpus {
                    n_users,
                    subsamples,
                    groups: BTreeMap::new(),
                };
                out.columns.insert(col.name.clone(), matched);
                let draws_of = |g: usize| draw.draws_of(col.groups[g].users.len());
                tasks.extend(col.shown().map(|g| (c, g, n_users, draws_of(g))));
            }
        }
    }
    let values: Vec<BTreeMap<String, Estimate>> = tasks
        .par_iter()
        .map(|&(c, g, size, n_draws)| {
            let users = &slices[c].groups[g].users;
            let subsamples: Vec<CorpusValues> = (0..n_draws)
                .map(|s| corpus_of(&bottom_n(users, keys, cfg.seed, s, size)))
                .collect();
            estimates_at_size(&subsamples, users.len() > size, size, cfg.confidence)
        })
        .collect();
    for (&(c, g, _, _), v) in tasks.iter().zip(values) {
        let col = &slices[c];
        let matched = out.columns.get_mut(&col.name).expect("inserted above");
        matched.groups.insert(col.groups[g].label.clone(), v);
    }
    out
}

/// The size-dependent corpus metrics of one group at `size` users from the corpus values of its
/// subsamples, in subsample order: when `subsampled`, per metric the mean of the defined values
/// with the percentile interval of all of them; otherwise (the group has exactly `size` users,
/// one value) that value with a zero-width interval.
pub(crate) fn estimates_at_size(
    subsamples: &[CorpusValues],
    subsampled: bool,
    size: usize,
    confidence: f64,
) -> BTreeMap<String, Estimate> {
    let keep = |cv: &CorpusValues| -> Vec<(String, Option<f64>)> {
        SIZE_DEPENDENT
            .iter()
            .filter_map(|d| cv.scalars.get(d.key).map(|&v| (d.key.to_string(), v)))
            .collect()
    };
    if !subsampled {
        return subsamples
            .first()
            .map(keep)
            .unwrap_or_default()
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
    let mut per_key: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for cv in subsamples {
        for (key, v) in keep(cv) {
            per_key.entry(key).or_default().push(v.unwrap_or(f64::NAN));
        }
    }
    per_key
        .into_iter()
        .map(|(key, values)| {
            let defined: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
            let mean =
                (!defined.is_empty()).then(|| defined.iter().sum::<f64>() / defined.len() as f64);
            let e = Estimate::with_interval(mean, &values, size, confidence);
            (key, e)
        })
        .collect()
}

#[cfg(test)]
#[path = "size_matched_tests.rs"]
mod tests;
