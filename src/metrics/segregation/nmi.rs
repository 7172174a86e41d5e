//! Normalised mutual information (NMI) of two labelings of the same objects (Strehl & Ghosh
//! 2002, "Cluster ensembles — a knowledge reuse framework for combining multiple partitions",
//! JMLR 3:583–617, doi:10.1162/153244303321897735), with the arithmetic normalisation of
//! scikit-learn's `normalized_mutual_info_score`:
//!
//! NMI(A, B) = I(A;B) / ((H(A) + H(B)) / 2), with H(A) = −Σ_a p(a) ln p(a) and
//! I(A;B) = Σ_{a,b} p(a,b) ln(p(a,b) / (p(a) p(b))), every p a share of the objects.
//!
//! 0 when the labelings are independent, 1 when each determines the other. The segregation
//! analysis relates a slice column (A) to the clusters (B).

/// Normalised mutual information of two labelings of the same objects, arithmetic normalisation:
/// NMI = I(A;B) / ((H(A) + H(B)) / 2) (natural logs; the base cancels).
///
/// *Source*: Strehl & Ghosh 2002 (doi:10.1162/153244303321897735) for NMI; the arithmetic mean is
/// scikit-learn's default `average_method` (equal to its V-measure), and the special cases follow
/// `sklearn.metrics.normalized_mutual_info_score`: both labelings with a single label → 1; I = 0
/// → 0. Unlike scikit-learn, empty input gives NaN. Labels are arbitrary `u32` values; the result
/// is clamped to [0, 1] against rounding.
///
/// # Panics
/// When the two slices differ in length.
///
/// ```
/// use recaudit::metrics::segregation::normalized_mutual_information as nmi;
/// assert!((nmi(&[0, 0, 1, 1], &[1, 1, 0, 0]) - 1.0).abs() < 1e-12);
/// assert_eq!(nmi(&[0, 0, 0, 0], &[0, 1, 2, 3]), 0.0);
/// // sklearn: v_measure_score([0, 0, 1, 1], [0, 0, 1, 2]) = 0.8
/// assert!((nmi(&[0, 0, 1, 1], &[0, 0, 1, 2]) - 0.8).abs() < 1e-12);
/// assert!(nmi(&[], &[]).is_nan());
/// ```
pub fn normalized_mutual_information(a: &[u32], b: &[u32]) -> f64 {
    assert_eq!(a.len(), b.len(), "labelings must have the same length");
    if a.is_empty() {
        return f64::NAN;
    }
    let n = a.len() as f64;
    // Counts by sorting (deterministic summation order, no hashing).
    let runs = |mut v: Vec<u64>| -> Vec<u64> {
        v.sort_unstable();
        let mut counts = Vec::new();
        let mut i = 0;
        while i < v.len() {
            let j = i + v[i..].iter().take_while(|&&x| x == v[i]).count();
            counts.push((j - i) as u64);
            i = j;
        }
        counts
    };
    let (ca, cb, mi) = match dense_joint_counts(a, b) {
        // Few distinct label values (slice groups and clusters): counted in a table.
        Some((joint, width)) => table_terms(&joint, width),
        // Any labels: counted by sorting.
        None => {
            let ca = runs(a.iter().map(|&x| x as u64).collect());
            let cb = runs(b.iter().map(|&x| x as u64).collect());
            let mut pairs: Vec<(u32, u32)> = a.iter().copied().zip(b.iter().copied()).collect();
            pairs.sort_unstable();
            let mut sorted_a = a.to_vec();
            sorted_a.sort_unstable();
            let mut sorted_b = b.to_vec();
            sorted_b.sort_unstable();
            let count_of = |sorted: &[u32], x: u32| -> f64 {
                (sorted.partition_point(|&v| v <= x) - sorted.partition_point(|&v| v < x)) as f64
            };
            let mut mi = 0.0;
            let mut i = 0;
            while i < pairs.len() {
                let j = i + pairs[i..].iter().take_while(|&&p| p == pairs[i]).count();
                let (x, y) = pairs[i];
                mi += mi_term(
                    (j - i) as f64,
                    count_of(&sorted_a, x),
                    count_of(&sorted_b, y),
                    n,
                );
                i = j;
            }
            (ca, cb, mi)
        }
    };
    normalise(&ca, &cb, mi, n)
}

/// [`normalized_mutual_information`] of the objects counted in a joint table: `joint[x · width +
/// y]` objects have label x in A and y in B (rows and columns of zeros are ignored). The same
/// arithmetic, term for term, as the labelings themselves give, so a table summed over
/// partitions of the objects gives the same bits as the whole labelings.
pub fn nmi_of_table(joint: &[u64], width: usize) -> f64 {
    let n: u64 = joint.iter().sum();
    if n == 0 {
        return f64::NAN;
    }
    let (ca, cb, mi) = table_terms(joint, width);
    normalise(&ca, &cb, mi, n as f64)
}

/// The mutual information term of a pair (x, y) seen `nij` times among `n` objects, x `na` and y
/// `nb` times: (nij / n) · ln(nij · n / (na · nb)), with the logarithm taken term by term.
fn mi_term(nij: f64, na: f64, nb: f64, n: f64) -> f64 {
    nij / n * (nij.ln() + n.ln() - na.ln() - nb.ln())
}

/// The non-zero row and column totals of a joint table and its mutual information, its terms
/// added in ascending (x, y) order.
fn table_terms(joint: &[u64], width: usize) -> (Vec<u64>, Vec<u64>, f64) {
    let n: u64 = joint.iter().sum();
    let n = n as f64;
    let rows: Vec<u64> = joint.chunks(width).map(|r| r.iter().sum()).collect();
    let cols: Vec<u64> = (0..width)
        .map(|y| joint.iter().skip(y).step_by(width).sum())
        .collect();
    let mut mi = 0.0;
    for (x, row) in joint.chunks(width).enumerate() {
        for (y, &nij) in row.iter().enumerate().filter(|(_, &c)| c > 0) {
            mi += mi_term(nij as f64, rows[x] as f64, cols[y] as f64, n);
        }
    }
    let nonzero = |c: Vec<u64>| c.into_iter().filter(|&c| c > 0).collect::<Vec<u64>>();
    (nonzero(rows), nonzero(cols), mi)
}

/// NMI from the label counts `ca`, `cb` (non-zero) and the mutual information `mi` of `n`
/// objects, with scikit-learn's special cases (one label each → 1; no information → 0).
fn normalise(ca: &[u64], cb: &[u64], mi: f64, n: f64) -> f64 {
    let entropy = |counts: &[u64]| -> f64 {
        -counts
            .iter()
            .map(|&c| {
                let p = c as f64 / n;
                p * p.ln()
            })
            .sum::<f64>()
    };
    if ca.len() == 1 && cb.len() == 1 {
        return 1.0;
    }
    let mi = mi.max(0.0);
    if mi == 0.0 {
        return 0.0;
    }
    let normaliser = ((entropy(ca) + entropy(cb)) / 2.0).max(f64::EPSILON);
    (mi / normaliser).clamp(0.0, 1.0)
}

/// The joint counts of `(a[i], b[i])` as a table (row `x`, column `y`, `width` columns) when the
/// labels are small enough for one (at most 2^20 cells), `None` otherwise.
fn dense_joint_counts(a: &[u32], b: &[u32]) -> Option<(Vec<u64>, usize)> {
    let rows = *a.iter().max()? as usize + 1;
    let width = *b.iter().max()? as usize + 1;
    if rows.checked_mul(width)? > 1 << 20 {
        return None;
    }
    let mut joint = vec![0u64; rows * width];
    for (&x, &y) in a.iter().zip(b) {
        joint[x as usize * width + y as usize] += 1;
    }
    Some((joint, width))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::close;
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn nmi_from_a_count_table_equals_nmi_from_sorting() {
        // Labels spread out by an order-preserving map are counted by sorting; the same
        // labelings with small labels in a table. The terms come in the same order: same bits.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let spread = |v: &[u32]| -> Vec<u32> { v.iter().map(|&x| x * 40_000 + 70_000).collect() };
        for case in 0..200 {
            let n = rng.gen_range(1..300);
            let (ka, kb) = (rng.gen_range(1..9), rng.gen_range(1..30));
            let a: Vec<u32> = (0..n).map(|_| rng.gen_range(0..ka) * 3).collect();
            let b: Vec<u32> = (0..n).map(|_| rng.gen_range(0..kb)).collect();
            assert!(dense_joint_counts(&a, &b).is_some());
            assert!(dense_joint_counts(&spread(&a), &spread(&b)).is_none());
            let table = normalized_mutual_information(&a, &b);
            let sorted = normalized_mutual_information(&spread(&a), &spread(&b));
            assert_eq!(
                table.to_bits(),
                sorted.to_bits(),
                "case {case}: {table} {sorted}"
            );
            // The table itself, with rows and columns to spare.
            let width = kb as usize + 2;
            let mut joint = vec![0u64; (3 * ka as usize + 1) * width];
            for (&x, &y) in a.iter().zip(&b) {
                joint[x as usize * width + y as usize] += 1;
            }
            assert_eq!(
                nmi_of_table(&joint, width).to_bits(),
                table.to_bits(),
                "case {case}"
            );
        }
        assert!(nmi_of_table(&[0, 0], 2).is_nan());
    }

    #[test]
    fn nmi_matches_sklearn_values() {
        // Values of sklearn.metrics.normalized_mutual_info_score (average_method="arithmetic").
        // identical up to renaming → 1
        close(
            normalized_mutual_information(&[0, 0, 1, 1], &[0, 0, 1, 1]),
            1.0,
            1e-12,
        );
        close(
            normalized_mutual_information(&[0, 0, 1, 1], &[7, 7, 3, 3]),
            1.0,
            1e-12,
        );
        // one class vs all distinct: I = 0 → 0
        assert_eq!(
            normalized_mutual_information(&[0, 0, 0, 0], &[0, 1, 2, 3]),
            0.0
        );
        // both constant → 1 (sklearn's special case)
        assert_eq!(normalized_mutual_information(&[5, 5], &[2, 2]), 1.0);
        // independent: [0 0 1 1] vs [0 1 0 1], every cell 1/4 = (1/2)(1/2) → I = 0
        assert_eq!(
            normalized_mutual_information(&[0, 0, 1, 1], &[0, 1, 0, 1]),
            0.0
        );
        // [0 0 1 1] vs [0 0 1 2]: H(A) = ln 2, H(B) = 1.5 ln 2, I = ln 2 (B refines A)
        // → ln 2 / (1.25 ln 2) = 0.8 (sklearn docs: v_measure_score = 0.8)
        close(
            normalized_mutual_information(&[0, 0, 1, 1], &[0, 0, 1, 2]),
            0.8,
            1e-12,
        );
        // [0 0 1 1] vs [0 1 2 3]: H(B) = 2 ln 2, I = ln 2 → 1/1.5 (sklearn docs: 0.66…)
        close(
            normalized_mutual_information(&[0, 0, 1, 1], &[0, 1, 2, 3]),
            2.0 / 3.0,
            1e-12,
        );
        // [0 0 0 1 1 1] vs [0 0 1 1 2 2]: sklearn 0.5158037429793888; symmetric
        close(
            normalized_mutual_information(&[0, 0, 0, 1, 1, 1], &[0, 0, 1, 1, 2, 2]),
            0.515_803_742_979_388_8,
            1e-12,
        );
        close(
            normalized_mutual_information(&[0, 0, 1, 1, 2, 2], &[0, 0, 0, 1, 1, 1]),
            0.515_803_742_979_388_8,
            1e-12,
        );
        // sklearn 0.07849738428937655
        close(
            normalized_mutual_information(&[0, 1, 2, 0, 1, 2, 0, 1], &[0, 0, 0, 1, 1, 1, 2, 2]),
            0.078_497_384_289_376_55,
            1e-12,
        );
        assert!(normalized_mutual_information(&[], &[]).is_nan());
    }
}
