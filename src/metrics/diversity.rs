//! Diversity, novelty and coverage (SPEC §7).
//!
//! Corpus values of a set of lists (one pass of item counting, [`diversity_corpus`]):
//! - `catalog_coverage` = |∪_u L_u| / |I| (top-k of every list, never the first k lists);
//! - `distributional_coverage_bits` = −Σ_i p(i) log2 p(i), p(i) = c_i / Σ_j c_j, c_i = times i is
//!   recommended;
//! - `personalisation` = 1 − Σ_i C(c_i, 2) / (C(n, 2) · k), n = the number of non-empty lists;
//!   exact and linear in items since Σ_{u<v} |L_u ∩ L_v| = Σ_i C(c_i, 2);
//! - `novelty` = mean over all recommendations of −log2 φ(i) (φ = 0 uses 1/U).
//!
//! Per-user values ([`diversity_metrics`]): `novelty_user` (the same mean over one list), `ild`
//! (intra-list diversity, mean over the k(k−1)/2 pairs) and `list_entropy` (bits).

use std::sync::LazyLock;

use rayon::prelude::*;

use crate::data::{Csr, Dataset, RecLists};
use crate::metrics::categories::{entropy_bits, CategoryDistribution, ItemCategories};
use crate::metrics::popularity::Popularity;
use crate::metrics::{finite, registry, CorpusValues, UserMetric};

/// Which item distance intra-list diversity uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IldDistance {
    /// Cosine distance when the items table has feature vectors, else category Jaccard distance.
    #[default]
    Auto,
    /// 1 − Jaccard similarity of the category sets.
    Jaccard,
    /// 1 − cosine similarity of the feature vectors.
    Cosine,
}

/// Settings of the diversity family.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DiversityConfig {
    /// Distance used by ILD.
    pub ild_distance: IldDistance,
}

/// How many of the lists of `users` contain each item (`c_i`; a list holds an item at most once).
pub fn item_counts(recs: &RecLists, users: &[u32], n_items: usize) -> Vec<u32> {
    let mut counts = vec![0u32; n_items];
    for &u in users {
        for &i in recs.row(u as usize) {
            counts[i as usize] += 1;
        }
    }
    counts
}

/// Catalog coverage |∪ L_u| / |I| from item counts (`None` for an empty catalog).
///
/// ```
/// use recaudit::metrics::diversity::catalog_coverage;
/// // 2 of 4 catalog items recommended: 2/4
/// assert_eq!(catalog_coverage(&[3, 0, 1, 0]), Some(0.5));
/// assert_eq!(catalog_coverage(&[]), None);
/// ```
pub fn catalog_coverage(counts: &[u32]) -> Option<f64> {
    let shown = counts.iter().filter(|&&c| c > 0).count();
    finite(shown as f64 / counts.len() as f64)
}

/// Distributional coverage in bits, −Σ p(i) log2 p(i), p(i) = c_i / Σ c (`None` when nothing is
/// recommended).
///
/// ```
/// use recaudit::metrics::diversity::distributional_coverage_bits;
/// // counts 2, 1, 1 → p = 1/2, 1/4, 1/4 → 0.5·1 + 2·0.25·2 = 1.5 bits
/// assert_eq!(distributional_coverage_bits(&[2, 1, 0, 1]), Some(1.5));
/// assert_eq!(distributional_coverage_bits(&[0, 0]), None);
/// ```
pub fn distributional_coverage_bits(counts: &[u32]) -> Option<f64> {
    let total: f64 = counts.iter().map(|&c| c as f64).sum();
    if total == 0.0 {
        return None;
    }
    let h = -counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / total;
            p * p.log2()
        })
        .sum::<f64>();
    Some(h.max(0.0))
}

/// Personalisation = 1 − mean over the C(n, 2) list pairs of |L_u ∩ L_v| / k, computed exactly from
/// item counts: Σ_{u<v} |L_u ∩ L_v| = Σ_i C(c_i, 2) (SPEC §7). `n_lists` counts the non-empty
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

/// Mean self-information −log2 φ(i) of a list (Zhou et al. 2010, "Solving the apparent diversity-
/// accuracy dilemma of recommender systems"); φ = 0 uses 1/U. NaN for an empty list.
///
/// ```
/// use recaudit::metrics::diversity::novelty;
/// // φ = 1/2 and 1/8: (1 + 3) / 2 = 2 bits
/// assert_eq!(novelty(&[0, 1], |i| [0.5, 0.125][i as usize]), 2.0);
/// assert!(novelty(&[], |_| 1.0).is_nan());
/// ```
pub fn novelty(list: &[u32], phi: impl Fn(u32) -> f64) -> f64 {
    mean_self_information(list, |i| -phi(i).log2())
}

/// The mean of `information(i)` over the list (NaN for an empty one): [`novelty`] given each
/// item's self-information −log2 φ(i).
fn mean_self_information(list: &[u32], information: impl Fn(u32) -> f64) -> f64 {
    list.iter().map(|&i| information(i)).sum::<f64>() / list.len() as f64
}

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
    ild_jaccard_prepared(list, &ItemCategories::new(categories))
}

/// [`ild_jaccard`] with the categories prepared once for many lists (the same value).
pub fn ild_jaccard_prepared(list: &[u32], categories: &ItemCategories) -> f64 {
    ild_jaccard_bitsets(list, categories)
        .unwrap_or_else(|| ild_jaccard_sorted(list, categories.csr))
}

/// [`ild_jaccard`] over each item's sorted category list (any number of categories).
fn ild_jaccard_sorted(list: &[u32], categories: &Csr<u32>) -> f64 {
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
            let inter = sorted_intersection(&sets[a], &sets[b]);
            let union = sets[a].len() + sets[b].len() - inter;
            sum += 1.0 - inter as f64 / union as f64;
            n += 1;
        }
    }
    sum / n as f64
}

/// 1 − inter / union for category sets of at most 64 categories (`union` in 1..=64), from a table
/// of those values computed once (the same bits; a list of 10 items has 45 pairs, and the
/// divisions were most of the ILD's time).
#[inline]
fn jaccard_distance(inter: u32, union: u32) -> f64 {
    const SIDE: usize = 65;
    static TABLE: LazyLock<Vec<f64>> = LazyLock::new(|| {
        (0..SIDE * SIDE)
            .map(|k| {
                let (union, inter) = ((k / SIDE) as u32, (k % SIDE) as u32);
                1.0 - f64::from(inter) / f64::from(union)
            })
            .collect()
    });
    TABLE[union as usize * SIDE + inter as usize]
}

/// [`ild_jaccard`] with each item's categories as a 64-bit set, without allocating: the same
/// pairs in the same order, so the same value. `None` when the list is longer than 32 items or
/// the categories have no 64-bit sets (then the sorted-list version is used).
fn ild_jaccard_bitsets(list: &[u32], categories: &ItemCategories) -> Option<f64> {
    const MAX_LIST: usize = 32;
    if list.len() > MAX_LIST {
        return None;
    }
    let mut sets = [0u64; MAX_LIST];
    let mut len = 0;
    for &i in list {
        let set = categories.set(i)?;
        if set != 0 {
            sets[len] = set;
            len += 1;
        }
    }
    let sets = &sets[..len];
    let (mut sum, mut n) = (0.0, 0usize);
    for (a, &x) in sets.iter().enumerate() {
        for &y in &sets[a + 1..] {
            let inter = (x & y).count_ones();
            let union = (x | y).count_ones();
            sum += jaccard_distance(inter, union);
            n += 1;
        }
    }
    Some(sum / n as f64)
}

fn sorted_intersection(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
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

/// Whether `ds` has a usable category column (one row per catalog item, at least one label).
pub(crate) fn has_categories(ds: &Dataset) -> bool {
    ds.items.categories.n_rows() == ds.items.n_items() && !ds.items.category_labels.is_empty()
}

/// Per-user diversity metrics of `ds.recs`: `novelty_user` (needs popularity; better higher),
/// `ild` (better higher; cosine or Jaccard per `cfg`, skipped when neither features nor categories
/// exist) and `list_entropy` (category entropy of the list in bits, NaN when no item of the list has
/// a category; better higher).
pub fn diversity_metrics(
    ds: &Dataset,
    pop: Option<&Popularity>,
    cfg: &DiversityConfig,
) -> Vec<UserMetric> {
    let mut out = diversity_metrics_but_list_entropy(ds, pop, cfg);
    out.extend(list_entropy_metric(ds));
    out
}

/// [`diversity_metrics`] without `list_entropy`, for a caller that computes it in its own pass
/// over the list distributions ([`crate::metrics::history_fit`]).
pub(crate) fn diversity_metrics_but_list_entropy(
    ds: &Dataset,
    pop: Option<&Popularity>,
    cfg: &DiversityConfig,
) -> Vec<UserMetric> {
    let recs = &ds.recs;
    let n = recs.n_rows();
    let cats = has_categories(ds).then_some(&ds.items.categories);
    let features = ds.items.features.as_deref();
    let use_cosine = match cfg.ild_distance {
        IldDistance::Auto => features.is_some(),
        IldDistance::Jaccard => false,
        IldDistance::Cosine => true,
    };
    let mut out = Vec::new();
    if let Some(pop) = pop {
        // −log2 φ(i) once per item rather than once per list position (10M logarithms at 10M
        // rows): the same values, summed in the same order as `novelty`.
        let information: Vec<f64> = (0..ds.items.n_items() as u32)
            .into_par_iter()
            .map(|i| -pop.phi_or_floor(i).log2())
            .collect();
        let values = (0..n)
            .into_par_iter()
            .map(|u| mean_self_information(recs.row(u), |i| information[i as usize]))
            .collect();
        out.push(UserMetric::new(&registry::NOVELTY_USER, values));
    }
    let prepared = cats.map(ItemCategories::new);
    match (use_cosine, features, &prepared) {
        (true, Some(f), _) => {
            let values = (0..n)
                .into_par_iter()
                .map(|u| ild_cosine(recs.row(u), f))
                .collect();
            out.push(UserMetric::new(&registry::ILD, values));
        }
        (false, _, Some(c)) => {
            let values = (0..n)
                .into_par_iter()
                .map(|u| ild_jaccard_prepared(recs.row(u), c))
                .collect();
            out.push(UserMetric::new(&registry::ILD, values));
        }
        _ => {}
    }
    out
}

/// `list_entropy` of every list of `ds.recs` (`None` without categories).
pub fn list_entropy_metric(ds: &Dataset) -> Option<UserMetric> {
    if !has_categories(ds) {
        return None;
    }
    let cats = ItemCategories::new(&ds.items.categories);
    let n_cats = ds.items.category_labels.len();
    let values = (0..ds.recs.n_rows())
        .into_par_iter()
        .map_init(
            || (vec![0.0; n_cats], CategoryDistribution::new()),
            |(scratch, d), u| {
                cats.distribution_into(ds.recs.row(u), None, scratch, d);
                list_entropy(d)
            },
        )
        .collect();
    Some(list_entropy_of_values(values))
}

/// The list entropy of a list category distribution `d`: H(d) in bits, NaN when `d` is empty (no
/// item of the list has a category).
#[inline]
pub fn list_entropy(d: &CategoryDistribution) -> f64 {
    list_entropy_of_bits(d, entropy_bits(d))
}

/// [`list_entropy`] of `d` given its entropy `h` in bits ([`entropy_bits`]), for a caller that
/// has it already.
#[inline]
pub fn list_entropy_of_bits(d: &CategoryDistribution, h: f64) -> f64 {
    if d.is_empty() {
        f64::NAN
    } else {
        h + 0.0 // a one-category list gives −0.0; report 0
    }
}

/// The `list_entropy` metric with one value per user.
pub(crate) fn list_entropy_of_values(values: Vec<f64>) -> UserMetric {
    UserMetric::new(&registry::LIST_ENTROPY, values)
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
        let (mut sum, mut n) = (0.0, 0u64);
        for (i, &c) in counts.iter().enumerate() {
            if c > 0 {
                sum += c as f64 * -pop.phi_or_floor(i as u32).log2();
                n += c as u64;
            }
        }
        put("novelty", finite(sum / n as f64));
    }
    cv
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{History, Items};
    use crate::metrics::popularity::PopularityConfig;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    fn dataset() -> Dataset {
        // 3 users, 5 items, k = 3; categories 0: {0}, 1: {0, 1}, 2: {1}, 3: {2}, 4: {}.
        Dataset {
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
        let m = diversity_metrics(&ds, Some(&pop), &DiversityConfig::default());
        let names: Vec<_> = m.iter().map(|m| m.name()).collect();
        assert_eq!(names, ["novelty_user", "ild", "list_entropy"]);
        // novelty: user 0 (0 + 1 + 2)/3 = 1; user 1 (0 + 2 + 1)/3 = 1; user 2 (2 + 2)/2 = 2
        assert_eq!(m[0].values, vec![1.0, 1.0, 2.0]);
        for u in 0..3 {
            let reference = novelty(ds.recs.row(u), |i| pop.phi_or_floor(i));
            assert_eq!(m[0].values[u].to_bits(), reference.to_bits());
        }
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

    proptest::proptest! {
        #[test]
        fn jaccard_bitsets_equal_sorted_lists(
            cats in proptest::collection::vec(proptest::collection::vec(0u32..70, 0..4), 1..12),
            list in proptest::collection::vec(0usize..12, 0..12),
        ) {
            let n = cats.len();
            let cats = Csr::from_rows(cats);
            let list: Vec<u32> = list.iter().map(|&i| (i % n) as u32).collect();
            let sorted = ild_jaccard_sorted(&list, &cats);
            match ild_jaccard_bitsets(&list, &ItemCategories::new(&cats)) {
                // Same pairs in the same order: exactly equal (or both NaN).
                Some(v) => proptest::prop_assert!(
                    v == sorted || (v.is_nan() && sorted.is_nan()),
                    "{} != {}", v, sorted
                ),
                // Without sets (an id of 64 or more, or a repeated one) the sorted lists are used.
                None => proptest::prop_assert!(ItemCategories::new(&cats).set(0).is_none()),
            }
        }
    }

    #[test]
    fn jaccard_distances_are_those_of_the_division() {
        for union in 1..=64u32 {
            for inter in 0..=union {
                let want = 1.0 - f64::from(inter) / f64::from(union);
                assert_eq!(jaccard_distance(inter, union).to_bits(), want.to_bits());
            }
        }
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
        let m = diversity_metrics(&ds, None, &DiversityConfig::default());
        // user 0: pairs (0,1) 1, (0,2) 0, (1,2) 1 → 2/3; user 2: item 3 is a zero vector → NaN
        close(m[0].values[0], 2.0 / 3.0);
        assert!(m[0].values[2].is_nan());
        let j = diversity_metrics(
            &ds,
            None,
            &DiversityConfig {
                ild_distance: IldDistance::Jaccard,
            },
        );
        close(j[0].values[0], 2.0 / 3.0);
        close(j[0].values[1], 2.5 / 3.0);
    }

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
    fn empty_and_single_inputs() {
        let ds = dataset();
        let cv = diversity_corpus(&ds, &[], None);
        close(cv.scalars["catalog_coverage"].unwrap(), 0.0);
        assert_eq!(cv.scalars["distributional_coverage_bits"], None);
        assert_eq!(cv.scalars["personalisation"], None);
        assert!(!cv.scalars.contains_key("novelty"));
        // identical lists: personalisation 0
        assert_eq!(personalisation(&[2, 2, 0], 2, 2), Some(0.0));
        // disjoint lists: 1
        assert_eq!(personalisation(&[1, 1, 1, 1], 2, 2), Some(1.0));
    }
}
