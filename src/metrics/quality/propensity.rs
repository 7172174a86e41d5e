//! Observation propensities of held-out relevant items, for the self-normalised inverse propensity
//! (SNIPS) quality metrics: the popularity model of Yang et al. (2018) as LensKit computes it, and
//! the fit of its exponent γ to the audited lists.

use crate::data::Csr;
use crate::stats::quantile::quantile_unsorted;

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

/// The exponent γ of [`popularity_propensity`]: a number given in the settings, or fitted to the
/// audited lists by [`estimate_propensity_gamma`] (`"estimate"` in the settings file and on the
/// command line).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PropensityGamma {
    /// γ as given (at least −1).
    Given(f64),
    /// γ fitted to the audited lists.
    Estimate,
}

impl PropensityGamma {
    /// The word that selects [`PropensityGamma::Estimate`].
    pub const ESTIMATE: &'static str = "estimate";

    /// γ when it is given.
    pub fn given(self) -> Option<f64> {
        match self {
            PropensityGamma::Given(g) => Some(g),
            PropensityGamma::Estimate => None,
        }
    }
}

impl std::str::FromStr for PropensityGamma {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == Self::ESTIMATE {
            return Ok(PropensityGamma::Estimate);
        }
        s.parse::<f64>()
            .map(PropensityGamma::Given)
            .map_err(|_| format!("expected a number of at least -1 or `{}`", Self::ESTIMATE))
    }
}

impl serde::Serialize for PropensityGamma {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PropensityGamma::Given(g) => s.serialize_f64(*g),
            PropensityGamma::Estimate => s.serialize_str(Self::ESTIMATE),
        }
    }
}

impl<'de> serde::Deserialize<'de> for PropensityGamma {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = PropensityGamma;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(f, "a number or \"{}\"", PropensityGamma::ESTIMATE)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(PropensityGamma::Given(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(PropensityGamma::Given(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(PropensityGamma::Given(v as f64))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v == PropensityGamma::ESTIMATE {
                    Ok(PropensityGamma::Estimate)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// Items whose popularity is above this quantile are left out of the fit of γ (the paper's top
/// 0.5%).
pub const GAMMA_FIT_EXCLUDED_QUANTILE: f64 = 0.005;

/// Lists are read to this depth in the fit of γ (the paper's 50).
pub const GAMMA_FIT_DEPTH: usize = 50;

/// The exponent γ of a recommender's presentation bias, fitted to its lists (Yang et al. 2018,
/// §4.2; computed as LensKit's `estimate_power_law_gamma`, `count="users"`, n = 50,
/// `exclude_quantile` = 0.005): presentation is modelled as P_select(i) ∝ pop(i)^γ ∝ f(pop(i)),
/// f(n) the mean number of lists showing an item of popularity n, so γ is the least-squares
/// slope of ln f(n) on ln n over the popularity levels n:
///
/// γ = Σ_n (x_n − x̄)(y_n − ȳ) / Σ_n (x_n − x̄)²,  x_n = ln n, y_n = ln f(n)
///
/// Conventions (LensKit's): only items with pop(i) > 0 take part, each counted in f with 0 when
/// no list shows it; items with pop(i) above the 99.5th percentile of those popularities (linear
/// interpolation, numpy's default) are left out; each list is read to its first 50 items; levels
/// with f(n) = 0 are dropped. `None` when fewer than two levels remain (the fit is undefined, as
/// when every list is the same few items).
///
/// ```
/// use recaudit::data::Csr;
/// use recaudit::metrics::quality::estimate_propensity_gamma;
/// // pop 1, 2, 4 shown in 1, 2, 4 lists (f ∝ n): γ = 1.
/// let lists = Csr::from_rows(vec![vec![0u32, 1, 2], vec![1, 2], vec![2], vec![2]]);
/// let gamma = estimate_propensity_gamma(&lists, &[1.0, 2.0, 4.0, 400.0]).unwrap();
/// assert!((gamma - 1.0).abs() < 1e-12);
/// ```
pub fn estimate_propensity_gamma(lists: &Csr<u32>, pop: &[f64]) -> Option<f64> {
    fit_propensity_gamma(&lists_showing(lists, pop.len()), pop)
}

/// Per item of a catalog of `n_items`, the number of `lists` showing it among their first
/// [`GAMMA_FIT_DEPTH`] items: what [`estimate_propensity_gamma`] reads from the lists. A sum over
/// lists, so the counts of partitions of the users add up to the whole's.
pub fn lists_showing(lists: &Csr<u32>, n_items: usize) -> Vec<u64> {
    let mut shown = vec![0u64; n_items];
    for list in lists.rows() {
        for &item in list.iter().take(GAMMA_FIT_DEPTH) {
            if let Some(n) = shown.get_mut(item as usize) {
                *n += 1;
            }
        }
    }
    shown
}

/// [`estimate_propensity_gamma`] from the lists' counts ([`lists_showing`]; `shown[i]` for item
/// i of `pop`).
pub fn fit_propensity_gamma(shown: &[u64], pop: &[f64]) -> Option<f64> {
    let mut seen: Vec<f64> = pop
        .iter()
        .copied()
        .filter(|&p| p > 0.0 && p.is_finite())
        .collect();
    let cut = quantile_unsorted(&mut seen, 1.0 - GAMMA_FIT_EXCLUDED_QUANTILE)?;
    // Mean number of lists per popularity level; levels ordered by popularity.
    let mut levels: std::collections::BTreeMap<u64, (f64, f64)> = Default::default();
    for (item, &p) in pop.iter().enumerate() {
        if p > 0.0 && p.is_finite() && p <= cut {
            let level = levels.entry(p.to_bits()).or_insert((0.0, 0.0));
            level.0 += shown[item] as f64;
            level.1 += 1.0;
        }
    }
    let points: Vec<(f64, f64)> = levels
        .into_iter()
        .filter(|(_, (sum, _))| *sum > 0.0)
        .map(|(bits, (sum, count))| (f64::from_bits(bits).ln(), (sum / count).ln()))
        .collect();
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let x_mean = points.iter().map(|p| p.0).sum::<f64>() / n;
    let y_mean = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points
        .iter()
        .map(|(x, y)| (x - x_mean) * (y - y_mean))
        .sum();
    let sxx: f64 = points.iter().map(|(x, _)| (x - x_mean).powi(2)).sum();
    Some(sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_propensity_gamma_matches_lenskit() {
        // LensKit's estimate_power_law_gamma (lenskit.metrics.ranking, 2025) on these popularities
        // and lists gives 0.8849837462894967: item 9 (pop 40) is above the 99.5th percentile
        // (38.72) and left out, item 5 (pop 0) takes no part, and the levels are
        // f(1) = 1, f(2) = 1, f(3) = 2, f(5) = 4, f(8) = 5.
        let pop = [3.0, 1.0, 2.0, 3.0, 5.0, 0.0, 8.0, 2.0, 1.0, 40.0];
        let lists = Csr::from_rows(vec![
            vec![0u32, 4, 6],
            vec![4, 6, 9],
            vec![6, 9, 2],
            vec![1, 3, 4],
            vec![9, 6, 0],
            vec![7, 4, 6],
            vec![3, 9, 8],
        ]);
        let gamma = estimate_propensity_gamma(&lists, &pop).unwrap();
        assert!((gamma - 0.8849837462894967).abs() < 1e-12, "{gamma}");
        // One level shown: no slope.
        let one = Csr::from_rows(vec![vec![0u32], vec![0]]);
        assert_eq!(estimate_propensity_gamma(&one, &[2.0, 2.0, 0.0]), None);
        assert_eq!(estimate_propensity_gamma(&one, &[]), None);
        // Only the first 50 items of a list count.
        let long = Csr::from_rows(vec![(0..60u32).collect::<Vec<_>>(), vec![0, 1]]);
        let mut pop = vec![1.0; 60];
        pop[0] = 2.0;
        pop[55] = 3.0; // above the 99.5th percentile (2.705): left out
                       // Items 50.. are past the depth: f(1) = (2 + 48) / 58 (item 1 twice, items 2..=49 once,
                       // over the 58 items of pop 1); f(2) = 2 (item 0).
        let f1: f64 = (2.0 + 48.0) / 58.0;
        let want = (2f64.ln() - f1.ln()) / 2f64.ln();
        let gamma = estimate_propensity_gamma(&long, &pop).unwrap();
        assert!((gamma - want).abs() < 1e-12, "{gamma} vs {want}");
    }

    #[test]
    fn propensity_gamma_reads_a_number_or_estimate() {
        assert_eq!("2.5".parse(), Ok(PropensityGamma::Given(2.5)));
        assert_eq!("estimate".parse(), Ok(PropensityGamma::Estimate));
        assert!("fit".parse::<PropensityGamma>().is_err());
        let json = |g: PropensityGamma| serde_json::to_string(&g).unwrap();
        assert_eq!(json(PropensityGamma::Given(2.0)), "2.0");
        assert_eq!(json(PropensityGamma::Estimate), "\"estimate\"");
        let read = |t: &str| serde_json::from_str::<PropensityGamma>(t);
        assert_eq!(read("3").unwrap(), PropensityGamma::Given(3.0));
        assert_eq!(read("\"estimate\"").unwrap(), PropensityGamma::Estimate);
        assert!(read("\"fit\"").is_err());
    }

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
