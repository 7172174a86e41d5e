//! Personalisation of a set of lists (docs/metrics.md): 1 − the mean overlap |L_u ∩ L_v| / k of the list
//! pairs (Zhou et al. 2010, "Solving the apparent diversity-accuracy dilemma of recommender
//! systems", PNAS; as in Microsoft Recommenders' personalisation).

/// Personalisation = 1 − mean over the C(n, 2) list pairs of |L_u ∩ L_v| / k, computed exactly from
/// item counts: Σ_{u<v} |L_u ∩ L_v| = Σ_i C(c_i, 2) (docs/metrics.md). `n_lists` counts the non-empty
/// lists; `None` when fewer than two or k = 0.
///
/// Microsoft Recommenders and others compute 1 − mean pairwise *cosine* similarity of the binary
/// lists, quadratic in users; with lists all of length k the cosine equals |L_u ∩ L_v| / k, so the
/// values agree.
///
/// ```
/// use recaudit::metrics::diversity::personalisation;
/// // lists {a,b}, {a,c}, {d,e}, k = 2: counts a=2, b=c=d=e=1 → Σ C(c,2) = 1;
/// // pairs = 3 → 1 − 1 / (3 · 2) = 5/6
/// let p = personalisation(&[2, 1, 1, 1, 1], 3, 2).unwrap();
/// assert!((p - 5.0 / 6.0).abs() < 1e-15);
/// assert_eq!(personalisation(&[1], 1, 2), None);
/// ```
pub fn personalisation(counts: &[u32], n_lists: usize, k: usize) -> Option<f64> {
    if n_lists < 2 || k == 0 {
        return None;
    }
    let overlap: f64 = counts
        .iter()
        .map(|&c| {
            let c = c as f64;
            c * (c - 1.0) / 2.0
        })
        .sum();
    let pairs = n_lists as f64 * (n_lists as f64 - 1.0) / 2.0;
    Some(1.0 - overlap / (pairs * k as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Csr;
    use crate::metrics::diversity::{item_counts, item_counts_of_lists};

    proptest::proptest! {
        #[test]
        fn personalisation_identity_matches_explicit_pairs(
            lists in proptest::collection::vec(
                proptest::collection::btree_set(0u32..12, 0..5), 0..8)
        ) {
            // explicit O(n²) definition: 1 − mean over pairs of |L_u ∩ L_v| / k
            let k = 4;
            let lists: Vec<Vec<u32>> = lists.into_iter().map(|s| s.into_iter().take(k).collect()).collect();
            let recs = Csr::from_rows(lists.clone());
            let users: Vec<u32> = (0..lists.len() as u32).collect();
            let counts = item_counts(&recs, &users, 12);
            let nonempty: Vec<&Vec<u32>> = lists.iter().filter(|l| !l.is_empty()).collect();
            let (mut overlap, mut pairs) = (0.0, 0.0);
            for a in 0..nonempty.len() {
                for b in a + 1..nonempty.len() {
                    overlap += nonempty[a].iter().filter(|i| nonempty[b].contains(i)).count() as f64;
                    pairs += 1.0;
                }
            }
            let fast = personalisation(&counts, nonempty.len(), k);
            if pairs == 0.0 {
                proptest::prop_assert!(fast.is_none());
            } else {
                let slow = 1.0 - overlap / (pairs * k as f64);
                proptest::prop_assert!((fast.unwrap() - slow).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn personalisation_edge_cases() {
        let counts = |lists: &[&[u32]], n_items| {
            let lists = lists.iter().copied().filter(|l| !l.is_empty());
            item_counts_of_lists(lists, n_items)
        };
        assert_eq!(personalisation(&counts(&[&[1, 2]], 3), 1, 2), None);
        // identical lists → 0; disjoint → 1
        assert_eq!(
            personalisation(&counts(&[&[1, 2], &[2, 1]], 3), 2, 2),
            Some(0.0)
        );
        assert_eq!(
            personalisation(&counts(&[&[0, 1], &[2, 3], &[]], 4), 2, 2),
            Some(1.0)
        );
        assert_eq!(personalisation(&[2, 2, 0], 2, 2), Some(0.0));
        assert_eq!(personalisation(&[1, 1, 1, 1], 2, 2), Some(1.0));
        // k = 0: undefined
        assert_eq!(personalisation(&[1, 1], 2, 0), None);
    }
}
