//! The reference group of a metric's disparities in one slice column (docs/statistics.md).
//!
//! By default it is the **best-off** published group for the metric at hand: the highest mean
//! where higher is better, the lowest where lower is better. This is the comparison of the
//! four-fifths rule, "less than four-fifths of the rate for the group with the highest rate"
//! (US Uniform Guidelines, 29 CFR 1607.4(D)), so the disadvantaged group is the one whose ratio
//! falls below 0.8. A group chosen with `--reference col=value` (settings `slices.reference`)
//! wins for every metric of its column for which it is published. Where neither direction is
//! better there is no best-off group, and the largest published group is the reference.

use serde::{Deserialize, Serialize};

use super::SliceColumn;
use crate::metrics::Better;

/// Why a group is the reference of a metric's disparities (`audit.json`: `best_off`, `chosen`,
/// `largest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceRule {
    /// The best-off published group of the metric: the highest mean where higher is better, the
    /// lowest where lower is better; on a tie (means within [`TIE_TOLERANCE`] relative) the
    /// larger group, then the first in label order.
    BestOff,
    /// The group chosen with `--reference` (settings `slices.reference`).
    Chosen,
    /// The largest published group (the first in label order on a tie): the metric has no better
    /// direction, or no published group has a defined mean. The default of the key when it is
    /// absent.
    #[default]
    Largest,
}

/// The reference group of one metric in `col` and the rule that chose it; `None` when no group
/// is published for the metric.
///
/// - `published[g]`: group g is published for the metric (a missing entry counts as not);
/// - `means[g]`: the mean of the metric over g's users with a defined value (`None` when none
///   has one);
/// - `better`: the metric's direction, from the registry.
///
/// The chosen reference ([`SliceColumn::chosen_reference`]) applies when it is published for
/// the metric; otherwise the default rule does.
pub fn metric_reference(
    col: &SliceColumn,
    published: &[bool],
    means: &[Option<f64>],
    better: Better,
) -> Option<(usize, ReferenceRule)> {
    let sizes: Vec<usize> = col.groups.iter().map(|g| g.users.len()).collect();
    reference_of_sizes(col.chosen_reference, &sizes, published, means, better)
}

/// Two means closer than this, relative to the larger, are tied for best-off: far above the
/// rounding of a mean of millions of values summed in one order or another (about 1e-13 relative
/// in practice), so a mean computed over partitions of the users picks the same group as one
/// computed in one pass, and two groups whose exact means are equal are told apart by size, not
/// by the rounding of their sums.
pub const TIE_TOLERANCE: f64 = 1e-9;

/// Whether two means are tied for best-off ([`TIE_TOLERANCE`]).
fn tied(a: f64, b: f64) -> bool {
    (a - b).abs() <= TIE_TOLERANCE * a.abs().max(b.abs())
}

/// [`metric_reference`] of a column given by its chosen reference and its groups' sizes.
pub fn reference_of_sizes(
    chosen_reference: Option<usize>,
    sizes: &[usize],
    published: &[bool],
    means: &[Option<f64>],
    better: Better,
) -> Option<(usize, ReferenceRule)> {
    let shown = |g: usize| published.get(g).copied().unwrap_or(false);
    if let Some(r) = chosen_reference.filter(|&r| shown(r)) {
        return Some((r, ReferenceRule::Chosen));
    }
    let mean = |g: usize| means.get(g).copied().flatten().filter(|m| m.is_finite());
    let better_than = |a: f64, b: f64| match better {
        Better::Higher => a > b,
        Better::Lower => a < b,
        Better::Neutral => false,
    };
    let mut best: Option<(usize, f64)> = None;
    if better != Better::Neutral {
        for g in (0..sizes.len()).filter(|&g| shown(g)) {
            let Some(m) = mean(g) else { continue };
            let wins = match best {
                None => true,
                Some((b, mb)) if tied(m, mb) => sizes[g] > sizes[b],
                Some((_, mb)) => better_than(m, mb),
            };
            if wins {
                best = Some((g, m));
            }
        }
    }
    if let Some((g, _)) = best {
        return Some((g, ReferenceRule::BestOff));
    }
    // The largest shown group (the first in label order on a tie).
    let mut largest: Option<usize> = None;
    for g in (0..sizes.len()).filter(|&g| shown(g)) {
        if largest.is_none_or(|b| sizes[g] > sizes[b]) {
            largest = Some(g);
        }
    }
    largest.map(|g| (g, ReferenceRule::Largest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slices::test_column;

    /// Groups a (3 users), b (5 users), c (5 users), in label order.
    fn column(chosen: Option<usize>) -> SliceColumn {
        test_column(&[("a", 3, false), ("b", 5, false), ("c", 5, false)], chosen)
    }

    const ALL: [bool; 3] = [true, true, true];

    #[test]
    fn higher_is_better_takes_the_highest_mean() {
        let means = [Some(0.5), Some(0.2), Some(0.4)];
        let r = metric_reference(&column(None), &ALL, &means, Better::Higher);
        assert_eq!(r, Some((0, ReferenceRule::BestOff)));
    }

    #[test]
    fn means_equal_but_for_rounding_are_tied_and_the_larger_group_wins() {
        // 0.65 summed over 5 users in one order can round to 0.6499999999999999: a tie, won by
        // the larger group (b before c: the first in label order of the two of 5 users).
        let means = [Some(0.6499999999999999), Some(0.65), Some(0.65)];
        let r = metric_reference(&column(None), &ALL, &means, Better::Lower);
        assert_eq!(r, Some((1, ReferenceRule::BestOff)));
        // A difference of 1e-6 relative is not a tie: the lower mean wins.
        let means = [Some(0.649_999_35), Some(0.65), Some(0.65)];
        let r = metric_reference(&column(None), &ALL, &means, Better::Lower);
        assert_eq!(r, Some((0, ReferenceRule::BestOff)));
    }

    #[test]
    fn lower_is_better_takes_the_lowest_mean() {
        let means = [Some(0.5), Some(0.2), Some(0.4)];
        let r = metric_reference(&column(None), &ALL, &means, Better::Lower);
        assert_eq!(r, Some((1, ReferenceRule::BestOff)));
    }

    #[test]
    fn neutral_metrics_take_the_largest_group_first_in_label_order() {
        let means = [Some(0.9), Some(0.2), Some(0.4)];
        let r = metric_reference(&column(None), &ALL, &means, Better::Neutral);
        // b and c both have 5 users: b comes first.
        assert_eq!(r, Some((1, ReferenceRule::Largest)));
    }

    #[test]
    fn ties_go_to_the_larger_group_then_to_label_order() {
        // a (3 users) and c (5 users) tie: c is larger.
        let means = [Some(0.5), Some(0.2), Some(0.5)];
        let r = metric_reference(&column(None), &ALL, &means, Better::Higher);
        assert_eq!(r, Some((2, ReferenceRule::BestOff)));
        // b and c (5 users each) tie: b comes first.
        let means = [Some(0.1), Some(0.5), Some(0.5)];
        let r = metric_reference(&column(None), &ALL, &means, Better::Higher);
        assert_eq!(r, Some((1, ReferenceRule::BestOff)));
    }

    #[test]
    fn only_published_groups_with_a_mean_compete() {
        // a is best but not published; b has no defined mean.
        let means = [Some(0.9), None, Some(0.4)];
        let r = metric_reference(&column(None), &[false, true, true], &means, Better::Higher);
        assert_eq!(r, Some((2, ReferenceRule::BestOff)));
        // No published group has a mean: the largest published group.
        let r = metric_reference(
            &column(None),
            &[true, true, false],
            &[None; 3],
            Better::Higher,
        );
        assert_eq!(r, Some((1, ReferenceRule::Largest)));
        assert_eq!(
            metric_reference(&column(None), &[false; 3], &means, Better::Higher),
            None
        );
    }

    #[test]
    fn a_chosen_reference_wins_where_it_is_published() {
        let means = [Some(0.5), Some(0.2), Some(0.4)];
        let r = metric_reference(&column(Some(1)), &ALL, &means, Better::Higher);
        assert_eq!(r, Some((1, ReferenceRule::Chosen)));
        let r = metric_reference(&column(Some(1)), &ALL, &means, Better::Neutral);
        assert_eq!(r, Some((1, ReferenceRule::Chosen)));
        // Not published for this metric: the default rule.
        let r = metric_reference(
            &column(Some(1)),
            &[true, false, true],
            &means,
            Better::Higher,
        );
        assert_eq!(r, Some((0, ReferenceRule::BestOff)));
    }
}
