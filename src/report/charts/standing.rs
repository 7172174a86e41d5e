//! Where a group stands against the reference group of its slice column, for one metric: the
//! report's visual language. Worse and better need a significant difference in the metric's worse
//! or better direction (the registry's [`Better`]); the fill, the text colour, the symbol and the
//! word of each standing are the same in the charts and the page's tables, so that the symbol
//! carries the meaning in greyscale and for colour-blind readers.

use plotters::style::RGBColor;

use super::palette::{
    BETTER_FILL, BETTER_TEXT, NOT_SIGNIFICANT_FILL, NOT_SIGNIFICANT_TEXT, TEXT, WORSE,
};
use crate::metrics::Better;
use crate::stats::disparity::GroupComparison;

/// Where a group stands against its reference group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Standing {
    /// Significantly worse than the reference (in the metric's worse direction).
    Worse,
    /// A significant difference on a metric with no better direction.
    Differs,
    /// No significant difference (or no direction to tell).
    NotSignificant,
    /// Significantly better than the reference.
    Better,
    /// The reference group itself.
    Reference,
}

impl Standing {
    /// The standing of comparison `g` on a metric whose better direction is `better`;
    /// `is_reference` for the reference group's own entry. The direction is the sign of the
    /// difference to the reference (of the ratio − 1 when the difference is undefined).
    pub fn of(better: Better, is_reference: bool, g: &GroupComparison) -> Standing {
        if is_reference {
            return Standing::Reference;
        }
        let diff = g
            .difference
            .value
            .or(g.ratio.value.map(|r| r - 1.0))
            .filter(|d| d.is_finite() && *d != 0.0);
        match (g.significant, diff, better) {
            (false, _, _) | (true, None, _) => Standing::NotSignificant,
            (true, Some(_), Better::Neutral) => Standing::Differs,
            (true, Some(d), Better::Higher) if d > 0.0 => Standing::Better,
            (true, Some(d), Better::Lower) if d < 0.0 => Standing::Better,
            (true, Some(_), _) => Standing::Worse,
        }
    }

    /// The fill of a bar or marker (white for the reference, which is drawn as an outline).
    pub fn fill(self) -> RGBColor {
        match self {
            Standing::Worse => WORSE,
            Standing::Better => BETTER_FILL,
            Standing::NotSignificant => NOT_SIGNIFICANT_FILL,
            Standing::Differs => NOT_SIGNIFICANT_TEXT,
            Standing::Reference => RGBColor(0xFF, 0xFF, 0xFF),
        }
    }

    /// The colour of text, outlines and whiskers (4.5:1 or more on white).
    pub fn ink(self) -> RGBColor {
        match self {
            Standing::Worse => WORSE,
            Standing::Better => BETTER_TEXT,
            Standing::NotSignificant | Standing::Differs => NOT_SIGNIFICANT_TEXT,
            Standing::Reference => TEXT,
        }
    }

    /// The symbol that marks the standing next to its colour (empty for the reference).
    pub fn symbol(self) -> &'static str {
        match self {
            Standing::Worse => "▼",
            Standing::Better => "▲",
            Standing::NotSignificant => "○",
            Standing::Differs => "◆",
            Standing::Reference => "",
        }
    }

    /// The word of a value label: `worse`, `better`, `n.s.`, `differs`, `ref.`.
    pub fn word(self) -> &'static str {
        match self {
            Standing::Worse => "worse",
            Standing::Better => "better",
            Standing::NotSignificant => "n.s.",
            Standing::Differs => "differs",
            Standing::Reference => "ref.",
        }
    }

    /// Symbol and word (`▼ worse`, `ref.`), as value labels and legends show them.
    pub fn marked(self) -> String {
        match self.symbol() {
            "" => self.word().to_string(),
            s => format!("{s} {}", self.word()),
        }
    }

    /// What the standing means, as legends say it.
    pub fn legend(self) -> &'static str {
        match self {
            Standing::Worse => "▼ worse than the reference",
            Standing::Better => "▲ better than the reference",
            Standing::NotSignificant => "○ no significant difference",
            Standing::Differs => "◆ differs (no better direction)",
            Standing::Reference => "ref. reference group",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Estimate;

    /// A comparison whose difference to the reference is `diff`, significant or not.
    fn cmp(diff: Option<f64>, significant: bool) -> GroupComparison {
        let e = |v: Option<f64>| Estimate {
            value: v,
            ci_low: None,
            ci_high: None,
            n: 50,
        };
        GroupComparison {
            group: 1,
            estimate: e(Some(0.5)),
            difference: e(diff),
            ratio: e(None),
            p_value: Some(if significant { 0.001 } else { 0.4 }),
            p_adjusted: Some(if significant { 0.002 } else { 0.5 }),
            test: None,
            significant,
            four_fifths: None,
        }
    }

    #[test]
    fn worse_and_better_follow_the_metrics_direction_and_need_significance() {
        use Better::{Higher, Lower, Neutral};
        // A higher mean is better for NDCG and worse for ARP.
        assert_eq!(
            Standing::of(Higher, false, &cmp(Some(-0.09), true)),
            Standing::Worse
        );
        assert_eq!(
            Standing::of(Higher, false, &cmp(Some(0.09), true)),
            Standing::Better
        );
        assert_eq!(
            Standing::of(Lower, false, &cmp(Some(0.09), true)),
            Standing::Worse
        );
        assert_eq!(
            Standing::of(Lower, false, &cmp(Some(-0.09), true)),
            Standing::Better
        );
        // Not significant, whatever the sign; no sign to read.
        assert_eq!(
            Standing::of(Higher, false, &cmp(Some(-0.09), false)),
            Standing::NotSignificant
        );
        assert_eq!(
            Standing::of(Lower, false, &cmp(Some(0.0), true)),
            Standing::NotSignificant
        );
        assert_eq!(
            Standing::of(Higher, false, &cmp(None, true)),
            Standing::NotSignificant
        );
        assert_eq!(
            Standing::of(Neutral, false, &cmp(Some(0.2), true)),
            Standing::Differs
        );
        assert_eq!(
            Standing::of(Higher, true, &cmp(Some(0.0), false)),
            Standing::Reference
        );
        // Without a difference, the ratio's side of 1 gives the direction.
        let mut by_ratio = cmp(None, true);
        by_ratio.ratio.value = Some(0.4);
        assert_eq!(Standing::of(Higher, false, &by_ratio), Standing::Worse);
        assert_eq!(Standing::of(Lower, false, &by_ratio), Standing::Better);
    }

    #[test]
    fn each_standing_has_its_own_symbol_word_and_colours() {
        let all = [
            Standing::Worse,
            Standing::Differs,
            Standing::NotSignificant,
            Standing::Better,
            Standing::Reference,
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a.word(), b.word());
                assert_ne!(a.fill(), b.fill());
                assert_ne!(a.legend(), b.legend());
            }
        }
        assert_eq!(Standing::Worse.marked(), "▼ worse");
        assert_eq!(Standing::Better.marked(), "▲ better");
        assert_eq!(Standing::NotSignificant.marked(), "○ n.s.");
        assert_eq!(Standing::Reference.marked(), "ref.");
        assert_eq!(Standing::Worse.fill(), RGBColor(0xA6, 0x36, 0x03));
        assert_eq!(Standing::Better.ink(), RGBColor(0x1F, 0x5F, 0x99));
    }
}
