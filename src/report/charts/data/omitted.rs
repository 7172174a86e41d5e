//! What a chart leaves out and the footnote that says so: groups that are not published (counted,
//! never named) and rows cut from the middle of a long sorted list.

use crate::result::SliceSummary;

/// Groups of a slice column that are not published (too small, or withheld).
pub fn suppressed_groups(summary: &SliceSummary) -> usize {
    summary.groups_too_small + summary.groups_withheld
}

/// The footnote on `hidden` groups that are not published (`None` when there is none): a
/// sentence, as every footnote is, so that [`join_notes`] can put two side by side.
pub(super) fn suppressed_note(hidden: usize, min_size: usize) -> Option<String> {
    (hidden > 0).then(|| {
        format!(
            "{hidden} {} not shown (fewer than {min_size} users, or withheld so that a smaller group cannot be recovered).",
            if hidden == 1 { "group" } else { "groups" }
        )
    })
}

/// Most rows a chart draws; longer sorted lists keep both ends.
pub const MAX_ROWS: usize = 30;

/// Keeps the first and last `max / 2` of sorted `rows` when there are more than `max` (the
/// extremes are what a reader looks for); returns how many were left out of the middle.
pub fn cap_rows<T>(rows: &mut Vec<T>, max: usize) -> usize {
    if rows.len() <= max {
        return 0;
    }
    let keep_head = max - max / 2;
    let keep_tail = max / 2;
    let hidden = rows.len() - max;
    rows.drain(keep_head..rows.len() - keep_tail);
    hidden
}

/// The footnote on `hidden` rows (`what`) that [`cap_rows`] left out (`None` when there is none).
pub(super) fn hidden_note(hidden: usize, what: &str) -> Option<String> {
    (hidden > 0).then(|| {
        format!(
            "{hidden} {what} in the middle of the order are not drawn; the table lists every one."
        )
    })
}

/// Two footnotes in one, either of which may be absent.
pub(super) fn join_notes(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a} {b}")),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::GroupSummary;

    #[test]
    fn groups_not_published_are_counted_never_named() {
        let s = SliceSummary {
            columns: vec!["gender".into()],
            chosen_reference: Some("M".into()),
            groups: [("F", 30), ("M", 40)]
                .into_iter()
                .map(|(l, n)| {
                    (
                        l.to_string(),
                        GroupSummary {
                            n_users: n,
                            values: Default::default(),
                        },
                    )
                })
                .collect(),
            groups_too_small: 2,
            groups_withheld: 1,
        };
        assert_eq!(suppressed_groups(&s), 3);
        assert!(suppressed_note(0, 20).is_none());
        assert_eq!(
            suppressed_note(1, 20).unwrap(),
            "1 group not shown (fewer than 20 users, or withheld so that a smaller group cannot be recovered)."
        );
    }

    #[test]
    fn long_lists_keep_both_ends() {
        let mut v: Vec<u32> = (0..10).collect();
        assert_eq!(cap_rows(&mut v, 20), 0);
        assert_eq!(v.len(), 10);
        assert_eq!(cap_rows(&mut v, 5), 5);
        assert_eq!(v, [0, 1, 2, 8, 9]);
        assert!(hidden_note(0, "groups").is_none());
        assert_eq!(
            join_notes(Some("a.".into()), hidden_note(2, "groups")).unwrap(),
            "a. 2 groups in the middle of the order are not drawn; the table lists every one."
        );
        assert_eq!(
            join_notes(
                suppressed_note(2, 20),
                Some("1 more group is in the tables.".into())
            )
            .unwrap(),
            "2 groups not shown (fewer than 20 users, or withheld so that a smaller group cannot \
             be recovered). 1 more group is in the tables."
        );
        assert_eq!(join_notes(None, Some("b".into())).unwrap(), "b");
    }
}
