//! The replicate engine: the observed and Poisson-bootstrap replicate sums of every group.
//!
//! Replicate b of group g holds, for every slot j of the layout, Σ_k w_bk · x_kj over the group's
//! resampling units k, where w_bk ~ Poisson(1) is the weight drawn at the unit's position p (units
//! of all groups in [`Groups`] order) from the stream (seed, b) (Hanley & MacGibbon 2006; Chamandy
//! et al. 2012). Work is split into tasks of (group, chunk of units, batch of replicates) whose
//! partial sums are added in task order, so the result does not depend on the thread count. See
//! the [module documentation](super) for the scheme and its sources.

use std::ops::Range;

use rayon::prelude::*;

use super::rng::Poisson1;
use super::{Groups, Layout, Statistic, Sums, Units};
use crate::metrics::finite;
use crate::stats::dots;
use crate::stats::{Estimate, StatsConfig};

/// Units per parallel task (fixed, so that summation order never depends on threads; small in
/// unit tests so that they cover several chunks).
const CHUNK: usize = if cfg!(test) { 2_048 } else { 16_384 };
/// Units per cache block inside a task.
const BLOCK: usize = if cfg!(test) { 512 } else { 1_024 };
/// Replicates per parallel task.
const REP_BATCH: usize = 32;

/// Observed and bootstrap-replicate weighted sums of every group.
#[derive(Debug, Clone)]
pub struct Replicates {
    resamples: usize,
    stride: usize,
    count_of: Vec<usize>,
    observed: Vec<f64>,
    reps: Vec<f64>,
    included: Vec<bool>,
}

impl Replicates {
    /// Number of replicates B.
    pub fn resamples(&self) -> usize {
        self.resamples
    }

    /// Whether group `g` was resampled.
    pub fn is_included(&self, g: usize) -> bool {
        self.included[g]
    }

    /// The sums of group `g` on the data as observed.
    pub fn observed(&self, g: usize) -> Sums<'_> {
        Sums {
            acc: &self.observed[g * self.stride..(g + 1) * self.stride],
            count_of: &self.count_of,
        }
    }

    /// The sums of group `g` in replicate `b` (all zero when the group was not included).
    pub fn replicate(&self, g: usize, b: usize) -> Sums<'_> {
        let at = (g * self.resamples + b) * self.stride;
        Sums {
            acc: &self.reps[at..at + self.stride],
            count_of: &self.count_of,
        }
    }

    /// Users of group `g` (`members`) for whom every column `stat` reads is defined (the
    /// statistic's `n`): the observed defined count when both columns share one, else a scan.
    pub fn n_defined(
        &self,
        g: usize,
        stat: &Statistic,
        columns: &[&[f64]],
        members: &[u32],
    ) -> usize {
        let [a, b] = stat.columns();
        if self.count_of[a] == self.count_of[b] {
            self.observed(g).count(a).round() as usize
        } else {
            stat.n_defined(columns, members)
        }
    }

    /// The B replicate values of `stat` in group `g` (NaN where undefined).
    pub fn values(&self, g: usize, stat: &Statistic) -> Vec<f64> {
        (0..self.resamples)
            .map(|b| stat.eval(&self.replicate(g, b)))
            .collect()
    }

    /// `stat` of group `g` with its percentile interval at level `confidence`; `n` is passed
    /// through. Groups that were not included get the point value only.
    pub fn estimate(&self, g: usize, stat: &Statistic, n: usize, confidence: f64) -> Estimate {
        let value = finite(stat.eval(&self.observed(g)));
        if !self.included[g] || value.is_none() {
            return Estimate::point(value, n);
        }
        Estimate::with_interval(value, &self.values(g, stat), n, confidence)
    }
}

/// Bootstraps the weighted sums of `columns` (each indexed by dense user id, NaN = undefined) in
/// every group with `include[g]` (a missing entry counts as false), with `cfg.resamples`
/// replicates seeded by `cfg.seed`, over at most `cfg.bootstrap_units` units per group. See the
/// module documentation for the scheme.
///
/// Pass all the columns one slice column needs at once: one replicate is a single pass over the
/// units for all of them.
pub fn bootstrap_sums(
    columns: &[&[f64]],
    groups: &Groups,
    include: &[bool],
    cfg: &StatsConfig,
) -> Replicates {
    let layout = Layout::new(columns, groups.all());
    bootstrap_layout(&layout, groups, include, cfg)
}

/// [`bootstrap_sums`] with an already built layout.
pub(crate) fn bootstrap_layout(
    layout: &Layout,
    groups: &Groups,
    include: &[bool],
    cfg: &StatsConfig,
) -> Replicates {
    let units = Units::build(layout, groups, cfg.bootstrap_units, cfg.seed);
    replicate_units(&units, layout.count_of.clone(), include, cfg)
}

/// The replicates of already built resampling units (`units.ranges` holds one range per group,
/// in [`Groups`] order, so a unit's position is that of the one-pass layout); `count_of` maps
/// each input column to the slot of its defined count. [`bootstrap_layout`] is this on the units
/// of a layout; `partial::finish` builds the units from merged partial states.
pub(crate) fn replicate_units(
    units: &Units,
    count_of: Vec<usize>,
    include: &[bool],
    cfg: &StatsConfig,
) -> Replicates {
    let n_groups = units.ranges.len();
    let b_total = cfg.resamples;
    let stride = units.stride();
    let included: Vec<bool> = (0..n_groups)
        .map(|g| include.get(g).copied().unwrap_or(false))
        .collect();

    let observed: Vec<f64> = (0..n_groups)
        .into_par_iter()
        .map(|g| units.plain_sums(g))
        .collect::<Vec<_>>()
        .concat();

    // Tasks: (group, chunk of units, batch of replicates), in a fixed order.
    let mut tasks: Vec<(usize, Range<usize>, Range<usize>)> = Vec::new();
    for g in (0..n_groups).filter(|&g| included[g]) {
        let r = units.ranges[g].clone();
        let mut start = r.start;
        while start < r.end {
            let end = (start + CHUNK).min(r.end);
            let mut b0 = 0;
            while b0 < b_total {
                let b1 = (b0 + REP_BATCH).min(b_total);
                tasks.push((g, start..end, b0..b1));
                b0 = b1;
            }
            start = end;
        }
    }

    let poisson = Poisson1::new();
    let seed = cfg.seed;
    let partials: Vec<Vec<f64>> = tasks
        .par_iter()
        .map(|(_, chunk, batch)| {
            let mut out = vec![0.0; batch.len() * stride];
            let mut weights = vec![0.0; batch.len() * BLOCK];
            let mut block_start = chunk.start;
            while block_start < chunk.end {
                let block_end = (block_start + BLOCK).min(chunk.end);
                let k = block_end - block_start;
                let w = &mut weights[..batch.len() * k];
                for (row, b) in w.chunks_exact_mut(k).zip(batch.clone()) {
                    poisson.fill(row, seed, b as u64, block_start);
                }
                let x: Vec<&[f64]> = (0..stride)
                    .map(|j| units.col(j, block_start..block_end))
                    .collect();
                dots::add_block_dots(w, &x, &mut out);
                block_start = block_end;
            }
            out
        })
        .collect();

    let mut reps = vec![0.0; n_groups * b_total * stride];
    for ((g, _, batch), part) in tasks.iter().zip(&partials) {
        let at = (g * b_total + batch.start) * stride;
        for (r, p) in reps[at..at + part.len()].iter_mut().zip(part) {
            *r += p;
        }
    }

    Replicates {
        resamples: b_total,
        stride,
        count_of,
        observed,
        reps,
        included,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicates_are_poisson_weighted_sums_of_the_units() {
        // Per-user units (cap 0), two groups spanning several chunks and blocks, one column with
        // NaN: replicate b of group g must be Σ_u w_bu x_u, with w_bu the weight at the user's
        // position among the units of all groups.
        let n = 5_000;
        let x: Vec<f64> = (0..n)
            .map(|u| {
                if u % 7 == 3 {
                    f64::NAN
                } else {
                    (u % 13) as f64 * 0.25 - 1.0
                }
            })
            .collect();
        let codes: Vec<u32> = (0..n).map(|u| (u % 3 == 0) as u32).collect();
        let groups = Groups::from_codes(&codes, 2, &super::super::test_keys(n));
        let cfg = StatsConfig {
            resamples: 40,
            bootstrap_units: 0,
            seed: 11,
            ..StatsConfig::default()
        };
        let reps = bootstrap_sums(&[&x], &groups, &[true, true], &cfg);
        let poisson = Poisson1::new();
        let mut w = vec![0.0; n];
        for b in 0..cfg.resamples {
            poisson.fill(&mut w, cfg.seed, b as u64, 0);
            let mut pos = 0;
            for g in 0..2 {
                let (mut sum, mut count, mut weight) = (0.0, 0.0, 0.0);
                for &u in groups.members(g) {
                    let (wu, xu) = (w[pos], x[u as usize]);
                    pos += 1;
                    weight += wu;
                    if !xu.is_nan() {
                        sum += wu * xu;
                        count += wu;
                    }
                }
                let r = reps.replicate(g, b);
                assert!(
                    (r.sum(0) - sum).abs() < 1e-9,
                    "g {g} b {b}: {} vs {sum}",
                    r.sum(0)
                );
                assert_eq!((r.count(0), r.weight()), (count, weight));
            }
        }
    }
}
