//! The status of each area of the audit (quality parity, provider exposure, popularity bias,
//! diversity and calibration, filter bubbles, segregation): a concern, one to watch, fine, or not
//! measured, each with its reason in one line.
//!
//! - **Concern**: a gate of the area failed, a significant gap lies beyond the four-fifths
//!   threshold, an item group gets less than four-fifths of its catalog share of exposure, or a
//!   group's lists narrow over time.
//! - **Watch**: a significant gap within the four-fifths threshold, or a slice column whose NMI
//!   with the list clusters is at least [`NMI_WATCH`].
//! - **OK**: measured, none of the above.

use super::gaps::Gap;
use crate::format::{fmt_num, fmt_pct};
use crate::metrics::registry;
use crate::report::charts::verdict_word;
use crate::report::{GateLine, GateStatus};
use crate::result::AuditResult;
use crate::slices::display_key;

/// A slice column tied to the list clusters at least this much (NMI) is worth watching: a rule
/// of thumb, named on the page.
pub const NMI_WATCH: f64 = 0.1;

/// An area of the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Quality parity between user groups.
    Quality,
    /// Exposure of providers and other item groups.
    Exposure,
    /// Popularity bias.
    Popularity,
    /// Diversity, novelty and calibration.
    Diversity,
    /// Filter bubbles: narrowing and drift.
    Bubbles,
    /// Segregation of groups into clusters of similar lists.
    Segregation,
}

impl Area {
    /// Every area, in page order.
    pub const ALL: [Area; 6] = [
        Area::Quality,
        Area::Exposure,
        Area::Popularity,
        Area::Diversity,
        Area::Bubbles,
        Area::Segregation,
    ];

    /// `quality parity`.
    pub fn title(self) -> &'static str {
        match self {
            Area::Quality => "quality parity",
            Area::Exposure => "provider exposure",
            Area::Popularity => "popularity bias",
            Area::Diversity => "diversity and calibration",
            Area::Bubbles => "filter bubbles",
            Area::Segregation => "segregation",
        }
    }

    /// The id of the page section that holds the area's evidence.
    pub fn anchor(self) -> &'static str {
        match self {
            Area::Quality => "quality",
            Area::Exposure => "exposure",
            Area::Popularity => "popularity",
            Area::Diversity => "diversity",
            Area::Bubbles => "bubble",
            Area::Segregation => "segregation",
        }
    }

    /// The area of a metric family (`quality`, `calibration`, ...): `None` for `change` (how
    /// lists changed against a baseline run has its own section); families not named here are
    /// counted with diversity.
    pub fn of_family(family: &str) -> Option<Area> {
        match family {
            "quality" => Some(Area::Quality),
            "exposure" => Some(Area::Exposure),
            "popularity" => Some(Area::Popularity),
            "bubble" => Some(Area::Bubbles),
            "segregation" => Some(Area::Segregation),
            // How lists changed against a baseline run is its own section, not a fairness area.
            "change" => None,
            _ => Some(Area::Diversity),
        }
    }

    /// The area of metric key `key` (a per-user, corpus or item-group-share key).
    pub fn of_metric(key: &str) -> Option<Area> {
        registry::definition(key)
            .or_else(|| registry::share_family_of(key).map(|(d, _)| d))
            .and_then(|d| Area::of_family(d.family.name()))
    }

    /// Words of the audit's notes that say why the area was not measured.
    fn note_words(self) -> &'static [&'static str] {
        match self {
            Area::Quality => &["quality"],
            Area::Exposure => &["exposure", "item group"],
            Area::Popularity => &["popularity", "history"],
            Area::Diversity => &["diversity", "calibration", "categor"],
            Area::Bubbles => &["bubble", "narrowing", "history"],
            Area::Segregation => &["segregation", "categor"],
        }
    }
}

/// How an area fares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// A large or gated problem.
    Concern,
    /// A significant but smaller gap.
    Watch,
    /// Nothing significant.
    Ok,
    /// Not computed in this audit.
    NotMeasured,
}

impl Status {
    /// `concern`, `watch`, `ok`, `not measured`.
    pub fn word(self) -> &'static str {
        match self {
            Status::Concern => "concern",
            Status::Watch => "watch",
            Status::Ok => "ok",
            Status::NotMeasured => "not measured",
        }
    }
}

/// The status of one area with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaStatus {
    /// The area.
    pub area: Area,
    /// Its status.
    pub status: Status,
    /// Why, in one line.
    pub reason: String,
}

/// The status of every area, in page order, from the audit, its significant `gaps` (ranked) and
/// the gate outcomes (`None`: no policy).
pub fn area_statuses(
    result: &AuditResult,
    gaps: &[Gap],
    gates: Option<&[GateLine]>,
) -> Vec<AreaStatus> {
    Area::ALL
        .iter()
        .map(|&area| area_status(result, gaps, gates, area))
        .collect()
}

fn area_status(
    result: &AuditResult,
    gaps: &[Gap],
    gates: Option<&[GateLine]>,
    area: Area,
) -> AreaStatus {
    let status = |status, reason: String| AreaStatus {
        area,
        status,
        reason,
    };
    if !measured(result, area) {
        // A DP audit's note names every part it withholds; the area points to the privacy card
        // instead of repeating it.
        let dp_note =
            |n: &str| result.privacy.is_some() && n.starts_with(crate::privacy::PRIVATE_NOTE_START);
        let why = result
            .notes
            .iter()
            .filter(|n| !dp_note(n))
            .find(|n| {
                let n = n.to_lowercase();
                area.note_words().iter().any(|w| n.contains(w))
            })
            .cloned()
            .unwrap_or_else(|| {
                if result.privacy.is_some() {
                    "not published in a differentially private audit (see Privacy)".into()
                } else {
                    "not computed in this audit".into()
                }
            });
        return status(Status::NotMeasured, why);
    }
    let failed: Vec<&GateLine> = gates
        .unwrap_or_default()
        .iter()
        .filter(|g| g.status == GateStatus::Fail && Area::of_metric(&g.metric) == Some(area))
        .collect();
    let area_gaps: Vec<&Gap> = gaps
        .iter()
        .filter(|g| Area::of_family(&g.family) == Some(area))
        .collect();
    let mut concerns: Vec<String> = Vec::new();
    if let Some(g) = area_gaps.iter().find(|g| g.beyond_four_fifths) {
        concerns.push(format!("{}: {}", g.who(), g.headline()));
    }
    if !failed.is_empty() {
        concerns.push(format!(
            "{} failed gate{}",
            failed.len(),
            if failed.len() == 1 { "" } else { "s" }
        ));
    }
    concerns.extend(area_concerns(result, area));
    if !concerns.is_empty() {
        let more = concerns.len().saturating_sub(2);
        concerns.truncate(2);
        if more > 0 {
            concerns.push(format!("{more} more"));
        }
        return status(Status::Concern, concerns.join("; "));
    }
    if let Some(g) = area_gaps.first() {
        let more = area_gaps.len() - 1;
        let tail = if more > 0 {
            format!(
                " (and {more} smaller significant gap{})",
                if more == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        };
        return status(
            Status::Watch,
            format!("{}: {}{tail}", g.who(), g.headline()),
        );
    }
    if area == Area::Segregation {
        if let Some((col, nmi)) = max_nmi(result).filter(|(_, n)| *n >= NMI_WATCH) {
            return status(
                Status::Watch,
                format!(
                    "{} is tied to the list clusters (NMI {})",
                    display_key(col),
                    fmt_num(nmi)
                ),
            );
        }
        return status(
            Status::Ok,
            max_nmi(result).map_or("no slice column to compare".into(), |(col, nmi)| {
                format!(
                    "every slice column spreads over the list clusters alike (highest NMI {}, {})",
                    fmt_num(nmi),
                    display_key(col)
                )
            }),
        );
    }
    status(Status::Ok, "no significant gap between groups".into())
}

/// Whether the audit computed anything of `area`.
fn measured(result: &AuditResult, area: Area) -> bool {
    let family = result
        .metrics
        .values()
        .any(|m| Area::of_family(&m.family) == Some(area));
    family
        || match area {
            Area::Exposure => !result.corpus.overall.shares.is_empty(),
            Area::Popularity => result.corpus.overall.scalars.contains_key("delta_gap"),
            Area::Bubbles => result.over_time.is_some(),
            Area::Segregation => result.segregation.is_some(),
            _ => false,
        }
}

/// Problems of `area` that are not gaps between user groups: item groups under-exposed for their
/// catalog share, groups whose lists narrow over time.
fn area_concerns(result: &AuditResult, area: Area) -> Vec<String> {
    let ff = result.settings.stats.four_fifths;
    match area {
        Area::Exposure => result
            .corpus
            .overall
            .shares
            .iter()
            .filter_map(|(key, shares)| {
                let col = key.strip_prefix("disparate_exposure_ratio_catalog_")?;
                let (g, v) = shares
                    .iter()
                    .filter_map(|(g, v)| v.filter(|v| v.is_finite()).map(|v| (g, v)))
                    .min_by(|a, b| a.1.total_cmp(&b.1))?;
                (v < ff).then(|| {
                    format!(
                        "{} {} gets {} of the exposure its catalog share would give",
                        display_key(col),
                        display_key(g),
                        fmt_pct(v)
                    )
                })
            })
            .collect(),
        Area::Bubbles => result
            .over_time
            .iter()
            .flat_map(|ot| {
                ot.slices.iter().flat_map(|(col, groups)| {
                    groups
                        .iter()
                        .filter(|(_, t)| verdict_word(&t.verdict) == "narrowing")
                        .map(move |(g, _)| {
                            format!(
                                "lists of {} {} narrow over time",
                                display_key(col),
                                display_key(g)
                            )
                        })
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The slice column most tied to the list clusters, with its NMI.
fn max_nmi(result: &AuditResult) -> Option<(&str, f64)> {
    result
        .segregation
        .as_ref()?
        .slices
        .iter()
        .filter_map(|s| s.nmi.map(|n| (s.column.as_str(), n)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
}
