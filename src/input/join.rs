//! Ids that do not join. When most audited users have no row in the users table (or most
//! recommended items none in the items table), the two tables almost surely spell their ids
//! differently (`0007` and `7`, `7.0` and `7`), and every slice would be empty without a word.
//! This module writes the message that stops such an audit: a few unmatched ids of each side
//! (user ids masked: recaudit never prints a user id in full) and the likely cause, found by
//! trying each usual difference on the unmatched ids.

use std::collections::HashSet;

use crate::error::shown;

/// Ids shown from each side.
const SHOWN: usize = 3;
/// Unmatched ids tried per side when looking for the cause (the message needs no more).
pub const TRIED: usize = 20_000;

/// A user id as messages show it: its first two characters (one when it has two or three, none
/// when it has one), then a `•` for each other character, so its shape shows and the id does
/// not (`0007` → `00••`).
pub fn masked(id: &str) -> String {
    let n = id.chars().count();
    let keep = match n {
        0 | 1 => 0,
        2 | 3 => 1,
        _ => 2,
    };
    let head: String = id.chars().take(keep).collect();
    let mut out = shown(&head);
    out.extend(std::iter::repeat_n('•', n - keep));
    out
}

/// One side of a join: its description and its ids that match nothing on the other side.
pub struct Side<'a> {
    /// What the ids are, e.g. "users in the recommendations".
    pub what: &'a str,
    /// How many ids of this side match nothing.
    pub unmatched: usize,
    /// Some of them (at most [`TRIED`] are used), in table order.
    pub sample: Vec<&'a str>,
}

/// The sentence listing a few of `side`'s unmatched ids, each shown by `show`.
fn listed(side: &Side<'_>, show: fn(&str) -> String) -> String {
    if side.unmatched == 0 {
        return format!("every one of the {} has a match", side.what);
    }
    let ids: Vec<String> = side
        .sample
        .iter()
        .take(SHOWN)
        .map(|id| format!("`{}`", show(id)))
        .collect();
    let more = if side.unmatched > ids.len() {
        ", ..."
    } else {
        ""
    };
    format!(
        "{} of the {} match nothing: {}{more}",
        side.unmatched,
        side.what,
        ids.join(", ")
    )
}

/// A usual difference between two spellings of the same id, and how to undo it.
struct Difference {
    what: &'static str,
    undo: fn(&str, &str) -> String,
}

/// The differences tried, each undone given the id and the common non-digit prefix of its side's
/// unmatched ids.
const DIFFERENCES: [Difference; 5] = [
    Difference {
        what: "leading zeros (`0007` and `7`)",
        undo: |id, _| strip_leading_zeros(id).to_string(),
    },
    Difference {
        what: "numbers written as decimals (`7.0` and `7`)",
        undo: |id, _| strip_zero_decimals(id).to_string(),
    },
    Difference {
        what: "spaces around the ids",
        undo: |id, _| id.trim().to_string(),
    },
    Difference {
        what: "letter case (`AB7` and `ab7`)",
        undo: |id, _| id.to_lowercase(),
    },
    Difference {
        what: "a prefix on one side (`user_7` and `7`)",
        undo: |id, prefix| id.strip_prefix(prefix).unwrap_or(id).to_string(),
    },
];

fn strip_leading_zeros(id: &str) -> &str {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        let rest = id.trim_start_matches('0');
        if rest.is_empty() {
            "0"
        } else {
            rest
        }
    } else {
        id
    }
}

fn strip_zero_decimals(id: &str) -> &str {
    match id.split_once('.') {
        Some((int, zeros))
            if !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit() || b == b'-')
                && !zeros.is_empty()
                && zeros.bytes().all(|b| b == b'0') =>
        {
            int
        }
        _ => id,
    }
}

/// The longest prefix without digits that all of `ids` share.
fn common_letter_prefix<'a>(ids: &[&'a str]) -> &'a str {
    let Some(first) = ids.first() else {
        return "";
    };
    let mut len = first
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit())
        .map_or(first.len(), |(i, _)| i);
    for id in &ids[1..] {
        len = first[..len]
            .char_indices()
            .zip(id.chars())
            .find(|((_, a), b)| a != b)
            .map_or(len.min(id.len()), |((i, _), _)| i);
    }
    &first[..len]
}

/// The likely causes of the unmatched ids of `left` and `right`: each difference that, undone on
/// both sides, makes some of `left`'s unmatched ids match, with how many (most first).
fn likely_causes(left: &Side<'_>, right: &Side<'_>) -> Vec<String> {
    let (l, r) = (
        &left.sample[..left.sample.len().min(TRIED)],
        &right.sample[..right.sample.len().min(TRIED)],
    );
    let (l_prefix, r_prefix) = (common_letter_prefix(l), common_letter_prefix(r));
    let mut found: Vec<(usize, String)> = DIFFERENCES
        .iter()
        .filter_map(|d| {
            let theirs: HashSet<String> = r.iter().map(|id| (d.undo)(id, r_prefix)).collect();
            let matched = l
                .iter()
                .filter(|id| theirs.contains(&(d.undo)(id, l_prefix)))
                .count();
            (matched > 0).then(|| {
                (
                    matched,
                    format!(
                        "{}: with it undone, {matched} of the {} {} would match",
                        d.what,
                        l.len(),
                        left.what
                    ),
                )
            })
        })
        .collect();
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    found.into_iter().map(|(_, s)| s).collect()
}

/// The message of ids that do not join: `matched` of `total` ids of `left` found a match in
/// `right`; a few unmatched ids of each side (shown through `show`) and the likely cause.
pub fn message(
    matched: usize,
    total: usize,
    left: &Side<'_>,
    right: &Side<'_>,
    show: fn(&str) -> String,
) -> String {
    let causes = likely_causes(left, right);
    let cause = if causes.is_empty() {
        "No usual difference (leading zeros, `7.0` for `7`, spaces, letter case, a prefix) \
         explains them: are the two tables from the same system?"
            .to_string()
    } else {
        format!("The likely cause: {}.", causes.join("; or "))
    };
    format!(
        "only {matched} of the {total} {} have a match here, so the audit would be meaningless: \
         the two tables probably spell their ids differently. {}; {}. {cause} Fix the ids, or \
         pass --allow-unmatched-ids to audit anyway",
        left.what,
        listed(left, show),
        listed(right, show),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side<'a>(what: &'a str, ids: &[&'a str]) -> Side<'a> {
        Side {
            what,
            unmatched: ids.len(),
            sample: ids.to_vec(),
        }
    }

    #[test]
    fn user_ids_are_masked_to_their_shape() {
        assert_eq!(masked("0007"), "00••");
        assert_eq!(masked("u000123"), "u0•••••");
        assert_eq!(masked("ab"), "a•");
        assert_eq!(masked("abc"), "a••");
        assert_eq!(masked("7"), "•");
        assert_eq!(masked(""), "");
        assert_eq!(masked("é✓xyz"), "é✓•••");
        assert_eq!(masked("\n\tsecret"), "\\u{A}\\u{9}••••••");
    }

    #[test]
    fn each_usual_difference_is_found() {
        let cases: [(&[&str], &[&str], &str); 5] = [
            (
                &["0007", "0012", "0100"],
                &["7", "12", "100"],
                "leading zeros",
            ),
            (&["7", "12"], &["7.0", "12.0", "3.0"], "decimals"),
            (&[" 7", "12 "], &["7", "12"], "spaces"),
            (&["AB7", "Cd12"], &["ab7", "cd12"], "letter case"),
            (&["user_7", "user_12"], &["7", "12"], "a prefix"),
        ];
        for (left, right, cause) in cases {
            let causes = likely_causes(&side("users", left), &side("ids", right));
            assert_eq!(causes.len(), 1, "{cause}: {causes:?}");
            assert!(causes[0].contains(cause), "{cause}: {causes:?}");
            let n = left.len();
            assert!(
                causes[0].ends_with(&format!("{n} of the {n} users would match")),
                "{causes:?}"
            );
        }
        assert!(likely_causes(&side("users", &["a", "b"]), &side("ids", &["c"])).is_empty());
    }

    #[test]
    fn the_message_shows_few_masked_ids() {
        let left = side(
            "users in the recommendations",
            &["0007", "0012", "0100", "0200"],
        );
        let right = side("ids of the users table", &["7", "12", "100"]);
        let m = message(1, 5, &left, &right, masked);
        assert_eq!(
            m,
            "only 1 of the 5 users in the recommendations have a match here, so the audit would \
             be meaningless: the two tables probably spell their ids differently. 4 of the users \
             in the recommendations match nothing: `00••`, `00••`, `01••`, ...; 3 of the ids of \
             the users table match nothing: `•`, `1•`, `1••`. The likely cause: leading zeros \
             (`0007` and `7`): with it undone, 3 of the 4 users in the recommendations would \
             match. Fix the ids, or pass --allow-unmatched-ids to audit anyway"
        );
    }
}
