//! Diversity, novelty and coverage (docs/metrics.md), one file per metric, each with its formula, source
//! and tests:
//!
//! | metric | kind | file |
//! |---|---|---|
//! | `catalog_coverage`, `distributional_coverage_bits` | corpus | [`coverage`] |
//! | `personalisation` | corpus | [`personalisation`](mod@personalisation) |
//! | `novelty` (corpus), `novelty_user` | corpus, per user | [`novelty`](mod@novelty) |
//! | `ild` | per user | [`ild`] (definitions), [`ild_fast`] (speed path), [`ild_method`] (choice) |
//! | `list_entropy` | per user | [`list_entropy`](mod@list_entropy) |
//!
//! Corpus values of a set of lists come from one pass of item counting ([`diversity_corpus`]):
//! - `catalog_coverage` = |∪_u L_u| / |I| (top-k of every list, never the first k lists);
//! - `distributional_coverage_bits` = −Σ_i p(i) log2 p(i), p(i) = c_i / Σ_j c_j, c_i = times i is
//!   recommended;
//! - `personalisation` = 1 − Σ_i C(c_i, 2) / (C(n, 2) · k), n = the number of non-empty lists;
//!   exact and linear in items since Σ_{u<v} |L_u ∩ L_v| = Σ_i C(c_i, 2);
//! - `novelty` = mean over all recommendations of −log2 φ(i) (φ = 0 uses 1/U).
//!
//! Per-user values ([`diversity_metrics`]): `novelty_user` (the same mean over one list), `ild`
//! (intra-list diversity, mean over the k(k−1)/2 pairs) and `list_entropy` (bits). The audit takes
//! `novelty_user` and `ild` from [`novelty_and_ild_metrics`] and the list entropy from the one pass
//! over list and history category distributions ([`category_pass`](crate::metrics::category_pass)).

pub mod coverage;
pub mod ild;
pub mod ild_fast;
pub mod ild_method;
pub mod list_entropy;
pub mod novelty;
pub mod personalisation;

use rayon::prelude::*;

use crate::data::Dataset;
use crate::metrics::popularity::Popularity;
use crate::metrics::{registry, CorpusValues, UserMetric, USERS_PER_TASK};

pub(crate) use crate::metrics::categories::has_categories;
pub use coverage::{
    catalog_coverage, distributional_coverage_bits, item_counts, item_counts_of_lists,
};
pub use ild::{ild_cosine, ild_jaccard};
pub use ild_fast::ild_jaccard_fast;
pub use ild_method::IldMethod;
pub use list_entropy::{list_entropy, list_entropy_from_entropy, list_entropy_metric};
pub use novelty::{corpus_novelty, novelty, novelty_user_metric};
pub use personalisation::personalisation;

/// Per-user diversity metrics of `ds.recs`: `novelty_user` (needs popularity; better higher),
/// `ild` (better higher; cosine or Jaccard by the data, see [`IldMethod::choose`]; skipped when
/// neither features nor categories exist) and `list_entropy` (category entropy of the list in bits,
/// NaN when no item of the list has a category; better higher).
pub fn diversity_metrics(ds: &Dataset, pop: Option<&Popularity>) -> Vec<UserMetric> {
    let mut out = novelty_and_ild_metrics(ds, pop);
    out.extend(list_entropy_metric(ds));
    out
}

/// The `novelty_user` (with popularity) and `ild` (when [`IldMethod::choose`] finds one) metrics
/// of [`diversity_metrics`], in that order: all of them but the list entropy, which the audit
/// takes from [`category_pass`](crate::metrics::category_pass).
pub fn novelty_and_ild_metrics(ds: &Dataset, pop: Option<&Popularity>) -> Vec<UserMetric> {
    let mut out = Vec::new();
    if let Some(pop) = pop {
        out.push(novelty_user_metric(ds, pop));
    }
    if let Some(method) = IldMethod::choose(ds) {
        let recs = &ds.recs;
        let values = (0..recs.n_rows())
            .into_par_iter()
            .with_max_len(USERS_PER_TASK)
            .map(|u| method.ild(recs.row(u)))
            .collect();
        out.push(UserMetric::new(&registry::ILD, values));
    }
    out
}

/// Corpus diversity of the lists of `users`: `catalog_coverage`, `distributional_coverage_bits`,
/// `personalisation` (k = `ds.k`) and, with popularity, `novelty` (mean over all recommendations).
pub fn diversity_corpus(ds: &Dataset, users: &[u32], pop: Option<&Popularity>) -> CorpusValues {
    let counts = item_counts(&ds.recs, users, ds.items.n_items());
    diversity_corpus_of_counts(ds, users, &counts, pop)
}

/// [`diversity_corpus`] from the [`item_counts`] of the lists of `users`, for a caller that
/// needs the counts too (the exposure corpus).
pub fn diversity_corpus_of_counts(
    ds: &Dataset,
    users: &[u32],
    counts: &[u32],
    pop: Option<&Popularity>,
) -> CorpusValues {
    let n_lists = users
        .iter()
        .filter(|&&u| !ds.recs.row(u as usize).is_empty())
        .count();
    let mut cv = CorpusValues::default();
    let mut put = |k: &str, v: Option<f64>| {
        cv.scalars.insert(k.to_string(), v);
    };
    put("catalog_coverage", catalog_coverage(counts));
    put(
        "distributional_coverage_bits",
        distributional_coverage_bits(counts),
    );
    put("personalisation", personalisation(counts, n_lists, ds.k));
    if let Some(pop) = pop {
        put("novelty", corpus_novelty(counts, pop));
    }
    cv
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::data::{Csr, History, Items};
    use crate::metrics::popularity::PopularityConfig;

    pub(crate) fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    /// 3 users, 5 items, k = 3; categories 0: {0}, 1: {0, 1}, 2: {1}, 3: {2}, 4: {}; history
    /// popularity φ = [1, 0.5, 0.25, 0, 0] over U = 4 users.
    pub(crate) fn dataset() -> Dataset {
        Dataset {
            truth_propensity: None,
            n_users: 3,
            k: 3,
            recs: Csr::from_rows(vec![vec![0, 1, 2], vec![0, 3, 1], vec![3, 4]]),
            items: Items {
                ids: (0..5).map(|i| format!("i{i}")).collect(),
                category_labels: vec!["a".into(), "b".into(), "c".into()],
                categories: Csr::from_rows(vec![vec![0], vec![0, 1], vec![1], vec![2], vec![]]),
                ..Items::default()
            },
            history: Some(History {
                per_user: Csr::from_rows(vec![vec![0], vec![1], vec![]]),
                distinct_users: vec![4, 2, 1, 0, 0],
                interactions: vec![4, 2, 1, 0, 0],
                n_users: 4,
            }),
            ..Dataset::default()
        }
    }

    #[test]
    fn corpus_hand_worked() {
        let ds = dataset();
        let pop = Popularity::new(&ds, &PopularityConfig::default()).unwrap();
        let cv = diversity_corpus(&ds, &[0, 1, 2], Some(&pop));
        // counts c = [2, 2, 1, 2, 1] (8 recommendations): coverage 5/5 = 1
        close(cv.scalars["catalog_coverage"].unwrap(), 1.0);
        // p = [1/4, 1/4, 1/8, 1/4, 1/8] → 3·(1/4)·2 + 2·(1/8)·3 = 1.5 + 0.75 = 2.25 bits
        close(cv.scalars["distributional_coverage_bits"].unwrap(), 2.25);
        // Σ C(c,2) = 1 + 1 + 0 + 1 + 0 = 3; pairs C(3,2) = 3, k = 3 → 1 − 3/9 = 2/3
        // (explicit: |L0∩L1| = 2 {0,1}, |L0∩L2| = 0, |L1∩L2| = 1 {3}; mean/k = (3/3)/3 = 1/3)
        close(cv.scalars["personalisation"].unwrap(), 2.0 / 3.0);
        // φ = [1, 0.5, 0.25, 0, 0] with U = 4 → −log2 φ (0 → 1/4): [0, 1, 2, 2, 2]
        // novelty = (2·0 + 2·1 + 1·2 + 2·2 + 1·2) / 8 = 10/8
        close(cv.scalars["novelty"].unwrap(), 1.25);
    }

    #[test]
    fn per_user_hand_worked() {
        let ds = dataset();
        let pop = Popularity::new(&ds, &PopularityConfig::default()).unwrap();
        let m = diversity_metrics(&ds, Some(&pop));
        let names: Vec<_> = m.iter().map(|m| m.name()).collect();
        assert_eq!(names, ["novelty_user", "ild", "list_entropy"]);
        // novelty: user 0 (0 + 1 + 2)/3 = 1; user 1 (0 + 2 + 1)/3 = 1; user 2 (2 + 2)/2 = 2
        assert_eq!(m[0].values, vec![1.0, 1.0, 2.0]);
        // ILD user 0: (0,1): 1 − 1/2; (0,2): 1; (1,2): 1 − 1/2 → 2/3
        // user 1: (0,3): 1; (0,1): 1/2; (3,1): 1 → 2.5/3; user 2: item 4 has no category → NaN
        close(m[1].values[0], 2.0 / 3.0);
        close(m[1].values[1], 2.5 / 3.0);
        assert!(m[1].values[2].is_nan());
        // entropy user 0: a = 1 + 1/2, b = 1/2 + 1 → {1/2, 1/2} = 1 bit
        // user 2: only item 3 (c) counts → 0 bits
        close(m[2].values[0], 1.0);
        close(m[2].values[2], 0.0);
    }

    #[test]
    fn cosine_used_when_features_given() {
        let mut ds = dataset();
        ds.items.features = Some(vec![
            vec![1.0, 0.0],
            vec![0.0, 1.0],
            vec![1.0, 0.0],
            vec![0.0, 0.0],
            vec![1.0, 1.0],
        ]);
        let m = diversity_metrics(&ds, None);
        // user 0: pairs (0,1) 1, (0,2) 0, (1,2) 1 → 2/3; user 2: item 3 is a zero vector → NaN
        close(m[0].values[0], 2.0 / 3.0);
        assert!(m[0].values[2].is_nan());
        // the same lists by their categories
        let j = |u: usize| ild_jaccard(ds.recs.row(u), &ds.items.categories);
        close(j(0), 2.0 / 3.0);
        close(j(1), 2.5 / 3.0);
    }

    #[test]
    fn empty_and_single_inputs() {
        let ds = dataset();
        let cv = diversity_corpus(&ds, &[], None);
        close(cv.scalars["catalog_coverage"].unwrap(), 0.0);
        assert_eq!(cv.scalars["distributional_coverage_bits"], None);
        assert_eq!(cv.scalars["personalisation"], None);
        assert!(!cv.scalars.contains_key("novelty"));
    }
}
