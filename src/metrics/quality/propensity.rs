//! Observation propensities of held-out relevant items, for the self-normalised inverse propensity
//! (SNIPS) quality metrics: the popularity model of Yang et al. (2018) as LensKit computes it, and
//! the inverse propensity weights of a user's relevant items.

/// Propensity of every item from its popularity (Yang, Cui, Xiong, Chen & Estrin 2018, "Unbiased
/// offline recommender evaluation for missing-not-at-random implicit feedback", RecSys,
/// doi:10.1145/3240323.3240355): an item is observed when it is presented, with probability
/// ∝ pop^γ, and then interacted with; eliminating the unobserved true popularity gives
/// P_i ∝ pop(i)^((γ+1)/2). Scaled as LensKit's `PopularityPropensity` does, so that the most
/// popular item has P = 1 and every weight 1/P_i is at least 1:
///
/// P_i = (max(pop(i), 1) / max_j max(pop(j), 1))^((γ+1)/2)
///
/// Conventions: an item with popularity 0 counts as 1 (LensKit: "items with no interactions ...
/// are counted as one interaction"); γ = −1 gives P = 1 for every item; no clipping of the
/// weights. The SNIPS metrics are invariant to the scale of P, so only the exponent matters.
///
/// ```
/// use recaudit::metrics::quality::popularity_propensity;
/// // pop 4, 1, 0 with γ = 1 (exponent 1): 4/4, 1/4, and 0 counted as 1: 1/4
/// assert_eq!(popularity_propensity(&[4.0, 1.0, 0.0], 1.0), [1.0, 0.25, 0.25]);
/// assert_eq!(popularity_propensity(&[4.0, 1.0], -1.0), [1.0, 1.0]);
/// ```
pub fn popularity_propensity(pop: &[f64], gamma: f64) -> Vec<f64> {
    let exponent = (gamma + 1.0) / 2.0;
    let count = |p: f64| if p.is_finite() { p.max(1.0) } else { 1.0 };
    let top = pop.iter().copied().map(count).fold(1.0, f64::max);
    pop.iter()
        .map(|&p| (count(p) / top).powf(exponent))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popularity_propensity_hand_worked() {
        // pop 9, 4, 1 with γ = 2: exponent 3/2; (9/9)^1.5 = 1, (4/9)^1.5 = 8/27, (1/9)^1.5 = 1/27
        let p = popularity_propensity(&[9.0, 4.0, 1.0], 2.0);
        assert!((p[0] - 1.0).abs() < 1e-12);
        assert!((p[1] - 8.0 / 27.0).abs() < 1e-12);
        assert!((p[2] - 1.0 / 27.0).abs() < 1e-12);
        assert!(popularity_propensity(&[], 2.0).is_empty());
        // Every propensity is in (0, 1].
        let p = popularity_propensity(&[0.0, 3.0, 1e9, f64::NAN], 3.0);
        assert!(p.iter().all(|&x| x > 0.0 && x <= 1.0), "{p:?}");
    }
}
