//! Gaussian elimination modulo the prime P = 2⁶¹ − 1 over the published sets × atoms incidence
//! matrix: the attacks that recover a set of fewer than `min_size` users (see the [module
//! documentation](super)), and the rank of the published sets.
//!
//! Arithmetic is exact in the field ℤ/Pℤ: products are reduced through 128-bit integers and the
//! inverse is a^(P−2) (Fermat's little theorem).

use super::atoms::{Atoms, Row};

/// The prime modulus of the exact elimination.
const P: u64 = (1 << 61) - 1;

/// How many partners each basis vector of the recoverable space is paired with.
const MAX_PAIRS: usize = 64;

/// The groups used by some combination of published sets that recovers a set of small atoms.
pub(super) fn attacked_groups(
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
        let pivot_row = scale_pivot(&mut m, p, col);
        for (r, row) in m.iter_mut().enumerate() {
            if r != p {
                eliminate(row, &pivot_row, col, col);
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
        let pivot_row = scale_pivot(&mut m, p, col);
        for &r in open.iter().chain(&basis) {
            eliminate(&mut m[r], &pivot_row, col, large.len());
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
pub(super) fn rank(atoms: &Atoms, group_rows: &[Row], n_unsliced: usize) -> usize {
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
        let pivot_row = scale_pivot(&mut m, rank, col);
        for row in m.iter_mut().skip(rank + 1) {
            eliminate(row, &pivot_row, col, col);
        }
        rank += 1;
    }
    rank
}

/// Scales row `p` of `m` so that its entry in column `col` becomes 1; returns a copy of the row.
fn scale_pivot(m: &mut [Vec<u64>], p: usize, col: usize) -> Vec<u64> {
    let inv = inverse(m[p][col]);
    for x in m[p].iter_mut() {
        *x = mul(*x, inv);
    }
    m[p].clone()
}

/// row ← row − row[col] · pivot over the entries from `from` on (the pivot row is 0 before them).
fn eliminate(row: &mut [u64], pivot: &[u64], col: usize, from: usize) {
    let f = row[col];
    if f == 0 {
        return;
    }
    for (x, &y) in row.iter_mut().zip(pivot).skip(from) {
        *x = sub(*x, mul(f, y));
    }
}

/// a · b mod P.
fn mul(a: u64, b: u64) -> u64 {
    ((a as u128 * b as u128) % P as u128) as u64
}

/// a − b mod P, for a, b < P.
fn sub(a: u64, b: u64) -> u64 {
    if a >= b {
        a - b
    } else {
        a + P - b
    }
}

/// a⁻¹ mod P = a^(P−2) mod P (Fermat's little theorem), by square-and-multiply; a ≢ 0.
fn inverse(a: u64) -> u64 {
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

    #[test]
    fn modular_inverse() {
        for a in [1u64, 2, 3, 12345, P - 1] {
            assert_eq!(mul(a, inverse(a)), 1);
        }
    }
}
