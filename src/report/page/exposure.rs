//! The exposure section: per item-group column, exposure share against the catalog and history
//! shares; then the values of the lists taken as a whole, overall and per slice group.

use std::collections::BTreeMap;

use super::context::PageContext;
use super::model::{cell, fact, HtmlTable, PageSection, SectionPart};
use crate::format::{fmt_estimate, fmt_num, fmt_pct, fmt_ratio, fmt_short, fmt_value};
use crate::report::charts::{exposure_columns, file_stem, Section as ChartSection};
use crate::report::{metric_info, shown_as_percent};

/// The exposure section, `None` when the audit has no item groups and no catalog-level value.
pub(super) fn exposure_section(cx: &PageContext<'_>) -> Option<PageSection> {
    let r = cx.result;
    let shares = &r.corpus.overall.shares;
    let item_cols = exposure_columns(&r.corpus);
    let scalars = &r.corpus.overall.scalars;
    if item_cols.is_empty() && scalars.is_empty() {
        return None;
    }
    let w = r.settings.position_weight.name();
    let mut meanings = vec![
        fact("Exposure share", format!("The share of all attention that an item group receives: each recommendation counts by its position ({w} weight, so the top slot counts most), summed over all lists.")),
        fact("Catalog share", "The group's share of the catalog: what its exposure share would be if every item were shown equally. Exposure ÷ catalog share below 1 means the group is under-exposed for its size."),
    ];
    if shares.keys().any(|k| k.starts_with("target_share_merit_")) {
        meanings.push(fact("History share", "The group's share of the users' past interactions: a merit-based target (exposure in line with demand)."));
    }
    meanings.extend(
        [
            ("Gini of exposure", "Inequality of exposure across all catalog items, never-shown items included: 0 means every item gets the same exposure, 1 means one item gets it all."),
            ("Catalog coverage", "The share of the catalog that appears in at least one list."),
            ("Personalisation", "1 minus the average overlap of two users' lists: 1 means everyone gets different items, 0 means everyone gets the same list."),
            ("ΔGAP", "Relative popularity gap: how much more (positive) or less (negative) popular the recommended items are than the items in the same users' histories."),
        ]
        .map(|(a, b)| fact(a, b)),
    );
    let mut parts = Vec::new();
    let mut under_exposed = 0;
    for col in &item_cols {
        let exp = &shares[&format!("exposure_share_{col}")];
        let cat = shares.get(&format!("target_share_catalog_{col}"));
        let merit = shares.get(&format!("target_share_merit_{col}"));
        let ci = r
            .corpus
            .exposure_share_intervals
            .get(col)
            .map(|s| &s.overall);
        let mut head = vec![
            "Item group".to_string(),
            format!("Exposure share [{} interval]", cx.level),
            "Catalog share".to_string(),
            "Exposure ÷ catalog".to_string(),
        ];
        if merit.is_some() {
            head.push("History share".into());
            head.push("Exposure ÷ history".into());
        }
        let pick = |m: Option<&BTreeMap<String, Option<f64>>>, g: &str| {
            m.and_then(|m| m.get(g).copied().flatten())
        };
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => Some(a / b),
            _ => None,
        };
        let mut groups: Vec<(&String, Option<f64>)> = exp.iter().map(|(g, v)| (g, *v)).collect();
        groups.sort_by(|a, b| {
            b.1.unwrap_or(f64::NEG_INFINITY)
                .total_cmp(&a.1.unwrap_or(f64::NEG_INFINITY))
                .then_with(|| a.0.cmp(b.0))
        });
        let rows = groups
            .iter()
            .map(|(g, v)| {
                let est = ci.and_then(|c| c.get(*g));
                let share = match est {
                    Some(e) if e.value.is_some() => fmt_estimate(e, true),
                    _ => v.map_or("–".into(), fmt_pct),
                };
                let c = pick(cat, g);
                let rc = ratio(*v, c);
                let mut rc_cell = cell(rc.map_or("–".into(), fmt_ratio));
                if rc.is_some_and(|x| x < r.settings.stats.four_fifths) {
                    rc_cell.class = "worse";
                    rc_cell.sub.push("▼ under-exposed".into());
                }
                let mut row = vec![
                    cell((*g).clone()),
                    cell(share),
                    cell(c.map_or("–".into(), fmt_pct)),
                    rc_cell,
                ];
                if merit.is_some() {
                    let mv = pick(merit, g);
                    row.push(cell(mv.map_or("–".into(), fmt_pct)));
                    row.push(cell(ratio(*v, mv).map_or("–".into(), fmt_ratio)));
                }
                row
            })
            .collect();
        let under = groups
            .iter()
            .filter(|(g, v)| {
                ratio(*v, pick(cat, g)).is_some_and(|x| x < r.settings.stats.four_fifths)
            })
            .count();
        under_exposed += under;
        parts.push(SectionPart {
            id: format!("exposure-{}", file_stem(col)),
            title: format!("By {}", crate::slices::display_key(col)),
            status: under_count(under),
            charts: cx.charts_of(ChartSection::Exposure, Some(col)),
            tables: vec![HtmlTable {
                caption: format!("Exposure of each {col} over all lists"),
                head,
                rows,
                note: format!("▼ marks a ratio below {}: the group gets less than that fraction of its target. {}", fmt_short(r.settings.stats.four_fifths), if r.privacy.is_some() {
                    "Exposure shares are computed from noisy sums (differential privacy) and have a normal interval that includes the noise; catalog shares are fixed."
                } else {
                    "Exposure shares have a bootstrap interval (users resampled); catalog and history shares are fixed."
                }),
            }],
            suppressed: Vec::new(),
        });
    }
    // Catalog-level values, overall and per slice group.
    let names: Vec<&String> = scalars.keys().collect();
    if !names.is_empty() {
        let head: Vec<String> = std::iter::once("Users".to_string())
            .chain(names.iter().map(|n| scalar_label(n)))
            .collect();
        let mut rows = vec![std::iter::once(cell("all users"))
            .chain(
                names
                    .iter()
                    .map(|n| cell(scalars[*n].map_or("–".into(), |v| fmt_scalar(n, v)))),
            )
            .collect::<Vec<_>>()];
        for (col, groups) in &r.corpus.slices {
            for (g, cv) in groups {
                rows.push(
                    std::iter::once(cell(format!("{col} = {g}")))
                        .chain(names.iter().map(|n| {
                            cell(
                                cv.scalars
                                    .get(*n)
                                    .copied()
                                    .flatten()
                                    .map_or("–".into(), |v| fmt_scalar(n, v)),
                            )
                        }))
                        .collect(),
                );
            }
        }
        parts.push(SectionPart {
            id: "exposure-catalog".into(),
            title: "Values of the lists taken as a whole".into(),
            status: "not compared across groups".into(),
            charts: Vec::new(),
            tables: vec![HtmlTable {
                caption: "Values of the lists taken as a whole, overall and per slice group".into(),
                head,
                rows,
                note: "Computed over all lists, then over each published slice group's lists; one value per set of lists, so no interval. Coverage, Gini and personalisation depend on how many lists a set holds (a small group covers less of the catalog by chance alone): they are shown per group for reference; the parts \"at one group size\" compare groups at the smallest group's size.".into(),
            }],
            suppressed: Vec::new(),
        });
    }
    parts.extend(size_matched_parts(r));
    let mut intro = String::from("The provider side: whether item groups (providers, categories, popular vs long-tail items) get the attention their size or demand would warrant, and how the lists cover the catalog.");
    if let Some(ot) = &r.over_time {
        for (col, owed) in &ot.exposure_owed {
            if let Some(sentence) = owed_sentence(col, owed, ot.snapshots.len()) {
                intro.push(' ');
                intro.push_str(&sentence);
            }
        }
    }
    Some(PageSection {
        id: "exposure",
        open: under_exposed > 0,
        status: under_count(under_exposed),
        title: "Exposure of item groups and the catalog".into(),
        intro,
        meanings,
        charts: Vec::new(),
        tables: Vec::new(),
        parts,
    })
}

/// One part per slice column with a size-matched comparison (`corpus.size_matched`): each
/// published group's coverage, Gini and personalisation at the smallest group's size, with the
/// range of the subsamples, so groups are compared at one size.
fn size_matched_parts(r: &crate::result::AuditResult) -> Vec<SectionPart> {
    r.corpus
        .size_matched
        .iter()
        .filter(|(_, sm)| !sm.groups.is_empty())
        .map(|(col, sm)| {
            let names: Vec<&String> = sm
                .groups
                .values()
                .flat_map(|m| m.keys())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let head = std::iter::once(crate::slices::display_key(col))
                .chain(names.iter().map(|n| scalar_label(n)))
                .collect();
            let rows = sm
                .groups
                .iter()
                .map(|(g, values)| {
                    std::iter::once(cell(crate::slices::display_key(g)))
                        .chain(names.iter().map(|n| {
                            cell(values.get(*n).map_or("–".into(), |e| {
                                fmt_estimate(e, shown_as_percent(n))
                            }))
                        }))
                        .collect()
                })
                .collect();
            SectionPart {
                id: format!("exposure-size-matched-{}", file_stem(col)),
                title: format!(
                    "By {} at one group size",
                    crate::slices::display_key(col)
                ),
                status: format!("{} users per group", sm.n_users),
                charts: Vec::new(),
                tables: vec![HtmlTable {
                    caption: format!(
                        "Values of the lists of each {col} group, every group subsampled to {} users",
                        sm.n_users
                    ),
                    head,
                    rows,
                    note: format!("Each group's lists subsampled without replacement to the size of the smallest group shown ({} users), {} times: the mean over the subsamples with the range of the middle {} of them. Groups whose ranges overlap do not differ at that size; the smallest group is taken whole, so its range has no width.", sm.n_users, sm.subsamples, crate::format::fmt_whole_pct(r.settings.stats.confidence)),
                }],
                suppressed: Vec::new(),
            }
        })
        .collect()
}

/// One plain sentence on the exposure owed over `n_snapshots` snapshots to the groups of the
/// item-group column `col` (`over_time.exposure_owed`, Biega, Gummadi & Weikum 2018): the group
/// owed the most attention (the largest R_T − A_T, cumulative merit share minus cumulative
/// exposure share after the last snapshot), by how much, and the column's amortised unfairness.
/// `None` without a group.
pub(super) fn owed_sentence(
    col: &str,
    owed: &crate::metrics::exposure::ExposureOwed,
    n_snapshots: usize,
) -> Option<String> {
    let last = |v: &[f64]| v.last().copied().unwrap_or(0.0);
    let (group, a, m) = owed
        .groups
        .iter()
        .map(|(g, o)| (g, last(&o.exposure), last(&o.merit)))
        .max_by(|x, y| (x.2 - x.1).total_cmp(&(y.2 - y.1)))?;
    let head = format!("Exposure owed over {n_snapshots} snapshots, by {col}:");
    let total = format!(
        "the amortised unfairness of {col} is {} (0 = attention followed merit over time, at most {}).",
        fmt_num(owed.amortised_unfairness),
        2 * n_snapshots
    );
    // Shares are sums of per-snapshot shares: below a billionth, a group is owed nothing.
    if m - a <= 1e-9 {
        return Some(format!("{head} no group is owed attention; {total}"));
    }
    Some(format!(
        "{head} {col} {group} is owed the most attention, {} snapshots' worth (it received {} of the {n_snapshots} snapshots' attention against a merit of {}); {total}",
        fmt_num(m - a),
        fmt_num(a),
        fmt_num(m),
    ))
}

/// `nothing under-exposed`, `2 item groups under-exposed`.
fn under_count(n: usize) -> String {
    match n {
        0 => "nothing under-exposed".into(),
        1 => "1 item group under-exposed".into(),
        n => format!("{n} item groups under-exposed"),
    }
}

/// The label of catalog-level value `name`.
fn scalar_label(name: &str) -> String {
    metric_info(name).map_or_else(|| name.to_string(), |d| d.label.to_string())
}

/// Catalog-level value `v` of `name` in its unit.
fn fmt_scalar(name: &str, v: f64) -> String {
    fmt_value(v, shown_as_percent(name))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::size_matched_parts;
    use crate::report::test_support::{est, tiny_result};
    use crate::result::SizeMatchedCorpus;

    #[test]
    fn groups_are_compared_at_the_smallest_groups_size() {
        let mut r = tiny_result();
        let groups = BTreeMap::from([
            (
                "F".to_string(),
                BTreeMap::from([("catalog_coverage".to_string(), est(0.5, 0.5, 0.5, 40))]),
            ),
            (
                "M".to_string(),
                BTreeMap::from([("catalog_coverage".to_string(), est(0.75, 0.7, 0.8, 40))]),
            ),
        ]);
        r.corpus.size_matched.insert(
            "gender".into(),
            SizeMatchedCorpus {
                n_users: 40,
                subsamples: 200,
                groups,
            },
        );
        let parts = size_matched_parts(&r);
        assert_eq!(parts.len(), 1);
        let p = &parts[0];
        assert_eq!(p.title, "By gender at one group size");
        assert_eq!(p.status, "40 users per group");
        let t = &p.tables[0];
        assert_eq!(t.head, ["gender", "Catalog coverage"]);
        let text: Vec<Vec<String>> = t
            .rows
            .iter()
            .map(|row| row.iter().map(|c| c.text.clone()).collect())
            .collect();
        assert_eq!(
            text,
            [["F", "50.0% [50.0%, 50.0%]"], ["M", "75.0% [70.0%, 80.0%]"]]
        );
        assert!(t.note.contains("40 users), 200 times"), "{}", t.note);
        assert!(t.note.contains("middle 95% of them"), "{}", t.note);
    }

    #[test]
    fn the_owed_sentence_names_the_group_owed_most() {
        use super::owed_sentence;
        use crate::metrics::exposure::{ExposureOwed, OwedGroup};
        // Two snapshots. A's exposure shares 0.75 then 0.75 (A_2 = 1.5), B's 0.25 then 0.25
        // (A_2 = 0.5); merit 0.5 each time for both (R_2 = 1). B is owed 1 − 0.5 = 0.5 snapshots'
        // worth; unfairness |1.5 − 1| + |0.5 − 1| = 1.
        let group = |exposure: [f64; 2], merit: [f64; 2]| OwedGroup {
            exposure: exposure.to_vec(),
            merit: merit.to_vec(),
            unfairness: (exposure[1] - merit[1]).abs(),
        };
        let mut owed = ExposureOwed {
            groups: BTreeMap::from([
                ("A".to_string(), group([0.75, 1.5], [0.5, 1.0])),
                ("B".to_string(), group([0.25, 0.5], [0.5, 1.0])),
            ]),
            amortised_unfairness: 1.0,
        };
        assert_eq!(
            owed_sentence("provider", &owed, 2).unwrap(),
            "Exposure owed over 2 snapshots, by provider: provider B is owed the most attention, 0.500 snapshots' worth (it received 0.500 of the 2 snapshots' attention against a merit of 1.00); the amortised unfairness of provider is 1.00 (0 = attention followed merit over time, at most 4)."
        );
        // Attention that followed merit: nobody is owed anything.
        for g in owed.groups.values_mut() {
            g.exposure = g.merit.clone();
            g.unfairness = 0.0;
        }
        owed.amortised_unfairness = 0.0;
        assert_eq!(
            owed_sentence("provider", &owed, 2).unwrap(),
            "Exposure owed over 2 snapshots, by provider: no group is owed attention; the amortised unfairness of provider is 0 (0 = attention followed merit over time, at most 4)."
        );
        owed.groups.clear();
        assert!(owed_sentence("provider", &owed, 2).is_none());
    }

    #[test]
    fn no_part_without_a_size_matched_comparison() {
        assert!(size_matched_parts(&tiny_result()).is_empty());
    }
}
