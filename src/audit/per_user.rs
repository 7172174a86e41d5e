//! Every per-user metric family, in one order: the one-pass audit and each partition of the
//! partitioned audit compute them here.

use crate::data::Dataset;
use crate::metrics::bubble::{self, OverTime};
use crate::metrics::calibration::CalibrationConfig;
use crate::metrics::exposure::{self, ExposureConfig};
use crate::metrics::popularity::{self, Popularity};
use crate::metrics::{category_pass, diversity, quality, rbo, UserMetric};
use crate::settings::AuditConfig;

/// The per-user metrics of a dataset, with what the later steps use of their computation.
pub(crate) struct PerUserMetrics {
    /// Every metric, in the order of [`all_families`].
    pub metrics: Vec<UserMetric>,
    /// Whether the SNIPS metrics were computed (a truth table, and propensities given or
    /// modelled from the popularity).
    pub snips: bool,
    /// The snapshots' metrics, when the recommendations have snapshots.
    pub over_time: Option<OverTime>,
}

/// The per-user metrics of `ds`, family by family: quality; popularity (with `pop`), SNIPS (with
/// the propensities given in the truth table, else `pop`'s raised to `gamma`), novelty and
/// intra-list diversity; list entropy and calibration; AWRF; expected exposure; narrowing;
/// over-personalisation; the over-time metrics; RBO. Three groups of families run at once
/// (each family is parallel over users), so that one family's sequential parts (building its
/// tables, the propensities, its last users) overlap the others' passes; each value is computed
/// by one thread, so nothing depends on the scheduling.
pub(crate) fn all_families(
    ds: &Dataset,
    pop: Option<&Popularity>,
    gamma: f64,
    cfg: &AuditConfig,
) -> PerUserMetrics {
    let quality = || match &ds.truth {
        Some(truth) => quality::quality_metrics(&ds.recs, truth, ds.k),
        None => Vec::new(),
    };
    let popularity_families = || {
        let popularity = pop.map_or_else(Vec::new, |p| popularity::popularity_metrics(ds, p));
        let snips = ds.truth.as_ref().and_then(|truth| {
            let popularity = pop.map(|p| p.pop.as_slice());
            let given = ds.truth_propensity.as_deref();
            quality::truth_propensities(truth, given, popularity, gamma)
                .map(|p| quality::snips_metrics(&ds.recs, truth, &p, ds.k))
        });
        let novelty_and_ild = diversity::novelty_and_ild_metrics(ds, pop);
        (popularity, snips, novelty_and_ild)
    };
    let list_families = || {
        let calib = CalibrationConfig {
            alpha: cfg.calibration_alpha,
            weight: None,
        };
        // List entropy, calibration and narrowing share each user's list distribution (and the
        // latter two the history's): one pass.
        let fit = category_pass::category_pass_metrics(ds, &calib, &cfg.bubble);
        let awrf = exposure::awrf_metrics(ds);
        let expected_exposure = if ds.samples.is_empty() {
            Vec::new()
        } else {
            let exposure_cfg = ExposureConfig {
                weight: cfg.position_weight,
            };
            exposure::expected_exposure_metrics(ds, &exposure_cfg)
        };
        let over_personalisation = bubble::over_personalisation(ds, &cfg.bubble);
        let over_time = bubble::over_time(ds, &cfg.bubble);
        let rbo = ds
            .baseline
            .as_ref()
            .map(|baseline| rbo::rbo_metric(&ds.recs, baseline, cfg.rbo_persistence()));
        (
            fit,
            awrf,
            expected_exposure,
            over_personalisation,
            over_time,
            rbo,
        )
    };
    let ((quality, (popularity, snips, novelty_and_ild)), lists) =
        rayon::join(|| rayon::join(quality, popularity_families), list_families);
    let (fit, awrf, expected_exposure, over_personalisation, over_time, rbo) = lists;
    let mut metrics = quality;
    metrics.extend(popularity);
    let computed_snips = snips.is_some();
    metrics.extend(snips.into_iter().flatten());
    metrics.extend(novelty_and_ild);
    metrics.extend(fit.list_entropy);
    metrics.extend(fit.calibration);
    metrics.extend(awrf);
    metrics.extend(expected_exposure);
    metrics.extend(fit.narrowing);
    metrics.extend(over_personalisation);
    if let Some(ot) = &over_time {
        metrics.extend(ot.user_metrics.iter().cloned());
    }
    metrics.extend(rbo);
    PerUserMetrics {
        metrics,
        snips: computed_snips,
        over_time,
    }
}
