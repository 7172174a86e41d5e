//! Compare mode: a baseline and a candidate audit side by side, with the change of every metric
//! (overall and per slice group) and whether it is significant.
//!
//! # Rows
//! Per-user metrics (overall and per unsuppressed slice group), corpus scalars (overall and per
//! group), share families per item group (overall and per group) and the segregation NMI per slice
//! column. A row present in one audit only has an undefined change.
//!
//! # Significance rule
//! A two-sided z-test from the two intervals, then Holm's step-down adjustment across every row of
//! the table:
//! - each run's standard error is read off its percentile interval:
//!   se = (ci_high − ci_low) / (2 · z_{(1+c)/2}), c = that run's `stats.confidence`;
//! - z = (candidate − baseline) / √(se_b² + se_c²), p = 2 (1 − Φ(|z|)); when both se are 0 the
//!   values are exact and p is 0 when they differ, 1 when equal;
//! - a change is **significant** when its Holm-adjusted p (over every row with a p-value) is below
//!   the candidate's `stats.alpha`.
//!
//! Holm controls the family-wise error rate: when nothing changed (a re-run of the same model with
//! another seed), the chance that *any* of the hundreds of rows is flagged is at most α. The
//! Benjamini–Hochberg adjustment used for disparities within one audit would not do here: it adapts
//! to the number of real changes, and when many rows really differ (another catalog, another user
//! population) it lets noise rows through with them.
//!
//! Rows without intervals on both sides (corpus scalars, NMI, `--bootstrap 0`) get no p-value and
//! are never significant. The test treats the two runs as independent samples; when both audited
//! the same users their estimates are positively correlated and the test is conservative (it
//! overstates the variance of the change).
//!
//! `max_regression` gates use the same raw p-values but adjust them (Benjamini–Hochberg) only
//! across the rows their own gate judges, as disparities are adjusted across one column's groups:
//! a gate is a hypothesis stated in advance, not a search through the table.
//!
//! The change's interval is the normal one, Δ ± z_{(1+c)/2} · √(se_b² + se_c²).
//!
//! The comparison as text: [`Comparison::summary`] (what `recaudit compare` prints) and
//! [`Comparison::table`] (every row, written to `compare.txt`).
//!
//! # Comparable audits
//! Two audits compare only when they computed the same numbers: [`setting_differences`] lists the
//! settings that differ, split into those that change the metrics' values (the cutoff k, the
//! position weight, ...; the caller refuses the comparison) and those that change only the
//! intervals (resamples, seeds, ...; the caller warns).

mod table;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::metrics::Better;
use crate::result::AuditResult;
use crate::settings::AuditConfig;
use crate::stats::Estimate;

use super::rule::{NMI, OVERALL};
use crate::metrics::registry;

/// What a row's metric is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// A per-user metric's mean.
    User,
    /// A corpus scalar.
    Corpus,
    /// An item group's share.
    Share,
    /// Segregation NMI of a slice column.
    Segregation,
}

/// Which way a metric moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Moved in the better direction.
    Better,
    /// Moved in the worse direction.
    Worse,
    /// Moved, and neither direction is better.
    Changed,
    /// Equal.
    Same,
}

/// One metric at one scope, in both runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeRow {
    /// The metric (for shares `<family>_<item column>`; for segregation `nmi`).
    pub metric: String,
    /// What the metric is.
    pub kind: RowKind,
    /// Which direction is better.
    pub better: Better,
    /// `overall` or a slice column.
    pub slice: String,
    /// The slice group (`None` overall).
    pub group: Option<String>,
    /// The item group, for shares.
    pub item_group: Option<String>,
    /// The baseline's value.
    pub baseline: Estimate,
    /// The candidate's value.
    pub candidate: Estimate,
    /// candidate − baseline, with the normal interval of the module docs; n = min of the two.
    pub change: Estimate,
    /// The change in the worse direction (positive = worse): baseline − candidate when higher is
    /// better, candidate − baseline when lower is better, |change| for neutral metrics.
    pub worse_by: Option<f64>,
    /// Two-sided p-value of the z-test (module docs); `None` without intervals on both sides.
    pub p_value: Option<f64>,
    /// Holm-adjusted over every row of the comparison with a p-value.
    pub p_adjusted: Option<f64>,
    /// p_adjusted < alpha.
    pub significant: bool,
    /// Which way it moved (`None` when undefined in either run).
    pub direction: Option<Direction>,
}

impl ChangeRow {
    /// `overall`, `gender=F`, `provider=indie`, `gender=F provider=indie`.
    pub fn scope(&self) -> String {
        let mut s = match &self.group {
            Some(g) => format!("{}={g}", self.slice),
            None if self.slice != OVERALL => self.slice.clone(),
            None => String::new(),
        };
        if let Some(ig) = &self.item_group {
            let col = registry::share_family_of(&self.metric).map_or("item_group", |(_, c)| c);
            if !s.is_empty() {
                s.push(' ');
            }
            let _ = write!(s, "{col}={ig}");
        }
        if s.is_empty() {
            OVERALL.to_string()
        } else {
            s
        }
    }
}

/// Identification of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// recaudit version that wrote it.
    pub tool_version: String,
    /// Audited users.
    pub users_audited: usize,
    /// Bootstrap seed.
    pub seed: u64,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Interval level.
    pub confidence: f64,
}

impl RunInfo {
    fn of(r: &AuditResult) -> Self {
        RunInfo {
            tool_version: r.tool.version.clone(),
            users_audited: r.input.users_audited,
            seed: r.settings.stats.seed,
            resamples: r.settings.stats.resamples,
            confidence: r.settings.stats.confidence,
        }
    }
}

/// A baseline and a candidate audit compared: `compare.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The baseline run.
    pub baseline: RunInfo,
    /// The candidate run.
    pub candidate: RunInfo,
    /// Level of the Holm-adjusted p-values (the candidate's `stats.alpha`).
    pub alpha: f64,
    /// The significance rule, in words.
    pub rule: String,
    /// Every metric at every scope, ordered by metric, slice, group, item group.
    pub rows: Vec<ChangeRow>,
}

impl Comparison {
    /// The row of `metric` at `slice` / `group` / `item_group`.
    pub fn row(
        &self,
        metric: &str,
        slice: &str,
        group: Option<&str>,
        item_group: Option<&str>,
    ) -> Option<&ChangeRow> {
        self.rows.iter().find(|r| {
            r.metric == metric
                && r.slice == slice
                && r.group.as_deref() == group
                && r.item_group.as_deref() == item_group
        })
    }

    /// Rows whose change is significant.
    pub fn significant(&self) -> impl Iterator<Item = &ChangeRow> {
        self.rows.iter().filter(|r| r.significant)
    }
}

/// The baseline and candidate values of every metric at every scope, with changes and their
/// significance (rule in the module docs).
pub fn compare(baseline: &AuditResult, candidate: &AuditResult) -> Comparison {
    let mut keyed: BTreeMap<Key, (RowKind, Better, Estimate, Estimate)> = BTreeMap::new();
    for (which, r) in [(0usize, baseline), (1, candidate)] {
        for (key, kind, better, est) in audit_values(r) {
            let e = keyed.entry(key).or_insert((
                kind,
                better,
                Estimate::default(),
                Estimate::default(),
            ));
            if which == 0 {
                e.2 = est;
            } else {
                e.1 = better;
                e.3 = est;
            }
        }
    }
    let z_b = z_of(baseline.settings.stats.confidence);
    let z_c = z_of(candidate.settings.stats.confidence);
    let alpha = candidate.settings.stats.alpha;
    let mut rows: Vec<ChangeRow> = keyed
        .into_iter()
        .map(|(k, (kind, better, b, c))| change_row(k, kind, better, b, c, z_b, z_c))
        .collect();
    let p: Vec<f64> = rows.iter().map(|r| r.p_value.unwrap_or(f64::NAN)).collect();
    for (r, q) in rows.iter_mut().zip(holm(&p)) {
        if !q.is_nan() {
            r.p_adjusted = Some(q);
            r.significant = q < alpha;
        }
    }
    Comparison {
        baseline: RunInfo::of(baseline),
        candidate: RunInfo::of(candidate),
        alpha,
        rule: "two-sided z-test with se = interval width / (2 z); Holm adjustment across all rows; significant when the adjusted p < alpha".into(),
        rows,
    }
}

/// One setting with different values in the two audits of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingDifference {
    /// The setting's key in `audit.json`'s `settings` (`k`, `stats.seed`).
    pub key: &'static str,
    /// The baseline's value, as JSON.
    pub baseline: String,
    /// The candidate's value, as JSON.
    pub candidate: String,
}

impl std::fmt::Display for SettingDifference {
    /// `k (10 vs 5)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} vs {})", self.key, self.baseline, self.candidate)
    }
}

/// The settings two audits differ in, by what the difference changes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SettingDifferences {
    /// Settings that change the metrics' values: compared rows would measure different things.
    pub values: Vec<SettingDifference>,
    /// Settings that change only the intervals (and the random draws behind them); the z-test
    /// reads each run's own interval, so the comparison stands.
    pub intervals: Vec<SettingDifference>,
}

/// The settings (`audit.json`'s `settings`) in which `baseline` and `candidate` differ.
///
/// They change the values: `k`; `position_weight` (exposure); `head_share` (APLT, ΔGAP);
/// `calibration_alpha` (miscalibration); `propensity_gamma` (the SNIPS metrics, unless both
/// audits read their propensities from the truth table); `rbo_persistence` (RBO; unset counts as
/// its default 0.9); `bubble.min_history`, `bubble.narrowing_threshold`, `bubble.slope_threshold`,
/// `bubble.overlap_threshold`, `bubble.last_n` (the filter-bubble metrics) and `bubble.n_clusters`
/// (segregation NMI).
///
/// They change only the intervals or the random draws: `stats.resamples`, `stats.seed`,
/// `stats.confidence`, `stats.bootstrap_units`, `stats.item_resampling`, `bubble.seed` (the
/// clustering's seed), `privacy.epsilon` and `privacy.delta` (the noise of a differentially
/// private audit).
///
/// The rest change no compared number and are not listed: paths, columns, bands, which groups
/// are published (`slices`), significance levels and tests (`stats.alpha`, permutations,
/// `stats.four_fifths`) and the slice verdicts' thresholds.
///
/// ```
/// use recaudit::gate::compare::setting_differences;
/// use recaudit::settings::AuditConfig;
/// let a = AuditConfig::default();
/// let mut b = AuditConfig::default();
/// b.k = 5;
/// b.stats.seed = 7;
/// let d = setting_differences(&a, &b, false);
/// assert_eq!(d.values[0].to_string(), "k (10 vs 5)");
/// assert_eq!(d.intervals[0].to_string(), "stats.seed (42 vs 7)");
/// ```
pub fn setting_differences(
    baseline: &AuditConfig,
    candidate: &AuditConfig,
    propensities_modelled: bool,
) -> SettingDifferences {
    let differing = |settings: &[Setting]| -> Vec<SettingDifference> {
        settings
            .iter()
            .filter(|(key, _)| propensities_modelled || *key != "propensity_gamma")
            .filter_map(|&(key, read)| {
                let (b, c) = (read(baseline), read(candidate));
                (b != c).then(|| SettingDifference {
                    key,
                    baseline: b.to_string(),
                    candidate: c.to_string(),
                })
            })
            .collect()
    };
    SettingDifferences {
        values: differing(VALUE_SETTINGS),
        intervals: differing(INTERVAL_SETTINGS),
    }
}

/// A setting's key in `audit.json`'s `settings` and its value there.
type Setting = (&'static str, fn(&AuditConfig) -> Value);

/// The settings that change the metrics' values ([`setting_differences`]).
const VALUE_SETTINGS: &[Setting] = &[
    ("k", |c| json(&c.k)),
    ("position_weight", |c| json(&c.position_weight)),
    ("head_share", |c| json(&c.head_share)),
    ("calibration_alpha", |c| json(&c.calibration_alpha)),
    ("propensity_gamma", |c| json(&c.propensity_gamma)),
    ("rbo_persistence", |c| json(&c.rbo_persistence())),
    ("bubble.min_history", |c| json(&c.bubble.min_history)),
    ("bubble.narrowing_threshold", |c| {
        json(&c.bubble.narrowing_threshold)
    }),
    ("bubble.slope_threshold", |c| {
        json(&c.bubble.slope_threshold)
    }),
    ("bubble.overlap_threshold", |c| {
        json(&c.bubble.overlap_threshold)
    }),
    ("bubble.last_n", |c| json(&c.bubble.last_n)),
    ("bubble.n_clusters", |c| json(&c.bubble.n_clusters)),
];

/// The settings that change only the intervals or the random draws ([`setting_differences`]).
const INTERVAL_SETTINGS: &[Setting] = &[
    ("stats.resamples", |c| json(&c.stats.resamples)),
    ("stats.seed", |c| json(&c.stats.seed)),
    ("stats.confidence", |c| json(&c.stats.confidence)),
    ("stats.bootstrap_units", |c| json(&c.stats.bootstrap_units)),
    ("stats.item_resampling", |c| json(&c.stats.item_resampling)),
    ("bubble.seed", |c| json(&c.bubble.seed)),
    ("privacy.epsilon", |c| json(&c.privacy.epsilon)),
    ("privacy.delta", |c| json(&c.privacy.delta)),
];

/// A setting's value as `audit.json` writes it.
fn json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("a setting serialises")
}

/// Whether `result`'s SNIPS metrics may depend on `propensity_gamma`: false only when its
/// propensities were read from the truth table, or it computed no SNIPS metric (an exact audit
/// without `propensity`).
pub fn propensities_modelled(result: &AuditResult) -> bool {
    match &result.propensity {
        Some(p) => p.source != "truth",
        // A differentially private audit does not say where its propensities came from.
        None => result.privacy.is_some(),
    }
}

/// [`setting_differences`] of two audits' settings.
pub fn audit_setting_differences(
    baseline: &AuditResult,
    candidate: &AuditResult,
) -> SettingDifferences {
    setting_differences(
        &baseline.settings,
        &candidate.settings,
        propensities_modelled(baseline) || propensities_modelled(candidate),
    )
}

/// Holm's step-down adjusted p-values (Holm 1979, "A simple sequentially rejective multiple test
/// procedure", Scand. J. Statist. 6:65–70): sorted ascending, q_(i) = max_{j ≤ i} min(1,
/// (m − j + 1) p_(j)). NaN entries (no test) stay NaN and do not count in m.
///
/// ```
/// use recaudit::gate::compare::holm;
/// // m = 3, sorted 0.01, 0.03, 0.04: 3·0.01 = 0.03, 2·0.03 = 0.06, max(0.06, 1·0.04) = 0.06
/// let q = holm(&[0.01, 0.04, f64::NAN, 0.03]);
/// assert!((q[0] - 0.03).abs() < 1e-15);
/// assert!((q[1] - 0.06).abs() < 1e-15 && (q[3] - 0.06).abs() < 1e-15);
/// assert!(q[2].is_nan());
/// ```
pub fn holm(p: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]).then(i.cmp(&j)));
    let m = order.len();
    let mut q = vec![f64::NAN; p.len()];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        q[i] = running;
    }
    q
}

/// (metric, slice, group, item group); sorts as the table is shown.
pub(crate) type Key = (String, String, Option<String>, Option<String>);

fn z_of(confidence: f64) -> f64 {
    let c = if confidence > 0.0 && confidence < 1.0 {
        confidence
    } else {
        0.95
    };
    Normal::standard().inverse_cdf((1.0 + c) / 2.0)
}

fn change_row(
    (metric, slice, group, item_group): Key,
    kind: RowKind,
    better: Better,
    b: Estimate,
    c: Estimate,
    z_b: f64,
    z_c: f64,
) -> ChangeRow {
    let diff = match (b.value, c.value) {
        (Some(x), Some(y)) => Some(y - x),
        _ => None,
    };
    let se = |e: &Estimate, z: f64| match (e.ci_low, e.ci_high) {
        (Some(lo), Some(hi)) if hi >= lo => Some((hi - lo) / (2.0 * z)),
        _ => None,
    };
    let (mut p_value, mut change) = (None, Estimate::point(diff, b.n.min(c.n)));
    if let (Some(d), Some(sb), Some(sc)) = (diff, se(&b, z_b), se(&c, z_c)) {
        let s = (sb * sb + sc * sc).sqrt();
        p_value = Some(if s > 0.0 {
            2.0 * crate::stats::normal::normal_sf((d / s).abs())
        } else if d == 0.0 {
            1.0
        } else {
            0.0
        });
        let z = z_b.max(z_c);
        change.ci_low = Some(d - z * s);
        change.ci_high = Some(d + z * s);
    }
    let worse_by = diff.map(|d| match better {
        Better::Higher => -d,
        Better::Lower => d,
        Better::Neutral => d.abs(),
    });
    let direction = diff.map(|d| {
        if d == 0.0 {
            Direction::Same
        } else {
            match better {
                Better::Neutral => Direction::Changed,
                Better::Higher if d > 0.0 => Direction::Better,
                Better::Lower if d < 0.0 => Direction::Better,
                _ => Direction::Worse,
            }
        }
    });
    ChangeRow {
        metric,
        kind,
        better,
        slice,
        group,
        item_group,
        baseline: b,
        candidate: c,
        change,
        worse_by,
        p_value,
        p_adjusted: None,
        significant: false,
        direction,
    }
}

fn scalar_better(name: &str) -> Better {
    registry::definition(name).map_or(Better::Neutral, |d| d.better)
}

/// Every value of one audit, keyed.
pub(crate) fn audit_values(r: &AuditResult) -> Vec<(Key, RowKind, Better, Estimate)> {
    let mut out = Vec::new();
    let key = |m: &str, s: &str, g: Option<&str>, ig: Option<&str>| -> Key {
        (
            m.to_string(),
            s.to_string(),
            g.map(str::to_string),
            ig.map(str::to_string),
        )
    };
    for (name, m) in &r.metrics {
        out.push((
            key(name, OVERALL, None, None),
            RowKind::User,
            m.better,
            m.overall,
        ));
        for (col, sm) in &m.slices {
            for (g, est) in &sm.groups {
                out.push((key(name, col, Some(g), None), RowKind::User, m.better, *est));
            }
        }
    }
    let users = r.input.users_audited;
    let mut corpus = |col: &str, g: Option<&str>, cv: &crate::metrics::CorpusValues, n: usize| {
        for (name, v) in &cv.scalars {
            out.push((
                key(name, col, g, None),
                RowKind::Corpus,
                scalar_better(name),
                Estimate::point(*v, n),
            ));
        }
        for (name, shares) in &cv.shares {
            let intervals = name
                .strip_prefix("exposure_share_")
                .and_then(|c| r.corpus.exposure_share_intervals.get(c))
                .and_then(|es| match g {
                    None => Some(&es.overall),
                    Some(g) => es.slices.get(col)?.get(g),
                });
            for (ig, v) in shares {
                let est = intervals
                    .and_then(|i| i.get(ig))
                    .copied()
                    .filter(|e| e.value.is_some() || v.is_none())
                    .unwrap_or(Estimate::point(*v, n));
                out.push((
                    key(name, col, g, Some(ig)),
                    RowKind::Share,
                    Better::Neutral,
                    est,
                ));
            }
        }
    };
    corpus(OVERALL, None, &r.corpus.overall, users);
    for (col, groups) in &r.corpus.slices {
        for (g, cv) in groups {
            let n = r
                .slices
                .get(col)
                .and_then(|s| s.groups.get(g))
                .map_or(0, |s| s.n_users);
            corpus(col, Some(g), cv, n);
        }
    }
    if let Some(seg) = &r.segregation {
        for s in &seg.slices {
            out.push((
                key(NMI, &s.column, None, None),
                RowKind::Segregation,
                Better::Lower,
                Estimate::point(s.nmi, s.n_users),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::test_support::{fixture, jitter, worse_ndcg_for_f};

    #[test]
    fn compare_flags_a_planted_regression_not_a_rerun() {
        let base = fixture();
        let rerun = jitter(&base, 0.6);
        let cmp = compare(&base, &rerun);
        assert!(cmp.rows.len() > 10);
        assert_eq!(cmp.significant().count(), 0, "{}", cmp.table());

        let cmp = compare(&base, &worse_ndcg_for_f(&rerun));
        let sig: Vec<_> = cmp.significant().collect();
        assert_eq!(sig.len(), 1, "{}", cmp.table());
        assert_eq!(sig[0].scope(), "gender=F");
        assert_eq!(sig[0].direction, Some(Direction::Worse));
        assert!((sig[0].worse_by.unwrap() - 0.09).abs() < 1e-12);
        let table = cmp.table();
        assert!(table.contains("worse *"), "{table}");
        assert!(table.contains("1 of "), "{table}");

        // Rows: overall per-user, per group, corpus, shares per item group, NMI per column.
        assert!(cmp.row("ndcg", "overall", None, None).is_some());
        assert!(cmp
            .row("catalog_coverage", "gender", Some("F"), None)
            .is_some());
        let share = cmp
            .row("exposure_share_provider", "overall", None, Some("indie"))
            .unwrap();
        assert_eq!(share.scope(), "provider=indie");
        assert!(share.p_value.is_some());
        assert!(cmp
            .row("nmi", "region", None, None)
            .unwrap()
            .p_value
            .is_none());

        // The comparison serialises for compare.json and the HTML report.
        let json = serde_json::to_string(&cmp).unwrap();
        let back: Comparison = serde_json::from_str(&json).unwrap();
        assert_eq!(back, cmp);
    }

    #[test]
    fn settings_that_change_the_values_are_told_from_those_of_the_intervals() {
        let base = fixture();
        assert_eq!(
            audit_setting_differences(&base, &base),
            SettingDifferences::default()
        );
        let mut other = jitter(&base, 0.6);
        other.settings.k = 5;
        other.settings.position_weight = crate::metrics::PositionWeight::Rbp { patience: 0.8 };
        other.settings.head_share = 0.1;
        other.settings.bubble.n_clusters = Some(4);
        other.settings.stats.resamples = 200;
        other.settings.stats.seed = 7;
        let d = audit_setting_differences(&base, &other);
        let shown = |v: &[SettingDifference]| v.iter().map(|d| d.to_string()).collect::<Vec<_>>();
        assert_eq!(
            shown(&d.values),
            [
                "k (10 vs 5)",
                r#"position_weight ({"kind":"log"} vs {"kind":"rbp","patience":0.8})"#,
                "head_share (0.2 vs 0.1)",
                "bubble.n_clusters (null vs 4)",
            ]
        );
        assert_eq!(
            shown(&d.intervals),
            ["stats.resamples (1000 vs 200)", "stats.seed (42 vs 7)"]
        );
    }

    #[test]
    fn propensity_gamma_matters_only_when_a_run_modelled_its_propensities() {
        use crate::metrics::quality::PropensityGamma;
        use crate::result::PropensityModel;
        let mut base = fixture();
        let mut other = fixture();
        other.settings.propensity_gamma = PropensityGamma::Estimate;
        // Neither computed a SNIPS metric.
        assert!(audit_setting_differences(&base, &other).values.is_empty());
        let truth = PropensityModel {
            source: "truth".into(),
            gamma: None,
            fitted: false,
        };
        base.propensity = Some(truth.clone());
        other.propensity = Some(truth);
        assert!(audit_setting_differences(&base, &other).values.is_empty());
        other.propensity = Some(PropensityModel {
            source: "popularity".into(),
            gamma: Some(1.3),
            fitted: true,
        });
        let d = audit_setting_differences(&base, &other);
        assert_eq!(
            d.values[0].to_string(),
            r#"propensity_gamma (2.0 vs "estimate")"#
        );
    }
}
