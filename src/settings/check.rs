//! Range checks of every setting, naming the offending key as the settings file writes it.

use super::{AuditConfig, MAX_CLUSTERS, MAX_PERMUTATIONS, MAX_RESAMPLES, MIN_BOOTSTRAP_UNITS};
use crate::error::{Error, Result};
use crate::metrics::quality::PropensityGamma;
use crate::metrics::registry;
use crate::metrics::PositionWeight;
use crate::privacy::bounds::clip_range;
use crate::privacy::{MAX_EPSILON, MIN_EPSILON};

impl AuditConfig {
    /// Checks every setting against its valid range before any data is read.
    pub fn validate(&self) -> Result<()> {
        self.check().map_err(|e| Error::Config(e.to_string()))
    }

    /// [`AuditConfig::validate`], naming the offending setting by its settings-file key so that a
    /// caller can name the flag it came from instead (see [`InvalidSetting`]). The ranges are the
    /// ones the README's "Settings file" section lists.
    pub fn check(&self) -> std::result::Result<(), InvalidSetting> {
        let c = &self.columns;
        for (key, name) in [
            ("user", &c.user),
            ("item", &c.item),
            ("rank", &c.rank),
            ("score", &c.score),
            ("snapshot", &c.snapshot),
            ("sample", &c.sample),
            ("consent", &c.consent),
            ("relevance", &c.relevance),
            ("timestamp", &c.timestamp),
            ("category", &c.category),
            ("popularity", &c.popularity),
            ("features", &c.features),
        ] {
            check_name(Some("columns"), key, None, name)?;
        }
        for (key, list) in [("slices", &c.slices), ("item_groups", &c.item_groups)] {
            for (i, name) in list.iter().flatten().enumerate() {
                check_name(Some("columns"), key, Some(i), name)?;
            }
        }
        for (i, b) in self.buckets.iter().enumerate() {
            let bad = |expected: &str| InvalidSetting {
                section: None,
                key: "buckets",
                index: Some(i),
                found: format!("{} = {:?}", b.column, b.edges),
                expected: expected.into(),
            };
            if b.column.trim().is_empty() {
                return Err(bad("a users-table column name (not empty)"));
            }
            if b.edges.is_empty()
                || b.edges.iter().any(|e| !e.is_finite())
                || b.edges.windows(2).any(|w| w[0] >= w[1])
            {
                return Err(bad("one or more finite, strictly increasing edges"));
            }
            if self.buckets[..i].iter().any(|o| o.column == b.column) {
                return Err(bad("each column banded once"));
            }
        }
        for (i, names) in self.slices.intersections.iter().enumerate() {
            let distinct = names
                .iter()
                .enumerate()
                .all(|(j, n)| !n.trim().is_empty() && !names[..j].contains(n));
            if !(2..=3).contains(&names.len()) || !distinct {
                return Err(InvalidSetting {
                    section: Some("slices"),
                    key: "intersections",
                    index: Some(i),
                    found: format!("{names:?}"),
                    expected: "2 or 3 distinct slice column names".into(),
                });
            }
        }

        let (b, s) = (&self.bubble, &self.stats);
        let (bubble, stats) = (Some("bubble"), Some("stats"));
        // (section, key, value, min, max)
        let counts = [
            (None, "k", self.k, 1, None),
            (
                Some("slices"),
                "min_slice_size",
                self.slices.min_slice_size,
                1,
                None,
            ),
            (bubble, "min_history", b.min_history, 1, None),
            (bubble, "last_n", b.last_n, 1, None),
            (
                stats,
                "permutations",
                s.permutations,
                1,
                Some(MAX_PERMUTATIONS),
            ),
        ];
        for (section, key, v, min, max) in counts {
            count(section, key, v, min, max, None)?;
        }
        if let Some(n) = b.n_clusters {
            count(bubble, "n_clusters", n, 2, Some(MAX_CLUSTERS), None)?;
        }
        if s.resamples != 0 {
            let zero = Some("0 (no intervals)");
            count(
                stats,
                "resamples",
                s.resamples,
                2,
                Some(MAX_RESAMPLES),
                zero,
            )?;
        }
        if s.bootstrap_units != 0 {
            let zero = Some("0 (every user is a unit)");
            count(
                stats,
                "bootstrap_units",
                s.bootstrap_units,
                MIN_BOOTSTRAP_UNITS,
                None,
                zero,
            )?;
        }

        use Interval::{AtLeast, Closed, LeftOpen, Open, RightOpen};
        if let PositionWeight::Rbp { patience } = self.position_weight {
            number(
                Some("position_weight"),
                "patience",
                patience,
                LeftOpen(0.0, 1.0),
            )?;
        }
        // (section, key, value, interval)
        let numbers = [
            (None, "head_share", self.head_share, Open(0.0, 1.0)),
            (
                None,
                "calibration_alpha",
                self.calibration_alpha,
                RightOpen(0.0, 1.0),
            ),
            (
                bubble,
                "narrowing_threshold",
                b.narrowing_threshold,
                LeftOpen(0.0, 1.0),
            ),
            (bubble, "slope_threshold", b.slope_threshold, AtLeast(0.0)),
            (
                bubble,
                "overlap_threshold",
                b.overlap_threshold,
                LeftOpen(0.0, 1.0),
            ),
            (
                bubble,
                "verdict_min_share",
                b.verdict_min_share,
                Closed(0.0, 1.0),
            ),
            (
                bubble,
                "homogenisation_threshold",
                b.homogenisation_threshold,
                AtLeast(0.0),
            ),
            (stats, "confidence", s.confidence, Open(0.0, 1.0)),
            (stats, "alpha", s.alpha, Open(0.0, 1.0)),
            (stats, "four_fifths", s.four_fifths, LeftOpen(0.0, 1.0)),
        ];
        for (section, key, v, interval) in numbers {
            number(section, key, v, interval)?;
        }
        if let Some(gamma) = self.propensity_gamma.given() {
            number(None, "propensity_gamma", gamma, AtLeast(-1.0))?;
        }
        if let Some(p) = self.rbo_persistence {
            number(None, "rbo_persistence", p, Open(0.0, 1.0))?;
        }
        self.check_privacy()
    }

    /// The `[privacy]` settings: ε in [10⁻⁶, 100], δ in (0, 10⁻³], and each listed metric a
    /// per-user metric with a clipping range.
    fn check_privacy(&self) -> std::result::Result<(), InvalidSetting> {
        use Interval::{Closed, LeftOpen};
        let p = &self.privacy;
        let privacy = Some("privacy");
        if let Some(e) = p.epsilon {
            number(privacy, "epsilon", e, Closed(MIN_EPSILON, MAX_EPSILON))?;
        }
        number(privacy, "delta", p.delta, LeftOpen(0.0, 1e-3))?;
        // A γ fitted to the exact lists would be published without noise.
        if p.epsilon.is_some() && self.propensity_gamma == PropensityGamma::Estimate {
            return Err(InvalidSetting {
                section: None,
                key: "propensity_gamma",
                index: None,
                found: format!("\"{}\"", PropensityGamma::ESTIMATE),
                expected: "a number in a differentially private audit (a γ fitted to the exact lists is not private)".into(),
            });
        }
        for (i, key) in p.metrics.iter().flatten().enumerate() {
            let bounded = registry::definition(key)
                .filter(|d| d.kind == registry::Kind::PerUser)
                .map(|d| clip_range(d, self.k));
            // Exposure shares are released as noisy sums with each list's exposure bounded.
            let exposure = key == registry::EXPOSURE_SHARE.key;
            if !exposure && !matches!(bounded, Some(Ok(_))) {
                return Err(InvalidSetting {
                    section: privacy,
                    key: "metrics",
                    index: Some(i),
                    found: format!("{key:?}"),
                    expected:
                        "a per-user metric key with a known range, or exposure_share (docs/privacy.md lists them)"
                            .into(),
                });
            }
        }
        Ok(())
    }
}

/// A setting outside its valid range, named by its key in the settings file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidSetting {
    /// The settings-file section (`bubble`, `stats`, ...); `None` for a top-level key.
    pub section: Option<&'static str>,
    /// The key.
    pub key: &'static str,
    /// The 0-based entry of a list setting (`buckets`, `intersections`, `columns.slices`).
    pub index: Option<usize>,
    /// The value found, as Rust prints it (`NaN`, `inf`, `0`).
    pub found: String,
    /// What the key accepts, e.g. `a number in (0, 1]`.
    pub expected: String,
}

/// `` `narrowing_threshold` in [bubble] is NaN; expected a number in (0, 1] ``.
impl std::fmt::Display for InvalidSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`", self.key)?;
        if let Some(i) = self.index {
            write!(f, " entry {}", i + 1)?;
        }
        if let Some(s) = self.section {
            write!(f, " in [{s}]")?;
        }
        write!(f, " is {}; expected {}", self.found, self.expected)
    }
}

/// An interval of finite numbers, for [`AuditConfig::check`].
#[derive(Clone, Copy)]
enum Interval {
    /// (a, b)
    Open(f64, f64),
    /// (a, b]
    LeftOpen(f64, f64),
    /// [a, b)
    RightOpen(f64, f64),
    /// [a, b]
    Closed(f64, f64),
    /// [a, ∞)
    AtLeast(f64),
}

/// An integer setting must be in `min..=max` (no upper bound when `max` is `None`); `zero`
/// describes 0 when it is accepted too (the caller lets it through).
fn count(
    section: Option<&'static str>,
    key: &'static str,
    v: usize,
    min: usize,
    max: Option<usize>,
    zero: Option<&str>,
) -> std::result::Result<(), InvalidSetting> {
    if v >= min && max.is_none_or(|m| v <= m) {
        return Ok(());
    }
    let range = match max {
        Some(m) => format!("an integer from {min} to {m}"),
        None => format!("an integer of at least {min}"),
    };
    let expected = match zero {
        Some(z) => format!("{z} or {range}"),
        None => range,
    };
    Err(InvalidSetting {
        section,
        key,
        index: None,
        found: v.to_string(),
        expected,
    })
}

/// A number setting must be finite and in `interval` (NaN fails every comparison).
fn number(
    section: Option<&'static str>,
    key: &'static str,
    v: f64,
    interval: Interval,
) -> std::result::Result<(), InvalidSetting> {
    let (ok, expected) = match interval {
        Interval::Open(a, b) => (v > a && v < b, format!("a number in ({a}, {b})")),
        Interval::LeftOpen(a, b) => (v > a && v <= b, format!("a number in ({a}, {b}]")),
        Interval::RightOpen(a, b) => (v >= a && v < b, format!("a number in [{a}, {b})")),
        Interval::Closed(a, b) => (v >= a && v <= b, format!("a number in [{a}, {b}]")),
        Interval::AtLeast(a) => (
            v >= a && v.is_finite(),
            format!("a finite number of at least {a}"),
        ),
    };
    if ok {
        return Ok(());
    }
    Err(InvalidSetting {
        section,
        key,
        index: None,
        found: number_text(v),
        expected,
    })
}

/// A number as a message quotes it: in decimal, but in exponent form when the decimal is long
/// and the exponent form shorter (`1e-300`, not three hundred digits).
pub(crate) fn number_text(x: f64) -> String {
    let (plain, exponent) = (x.to_string(), format!("{x:e}"));
    if plain.len() > 10 && exponent.len() < plain.len() {
        exponent
    } else {
        plain
    }
}

/// A column name must not be empty.
fn check_name(
    section: Option<&'static str>,
    key: &'static str,
    index: Option<usize>,
    name: &str,
) -> std::result::Result<(), InvalidSetting> {
    if name.trim().is_empty() {
        return Err(InvalidSetting {
            section,
            key,
            index,
            found: format!("{name:?}"),
            expected: "a column name (not empty)".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{self, Bucketing};

    #[test]
    fn bands_need_finite_increasing_edges() {
        let with_edges = |edges: Vec<f64>| AuditConfig {
            buckets: vec![input::Bucketing {
                column: "age".into(),
                edges,
            }],
            ..AuditConfig::default()
        };
        assert!(with_edges(vec![25.0, 35.0, 55.0]).validate().is_ok());
        assert!(with_edges(vec![-1.5]).validate().is_ok());
        for (edges, found) in [
            (vec![], "[]"),
            (vec![55.0, 25.0], "[55.0, 25.0]"),
            (vec![25.0, 25.0], "[25.0, 25.0]"),
            (vec![f64::NAN], "[NaN]"),
            (vec![25.0, f64::INFINITY], "[25.0, inf]"),
        ] {
            assert_eq!(
                with_edges(edges).validate().unwrap_err().to_string(),
                format!(
                    "invalid settings: `buckets` entry 1 is age = {found}; expected one or more \
                     finite, strictly increasing edges"
                )
            );
        }
    }

    #[test]
    fn numbers_are_quoted_short() {
        assert_eq!(number_text(1e-300), "1e-300");
        assert_eq!(number_text(-2.5e40), "-2.5e40");
        assert_eq!(number_text(0.000001), "0.000001");
        assert_eq!(number_text(1e-15), "1e-15");
        assert_eq!(number_text(0.123456789012), "0.123456789012");
        assert_eq!(number_text(1.5), "1.5");
        assert_eq!(number_text(f64::NAN), "NaN");
    }

    #[test]
    fn range_errors_name_the_key_and_the_range() {
        let err = |edit: fn(&mut AuditConfig)| {
            let mut cfg = AuditConfig::default();
            edit(&mut cfg);
            cfg.check().unwrap_err().to_string()
        };
        assert_eq!(
            err(|c| c.bubble.narrowing_threshold = f64::NAN),
            "`narrowing_threshold` in [bubble] is NaN; expected a number in (0, 1]"
        );
        assert_eq!(
            err(|c| c.stats.confidence = 1.0),
            "`confidence` in [stats] is 1; expected a number in (0, 1)"
        );
        assert_eq!(
            err(|c| c.bubble.slope_threshold = f64::INFINITY),
            "`slope_threshold` in [bubble] is inf; expected a finite number of at least 0"
        );
        assert_eq!(
            err(|c| c.k = 0),
            "`k` is 0; expected an integer of at least 1"
        );
        assert_eq!(
            err(|c| c.bubble.n_clusters = Some(1)),
            "`n_clusters` in [bubble] is 1; expected an integer from 2 to 100"
        );
        assert_eq!(
            err(|c| c.stats.resamples = 100_001),
            "`resamples` in [stats] is 100001; expected 0 (no intervals) or an integer from 2 to 100000"
        );
        assert_eq!(
            err(|c| c.slices.intersections = vec![vec!["a".into(), "a".into()]]),
            "`intersections` entry 1 in [slices] is [\"a\", \"a\"]; expected 2 or 3 distinct slice column names"
        );
        assert_eq!(
            err(|c| c.buckets = vec![Bucketing { column: "age".into(), edges: vec![f64::NAN] }]),
            "`buckets` entry 1 is age = [NaN]; expected one or more finite, strictly increasing edges"
        );
        assert_eq!(
            err(|c| c.columns.user = String::new()),
            "`user` in [columns] is \"\"; expected a column name (not empty)"
        );
        assert_eq!(
            err(|c| c.position_weight = PositionWeight::Rbp { patience: 0.0 }),
            "`patience` in [position_weight] is 0; expected a number in (0, 1]"
        );
    }

    #[test]
    fn bootstrap_settings_are_validated() {
        let mut cfg = AuditConfig::default();
        assert!(cfg.validate().is_ok());
        for (resamples, units, ok) in [(1, 4_096, false), (0, 0, true), (1_000, 99, false)] {
            cfg.stats.resamples = resamples;
            cfg.stats.bootstrap_units = units;
            assert_eq!(
                cfg.validate().is_ok(),
                ok,
                "B = {resamples}, units = {units}"
            );
        }
        cfg.stats.bootstrap_units = 100;
        assert!(cfg.validate().is_ok());
    }
}
