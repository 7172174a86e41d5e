//! The plain-language notes of `audit.json` that say what the audit left out and why: suppressed
//! and withheld slice groups, skipped users-table columns, skipped metric families. Shared by the
//! one-pass audit and the audit finished from partitions (`partial::driver`), so both say the same.

use crate::partial::PlanColumn;
use crate::slices::selection::SkippedColumn;

/// Which metric families an audit could compute (each needs its own input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Families {
    /// Precision, recall, hit rate, MRR, NDCG: a truth table.
    pub quality: bool,
    /// ARP, APLT, ΔGAP: a history table or a popularity column.
    pub popularity: bool,
    /// SNIPS precision, recall and NDCG: a truth table, and propensities given or modelled.
    pub snips: bool,
    /// Intra-list diversity, list entropy, calibration, narrowing, segregation: item categories.
    pub categories: bool,
}

/// One sentence per family the audit skipped, in the order the audit computes the families;
/// `propensity_notes` (what the fit of the SNIPS propensities' γ said) come after the popularity
/// family's, and only with a truth table.
pub(crate) fn skipped_family_notes(run: &Families, propensity_notes: Vec<String>) -> Vec<String> {
    let mut notes = Vec::new();
    if !run.quality {
        notes.push("Quality metrics (precision, recall, hit, MRR, NDCG) were skipped: no --truth table of held-out relevant items was given.".into());
    }
    if !run.popularity {
        notes.push("Popularity metrics (ARP, APLT, ΔGAP) were skipped: they need a --history table or a popularity column in --items.".into());
    }
    if run.quality {
        notes.extend(propensity_notes);
        if !run.snips {
            notes.push("SNIPS quality metrics (precision, recall, NDCG corrected for what was logged) were skipped: they need a propensity column in --truth, or a --history table or a popularity column in --items to model propensities from popularity.".into());
        }
    }
    if !run.categories {
        notes.push("Category metrics (intra-list diversity, list entropy, calibration, narrowing, segregation) were skipped: no item has a category (they need an --items table whose category column is not empty).".into());
    }
    notes
}

/// The first words of each note of [`skipped_family_notes`], with the metric keys that cannot be
/// computed without the family's input; a SNIPS metric needs the truth table as well as
/// propensities, so the quality note answers for it when the SNIPS note is not written.
const FAMILY_NOTES: [(&str, &[&str]); 4] = [
    (
        "SNIPS quality metrics",
        &["snips_precision", "snips_recall", "snips_ndcg"],
    ),
    (
        "Quality metrics",
        &[
            "precision",
            "recall",
            "hit",
            "mrr",
            "ndcg",
            "snips_precision",
            "snips_recall",
            "snips_ndcg",
        ],
    ),
    (
        "Popularity metrics",
        &["arp", "aplt", "gap_r", "gap_p", "delta_gap"],
    ),
    (
        "Category metrics",
        &[
            "ild",
            "list_entropy",
            "miscalibration",
            "narrowing_ratio",
            "narrowed",
            "history_category_coverage",
            "over_personalisation",
            "nmi",
        ],
    ),
];

/// The note of `notes` that says why the metric `key` was not computed: the note of a skipped
/// family whose input the metric needs ([`skipped_family_notes`]); `None` when no such note was
/// written.
pub(crate) fn family_note<'a>(key: &str, notes: &'a [String]) -> Option<&'a str> {
    FAMILY_NOTES
        .iter()
        .filter(|(_, keys)| keys.contains(&key))
        .find_map(|(start, _)| notes.iter().find(|n| n.starts_with(start)))
        .map(String::as_str)
}

/// One plain sentence per skipped users-table column, then per slice column with suppressed or
/// withheld groups.
pub(crate) fn suppression_notes(
    slices: &[PlanColumn],
    skipped: &[SkippedColumn],
    min_size: usize,
) -> Vec<String> {
    let mut notes = Vec::new();
    for s in skipped {
        notes.push(format!(
            "Users-table column `{}` is not audited: {}.",
            s.column, s.reason
        ));
    }
    for col in slices {
        let n = col.labels.len();
        let small = (0..n)
            .filter(|&g| col.suppressed[g] && !col.withheld[g])
            .count();
        let withheld = col.withheld.iter().filter(|&&w| w).count();
        if small + withheld == 0 {
            continue;
        }
        let name = crate::slices::display_name(&col.columns);
        let mut note = format!(
            "{name}: {small} {} under {min_size} users suppressed",
            plural(small, "group", "groups")
        );
        if withheld > 0 {
            note.push_str(&format!(
                "; {withheld} more {} withheld (complementary suppression) so that the suppressed {} cannot be recovered by subtracting the published figures",
                plural(withheld, "group", "groups"),
                plural(small, "group", "groups"),
            ));
        }
        let shown = col.suppressed.iter().filter(|&&s| !s).count();
        if shown < 2 {
            note.push_str(&format!(
                "; {shown} {} left, so this column is not compared",
                plural(shown, "group is", "groups are")
            ));
        }
        note.push('.');
        notes.push(note);
    }
    notes
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_families_are_named_in_audit_order() {
        let none = Families {
            quality: false,
            popularity: false,
            snips: false,
            categories: false,
        };
        let notes = skipped_family_notes(&none, vec!["γ".into()]);
        // Without truth, neither the propensity notes nor SNIPS's (it needs truth) are written.
        assert_eq!(notes.len(), 3);
        assert!(notes[0].starts_with("Quality metrics"));
        assert!(notes[1].starts_with("Popularity metrics"));
        assert!(notes[2].starts_with("Category metrics"));
        let truth_only = Families {
            quality: true,
            ..none
        };
        let notes = skipped_family_notes(&truth_only, vec!["γ".into()]);
        assert_eq!(notes[1], "γ");
        assert!(notes[2].starts_with("SNIPS quality metrics"));
        let all = Families {
            quality: true,
            popularity: true,
            snips: true,
            categories: true,
        };
        assert!(skipped_family_notes(&all, Vec::new()).is_empty());
    }

    #[test]
    fn a_metric_not_computed_finds_the_note_of_its_family() {
        let none = Families {
            quality: false,
            popularity: false,
            snips: false,
            categories: false,
        };
        // Notes as an audit writes them: a suppression note first, then the families'.
        let mut notes = vec!["gender: 1 group under 20 users suppressed.".to_string()];
        notes.extend(skipped_family_notes(&none, Vec::new()));
        let note = |key| family_note(key, &notes).map(|n| n.split(' ').next().unwrap());
        assert_eq!(note("miscalibration"), Some("Category"));
        assert_eq!(note("nmi"), Some("Category"));
        assert_eq!(note("arp"), Some("Popularity"));
        // Without truth there is no SNIPS note: the quality note answers.
        assert_eq!(note("snips_ndcg"), Some("Quality"));
        // Coverage needs nothing a family note names.
        assert_eq!(note("catalog_coverage"), None);

        let truth = Families {
            quality: true,
            ..none
        };
        let notes = skipped_family_notes(&truth, Vec::new());
        assert_eq!(
            family_note("snips_ndcg", &notes).map(|n| n.split(' ').next().unwrap()),
            Some("SNIPS")
        );
        assert_eq!(family_note("ndcg", &notes), None);
    }

    #[test]
    fn the_category_note_holds_for_an_empty_column_too() {
        let notes = skipped_family_notes(
            &Families {
                quality: true,
                popularity: true,
                snips: true,
                categories: false,
            },
            Vec::new(),
        );
        assert_eq!(
            notes,
            ["Category metrics (intra-list diversity, list entropy, calibration, narrowing, segregation) were skipped: no item has a category (they need an --items table whose category column is not empty)."]
        );
    }

    #[test]
    fn a_column_with_small_and_withheld_groups_gets_one_sentence() {
        let col = PlanColumn {
            name: "age".into(),
            columns: vec!["age".into()],
            labels: vec!["a".into(), "b".into(), "c".into()],
            values: vec![vec!["a".into()], vec!["b".into()], vec!["c".into()]],
            sizes: vec![3, 40, 50],
            suppressed: vec![true, true, false],
            withheld: vec![false, true, false],
            chosen_reference: None,
        };
        let notes = suppression_notes(&[col], &[], 10);
        assert_eq!(
            notes,
            ["age: 1 group under 10 users suppressed; 1 more group withheld (complementary suppression) so that the suppressed group cannot be recovered by subtracting the published figures; 1 group is left, so this column is not compared."]
        );
    }
}
