//! The over-time picture of a set of users (a slice group, or everyone) and its verdict: narrowing,
//! stable, widening or undetermined (docs/metrics.md), from the per-user slopes and overlaps of
//! [`over_time`](mod@super::over_time).

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::metrics::bubble::over_time::{
    least_squares_slope, snapshot_values, OverTime, SnapshotValues,
};
use crate::metrics::bubble::BubbleConfig;
use crate::metrics::finite;

/// The direction of a slice's list diversity over snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Diversity falls for the slice.
    Narrowing,
    /// Neither narrowing nor widening.
    Stable,
    /// Diversity rises for the slice.
    Widening,
    /// No user of the slice has lists in two snapshots.
    Undetermined,
}

/// The over-time picture of one set of users (a slice group, or everyone), with its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceTrend {
    /// Users of the set with a defined slope (lists in ≥ 2 snapshots).
    pub n_users: usize,
    /// Mean per-user entropy slope, bits per snapshot.
    pub mean_slope: Option<f64>,
    /// Share of those users with slope < −`slope_threshold`.
    pub share_falling: Option<f64>,
    /// Share of those users with slope > `slope_threshold`.
    pub share_rising: Option<f64>,
    /// Mean of the per-user mean overlap of successive lists.
    pub mean_overlap: Option<f64>,
    /// Share of those users with mean overlap ≥ `overlap_threshold`.
    pub share_frozen: Option<f64>,
    /// Per snapshot values of the set's lists.
    pub snapshots: Vec<SnapshotValues>,
    /// Least-squares slope of personalisation over the snapshot index (snapshots with a value).
    pub personalisation_slope: Option<f64>,
    /// Personalisation slope < −`homogenisation_threshold`.
    pub homogenising: bool,
    /// The verdict (see [`slice_trend`]).
    pub verdict: Verdict,
}

/// The over-time summary and verdict of the users `users` (dense ids).
///
/// *Rule* (ε = `slope_threshold`, x = `verdict_min_share`), over the users with a defined slope:
/// - `narrowing` when mean slope < −ε and share falling ≥ x;
/// - `widening` when mean slope > ε and share rising ≥ x;
/// - `stable` otherwise; `undetermined` when no user has a slope.
///
/// Frozen lists and homogenisation (falling personalisation) are reported beside the verdict, not
/// folded into it.
pub fn slice_trend(ds: &Dataset, ot: &OverTime, users: &[u32], cfg: &BubbleConfig) -> SliceTrend {
    let eps = cfg.slope_threshold;
    let slopes: Vec<f64> = users
        .iter()
        .map(|&u| ot.slopes[u as usize])
        .filter(|s| !s.is_nan())
        .collect();
    let overlaps: Vec<f64> = users
        .iter()
        .map(|&u| ot.overlaps[u as usize])
        .filter(|o| !o.is_nan())
        .collect();
    let n = slopes.len();
    let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    let share = |v: &[f64], pred: &dyn Fn(f64) -> bool| {
        (!v.is_empty()).then(|| v.iter().filter(|&&x| pred(x)).count() as f64 / v.len() as f64)
    };
    let mean_slope = mean(&slopes);
    let share_falling = share(&slopes, &|s| s < -eps);
    let share_rising = share(&slopes, &|s| s > eps);
    let verdict = match (mean_slope, share_falling, share_rising) {
        (Some(m), Some(f), _) if m < -eps && f >= cfg.verdict_min_share => Verdict::Narrowing,
        (Some(m), _, Some(r)) if m > eps && r >= cfg.verdict_min_share => Verdict::Widening,
        (Some(_), _, _) => Verdict::Stable,
        _ => Verdict::Undetermined,
    };
    let snapshots = snapshot_values(ds, Some(users));
    let points: Vec<(f64, f64)> = snapshots
        .iter()
        .enumerate()
        .filter_map(|(t, s)| s.personalisation.map(|p| (t as f64, p)))
        .collect();
    let personalisation_slope = finite(least_squares_slope(&points));
    SliceTrend {
        n_users: n,
        mean_slope,
        share_falling,
        share_rising,
        mean_overlap: mean(&overlaps),
        share_frozen: share(&overlaps, &|o| o >= cfg.overlap_threshold),
        homogenising: personalisation_slope.is_some_and(|s| s < -cfg.homogenisation_threshold),
        personalisation_slope,
        snapshots,
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::bubble::over_time::over_time;
    use crate::metrics::bubble::test_fixtures::{close, snapshot_dataset};

    #[test]
    fn slice_verdicts() {
        let ds = snapshot_dataset();
        let cfg = BubbleConfig::default();
        let ot = over_time(&ds, &cfg).unwrap();
        // user 0 alone: slope −0.594 < −0.1 and share falling 1 ≥ 0.5 → narrowing
        let t = slice_trend(&ds, &ot, &[0], &cfg);
        assert_eq!(t.verdict, Verdict::Narrowing);
        assert_eq!((t.n_users, t.share_falling), (1, Some(1.0)));
        // user 2 alone: slope 1 → widening
        assert_eq!(slice_trend(&ds, &ot, &[2], &cfg).verdict, Verdict::Widening);
        // users 0 and 1: mean slope −0.297 < −0.1, share falling 1/2 ≥ 0.5 → narrowing;
        // share frozen 1/2 (user 1's overlap 1); users 0, 1, 2: mean slope +0.135 → stable
        let t = slice_trend(&ds, &ot, &[0, 1], &cfg);
        assert_eq!(t.verdict, Verdict::Narrowing);
        assert_eq!(t.share_frozen, Some(0.5));
        let t = slice_trend(&ds, &ot, &[0, 1, 2, 3], &cfg);
        assert_eq!(t.n_users, 3); // user 3 has no slope
        assert_eq!(t.verdict, Verdict::Stable);
        // a stricter share rule turns users 0 and 1 stable
        let strict = BubbleConfig {
            verdict_min_share: 0.6,
            ..cfg.clone()
        };
        assert_eq!(
            slice_trend(&ds, &ot, &[0, 1], &strict).verdict,
            Verdict::Stable
        );
        // user 3 alone: no slope → undetermined
        assert_eq!(
            slice_trend(&ds, &ot, &[3], &cfg).verdict,
            Verdict::Undetermined
        );
        // users 0 and 1 per snapshot: t0 lists [0 1 2 3], [0 1 4 5]: Σ C = 2 → 1 − 2/4 = 0.5;
        // t1 identical lists: 0; t2 [4 6 7 8], [0 1 4 5]: 1 − 1/4 = 0.75.
        // personalisation slope over (0, .5), (1, 0), (2, .75) = (0.75 − 0.5)/2 = 0.125
        let t = slice_trend(&ds, &ot, &[0, 1], &cfg);
        let p: Vec<f64> = t
            .snapshots
            .iter()
            .map(|s| s.personalisation.unwrap())
            .collect();
        assert_eq!(p, [0.5, 0.0, 0.75]);
        close(t.personalisation_slope.unwrap(), 0.125);
        assert!(!t.homogenising);
    }
}
