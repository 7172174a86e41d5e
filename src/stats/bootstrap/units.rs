//! Resampling units: which users of a group form each unit the bootstrap reweights, and the units'
//! sums.
//!
//! A group of at most `max_units` users (or any group when `max_units` is 0) is resampled user by
//! user, one unit per user. A larger group is pooled into `max_units` hashed buckets of users
//! ("random groups", Wolter 2007, *Introduction to Variance Estimation*, ch. 2), each bucket one
//! unit; see [`Units`].

use std::ops::Range;

use rayon::prelude::*;

use super::layout::Read;
use super::rng::{bucket_of, mix64, BUCKET_SALT};
use super::Layout;
use crate::data::{Csr, UserKeys};

/// The users of each group of one slice column, as dense user ids, with every user's key
/// ([`crate::data::id_key`] of the id, indexed by dense user id): a pooled group's users are
/// bucketed by their keys. A user belongs to at most one group of a column; users in no group
/// (missing value, no consent) are simply absent.
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    members: Csr<u32>,
    keys: UserKeys,
}

impl Groups {
    /// From one code per user: `codes[u]` is the group of user u; codes `>= n_groups` (for example
    /// [`Categorical::MISSING`](crate::data::Categorical::MISSING)) belong to no group. Users keep
    /// ascending order within a group. `keys[u]` is user u's key.
    pub fn from_codes(codes: &[u32], n_groups: usize, keys: &UserKeys) -> Self {
        assert!(keys.len() >= codes.len(), "a key for every user");
        let mut rows = Vec::with_capacity(codes.len());
        let mut users = Vec::with_capacity(codes.len());
        for (u, &c) in codes.iter().enumerate() {
            if (c as usize) < n_groups {
                rows.push(c);
                users.push(u as u32);
            }
        }
        Groups {
            members: Csr::from_pairs(n_groups, &rows, users),
            keys: keys.clone(),
        }
    }

    /// From the user list of each group; `keys[u]` is user u's key.
    pub fn from_members<I: IntoIterator<Item = Vec<u32>>>(members: I, keys: &UserKeys) -> Self {
        Groups::of_members(Csr::from_rows(members), keys)
    }

    /// From the user list of each group, copied once; `keys[u]` is user u's key.
    pub fn from_member_lists(lists: &[&[u32]], keys: &UserKeys) -> Self {
        Groups::of_members(Csr::from_slices(lists), keys)
    }

    fn of_members(members: Csr<u32>, keys: &UserKeys) -> Self {
        assert!(
            members.values().iter().all(|&u| (u as usize) < keys.len()),
            "a key for every member"
        );
        Groups {
            members,
            keys: keys.clone(),
        }
    }

    /// The key of user `u`.
    #[inline]
    pub(crate) fn key(&self, u: u32) -> u64 {
        self.keys[u as usize]
    }

    /// Number of groups.
    pub fn n_groups(&self) -> usize {
        self.members.n_rows()
    }

    /// The users of group `g`.
    pub fn members(&self, g: usize) -> &[u32] {
        self.members.row(g)
    }

    /// Number of users of group `g`.
    pub fn size(&self, g: usize) -> usize {
        self.members.row(g).len()
    }

    /// All users, group after group.
    pub(crate) fn all(&self) -> &[u32] {
        self.members.values()
    }

    /// Users 0..sizes[0] in group 0, the next sizes[1] in group 1, ..., user u's key
    /// [`test_keys`]`(u)` (a test fixture).
    #[cfg(test)]
    pub(crate) fn consecutive(sizes: &[usize]) -> Self {
        let keys = test_keys(sizes.iter().sum());
        let mut start = 0u32;
        Groups::from_members(
            sizes.iter().map(|&n| {
                let m: Vec<u32> = (start..start + n as u32).collect();
                start += n as u32;
                m
            }),
            &keys,
        )
    }
}

/// Keys of `n` users for tests that have no ids: [`crate::data::id_key`] of `u{u}`, in dense
/// id order (not ascending: the engine never relies on that).
#[cfg(test)]
pub(crate) fn test_keys(n: usize) -> UserKeys {
    (0..n)
        .map(|u| crate::data::id_key(&format!("u{u}")))
        .collect()
}

/// The resampling units of every group, column-major: slot j of unit i is `data[j * len + i]`.
///
/// A group of at most `max_units` users (or any group when `max_units` is 0) has one unit per user,
/// in member order. A larger group has `max_units` units ("random groups", Wolter 2007,
/// *Introduction to Variance Estimation*, ch. 2): user u goes to bucket
/// ⌊mix64(key ⊕ k_u·γ) · max_units / 2⁶⁴⌋, k_u the user's key ([`crate::data::id_key`] of the
/// id), a hash of the seed and the user's id only, and a unit's slots
/// are the sums over its users. A Poisson weight per unit then reweights all its users at once.
/// Every statistic here is a smooth function of sums, so with random buckets the bootstrap
/// variance of its linearisation, Σ_k (Σ_{u∈k} r_u)², has expectation Σ_u r_u², that of the
/// per-user bootstrap; its relative standard error is about √(2 / max_units) (2.2% of the
/// variance at 4,096 units), below the Monte-Carlo error of the 2.5% quantile from B = 1,000
/// replicates (about 4%).
pub(crate) struct Units {
    /// Total units of all groups.
    len: usize,
    /// Slots per unit (the layout's stride).
    stride: usize,
    data: Vec<f64>,
    /// Units of each group.
    pub(super) ranges: Vec<Range<usize>>,
}

impl Units {
    /// The units of `groups` over the slots of `layout`: groups above `max_units` users pooled
    /// into `max_units` buckets keyed by `seed`, the others one unit per member.
    pub(super) fn build(layout: &Layout, groups: &Groups, max_units: usize, seed: u64) -> Units {
        let stride = layout.stride();
        let mut ranges = Vec::with_capacity(groups.n_groups());
        let mut bucketed = Vec::with_capacity(groups.n_groups());
        let mut len = 0;
        for g in 0..groups.n_groups() {
            let n = groups.size(g);
            let pooled = max_units > 0 && n > max_units;
            let units = if pooled { max_units } else { n };
            ranges.push(len..len + units);
            bucketed.push(pooled);
            len += units;
        }
        // Bucket of every member of the pooled groups, computed once.
        let key = mix64(seed ^ BUCKET_SALT);
        let buckets: Vec<Vec<u32>> = (0..groups.n_groups())
            .into_par_iter()
            .map(|g| {
                if !bucketed[g] {
                    return Vec::new();
                }
                groups
                    .members(g)
                    .iter()
                    .map(|&u| bucket_of(key, groups.key(u), max_units))
                    .collect()
            })
            .collect();
        let mut data = vec![0.0; len * stride];
        if len > 0 {
            match unit_of_each_user(groups, &ranges, &bucketed, &buckets) {
                // Disjoint groups (the groups of one slice column): each slot column is one
                // sequential pass over the users, in ascending order like the member lists, so
                // every unit sums its users in the same order (same bits).
                Some(unit_of) => data.par_chunks_mut(len).enumerate().for_each(|(j, out)| {
                    let p = layout.columns.len();
                    if j < p {
                        let col = layout.columns[j];
                        // The plain values apart: no reading to apply per user.
                        match layout.reads[j] {
                            Read::Value => sum_into_units(&unit_of, out, |u| {
                                if col[u].is_nan() {
                                    0.0
                                } else {
                                    col[u]
                                }
                            }),
                            read => sum_into_units(&unit_of, out, |u| {
                                let x = read.of(col[u]);
                                if x.is_nan() {
                                    0.0
                                } else {
                                    x
                                }
                            }),
                        }
                    } else if j < layout.width {
                        let col = layout.columns[layout.indicator_src[j - p]];
                        sum_into_units(&unit_of, out, |u| f64::from(u8::from(!col[u].is_nan())));
                    } else {
                        sum_into_units(&unit_of, out, |_| 1.0);
                    }
                }),
                // One task per slot column: sequential in member order, so sums are deterministic.
                None => data.par_chunks_mut(len).enumerate().for_each(|(j, out)| {
                    for g in 0..groups.n_groups() {
                        let dst = &mut out[ranges[g].clone()];
                        let members = groups.members(g);
                        if bucketed[g] {
                            for (&u, &k) in members.iter().zip(&buckets[g]) {
                                dst[k as usize] += layout.value(j, u);
                            }
                        } else {
                            for (slot, &u) in dst.iter_mut().zip(members) {
                                *slot = layout.value(j, u);
                            }
                        }
                    }
                }),
            }
        }
        Units {
            len,
            stride,
            data,
            ranges,
        }
    }

    /// Units from their parts: `ranges[g]` the units of group g (consecutive, from 0), `data`
    /// column-major with `stride` slots per unit (slot j of unit i at `data[j * len + i]`).
    pub(crate) fn from_parts(stride: usize, ranges: Vec<Range<usize>>, data: Vec<f64>) -> Units {
        let len = ranges.last().map_or(0, |r| r.end);
        assert_eq!(data.len(), len * stride, "units data is len × stride");
        Units {
            len,
            stride,
            data,
            ranges,
        }
    }

    /// Slots per unit.
    pub(super) fn stride(&self) -> usize {
        self.stride
    }

    /// Slot column `j` over units `r`.
    #[inline]
    pub(super) fn col(&self, j: usize, r: Range<usize>) -> &[f64] {
        &self.data[j * self.len + r.start..j * self.len + r.end]
    }

    /// Plain sums (all weights 1) over the units of group `g`.
    pub(super) fn plain_sums(&self, g: usize) -> Vec<f64> {
        (0..self.stride)
            .map(|j| lane_sum(self.col(j, self.ranges[g].clone())))
            .collect()
    }
}

/// Marks a user who is not in any group, in [`unit_of_each_user`].
const NO_UNIT: u32 = u32::MAX;
/// Marks a unit that holds one user only (its slots are assigned, not summed).
const SOLE_USER: u32 = 1 << 31;

/// The unit of every user (indexed by user id, [`NO_UNIT`] for users in no group, tagged with
/// [`SOLE_USER`] for unpooled groups), or `None` when some user is in two groups, the member
/// lists are not ascending, or there are too many units for the tag.
fn unit_of_each_user(
    groups: &Groups,
    ranges: &[Range<usize>],
    bucketed: &[bool],
    buckets: &[Vec<u32>],
) -> Option<Vec<u32>> {
    let total = ranges.last().map_or(0, |r| r.end);
    if total >= SOLE_USER as usize {
        return None;
    }
    let n_users = (0..groups.n_groups())
        .filter_map(|g| groups.members(g).last())
        .max()
        .map_or(0, |&u| u as usize + 1);
    let mut unit_of = vec![NO_UNIT; n_users];
    for g in 0..groups.n_groups() {
        let members = groups.members(g);
        if members.windows(2).any(|w| w[0] >= w[1]) {
            return None;
        }
        for (i, &u) in members.iter().enumerate() {
            let at = &mut unit_of[u as usize];
            if *at != NO_UNIT {
                return None;
            }
            *at = if bucketed[g] {
                (ranges[g].start + buckets[g][i] as usize) as u32
            } else {
                (ranges[g].start + i) as u32 | SOLE_USER
            };
        }
    }
    Some(unit_of)
}

/// Adds `value(u)` of every user to its unit in `out` (see [`unit_of_each_user`]).
#[inline]
fn sum_into_units(unit_of: &[u32], out: &mut [f64], value: impl Fn(usize) -> f64) {
    for (u, &at) in unit_of.iter().enumerate() {
        if at == NO_UNIT {
            continue;
        }
        let v = value(u);
        if at & SOLE_USER != 0 {
            out[(at & !SOLE_USER) as usize] = v;
        } else {
            out[at as usize] += v;
        }
    }
}

/// Lanes of the explicit-lane reductions: a fixed summation order, whatever SIMD width the
/// compiler picks.
const LANES: usize = 8;

/// Σ_i x_i with [`LANES`] partial sums combined pairwise.
fn lane_sum(x: &[f64]) -> f64 {
    let mut acc = [0.0f64; LANES];
    let mut xc = x.chunks_exact(LANES);
    for b in &mut xc {
        for l in 0..LANES {
            acc[l] += b[l];
        }
    }
    for (l, b) in xc.remainder().iter().enumerate() {
        acc[l] += b;
    }
    combine(acc)
}

/// The lanes combined pairwise: ((l₀ + l₄) + (l₂ + l₆)) + ((l₁ + l₅) + (l₃ + l₇)).
#[inline]
fn combine(a: [f64; LANES]) -> f64 {
    ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]))
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::stats::{compare_means, group_estimates, Statistic, StatsConfig};

    #[test]
    fn groups_from_codes_skip_missing() {
        let g = Groups::from_codes(&[1, 0, u32::MAX, 1, 7], 2, &test_keys(5));
        assert_eq!(g.n_groups(), 2);
        assert_eq!(g.members(0), &[1]);
        assert_eq!(g.members(1), &[0, 3]);
        assert_eq!(g.all(), &[1, 0, 3]);
    }

    #[test]
    fn units_sum_their_users_whether_groups_are_disjoint_or_not() {
        // Unit slots straight from the definition: a pooled group's unit k sums its members of
        // bucket k in member order, an unpooled group has one unit per member. Disjoint groups
        // (with a user in none) take the one-pass path; overlapping ones the per-group path.
        let n = 300u32;
        let x: Vec<f64> = (0..n)
            .map(|u| {
                if u % 11 == 4 {
                    f64::NAN
                } else {
                    f64::from(u % 17) - 8.5
                }
            })
            .collect();
        let cols: [&[f64]; 1] = [&x];
        // Disjoint: group 0 of 150 users (pooled), group 1 of 75 (one unit each), 75 in none.
        let codes: Vec<u32> = (0..n).map(|u| [0, 0, 1, 2][u as usize % 4]).collect();
        let keys = test_keys(n as usize);
        let disjoint = Groups::from_codes(&codes, 2, &keys);
        let overlapping = Groups::from_members([(0..200).collect(), (100..n).collect()], &keys);
        let (max_units, seed) = (80, 9);
        for groups in [&disjoint, &overlapping] {
            let all: Vec<u32> = (0..n).collect();
            let layout = Layout::new(&cols, &all);
            let units = Units::build(&layout, groups, max_units, seed);
            let key = mix64(seed ^ BUCKET_SALT);
            for g in 0..groups.n_groups() {
                let members = groups.members(g);
                let pooled = members.len() > max_units;
                let n_units = if pooled { max_units } else { members.len() };
                assert_eq!(units.ranges[g].len(), n_units);
                for j in 0..layout.stride() {
                    let mut want = vec![0.0; n_units];
                    for (i, &u) in members.iter().enumerate() {
                        let k = if pooled {
                            bucket_of(key, keys[u as usize], max_units) as usize
                        } else {
                            i
                        };
                        want[k] += layout.value(j, u);
                    }
                    assert_eq!(units.col(j, units.ranges[g].clone()), want);
                }
            }
        }
        assert!(unit_of_each_user(&overlapping, &[0..200, 200..400], &[false; 2], &[]).is_none());
    }

    #[test]
    fn lane_sum_adds_every_value() {
        let x: Vec<f64> = (0..11).map(f64::from).collect();
        assert_eq!(lane_sum(&x), 55.0);
    }

    #[test]
    fn pooled_units_match_the_per_user_bootstrap() {
        // One group of 40,000 users, x skewed (exponential), sorted so that any systematic bucketing
        // would hide the spread. Per-user bootstrap (units = 0) against 512 hashed buckets.
        let mut rng = ChaCha8Rng::seed_from_u64(77);
        let mut x: Vec<f64> = (0..40_000)
            .map(|_| -(1.0 - rng.gen::<f64>()).ln())
            .collect();
        x.sort_by(f64::total_cmp);
        let groups = Groups::consecutive(&[40_000]);
        let exact = StatsConfig {
            resamples: 1_000,
            bootstrap_units: 0,
            ..StatsConfig::default()
        };
        let pooled = StatsConfig {
            bootstrap_units: 512,
            ..exact
        };
        let e = group_estimates(&[&x], &[Statistic::Mean(0)], &groups, &[true], &exact)[0][0];
        let p = group_estimates(&[&x], &[Statistic::Mean(0)], &groups, &[true], &pooled)[0][0];
        // Same point value (the same sums, in another order).
        assert!((e.value.unwrap() - p.value.unwrap()).abs() < 1e-12);
        // Normal-theory half-width: 1.96 · sd / √n.
        let m = x.iter().sum::<f64>() / x.len() as f64;
        let sd = (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64).sqrt();
        let want = 1.96 * sd / (x.len() as f64).sqrt();
        for est in [e, p] {
            let half = (est.ci_high.unwrap() - est.ci_low.unwrap()) / 2.0;
            // B = 1,000 quantiles: about 4% Monte-Carlo error; 512 buckets add about 3%.
            assert!(
                (half / want - 1.0).abs() < 0.15,
                "half-width {half} vs {want}"
            );
            assert!(est.ci_low.unwrap() < m && m < est.ci_high.unwrap());
        }
    }

    #[test]
    fn groups_within_the_unit_cap_are_resampled_user_by_user() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let x: Vec<f64> = (0..3_000).map(|_| rng.gen::<f64>()).collect();
        let groups = Groups::consecutive(&[1_000, 2_000]);
        let run = |units| {
            let cfg = StatsConfig {
                resamples: 50,
                bootstrap_units: units,
                ..StatsConfig::default()
            };
            compare_means(&[&x], &groups, 1, &[true, true], &cfg)
        };
        // 2,000 units or more: both groups are per-user, identical to units = 0.
        assert_eq!(run(0), run(2_000));
        assert_eq!(run(0), run(1 << 20));
        // 1,500 units: the larger group is pooled, so its interval moves.
        assert_ne!(run(0), run(1_500));
    }
}
