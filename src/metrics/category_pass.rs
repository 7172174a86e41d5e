//! The one pass over each user's list and history category distributions that computes three
//! metric families at once. It fuses these definitions:
//!
//! | metric | definition (file, function) | reference runner, held equal by the tests below |
//! |---|---|---|
//! | `list_entropy` | `diversity/list_entropy.rs`, [`list_entropy`](crate::metrics::diversity::list_entropy()) | [`list_entropy_metric`] |
//! | `miscalibration` | `calibration.rs`, [`miscalibration`](crate::metrics::calibration::miscalibration) | [`calibration_metrics`] |
//! | `narrowing_ratio`, `narrowed`, `history_category_coverage` | `bubble/narrowing.rs`, [`narrowing_of_distributions`](crate::metrics::bubble::narrowing_of_distributions) | [`narrowing_metrics`] |
//!
//! All three read the list distribution q(·|u) of docs/metrics.md, calibration and narrowing also the
//! history distribution p(·|u), and the list entropy H(q) is also the numerator of the narrowing
//! ratio. Computed family by family, each user's list distribution would be built three times and
//! the history's twice (half of the per-user metric time at 10M rows). Here they are built once,
//! into reused buffers, H(q) is computed once, and every logarithm is taken through a per-thread
//! [`LogMemo`]: the speed paths [`list_entropy_from_entropy`], [`miscalibration_memo`] and
//! [`narrowing_from_entropies`] of the definitions above, with [`entropy_bits_memo`] for the
//! entropies. The values are those of the definitions to the bit: the test
//! `one_pass_gives_the_values_of_each_family` compares them with the reference runners, and the
//! property test `equals_the_plain_definitions` compares every user with the definitions applied
//! to [`category_distribution`](crate::metrics::categories::category_distribution).
//!
//! The reference runners are used as they are when calibration's list distribution is
//! rank-weighted (then the two q differ), when there is no history, when the dataset has no
//! categories, or when the lists table does not hold one row per user.

use rayon::prelude::*;

use crate::data::Dataset;
use crate::metrics::bubble::narrowing::narrowing_metrics_from_values;
use crate::metrics::bubble::{
    narrowing_from_entropies, narrowing_metrics, row_or_empty, BubbleConfig, Narrowing,
};
use crate::metrics::calibration::{calibration_metrics, miscalibration_memo, CalibrationConfig};
use crate::metrics::categories::{
    entropy_bits_memo, has_categories, CategoryDistribution, ItemCategories,
};
use crate::metrics::diversity::{list_entropy_from_entropy, list_entropy_metric};
use crate::metrics::log_memo::LogMemo;
use crate::metrics::{registry, UserMetric, USERS_PER_TASK};

/// The metrics of [`category_pass_metrics`]: each empty (or `None`) when its own function gives
/// nothing.
#[derive(Debug, Default)]
pub struct CategoryPassMetrics {
    /// [`list_entropy_metric`].
    pub list_entropy: Option<UserMetric>,
    /// [`calibration_metrics`].
    pub calibration: Vec<UserMetric>,
    /// [`narrowing_metrics`].
    pub narrowing: Vec<UserMetric>,
}

/// The list entropy, calibration and narrowing metrics of `ds`, from one pass over the users'
/// list and history category distributions where they share them (see the module documentation).
pub fn category_pass_metrics(
    ds: &Dataset,
    calibration_cfg: &CalibrationConfig,
    bubble_cfg: &BubbleConfig,
) -> CategoryPassMetrics {
    let Some(history) = ds.history.as_ref() else {
        return CategoryPassMetrics {
            list_entropy: list_entropy_metric(ds),
            ..CategoryPassMetrics::default()
        };
    };
    if calibration_cfg.weight.is_some() || !has_categories(ds) || ds.recs.n_rows() != ds.n_users {
        return CategoryPassMetrics {
            list_entropy: list_entropy_metric(ds),
            calibration: calibration_metrics(ds, calibration_cfg),
            narrowing: narrowing_metrics(ds, bubble_cfg),
        };
    }
    let cats = ItemCategories::new(&ds.items.categories);
    let n_cats = ds.items.category_labels.len();
    let nan = f64::NAN;
    // One value per user and column, collected straight into the five columns (at 10M users a
    // vector of per-user tuples would be 400 MB more).
    type Columns = (Vec<f64>, (Vec<f64>, (Vec<f64>, (Vec<f64>, Vec<f64>))));
    let (entropy, (miscal, (ratio, (narrowed, coverage)))): Columns = (0..ds.n_users)
        .into_par_iter()
        .with_max_len(USERS_PER_TASK)
        .map_init(
            || {
                let d = CategoryDistribution::new;
                (vec![0.0; n_cats], d(), d(), LogMemo::default())
            },
            |(scratch, p, q, memo), u| {
                let list = ds.recs.row(u);
                let hist = row_or_empty(&history.per_user, u);
                cats.distribution_into(list, None, scratch, q);
                // H(q) serves the list entropy and the narrowing ratio.
                let h_list = entropy_bits_memo(q, memo);
                let entropy = list_entropy_from_entropy(q, h_list);
                // calibration_metrics: a non-empty list of a user within the history table;
                // user_narrowing: at least min_history history rows.
                let calibrated = !list.is_empty() && u < history.per_user.n_rows();
                let eligible = hist.len() >= bubble_cfg.min_history;
                if !calibrated && !eligible {
                    return (entropy, (nan, (nan, (nan, nan))));
                }
                cats.distribution_into(hist, None, scratch, p);
                let miscal = if calibrated {
                    miscalibration_memo(p, q, calibration_cfg.alpha, memo)
                } else {
                    nan
                };
                let n = eligible.then(|| {
                    let h_hist = entropy_bits_memo(p, memo);
                    narrowing_from_entropies(p, q, h_hist, h_list, bubble_cfg.narrowing_threshold)
                });
                let n = n.unwrap_or(Narrowing {
                    ratio: nan,
                    narrowed: nan,
                    coverage: nan,
                });
                (entropy, (miscal, (n.ratio, (n.narrowed, n.coverage))))
            },
        )
        .unzip();
    CategoryPassMetrics {
        list_entropy: Some(UserMetric::new(&registry::LIST_ENTROPY, entropy)),
        calibration: vec![UserMetric::new(&registry::MISCALIBRATION, miscal)],
        narrowing: narrowing_metrics_from_values(ratio, narrowed, coverage),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Csr, History, Items};
    use crate::metrics::bubble::narrowing_of_distributions;
    use crate::metrics::calibration::miscalibration;
    use crate::metrics::categories::category_distribution;
    use crate::metrics::diversity::list_entropy;
    use crate::metrics::PositionWeight;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// A random dataset: 40 items with 0–2 of 5 categories, 300 users with lists of 0–6 items and
    /// histories of 0–12 (the history table shorter than the user count, so some users have
    /// none).
    fn random_dataset(seed: u64) -> Dataset {
        random_dataset_of(seed, 5)
    }

    /// [`random_dataset`] with `n_cats` categories.
    fn random_dataset_of(seed: u64, n_cats: u32) -> Dataset {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n_items = 40;
        let categories = Csr::from_rows((0..n_items).map(|_| {
            let mut c: Vec<u32> = (0..rng.gen_range(0..=2))
                .map(|_| rng.gen_range(0..n_cats))
                .collect();
            c.sort_unstable();
            c.dedup();
            c
        }));
        let items = Items {
            ids: (0..n_items).map(|i| format!("i{i}")).collect(),
            category_labels: (0..n_cats).map(|c| format!("c{c}")).collect(),
            categories,
            ..Items::default()
        };
        let n_users = 300;
        let list = |rng: &mut ChaCha8Rng, max: usize| -> Vec<u32> {
            (0..rng.gen_range(0..=max))
                .map(|_| rng.gen_range(0..n_items as u32))
                .collect()
        };
        let recs = Csr::from_rows((0..n_users).map(|_| list(&mut rng, 6)));
        let per_user = Csr::from_rows((0..n_users - 20).map(|_| list(&mut rng, 12)));
        Dataset {
            truth_propensity: None,
            n_users,
            k: 6,
            recs,
            items,
            // Item counts are not used by these metrics.
            history: Some(History {
                n_users: per_user.n_rows(),
                per_user,
                ..History::default()
            }),
            ..Dataset::default()
        }
    }

    fn same(a: &[UserMetric], b: &[UserMetric]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert_eq!(x.definition, y.definition);
            // Bit for bit, NaN included.
            let bits = |m: &UserMetric| m.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(x), bits(y), "{}", x.name());
        }
    }

    #[test]
    fn one_pass_gives_the_values_of_each_family() {
        for seed in 0..5 {
            let ds = random_dataset(seed);
            let calib = CalibrationConfig::default();
            let bubble_cfg = BubbleConfig {
                min_history: 3,
                ..BubbleConfig::default()
            };
            let fit = category_pass_metrics(&ds, &calib, &bubble_cfg);
            let (c, n) = (&fit.calibration, &fit.narrowing);
            assert!(c[0].values.iter().any(|v| v.is_finite()));
            assert!(c[0].values.iter().any(|v| v.is_nan()));
            assert!(n[0].values.iter().any(|v| v.is_finite()));
            same(c, &calibration_metrics(&ds, &calib));
            same(n, &narrowing_metrics(&ds, &bubble_cfg));
            let entropy = fit.list_entropy.expect("categories");
            // Lists without a categorised item (NaN) and lists of users without history.
            assert!(entropy.values.iter().any(|v| v.is_nan()));
            assert!(entropy.values[280..].iter().any(|v| v.is_finite()));
            same(&[entropy], &[list_entropy_metric(&ds).unwrap()]);
            // Rank-weighted calibration takes the separate functions.
            let weighted = CalibrationConfig {
                weight: Some(PositionWeight::Log),
                ..calib
            };
            let fit = category_pass_metrics(&ds, &weighted, &bubble_cfg);
            same(&fit.calibration, &calibration_metrics(&ds, &weighted));
            same(&fit.narrowing, &narrowing_metrics(&ds, &bubble_cfg));
            same(
                &[fit.list_entropy.unwrap()],
                &[list_entropy_metric(&ds).unwrap()],
            );
        }
        // Without history: the list entropy only, as each family.
        let mut ds = random_dataset(9);
        ds.history = None;
        let fit =
            category_pass_metrics(&ds, &CalibrationConfig::default(), &BubbleConfig::default());
        assert!(fit.calibration.is_empty() && fit.narrowing.is_empty());
        same(
            &[fit.list_entropy.unwrap()],
            &[list_entropy_metric(&ds).unwrap()],
        );
        // The list entropy is that of diversity_metrics.
        let ds = random_dataset(3);
        let div = crate::metrics::diversity::diversity_metrics(&ds, None);
        let from_diversity = div
            .into_iter()
            .find(|m| m.name() == "list_entropy")
            .unwrap();
        same(&[from_diversity], &[list_entropy_metric(&ds).unwrap()]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        #[test]
        fn equals_the_plain_definitions(
            seed in proptest::prelude::any::<u64>(),
            // 5 categories (64-bit sets) or 70 (sorted lists)
            n_cats in proptest::prop_oneof![proptest::strategy::Just(5u32), proptest::strategy::Just(70u32)],
            min_history in 0usize..6,
        ) {
            let ds = random_dataset_of(seed, n_cats);
            let calib = CalibrationConfig::default();
            let bubble_cfg = BubbleConfig {
                min_history,
                ..BubbleConfig::default()
            };
            let fit = category_pass_metrics(&ds, &calib, &bubble_cfg);
            let history = ds.history.as_ref().unwrap();
            let csr = &ds.items.categories;
            let mut scratch = vec![0.0; n_cats as usize];
            let nan = f64::NAN;
            let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
            for u in 0..ds.n_users {
                let list = ds.recs.row(u);
                let hist = row_or_empty(&history.per_user, u);
                let q = category_distribution(list, None, csr, &mut scratch);
                let p = category_distribution(hist, None, csr, &mut scratch);
                let entropy = list_entropy(&q);
                let miscal = if !list.is_empty() && u < history.per_user.n_rows() {
                    miscalibration(&p, &q, calib.alpha)
                } else {
                    nan
                };
                let n = if hist.len() >= min_history {
                    narrowing_of_distributions(&p, &q, bubble_cfg.narrowing_threshold)
                } else {
                    Narrowing { ratio: nan, narrowed: nan, coverage: nan }
                };
                let got = [
                    fit.list_entropy.as_ref().unwrap().values[u],
                    fit.calibration[0].values[u],
                    fit.narrowing[0].values[u],
                    fit.narrowing[1].values[u],
                    fit.narrowing[2].values[u],
                ];
                let want = [entropy, miscal, n.ratio, n.narrowed, n.coverage];
                for (g, w) in got.iter().zip(&want) {
                    proptest::prop_assert!(same(*g, *w), "user {}: {:?} != {:?}", u, got, want);
                }
            }
        }
    }
}
