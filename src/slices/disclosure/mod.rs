//! Complementary suppression: which slice groups may be published so that no set of fewer than
//! `min_slice_size` people can be recovered by adding and subtracting published figures.
//!
//! Every published figure of a slice group is, or can be turned into, a sum over its users: a
//! count, or `n × mean` of a per-user metric (exposure masses are per-user sums too). An attacker
//! holding the audit can add and subtract such sums: the overall figure minus the shown groups of a
//! column gives the sum over the suppressed groups; one column's shown groups minus another's can
//! isolate the people who differ; a row margin minus the shown cells of an intersection gives the
//! hidden cell (Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, ch. 4 and 5).
//!
//! # The check
//! Users are split into *atoms*: users who lie in the same published group of every column (a
//! group that is not published counts as "other"). Every published set is a union of atoms, and
//! whatever an attacker computes is a linear combination of the published sets' sums. Write `M`
//! for the published sets × atoms incidence matrix, `L` for the atoms of at least `min_size`
//! users and `S` for the smaller ones. The sum over a set of fewer than `min_size` users can be
//! recovered when the set's indicator lies in `rowspace(M)`; such a set is a union of small atoms,
//! so its indicator lies in `K = rowspace(M) ∩ ℝ^S`. The check eliminates `M` over the large atoms
//! first (exact arithmetic modulo the prime 2⁶¹ − 1): the rows left zero on them span `K`, and
//! reduced over the small atoms they form a basis of `K`. A vector of `K` whose non-zero entries
//! are all equal is a recoverable set: each basis vector and each sum and difference of two are
//! tested, which covers the attacks of the literature (overall minus the shown groups of a column,
//! one column's shown groups minus another's, a margin minus the shown cells of an
//! intersection). Other vectors of `K`, such as the difference between two small cells of a
//! table whose margins alone are published, reveal no one's figure and are allowed, as in
//! statistical practice.
//!
//! # The remedy
//! While an attack exists, one published group that the attack uses is withheld (the census
//! agencies' complementary suppression) and the check runs again: the smallest, among groups
//! whose column keeps at least two groups to compare if there are any. The overall figure is
//! never withheld: it stays equal to what other tools compute over all users. A column may thus
//! be left with one shown group; the audit says so.
//!
//! Exactness: arithmetic modulo a prime can only find *more* dependencies than over the
//! rationals when the prime divides a minor of the 0/1 matrix, which errs towards withholding.
//!
//! # Files
//! - `atoms.rs`: the atoms and the published sets over them;
//! - `elimination.rs`: the exact elimination modulo 2⁶¹ − 1 that finds the attacks and the rank;
//! - this file: the primary suppression and the choice of the group to withhold.

mod atoms;
mod elimination;

use atoms::{published_rows, Atoms, Row};
use elimination::{attacked_groups, rank};

use crate::data::Categorical;

/// Above this many atoms the dense elimination would be slow: the smallest shown group of the
/// column with the most shown groups is withheld first, which merges atoms.
const MAX_ATOMS: usize = 20_000;

/// What [`protect`] decided for one population.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protection {
    /// Per column, per group: published.
    pub shown: Vec<Vec<bool>>,
    /// Per column: groups shown before that have fewer than `min_size` users of the population
    /// (primary suppression within the population; 0 for the whole audited population).
    pub too_small: Vec<usize>,
    /// Per column: groups withheld although large enough, so that smaller ones cannot be
    /// recovered by differencing.
    pub withheld: Vec<usize>,
}

/// Decides which groups of `columns` can be published for the users `u` with `include(u)`.
///
/// - `columns[c][u]`: the group of user `u` in column `c` (`u32::MAX`: no value);
/// - `shown[c][g]`: whether group `g` of column `c` is a candidate for publication;
/// - `counts_of_unsliced`: sizes of disjoint sets of users with no value in any column whose
///   counts are published on their own (e.g. users without consent); each must be at least
///   `min_size` (smaller counts must not be published at all).
///
/// The overall figure over the population is always published.
pub fn protect(
    columns: &[&[u32]],
    shown: &[Vec<bool>],
    include: &(dyn Fn(usize) -> bool + Sync),
    min_size: usize,
    counts_of_unsliced: &[usize],
) -> Protection {
    protect_weighted(
        columns,
        shown,
        &|u| usize::from(include(u)),
        min_size,
        counts_of_unsliced,
    )
}

/// [`protect`] over rows that each stand for `weight(r)` users of the population (0: none), such
/// as the distinct combinations of groups that users share: `columns[c][r]` is row `r`'s group in
/// column `c`. The decision depends only on how many users share each combination and on the
/// order in which the combinations are first met (which settles the choice among equally good
/// groups to withhold): with the rows in the order of their first user of the population, it
/// equals [`protect`] over the users themselves, at the cost of the rows.
pub fn protect_weighted(
    columns: &[&[u32]],
    shown: &[Vec<bool>],
    weight: &(dyn Fn(usize) -> usize + Sync),
    min_size: usize,
    counts_of_unsliced: &[usize],
) -> Protection {
    let n_users = columns.first().map_or(0, |c| c.len());
    let mut shown: Vec<Vec<bool>> = shown.to_vec();
    let mut too_small = vec![0; columns.len()];
    let mut withheld = vec![0; columns.len()];

    // Primary suppression within the population.
    let sizes = sizes_of_groups(columns, &shown, weight, n_users);
    for (c, col_sizes) in sizes.iter().enumerate() {
        for (g, &size) in col_sizes.iter().enumerate() {
            if shown[c][g] && size > 0 && size < min_size {
                shown[c][g] = false;
                too_small[c] += 1;
            }
        }
    }

    loop {
        let atoms = Atoms::new(columns, &shown, weight, n_users, counts_of_unsliced);
        let sizes = sizes_of_groups(columns, &shown, weight, n_users);
        let choice = if atoms.sizes.iter().all(|&s| s >= min_size) {
            None
        } else if atoms.sizes.len() > MAX_ATOMS {
            widest_columns_smallest_group(&shown, &sizes)
        } else {
            let rows = published_rows(&shown);
            // Prefer a group whose column keeps two shown groups to compare, then the smallest;
            // skip groups whose figures the other published sets give anyway.
            let shown_in = |c: usize| n_shown(&shown[c]);
            let mut candidates = attacked_groups(&atoms, &rows, counts_of_unsliced.len(), min_size);
            candidates.sort_by_key(|&(c, g)| (shown_in(c) < 3, sizes[c][g], c, g));
            let rank_now = rank(&atoms, &rows, counts_of_unsliced.len());
            candidates
                .iter()
                .copied()
                .find(|&(c, g)| {
                    let fewer: Vec<Row> = rows
                        .iter()
                        .copied()
                        .filter(|&r| r != Row::Group(c, g))
                        .collect();
                    rank(&atoms, &fewer, counts_of_unsliced.len()) < rank_now
                })
                .or(candidates.first().copied())
        };
        match choice {
            Some((c, g)) => {
                shown[c][g] = false;
                withheld[c] += 1;
            }
            None => break,
        }
    }
    Protection {
        shown,
        too_small,
        withheld,
    }
}

/// Users of the population in each group of each column (row `r` standing for `weight(r)`).
fn sizes_of_groups(
    columns: &[&[u32]],
    shown: &[Vec<bool>],
    weight: &(dyn Fn(usize) -> usize + Sync),
    n_rows: usize,
) -> Vec<Vec<usize>> {
    columns
        .iter()
        .zip(shown)
        .map(|(col, s)| {
            let mut sizes = vec![0usize; s.len()];
            for (r, &g) in col[..n_rows].iter().enumerate() {
                if g != Categorical::MISSING {
                    sizes[g as usize] += weight(r);
                }
            }
            sizes
        })
        .collect()
}

/// The number of shown groups of one column.
fn n_shown(shown: &[bool]) -> usize {
    shown.iter().filter(|&&s| s).count()
}

/// The smallest shown group of the column with the most shown groups.
fn widest_columns_smallest_group(
    shown: &[Vec<bool>],
    sizes: &[Vec<usize>],
) -> Option<(usize, usize)> {
    let c = (0..shown.len())
        .filter(|&c| n_shown(&shown[c]) > 1)
        .max_by_key(|&c| (n_shown(&shown[c]), std::cmp::Reverse(c)))?;
    (0..shown[c].len())
        .filter(|&g| shown[c][g])
        .min_by_key(|&g| (sizes[c][g], g))
        .map(|g| (c, g))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: u32 = u32::MAX;

    fn everyone(_: usize) -> bool {
        true
    }

    fn column(sizes: &[usize]) -> Vec<u32> {
        sizes
            .iter()
            .enumerate()
            .flat_map(|(g, &n)| std::iter::repeat_n(g as u32, n))
            .collect()
    }

    #[test]
    fn a_lone_small_group_takes_the_next_smallest_with_it() {
        // F 61, M 76, X 13: overall − F − M = X, so F (the smaller shown group) is withheld.
        let gender = column(&[61, 76, 13]);
        let shown = vec![vec![true, true, false]];
        let p = protect(&[&gender], &shown, &everyone, 20, &[]);
        assert_eq!(p.shown, vec![vec![false, true, false]]);
        assert_eq!(p.withheld, vec![1]);
        assert_eq!(p.too_small, vec![0]);
    }

    #[test]
    fn a_large_enough_remainder_needs_nothing_more() {
        // Two small groups together hold 25 ≥ 20 users: their sum is not one person's.
        let col = column(&[50, 60, 13, 12]);
        let shown = vec![vec![true, true, false, false]];
        let p = protect(&[&col], &shown, &everyone, 20, &[]);
        assert_eq!(p.shown, shown);
        assert_eq!(p.withheld, vec![0]);
    }

    #[test]
    fn users_without_a_value_protect_the_remainder_unless_their_count_is_published() {
        // 30 users without consent have no value: overall − A − B = X ∪ them (35 users).
        let mut col = column(&[40, 40, 5]);
        col.extend(std::iter::repeat_n(NONE, 30));
        let shown = vec![vec![true, true, false]];
        let p = protect(&[&col], &shown, &everyone, 20, &[]);
        assert_eq!(p.withheld, vec![0]);
        // Publishing that 30 users had no consent gives |X| = 115 − 40 − 40 − 30 = 5.
        let p = protect(&[&col], &shown, &everyone, 20, &[30]);
        assert_eq!(p.withheld, vec![1]);
    }

    #[test]
    fn two_columns_that_differ_by_one_person_are_caught() {
        // Column a: 30 + 30 users; column b: the same split but user 0 has no value in b.
        // a₀ − b₀ = {user 0}.
        let a = column(&[30, 30]);
        let mut b = a.clone();
        b[0] = NONE;
        let shown = vec![vec![true, true], vec![true, true]];
        let p = protect(&[&a, &b], &shown, &everyone, 20, &[]);
        assert!(p.withheld.iter().sum::<usize>() >= 1, "{p:?}");
        // After withholding, no set of fewer than 20 users can be recovered.
        let atoms = Atoms::new(&[&a, &b], &p.shown, &|_| 1, 60, &[]);
        let rows = published_rows(&p.shown);
        assert!(attacked_groups(&atoms, &rows, 0, 20).is_empty());
    }

    #[test]
    fn a_hidden_cell_of_an_intersection_is_not_recovered_from_its_margins() {
        // gender (F, M) × age (young, old); the intersection is published with F&old (3 users)
        // suppressed: F − F&young = F&old. Each cell: F&young 40, F&old 3, M&young 30, M&old 30.
        let mut gender = Vec::new();
        let mut age = Vec::new();
        let mut cross = Vec::new();
        for (g, a, n) in [(0u32, 0u32, 40usize), (0, 1, 3), (1, 0, 30), (1, 1, 30)] {
            gender.extend(std::iter::repeat_n(g, n));
            age.extend(std::iter::repeat_n(a, n));
            cross.extend(std::iter::repeat_n(g * 2 + a, n));
        }
        let shown = vec![
            vec![true, true],
            vec![true, true],
            vec![true, false, true, true],
        ];
        let p = protect(&[&gender, &age, &cross], &shown, &everyone, 20, &[]);
        let atoms = Atoms::new(&[&gender, &age, &cross], &p.shown, &|_| 1, 103, &[]);
        assert!(attacked_groups(&atoms, &published_rows(&p.shown), 0, 20).is_empty());
        assert!(p.withheld.iter().sum::<usize>() >= 1);
        // The margins alone (no intersection published) reveal no cell: nothing is withheld.
        let p = protect(&[&gender, &age], &shown[..2], &everyone, 20, &[]);
        assert_eq!(p.withheld, vec![0, 0]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Deciding over the distinct combinations of groups, each weighted by its users, gives
        /// the decision over the users themselves.
        #[test]
        fn weighted_profiles_decide_as_the_users_do(
            users in proptest::collection::vec((0u32..4, 0u32..3, 0u32..2, proptest::bool::ANY), 1..400),
            min_size in 2usize..40,
        ) {
            let missing = |g: u32, k: u32| if g == k { NONE } else { g };
            let a: Vec<u32> = users.iter().map(|u| missing(u.0, 3)).collect();
            let b: Vec<u32> = users.iter().map(|u| u.1).collect();
            let ab: Vec<u32> = users
                .iter()
                .map(|u| if u.0 == 3 { NONE } else { u.0 * 3 + u.1 })
                .collect();
            let c: Vec<u32> = users.iter().map(|u| u.2).collect();
            let shown = vec![vec![true; 3], vec![true; 3], vec![true; 9], vec![true; 2]];
            let include = |u: usize| users[u].3;
            let by_user = protect(&[&a, &b, &ab, &c], &shown, &include, min_size, &[]);
            // Profiles, in an order of their own (last user first).
            let mut profiles: Vec<([u32; 4], usize)> = Vec::new();
            // Profiles in the order of their first included user (then the others).
            let included = (0..users.len()).filter(|&u| include(u));
            for u in included.chain((0..users.len()).filter(|&u| !include(u))) {
                let key = [a[u], b[u], ab[u], c[u]];
                let w = usize::from(include(u));
                match profiles.iter_mut().find(|(k, _)| *k == key) {
                    Some(p) => p.1 += w,
                    None => profiles.push((key, w)),
                }
            }
            let col = |i: usize| profiles.iter().map(|p| p.0[i]).collect::<Vec<u32>>();
            let (pa, pb, pab, pc) = (col(0), col(1), col(2), col(3));
            let weight = |p: usize| profiles[p].1;
            let by_profile = protect_weighted(&[&pa, &pb, &pab, &pc], &shown, &weight, min_size, &[]);
            proptest::prop_assert_eq!(by_user, by_profile);
        }
    }

    #[test]
    fn groups_small_within_a_population_are_suppressed_there() {
        // 40 + 40 users, but only 5 of group 1 have a defined value: group 1 is too small there,
        // and then group 0 must go too (overall − group 0 = those 5).
        let col = column(&[40, 40]);
        let shown = vec![vec![true, true]];
        let defined = |u: usize| u < 45;
        let p = protect(&[&col], &shown, &defined, 20, &[]);
        assert_eq!(p.too_small, vec![1]);
        assert_eq!(p.withheld, vec![1]);
        assert_eq!(p.shown, vec![vec![false, false]]);
    }
}
