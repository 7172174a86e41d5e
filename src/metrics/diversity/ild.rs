//! Intra-list diversity (ILD): the mean distance between the items of one list, over its
//! k(k−1)/2 pairs (Ziegler, McNee, Konstan & Lausen 2005, "Improving recommendation lists through
//! topic diversification", WWW; the average over the pairs, not over k).
//!
//! ILD(L) = 2 / (k(k−1)) · Σ_{i<j} d(L_i, L_j), with one of two item distances:
//! - [`ild_jaccard`]: d = 1 − |C_i ∩ C_j| / |C_i ∪ C_j| of the category sets;
//! - [`ild_cosine`]: d = 1 − x_i·x_j / (‖x_i‖ ‖x_j‖) of the feature vectors.
//!
//! These are the definitions. The audit computes `ild_jaccard` by the bitset pass of
//! [`ild_fast`](super::ild_fast) (the same value to the bit, by a property test there), and
//! [`IldMethod`](super::IldMethod) picks the distance for a dataset.

use crate::data::Csr;
use crate::metrics::categories::common_categories;

/// Intra-list diversity with category Jaccard distance: the mean over the pairs i < j of the list
/// of 1 − |C_i ∩ C_j| / |C_i ∪ C_j| (Ziegler et al. 2005 average over the k(k−1)/2 pairs, not k).
///
/// Conventions: pairs with an item that has no category are skipped (unknown, not dissimilar); NaN
/// when no pair remains (lists shorter than 2).
///
/// ```
/// use recaudit::data::Csr;
/// use recaudit::metrics::diversity::ild_jaccard;
/// // items 0: {0, 1}, 1: {1}, 2: {2}
/// // pairs (0,1): 1 − 1/2 = 0.5; (0,2): 1 − 0 = 1; (1,2): 1 → ILD = 2.5 / 3
/// let cats = Csr::from_rows(vec![vec![0, 1], vec![1], vec![2]]);
/// assert!((ild_jaccard(&[0, 1, 2], &cats) - 2.5 / 3.0).abs() < 1e-15);
/// assert!(ild_jaccard(&[0], &cats).is_nan());
/// ```
pub fn ild_jaccard(list: &[u32], categories: &Csr<u32>) -> f64 {
    let sets: Vec<Vec<u32>> = list
        .iter()
        .map(|&i| {
            let mut c = categories.row(i as usize).to_vec();
            c.sort_unstable();
            c.dedup();
            c
        })
        .filter(|c| !c.is_empty())
        .collect();
    let (mut sum, mut n) = (0.0, 0usize);
    for a in 0..sets.len() {
        for b in a + 1..sets.len() {
            let inter = common_categories(&sets[a], &sets[b], |&c| c);
            let union = sets[a].len() + sets[b].len() - inter;
            sum += 1.0 - inter as f64 / union as f64;
            n += 1;
        }
    }
    sum / n as f64
}

/// Intra-list diversity with cosine distance of feature vectors: the mean over the pairs i < j of
/// 1 − x_i·x_j / (‖x_i‖ ‖x_j‖). Pairs with a zero vector are skipped; NaN when no pair remains.
///
/// ```
/// use recaudit::metrics::diversity::ild_cosine;
/// // (1,0)·(0,1) = 0 → 1; (1,0)·(1,1) = 1/√2 → 1 − 0.7071; (0,1)·(1,1) likewise
/// let f = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![1.0, 1.0]];
/// let want = (1.0 + 2.0 * (1.0 - 0.5f64.sqrt())) / 3.0;
/// assert!((ild_cosine(&[0, 1, 2], &f) - want).abs() < 1e-15);
/// assert!(ild_cosine(&[2], &f).is_nan());
/// ```
pub fn ild_cosine(list: &[u32], features: &[Vec<f64>]) -> f64 {
    let vecs: Vec<(&[f64], f64)> = list
        .iter()
        .map(|&i| {
            let x = features[i as usize].as_slice();
            (x, x.iter().map(|v| v * v).sum::<f64>().sqrt())
        })
        .filter(|(_, norm)| *norm > 0.0)
        .collect();
    let (mut sum, mut n) = (0.0, 0usize);
    for a in 0..vecs.len() {
        for b in a + 1..vecs.len() {
            let dot: f64 = vecs[a].0.iter().zip(vecs[b].0).map(|(x, y)| x * y).sum();
            sum += 1.0 - dot / (vecs[a].1 * vecs[b].1);
            n += 1;
        }
    }
    sum / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::diversity::tests::close;

    #[test]
    fn jaccard_hand_worked() {
        // items 0: {0}, 1: {0, 1}, 2: {1}, 3: {2}, 4: {} (and 5 lists category 1 twice)
        let cats = Csr::from_rows(vec![
            vec![0],
            vec![0, 1],
            vec![1],
            vec![2],
            vec![],
            vec![1, 1],
        ]);
        // (0,1): 1 − 1/2; (0,2): 1; (1,2): 1 − 1/2 → 2/3
        close(ild_jaccard(&[0, 1, 2], &cats), 2.0 / 3.0);
        // the uncategorised item 4 is skipped: only the pair (0,3) → 1
        close(ild_jaccard(&[0, 4, 3], &cats), 1.0);
        // a repeated category counts once: {1} and {1} → 0
        close(ild_jaccard(&[2, 5], &cats), 0.0);
        // no pair left: NaN
        assert!(ild_jaccard(&[3, 4], &cats).is_nan());
        assert!(ild_jaccard(&[], &cats).is_nan());
    }

    #[test]
    fn cosine_hand_worked() {
        let f = vec![
            vec![1.0, 0.0],
            vec![0.0, 1.0],
            vec![1.0, 0.0],
            vec![0.0, 0.0],
        ];
        // (0,1) 1, (0,2) 0, (1,2) 1 → 2/3; the zero vector 3 is skipped
        close(ild_cosine(&[0, 1, 2, 3], &f), 2.0 / 3.0);
        // length does not matter, direction does: (2,0) and (1,0) → 0
        close(
            ild_cosine(&[0, 2], &[vec![2.0, 0.0], vec![0.0, 0.0], vec![1.0, 0.0]]),
            0.0,
        );
        assert!(ild_cosine(&[0, 3], &f).is_nan());
    }
}
