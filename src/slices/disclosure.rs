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

use foldhash::fast::FixedState;
use hashbrown::HashMap;

/// A value that is not a published group of its column (not shown, or no value).
const OTHER: u32 = u32::MAX;

/// The prime modulus of the exact elimination.
const P: u64 = (1 << 61) - 1;

/// Above this many atoms the dense elimination would be slow: the smallest shown group of the
/// column with the most shown groups is withheld first, which merges atoms.
const MAX_ATOMS: usize = 20_000;

/// How many partners each basis vector of the recoverable space is paired with.
const MAX_PAIRS: usize = 64;

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
    let n_users = columns.first().map_or(0, |c| c.len());
    let mut shown: Vec<Vec<bool>> = shown.to_vec();
    let mut too_small = vec![0; columns.len()];
    let mut withheld = vec![0; columns.len()];

    // Primary suppression within the population.
    let sizes = group_sizes(columns, &shown, include, n_users);
    for (c, col_sizes) in sizes.iter().enumerate() {
        for (g, &size) in col_sizes.iter().enumerate() {
            if shown[c][g] && size > 0 && size < min_size {
                shown[c][g] = false;
                too_small[c] += 1;
            }
        }
    }

    loop {
        let atoms = Atoms::new(columns, &shown, include, n_users, counts_of_unsliced);
        let sizes = group_sizes(columns, &shown, include, n_users);
        let choice = if atoms.sizes.iter().all(|&s| s >= min_size) {
            None
        } else if atoms.sizes.len() > MAX_ATOMS {
            widest_columns_smallest_group(&shown, &sizes)
        } else {
            let rows = published_rows(&shown);
            // Prefer a group whose column keeps two shown groups to compare, then the smallest;
            // skip groups whose figures the other published sets give anyway.
            let shown_in = |c: usize| shown[c].iter().filter(|&&s| s).count();
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

/// Users of the population in each group.
fn group_sizes(
    columns: &[&[u32]],
    shown: &[Vec<bool>],
    include: &(dyn Fn(usize) -> bool + Sync),
    n_users: usize,
) -> Vec<Vec<usize>> {
    let mut sizes: Vec<Vec<usize>> = shown.iter().map(|s| vec![0; s.len()]).collect();
    for u in (0..n_users).filter(|&u| include(u)) {
        for (c, col) in columns.iter().enumerate() {
            let g = col[u];
            if g != OTHER {
                sizes[c][g as usize] += 1;
            }
        }
    }
    sizes
}

/// A published set: the overall population, one group, or one published count of unsliced users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Overall,
    Group(usize, usize),
    Unsliced(usize),
}

fn published_rows(shown: &[Vec<bool>]) -> Vec<Row> {
    let mut rows = vec![Row::Overall];
    for (c, col) in shown.iter().enumerate() {
        rows.extend(
            col.iter()
                .enumerate()
                .filter(|(_, &s)| s)
                .map(|(g, _)| Row::Group(c, g)),
        );
    }
    rows
}

/// The population split by the published groups: each atom's published group per column (or
/// [`OTHER`]) and its size. The users with no published group in any column are split further
/// into the published counts of unsliced users and the rest.
struct Atoms {
    keys: Vec<Vec<u32>>,
    /// For atoms of unsliced users: which published count they are (`None`: the rest).
    unsliced: Vec<Option<usize>>,
    sizes: Vec<usize>,
}

impl Atoms {
    fn new(
        columns: &[&[u32]],
        shown: &[Vec<bool>],
        include: &(dyn Fn(usize) -> bool + Sync),
        n_users: usize,
        counts_of_unsliced: &[usize],
    ) -> Atoms {
        let width = columns.len();
        let (mut keys, mut sizes) = count_atoms(columns, shown, include, n_users);
        let mut unsliced = vec![None; keys.len()];
        if !counts_of_unsliced.is_empty() {
            let all_other = vec![OTHER; width];
            let rest = keys.iter().position(|k| *k == all_other);
            let total: usize = counts_of_unsliced.iter().sum();
            let rest_size = rest.map_or(0, |r| sizes[r]).saturating_sub(total);
            match rest {
                Some(r) => sizes[r] = rest_size,
                None => {
                    keys.push(all_other.clone());
                    sizes.push(0);
                    unsliced.push(None);
                }
            }
            for (i, &n) in counts_of_unsliced.iter().enumerate() {
                keys.push(all_other.clone());
                sizes.push(n);
                unsliced.push(Some(i));
            }
        }
        // Atoms emptied by the split carry nothing.
        let keep: Vec<usize> = (0..keys.len()).filter(|&a| sizes[a] > 0).collect();
        Atoms {
            keys: keep.iter().map(|&a| keys[a].clone()).collect(),
            unsliced: keep.iter().map(|&a| unsliced[a]).collect(),
            sizes: keep.iter().map(|&a| sizes[a]).collect(),
        }
    }

    fn contains(&self, row: Row, atom: usize) -> bool {
        match row {
            Row::Overall => true,
            Row::Group(c, g) => self.keys[atom][c] == g as u32,
            Row::Unsliced(i) => self.unsliced[atom] == Some(i),
        }
    }
}

/// The atoms' keys (each column's published group, or [`OTHER`]) and sizes, in the order of their
/// first user. Each user's key is packed into one number (mixed radix, a column's radix being its
/// number of groups plus one for "other"), falling back to the key itself when that overflows.
fn count_atoms(
    columns: &[&[u32]],
    shown: &[Vec<bool>],
    include: &(dyn Fn(usize) -> bool + Sync),
    n_users: usize,
) -> (Vec<Vec<u32>>, Vec<usize>) {
    let value = |c: usize, u: usize| -> u32 {
        let g = columns[c][u];
        if g != OTHER && shown[c][g as usize] {
            g
        } else {
            OTHER
        }
    };
    let radix: Vec<u64> = shown.iter().map(|s| s.len() as u64 + 1).collect();
    let packed = radix
        .iter()
        .try_fold(1u64, |acc, &r| acc.checked_mul(r))
        .is_some();
    let mut keys: Vec<Vec<u32>> = Vec::new();
    let mut sizes: Vec<usize> = Vec::new();
    if packed {
        let mut index: HashMap<u64, usize, FixedState> =
            HashMap::with_hasher(FixedState::default());
        for u in (0..n_users).filter(|&u| include(u)) {
            let mut code = 0u64;
            for (c, &r) in radix.iter().enumerate() {
                let v = value(c, u);
                code = code * r + if v == OTHER { r - 1 } else { u64::from(v) };
            }
            match index.get(&code) {
                Some(&at) => sizes[at] += 1,
                None => {
                    index.insert(code, keys.len());
                    keys.push((0..columns.len()).map(|c| value(c, u)).collect());
                    sizes.push(1);
                }
            }
        }
    } else {
        let mut index: HashMap<Vec<u32>, usize, FixedState> =
            HashMap::with_hasher(FixedState::default());
        for u in (0..n_users).filter(|&u| include(u)) {
            let key: Vec<u32> = (0..columns.len()).map(|c| value(c, u)).collect();
            match index.get(&key) {
                Some(&at) => sizes[at] += 1,
                None => {
                    index.insert(key.clone(), keys.len());
                    keys.push(key);
                    sizes.push(1);
                }
            }
        }
    }
    (keys, sizes)
}

/// The groups used by some combination of published sets that recovers a set of small atoms.
fn attacked_groups(
    atoms: &Atoms,
    group_rows: &[Row],
    n_unsliced: usize,
    min_size: usize,
) -> Vec<(usize, usize)> {
    let mut rows: Vec<Row> = group_rows.to_vec();
    rows.extend((0..n_unsliced).map(Row::Unsliced));
    let large: Vec<usize> = (0..atoms.sizes.len())
        .filter(|&a| atoms.sizes[a] >= min_size)
        .collect();
    let small: Vec<usize> = (0..atoms.sizes.len())
        .filter(|&a| atoms.sizes[a] < min_size)
        .collect();
    let n_rows = rows.len();
    let width = large.len() + small.len() + n_rows;
    // [M_large | M_small | identity]
    let mut m: Vec<Vec<u64>> = rows
        .iter()
        .enumerate()
        .map(|(i, &row)| {
            let mut v = vec![0u64; width];
            for (j, &a) in large.iter().chain(&small).enumerate() {
                if atoms.contains(row, a) {
                    v[j] = 1;
                }
            }
            v[large.len() + small.len() + i] = 1;
            v
        })
        .collect();
    let mut pivoted = vec![false; n_rows];
    for col in 0..large.len() {
        let Some(p) = (0..n_rows).find(|&r| !pivoted[r] && m[r][col] != 0) else {
            continue;
        };
        pivoted[p] = true;
        let inv = inverse(m[p][col]);
        for x in m[p].iter_mut() {
            *x = mul(*x, inv);
        }
        let pivot_row = m[p].clone();
        for (r, row) in m.iter_mut().enumerate() {
            let f = row[col];
            if r == p || f == 0 {
                continue;
            }
            for (x, &y) in row.iter_mut().zip(&pivot_row).skip(col) {
                *x = sub(*x, mul(f, y));
            }
        }
    }
    // The rows left zero on every large atom span K = rowspace(M) ∩ ℝ^S. Reducing them over the
    // small atoms gives a basis of K in reduced echelon form.
    let s_range = large.len()..large.len() + small.len();
    let mut basis: Vec<usize> = Vec::new();
    let mut open: Vec<usize> = (0..n_rows).filter(|&r| !pivoted[r]).collect();
    for col in s_range.clone() {
        let Some(at) = open.iter().position(|&r| m[r][col] != 0) else {
            continue;
        };
        let p = open.swap_remove(at);
        let inv = inverse(m[p][col]);
        for x in m[p].iter_mut() {
            *x = mul(*x, inv);
        }
        let pivot_row = m[p].clone();
        for &r in open.iter().chain(&basis) {
            let f = m[r][col];
            if f == 0 {
                continue;
            }
            for (x, &y) in m[r].iter_mut().zip(&pivot_row).skip(large.len()) {
                *x = sub(*x, mul(f, y));
            }
        }
        basis.push(p);
    }
    // An attack recovers the sum over a set of fewer than `min_size` users: a vector of K whose
    // non-zero entries are all equal. Basis vectors and their pairwise sums and differences are
    // tried, which covers overall − shown groups, one column's shown groups − another's, and a
    // margin − the shown cells of an intersection.
    let small_size = |v: &[u64]| -> Option<usize> {
        let mut value = 0;
        let mut size = 0;
        for (j, &x) in v.iter().enumerate() {
            if x == 0 {
                continue;
            }
            if value != 0 && x != value {
                return None;
            }
            value = x;
            size += atoms.sizes[small[j]];
        }
        (value != 0 && size < min_size).then_some(size)
    };
    let s_part = |r: usize| &m[r][s_range.clone()];
    let mut attacks: Vec<Vec<u64>> = Vec::new();
    for (i, &a) in basis.iter().enumerate() {
        if small_size(s_part(a)).is_some() {
            attacks.push(m[a][s_range.end..].to_vec());
        }
        for &b in basis.iter().skip(i + 1).take(MAX_PAIRS) {
            for sign in [1, P - 1] {
                let v: Vec<u64> = s_part(a)
                    .iter()
                    .zip(s_part(b))
                    .map(|(&x, &y)| (x + mul(sign, y)) % P)
                    .collect();
                if small_size(&v).is_some() {
                    attacks.push(
                        m[a][s_range.end..]
                            .iter()
                            .zip(&m[b][s_range.end..])
                            .map(|(&x, &y)| (x + mul(sign, y)) % P)
                            .collect(),
                    );
                }
            }
        }
    }
    let mut used = Vec::new();
    for y in &attacks {
        for (i, &row) in rows.iter().enumerate() {
            if let Row::Group(c, g) = row {
                if y[i] != 0 && !used.contains(&(c, g)) {
                    used.push((c, g));
                }
            }
        }
    }
    used
}

/// The rank of the published sets (with the published counts of unsliced users) over the atoms.
fn rank(atoms: &Atoms, group_rows: &[Row], n_unsliced: usize) -> usize {
    let mut rows: Vec<Row> = group_rows.to_vec();
    rows.extend((0..n_unsliced).map(Row::Unsliced));
    let mut m: Vec<Vec<u64>> = rows
        .iter()
        .map(|&row| {
            (0..atoms.sizes.len())
                .map(|a| u64::from(atoms.contains(row, a)))
                .collect()
        })
        .collect();
    let mut rank = 0;
    for col in 0..atoms.sizes.len() {
        let Some(p) = (rank..m.len()).find(|&r| m[r][col] != 0) else {
            continue;
        };
        m.swap(rank, p);
        let inv = inverse(m[rank][col]);
        for x in m[rank].iter_mut() {
            *x = mul(*x, inv);
        }
        let pivot_row = m[rank].clone();
        for row in m.iter_mut().skip(rank + 1) {
            let f = row[col];
            if f == 0 {
                continue;
            }
            for (x, &y) in row.iter_mut().zip(&pivot_row).skip(col) {
                *x = sub(*x, mul(f, y));
            }
        }
        rank += 1;
    }
    rank
}

/// The smallest shown group of the column with the most shown groups.
fn widest_columns_smallest_group(
    shown: &[Vec<bool>],
    sizes: &[Vec<usize>],
) -> Option<(usize, usize)> {
    let c = (0..shown.len())
        .filter(|&c| shown[c].iter().filter(|&&s| s).count() > 1)
        .max_by_key(|&c| {
            (
                shown[c].iter().filter(|&&s| s).count(),
                std::cmp::Reverse(c),
            )
        })?;
    (0..shown[c].len())
        .filter(|&g| shown[c][g])
        .min_by_key(|&g| (sizes[c][g], g))
        .map(|g| (c, g))
}

fn mul(a: u64, b: u64) -> u64 {
    ((a as u128 * b as u128) % P as u128) as u64
}

fn sub(a: u64, b: u64) -> u64 {
    if a >= b {
        a - b
    } else {
        a + P - b
    }
}

fn inverse(a: u64) -> u64 {
    // Fermat: a^(P-2) mod P.
    let (mut base, mut exp, mut acc) = (a % P, P - 2, 1u64);
    while exp > 0 {
        if exp & 1 == 1 {
            acc = mul(acc, base);
        }
        base = mul(base, base);
        exp >>= 1;
    }
    acc
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
        let atoms = Atoms::new(&[&a, &b], &p.shown, &everyone, 60, &[]);
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
        let atoms = Atoms::new(&[&gender, &age, &cross], &p.shown, &everyone, 103, &[]);
        assert!(attacked_groups(&atoms, &published_rows(&p.shown), 0, 20).is_empty());
        assert!(p.withheld.iter().sum::<usize>() >= 1);
        // The margins alone (no intersection published) reveal no cell: nothing is withheld.
        let p = protect(&[&gender, &age], &shown[..2], &everyone, 20, &[]);
        assert_eq!(p.withheld, vec![0, 0]);
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

    #[test]
    fn modular_inverse() {
        for a in [1u64, 2, 3, 12345, P - 1] {
            assert_eq!(mul(a, inverse(a)), 1);
        }
    }
}
