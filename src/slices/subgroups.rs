//! Subgroup search: the intersections of up to three slice columns whose users fare significantly
//! worse than everyone else on a per-user metric, found without anyone naming them (after Slice
//! Finder, Chung, Kraska, Polyzotis, Tae & Whang 2019, "Slice Finder: automated data slicing for
//! model validation", ICDE).
//!
//! # What is compared
//! Each subgroup S (one value of each of 1–3 audited slice columns, `gender = F × age_band = 55+`)
//! is compared with **the rest of the users** (every audited user outside S with a defined value),
//! as Slice Finder compares a slice with its counterpart: a subgroup is a finding when it is worse
//! off than the population it is cut from, whatever the other subgroups do. (Comparing with the
//! best-off subgroup would make every finding depend on one, possibly tiny, lucky cell.)
//!
//! - difference d = mean_S − mean_rest, over the users with a defined value;
//! - its interval: Welch's, d ± t_{ν, (1+confidence)/2} · √(s²_S/n_S + s²_rest/n_rest), ν the
//!   Welch–Satterthwaite degrees of freedom;
//! - its p-value: Welch's t-test ([`welch_t_test`]), two-sided. The search runs thousands of tests,
//!   so the permutation test the slice comparisons use for small groups is not run here;
//! - the gap: how much worse off S is, in the metric's units: mean_rest − mean_S where higher is
//!   better, mean_S − mean_rest where lower is better, |d| for a metric with no better direction.
//!
//! # False discoveries
//! Every (metric, subgroup) pair tested counts in one family, and the p-values are adjusted with
//! Benjamini–Yekutieli ([`benjamini_yekutieli`]): subgroups overlap (F × 55+ lies inside F) and
//! metrics share users, so the tests depend on each other in unknown directions, which
//! Benjamini–Hochberg does not cover. A finding has adjusted p ≤ α and a positive gap.
//!
//! # Privacy
//! A subgroup is tested only when it and the rest each hold at least `min_slice_size` users with a
//! defined value. Before a finding is published, its users are added as one more published set to
//! the audit's published slice groups and the findings already accepted, and the complementary
//! suppression check ([`disclosure::protect`]) is run over the metric's users with a defined value:
//! the finding is published only when nothing would have to be withheld for it. Otherwise it is
//! counted in `withheld` and the next one is tried.
//!
//! # Cost bound
//! One pass over the users per combination of columns, accumulating count, sum and sum of squares
//! of every metric per cell: O(U · M · K) for U users, M metrics and K combinations. The search
//! takes the combinations of 1, then 2, then 3 columns in column order, at most
//! [`MAX_COMBINATIONS`] of them; a combination with more than [`MAX_CELLS`] possible cells (the
//! product of its columns' numbers of values) is skipped. Both are counted in the result. At most
//! [`CANDIDATES_PER_METRIC`] significant subgroups per metric go through the privacy check, each
//! check one pass over the users.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{disclosure, SliceColumn};
use crate::data::Categorical;
use crate::metrics::registry::MetricDef;
use crate::metrics::Better;
use crate::stats::{benjamini_yekutieli, welch_t_test, Estimate};

/// Subgroups are intersections of at most this many slice columns.
pub const MAX_DEPTH: usize = 3;
/// Combinations of columns searched at most (those of fewer columns first).
pub const MAX_COMBINATIONS: usize = 64;
/// A combination with more possible cells than this is skipped.
pub const MAX_CELLS: usize = 4096;
/// Findings published per metric at most.
pub const TOP_PER_METRIC: usize = 3;
/// Significant subgroups per metric put through the privacy check at most.
pub const CANDIDATES_PER_METRIC: usize = 3 * TOP_PER_METRIC;

/// One metric to search: its definition and one value per dense user (NaN where undefined).
#[derive(Debug, Clone, Copy)]
pub struct SearchMetric<'a> {
    /// The registry's definition (key and better direction).
    pub def: &'static MetricDef,
    /// Per dense user.
    pub values: &'a [f64],
}

/// The subgroup search of one audit (`audit.json` `subgroups`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SubgroupSearch {
    /// The slice columns searched (single audited columns).
    pub columns: Vec<String>,
    /// Combinations of 1–3 columns searched.
    pub combinations: usize,
    /// Combinations left out by the cost bound (beyond [`MAX_COMBINATIONS`], or more than
    /// [`MAX_CELLS`] possible cells).
    pub combinations_skipped: usize,
    /// (metric, subgroup) tests run: the family the Benjamini–Yekutieli adjustment covers.
    pub tests: usize,
    /// The false discovery rate controlled (the audit's α).
    pub alpha: f64,
    /// Significant worse-off subgroups not published because publishing them would let a smaller
    /// group be recovered by differencing.
    pub withheld: usize,
    /// Published findings: per metric in registry order, the largest gaps first.
    pub findings: Vec<SubgroupFinding>,
}

/// A subgroup that fares significantly worse than the rest of the users on one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubgroupFinding {
    /// The metric key.
    pub metric: String,
    /// The slice columns that define the subgroup (1–3).
    pub columns: Vec<String>,
    /// The subgroup's value in each of `columns`, in the same order.
    pub values: Vec<String>,
    /// The subgroup's users with a defined value.
    pub n_users: usize,
    /// The subgroup's mean.
    pub mean: f64,
    /// The mean of the rest of the users (those with a defined value outside the subgroup).
    pub rest_mean: f64,
    /// mean − rest_mean with Welch's interval at the audit's confidence level; `n` = `n_users`.
    pub difference: Estimate,
    /// How much worse off the subgroup is, in the metric's units (see the module docs); > 0.
    pub gap: f64,
    /// Welch's two-sided p-value of the difference.
    pub p_value: f64,
    /// The p-value adjusted with Benjamini–Yekutieli over every test of the search.
    pub adjusted_p: f64,
}

/// Count, sum and sum of squares of a metric's defined values (shifted by the overall mean, so
/// the variance does not lose precision to cancellation).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Sums {
    pub(crate) n: usize,
    pub(crate) s1: f64,
    pub(crate) s2: f64,
}

impl Sums {
    /// The sums, shifted by `shift`, of `n` values with mean `mean` and Σ (x − mean)² = `m2`:
    /// Σ (x − shift) = n (mean − shift), Σ (x − shift)² = m2 + n (mean − shift)².
    pub(crate) fn of_moments(n: usize, mean: f64, m2: f64, shift: f64) -> Sums {
        if n == 0 {
            return Sums::default();
        }
        let d = mean - shift;
        Sums {
            n,
            s1: n as f64 * d,
            s2: m2 + n as f64 * d * d,
        }
    }

    fn add(&mut self, x: f64) {
        self.n += 1;
        self.s1 += x;
        self.s2 += x * x;
    }

    pub(crate) fn merge(&mut self, o: Sums) {
        self.n += o.n;
        self.s1 += o.s1;
        self.s2 += o.s2;
    }

    fn minus(self, o: Sums) -> Sums {
        Sums {
            n: self.n - o.n,
            s1: self.s1 - o.s1,
            s2: self.s2 - o.s2,
        }
    }

    /// Mean (of the shifted values) and sample variance.
    fn mean_var(self) -> (f64, f64) {
        let n = self.n as f64;
        let mean = self.s1 / n;
        let var = ((self.s2 - self.s1 * mean) / (n - 1.0)).max(0.0);
        (mean, var)
    }
}

/// One tested (metric, subgroup) pair.
#[derive(Debug, Clone)]
struct Test {
    metric: usize,
    combination: usize,
    cell: Vec<u32>,
    finding: SubgroupFinding,
}

/// The combinations of `n` columns of 1..=[`MAX_DEPTH`] columns, fewer columns first, each in
/// column order.
fn combinations(n: usize) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = (0..n).map(|a| vec![a]).collect();
    for a in 0..n {
        for b in a + 1..n {
            out.push(vec![a, b]);
        }
    }
    for a in 0..n {
        for b in a + 1..n {
            for c in b + 1..n {
                out.push(vec![a, b, c]);
            }
        }
    }
    out
}

/// Searches the intersections of `columns` (single slice columns, each user's group in `codes`)
/// for subgroups worse off than the rest on each of `metrics`, publishing at most
/// [`TOP_PER_METRIC`] per metric that pass the privacy check against the `published` slice
/// columns (see the module docs).
pub fn search_subgroups(
    columns: &[&Categorical],
    metrics: &[SearchMetric],
    published: &[SliceColumn],
    min_size: usize,
    alpha: f64,
    confidence: f64,
) -> SubgroupSearch {
    // Per metric: the mean over every defined value (the shift) and the sums over everyone.
    let shifts: Vec<f64> = metrics
        .iter()
        .map(|m| {
            let (n, s) = m
                .values
                .iter()
                .filter(|x| !x.is_nan())
                .fold((0usize, 0.0), |(n, s), x| (n + 1, s + x));
            if n == 0 {
                0.0
            } else {
                s / n as f64
            }
        })
        .collect();
    let totals: Vec<Sums> = metrics
        .iter()
        .zip(&shifts)
        .map(|(m, &shift)| {
            let mut t = Sums::default();
            m.values
                .iter()
                .filter(|x| !x.is_nan())
                .for_each(|x| t.add(x - shift));
            t
        })
        .collect();
    // Users who share every group are summed once (see `Profiles`).
    let profiles = Profiles::new(published, columns, metrics, &shifts);
    let defs: Vec<&'static MetricDef> = metrics.iter().map(|m| m.def).collect();
    let shown: Vec<Vec<bool>> = published.iter().map(SliceColumn::shown_mask).collect();
    let settings = SearchSettings {
        min_size,
        alpha,
        confidence,
    };
    search_profiles(
        columns, &defs, &profiles, &shown, &shifts, &totals, settings,
    )
}

/// The search's thresholds: the smallest subgroup (and rest) tested and published, the false
/// discovery rate, the intervals' confidence level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchSettings {
    /// Users with a defined value a subgroup and its rest each need (`min_slice_size`).
    pub min_size: usize,
    /// The false discovery rate controlled.
    pub alpha: f64,
    /// The intervals' confidence level.
    pub confidence: f64,
}

/// The search of [`search_subgroups`] over users already grouped into `profiles` (of `columns`
/// only the names and labels are read, not the users' codes): `shown` says
/// per published slice column which of its groups are published, `shifts` and `totals` are per
/// metric the shift of the profiles' sums and the sums over every user.
pub(crate) fn search_profiles(
    columns: &[&Categorical],
    metrics: &[&'static MetricDef],
    profiles: &Profiles,
    shown: &[Vec<bool>],
    shifts: &[f64],
    totals: &[Sums],
    settings: SearchSettings,
) -> SubgroupSearch {
    let SearchSettings {
        min_size,
        alpha,
        confidence,
    } = settings;
    let all = combinations(columns.len());
    let n_all = all.len();
    let searched: Vec<Vec<usize>> = all
        .into_iter()
        .take(MAX_COMBINATIONS)
        .filter(|combo| {
            combo
                .iter()
                .try_fold(1usize, |acc, &c| acc.checked_mul(columns[c].labels.len()))
                .is_some_and(|cells| cells <= MAX_CELLS)
        })
        .collect();
    let mut tests: Vec<Test> = searched
        .par_iter()
        .enumerate()
        .map(|(ci, combo)| {
            let cols: Vec<&Categorical> = combo.iter().map(|&c| columns[c]).collect();
            let codes: Vec<&[u32]> = combo
                .iter()
                .map(|&c| profiles.searched[c].as_slice())
                .collect();
            let cell = CellSums {
                codes: &codes,
                sums: &profiles.sums,
            };
            cell_tests(&cols, cell, metrics, shifts, totals, min_size, confidence)
                .into_iter()
                .map(|(metric, cell, finding)| Test {
                    metric,
                    combination: ci,
                    cell,
                    finding,
                })
                .collect::<Vec<_>>()
        })
        .flatten()
        .collect();
    let p: Vec<f64> = tests.iter().map(|t| t.finding.p_value).collect();
    for (t, q) in tests.iter_mut().zip(benjamini_yekutieli(&p)) {
        t.finding.adjusted_p = q;
    }

    // Publication: per metric, the largest significant gaps that pass the privacy check, run over
    // the users' profiles (see `Profiles`).
    let base_shown = shown;
    // The subgroups published so far: (combination, cell).
    let mut accepted: Vec<(usize, Vec<u32>)> = Vec::new();
    let mut findings = Vec::new();
    let mut withheld = 0;
    for mi in 0..metrics.len() {
        let mut candidates: Vec<&Test> = tests
            .iter()
            .filter(|t| t.metric == mi && t.finding.adjusted_p <= alpha && t.finding.gap > 0.0)
            .collect();
        if candidates.is_empty() {
            continue;
        }
        candidates.sort_by(|a, b| {
            b.finding
                .gap
                .total_cmp(&a.finding.gap)
                .then(a.finding.p_value.total_cmp(&b.finding.p_value))
                .then(a.combination.cmp(&b.combination))
                .then(a.cell.cmp(&b.cell))
        });
        // The check runs over the metric's profiles in the order in which a check over its users
        // would meet them (the order of their first user with a defined value), so that it
        // decides as that check does.
        let order = profiles.order(mi);
        let weight = |r: usize| profiles.defined[mi][order[r]];
        let base: Vec<Vec<u32>> = profiles
            .published
            .iter()
            .map(|col| order.iter().map(|&p| col[p]).collect())
            .collect();
        let members = |combination: usize, cell: &[u32]| -> Vec<u32> {
            order
                .iter()
                .map(|&p| {
                    let inside = searched[combination]
                        .iter()
                        .zip(cell)
                        .all(|(&c, &g)| profiles.searched[c][p] == g);
                    if inside {
                        0
                    } else {
                        Categorical::MISSING
                    }
                })
                .collect()
        };
        let mut accepted_codes: Vec<Vec<u32>> =
            accepted.iter().map(|(c, cell)| members(*c, cell)).collect();
        let mut published_here = 0;
        // What the published groups and the accepted subgroups withhold on their own.
        let mut before: Option<Vec<Vec<bool>>> = None;
        for t in candidates.into_iter().take(CANDIDATES_PER_METRIC) {
            if published_here == TOP_PER_METRIC {
                break;
            }
            let candidate = members(t.combination, &t.cell);
            let mut codes: Vec<&[u32]> = base.iter().map(Vec::as_slice).collect();
            codes.extend(accepted_codes.iter().map(Vec::as_slice));
            let mut shown: Vec<Vec<bool>> = base_shown.to_vec();
            shown.extend(accepted_codes.iter().map(|_| vec![true]));
            let before = before.get_or_insert_with(|| {
                disclosure::protect_weighted(&codes, &shown, &weight, min_size, &[]).shown
            });
            codes.push(&candidate);
            shown.push(vec![true]);
            let after = disclosure::protect_weighted(&codes, &shown, &weight, min_size, &[]);
            if after.shown[..before.len()] == before[..] && after.shown[before.len()][0] {
                accepted.push((t.combination, t.cell.clone()));
                accepted_codes.push(candidate);
                findings.push(t.finding.clone());
                published_here += 1;
                // The accepted subgroup is now one of the published sets.
                *before = after.shown;
            } else {
                withheld += 1;
            }
        }
    }
    SubgroupSearch {
        columns: columns.iter().map(|c| c.name.clone()).collect(),
        combinations: searched.len(),
        combinations_skipped: n_all - searched.len(),
        tests: tests.len(),
        alpha,
        withheld,
        findings,
    }
}

/// The users grouped by profile: users in the same group of every published slice column and
/// every searched column are alike to the privacy check, which depends only on how many users
/// share each combination of groups. It runs over the profiles (a few hundred or thousand),
/// each weighted by its users with a defined value of the metric, instead of over every user.
pub(crate) struct Profiles {
    /// Per published slice column, each profile's group.
    pub(crate) published: Vec<Vec<u32>>,
    /// Per searched column, each profile's group.
    pub(crate) searched: Vec<Vec<u32>>,
    /// Per metric, each profile's users with a defined value.
    pub(crate) defined: Vec<Vec<usize>>,
    /// Per metric, each profile's first user with a defined value, in the audit's user order
    /// (`u64::MAX`: none).
    pub(crate) first_defined: Vec<Vec<u64>>,
    /// Per metric, the sums of each profile's defined values, shifted by the metric's `shifts`.
    pub(crate) sums: Vec<Vec<Sums>>,
}

impl Profiles {
    fn new(
        published: &[SliceColumn],
        columns: &[&Categorical],
        metrics: &[SearchMetric],
        shifts: &[f64],
    ) -> Self {
        let n_users = columns
            .first()
            .map(|c| c.codes.len())
            .or_else(|| published.first().map(|c| c.codes.len()))
            .unwrap_or(0);
        let key_of = |u: usize| -> Vec<u32> {
            published
                .iter()
                .map(|c| c.codes[u])
                .chain(columns.iter().map(|c| c.codes[u]))
                .collect()
        };
        let mut index: std::collections::HashMap<Vec<u32>, usize> = Default::default();
        let mut profile_of = Vec::with_capacity(n_users);
        let mut firsts = Vec::new();
        for u in 0..n_users {
            let n = index.len();
            let p = *index.entry(key_of(u)).or_insert(n);
            if p == firsts.len() {
                firsts.push(u);
            }
            profile_of.push(p);
        }
        let per_metric: Vec<(Vec<usize>, Vec<u64>, Vec<Sums>)> = metrics
            .par_iter()
            .zip(shifts)
            .map(|(m, &shift)| {
                let mut d = vec![0usize; firsts.len()];
                let mut first = vec![u64::MAX; firsts.len()];
                let mut sums = vec![Sums::default(); firsts.len()];
                for (u, &p) in profile_of.iter().enumerate() {
                    let x = m.values[u];
                    if !x.is_nan() {
                        d[p] += 1;
                        first[p] = first[p].min(u as u64);
                        sums[p].add(x - shift);
                    }
                }
                (d, first, sums)
            })
            .collect();
        let mut defined = Vec::with_capacity(metrics.len());
        let mut first_defined = Vec::with_capacity(metrics.len());
        let mut sums = Vec::with_capacity(metrics.len());
        for (d, f, s) in per_metric {
            defined.push(d);
            first_defined.push(f);
            sums.push(s);
        }
        Profiles {
            published: published
                .iter()
                .map(|c| firsts.iter().map(|&u| c.codes[u]).collect())
                .collect(),
            searched: columns
                .iter()
                .map(|c| firsts.iter().map(|&u| c.codes[u]).collect())
                .collect(),
            defined,
            first_defined,
            sums,
        }
    }

    /// The profiles with a defined value of metric `mi`, in the order of their first such user.
    fn order(&self, mi: usize) -> Vec<usize> {
        let first = &self.first_defined[mi];
        let mut order: Vec<usize> = (0..first.len()).filter(|&p| first[p] != u64::MAX).collect();
        order.sort_by_key(|&p| first[p]);
        order
    }
}

/// The per-profile sums a combination's cells are summed from.
#[derive(Clone, Copy)]
struct CellSums<'a> {
    /// Per column of the combination, each profile's group.
    codes: &'a [&'a [u32]],
    /// Per metric, each profile's sums.
    sums: &'a [Vec<Sums>],
}

/// Every cell of the intersection of `cols` tested on every metric: (metric, the cell's group in
/// each column, the finding without its adjusted p-value).
fn cell_tests(
    cols: &[&Categorical],
    profiles: CellSums,
    metrics: &[&'static MetricDef],
    shifts: &[f64],
    totals: &[Sums],
    min_size: usize,
    confidence: f64,
) -> Vec<(usize, Vec<u32>, SubgroupFinding)> {
    let radix: Vec<usize> = cols.iter().map(|c| c.labels.len()).collect();
    let n_cells: usize = radix.iter().product();
    let n_profiles = profiles.codes.first().map_or(0, |c| c.len());
    let mut sums = vec![Sums::default(); n_cells * metrics.len()];
    for p in 0..n_profiles {
        let mut cell = 0usize;
        let mut inside = true;
        for (codes, &r) in profiles.codes.iter().zip(&radix) {
            let g = codes[p];
            if g == Categorical::MISSING {
                inside = false;
                break;
            }
            cell = cell * r + g as usize;
        }
        if !inside {
            continue;
        }
        for (mi, metric_sums) in profiles.sums.iter().enumerate() {
            sums[cell * metrics.len() + mi].merge(metric_sums[p]);
        }
    }
    let z = (1.0 + confidence) / 2.0;
    let mut out = Vec::new();
    for cell in 0..n_cells {
        let mut groups = vec![0u32; cols.len()];
        let mut rest = cell;
        for (j, &r) in radix.iter().enumerate().rev() {
            groups[j] = (rest % r) as u32;
            rest /= r;
        }
        for (mi, m) in metrics.iter().enumerate() {
            let inside = sums[cell * metrics.len() + mi];
            let outside = totals[mi].minus(inside);
            if inside.n < min_size.max(2) || outside.n < min_size.max(2) {
                continue;
            }
            let (mean_s, var_s) = inside.mean_var();
            let (mean_r, var_r) = outside.mean_var();
            let Some(p) = welch_t_test(mean_s, var_s, inside.n, mean_r, var_r, outside.n) else {
                continue;
            };
            let d = mean_s - mean_r;
            let (a, b) = (var_s / inside.n as f64, var_r / outside.n as f64);
            let se = (a + b).sqrt();
            let half = if se > 0.0 {
                let df = (a + b) * (a + b)
                    / (a * a / (inside.n - 1) as f64 + b * b / (outside.n - 1) as f64);
                crate::stats::student_t::t_quantile(z, df) * se
            } else {
                0.0
            };
            let gap = match m.better {
                Better::Higher => -d,
                Better::Lower => d,
                Better::Neutral => d.abs(),
            };
            let finding = SubgroupFinding {
                metric: m.key.to_string(),
                columns: cols.iter().map(|c| c.name.clone()).collect(),
                values: cols
                    .iter()
                    .zip(&groups)
                    .map(|(c, &g)| c.labels[g as usize].clone())
                    .collect(),
                n_users: inside.n,
                mean: mean_s + shifts[mi],
                rest_mean: mean_r + shifts[mi],
                difference: Estimate {
                    value: Some(d),
                    ci_low: half.is_finite().then_some(d - half),
                    ci_high: half.is_finite().then_some(d + half),
                    n: inside.n,
                },
                gap,
                p_value: p,
                adjusted_p: f64::NAN,
            };
            out.push((mi, groups.clone(), finding));
        }
    }
    out
}

/// The findings of `search` grouped by metric key, in the order found.
pub fn findings_by_metric(search: &SubgroupSearch) -> BTreeMap<&str, Vec<&SubgroupFinding>> {
    let mut out: BTreeMap<&str, Vec<&SubgroupFinding>> = BTreeMap::new();
    for f in &search.findings {
        out.entry(f.metric.as_str()).or_default().push(f);
    }
    out
}

#[cfg(test)]
#[path = "subgroups_tests.rs"]
mod tests;
