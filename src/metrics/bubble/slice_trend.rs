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

/// The sums over a set of users that a [`SliceTrend`] (apart from its snapshots) is a function
/// of: per user with a defined slope, the slope and whether it falls or rises beyond
/// `slope_threshold`; per user with a defined mean overlap, the overlap and whether it reaches
/// `overlap_threshold`. Sums over users, so the sums of disjoint sets add up
/// ([`TrendSums::merge`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendSums {
    /// Users with a defined slope.
    pub n_slopes: u64,
    /// Σ slope, in the order the users were added (from −0.0, as `Iterator::sum`).
    pub slope_sum: f64,
    /// Users with slope < −`slope_threshold`.
    pub n_falling: u64,
    /// Users with slope > `slope_threshold`.
    pub n_rising: u64,
    /// Users with a defined mean overlap.
    pub n_overlaps: u64,
    /// Σ mean overlap, in the order the users were added (from −0.0).
    pub overlap_sum: f64,
    /// Users with mean overlap ≥ `overlap_threshold`.
    pub n_frozen: u64,
}

impl Default for TrendSums {
    /// The sums of no user (−0.0, the identity of f64 addition, as `Iterator::sum` starts).
    fn default() -> TrendSums {
        TrendSums {
            n_slopes: 0,
            slope_sum: -0.0,
            n_falling: 0,
            n_rising: 0,
            n_overlaps: 0,
            overlap_sum: -0.0,
            n_frozen: 0,
        }
    }
}

impl TrendSums {
    /// Adds one user's slope and mean overlap (NaN: undefined, skipped).
    pub fn add(&mut self, slope: f64, overlap: f64, cfg: &BubbleConfig) {
        if !slope.is_nan() {
            self.n_slopes += 1;
            self.slope_sum += slope;
            self.n_falling += u64::from(slope < -cfg.slope_threshold);
            self.n_rising += u64::from(slope > cfg.slope_threshold);
        }
        if !overlap.is_nan() {
            self.n_overlaps += 1;
            self.overlap_sum += overlap;
            self.n_frozen += u64::from(overlap >= cfg.overlap_threshold);
        }
    }

    /// The sums of the union of two disjoint sets of users (`self`'s sums first).
    pub fn merge(self, other: TrendSums) -> TrendSums {
        TrendSums {
            n_slopes: self.n_slopes + other.n_slopes,
            slope_sum: self.slope_sum + other.slope_sum,
            n_falling: self.n_falling + other.n_falling,
            n_rising: self.n_rising + other.n_rising,
            n_overlaps: self.n_overlaps + other.n_overlaps,
            overlap_sum: self.overlap_sum + other.overlap_sum,
            n_frozen: self.n_frozen + other.n_frozen,
        }
    }
}

/// The over-time summary and verdict of the users `users` (dense ids).
///
/// *Rule* (ε = `slope_threshold`, x = `verdict_min_share`), over the users with a defined slope:
/// - `narrowing` when mean slope < −ε and share falling ≥ x;
/// - `widening` when mean slope > ε and share rising ≥ x;
/// - `stable` otherwise; `undetermined` when no user has a slope.
///
/// Frozen lists and homogenisation (falling personalisation) are reported beside the verdict, not
/// folded into it. The users' slopes and overlaps are summed in the order of `users`
/// ([`TrendSums`]) and finished by [`trend_of_sums`].
pub fn slice_trend(ds: &Dataset, ot: &OverTime, users: &[u32], cfg: &BubbleConfig) -> SliceTrend {
    let mut sums = TrendSums::default();
    for &u in users {
        sums.add(ot.slopes[u as usize], ot.overlaps[u as usize], cfg);
    }
    trend_of_sums(&sums, snapshot_values(ds, Some(users)), cfg)
}

/// The [`SliceTrend`] of a set of users from its [`TrendSums`] and its snapshots' values (the rule
/// of [`slice_trend`]): means Σ / n, shares count / n, the personalisation slope over the
/// snapshots with a value.
pub fn trend_of_sums(
    sums: &TrendSums,
    snapshots: Vec<SnapshotValues>,
    cfg: &BubbleConfig,
) -> SliceTrend {
    let eps = cfg.slope_threshold;
    let ratio = |x: f64, n: u64| (n > 0).then(|| x / n as f64);
    let mean_slope = ratio(sums.slope_sum, sums.n_slopes);
    let share_falling = ratio(sums.n_falling as f64, sums.n_slopes);
    let share_rising = ratio(sums.n_rising as f64, sums.n_slopes);
    let verdict = match (mean_slope, share_falling, share_rising) {
        (Some(m), Some(f), _) if m < -eps && f >= cfg.verdict_min_share => Verdict::Narrowing,
        (Some(m), _, Some(r)) if m > eps && r >= cfg.verdict_min_share => Verdict::Widening,
        (Some(_), _, _) => Verdict::Stable,
        _ => Verdict::Undetermined,
    };
    let points: Vec<(f64, f64)> = snapshots
        .iter()
        .enumerate()
        .filter_map(|(t, s)| s.personalisation.map(|p| (t as f64, p)))
        .collect();
    let personalisation_slope = finite(least_squares_slope(&points));
    SliceTrend {
        n_users: sums.n_slopes as usize,
        mean_slope,
        share_falling,
        share_rising,
        mean_overlap: ratio(sums.overlap_sum, sums.n_overlaps),
        share_frozen: ratio(sums.n_frozen as f64, sums.n_overlaps),
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
