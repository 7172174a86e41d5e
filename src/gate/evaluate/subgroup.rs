//! `max_subgroup_gap`: the gap of every subgroup the subgroup search found significantly worse off
//! than the rest of the users ([`crate::slices::subgroups`]) against a bound. One outcome per
//! published finding of the gate's metric; a single passing outcome when there is none.

use crate::format::{fmt_fixed, fmt_threshold};
use crate::gate::outcome::{GateOutcome, Status};
use crate::gate::rule::OVERALL;
use crate::metrics::Better;
use crate::slices::subgroups::SubgroupFinding;
use crate::stats::Estimate;

use super::{Ctx, Scope};

/// The finding's gap with its interval: the difference's interval turned the way the gap is.
pub(crate) fn gap_estimate(f: &SubgroupFinding, better: Better) -> Estimate {
    let d = f.difference;
    let (lo, hi) = match better {
        Better::Higher => (d.ci_high.map(|x| -x), d.ci_low.map(|x| -x)),
        Better::Lower => (d.ci_low, d.ci_high),
        Better::Neutral if d.value.is_some_and(|v| v < 0.0) => {
            (d.ci_high.map(|x| -x), d.ci_low.map(|x| -x))
        }
        Better::Neutral => (d.ci_low, d.ci_high),
    };
    Estimate {
        value: Some(f.gap),
        ci_low: lo,
        ci_high: hi,
        n: f.n_users,
    }
}

/// How a finding's subgroup is named in a gate line: `gender=F × age_band=55+`.
pub(crate) fn subgroup_name(f: &SubgroupFinding) -> String {
    f.columns
        .iter()
        .zip(&f.values)
        .map(|(c, v)| format!("{c}={v}"))
        .collect::<Vec<_>>()
        .join(" × ")
}

impl Ctx<'_> {
    /// max_subgroup_gap.
    pub(super) fn subgroup_gap(&self, out: &mut Vec<GateOutcome>) {
        let g = self.gate;
        let search = &self.result.subgroups;
        let thr = fmt_threshold(g.threshold);
        let findings: Vec<&SubgroupFinding> = search
            .findings
            .iter()
            .filter(|f| f.metric == g.metric)
            .collect();
        if findings.is_empty() {
            let scope = Scope {
                slice: OVERALL.into(),
                group: None,
                versus: None,
                skip: None,
            };
            let detail = format!(
                "no subgroup significantly worse off ({} tests, Benjamini–Yekutieli at α = {})",
                search.tests,
                fmt_threshold(search.alpha)
            );
            out.push(self.outcome(&scope, None, Status::Pass, Estimate::default(), detail));
            return;
        }
        for f in findings {
            let est = gap_estimate(f, g.target.better());
            let scope = Scope {
                slice: "subgroup".into(),
                group: Some(subgroup_name(f)),
                versus: None,
                skip: None,
            };
            let (status, cmp) = if f.gap > g.threshold {
                (Status::Fail, ">")
            } else {
                (Status::Pass, "≤")
            };
            let detail = format!(
                "gap {} {cmp} {thr}  vs the rest  (BY-adjusted p {})",
                fmt_fixed(f.gap),
                crate::format::fmt_p(f.adjusted_p)
            );
            let mut o = self.outcome(&scope, None, status, est, detail);
            o.significant = Some(true);
            o.p_adjusted = Some(f.adjusted_p);
            out.push(o);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::gate::test_support::{fixture, gate};
    use crate::gate::{evaluate, Status};
    use crate::slices::subgroups::SubgroupFinding;
    use crate::stats::Estimate;

    fn finding(gap: f64) -> SubgroupFinding {
        SubgroupFinding {
            metric: "ndcg".into(),
            columns: vec!["gender".into(), "age_band".into()],
            values: vec!["F".into(), "55+".into()],
            n_users: 30,
            mean: 0.3,
            rest_mean: 0.3 + gap,
            difference: Estimate {
                value: Some(-gap),
                ci_low: Some(-gap - 0.1),
                ci_high: Some(-gap + 0.1),
                n: 30,
            },
            gap,
            p_value: 0.0001,
            adjusted_p: 0.002,
        }
    }

    #[test]
    fn each_finding_is_judged_and_none_passes() {
        let mut r = fixture();
        r.subgroups.findings = vec![finding(0.4), finding(0.05)];
        r.subgroups.findings[1].values = vec!["M".into(), "18-34".into()];
        let p = gate("metric = \"ndcg\"\nrule = \"max_subgroup_gap\"\nthreshold = 0.1");
        let rep = evaluate(&r, &p, None).unwrap();
        assert_eq!(rep.outcomes.len(), 2);
        let o = &rep.outcomes[0];
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.scope, "subgroup=gender=F × age_band=55+");
        // The gap of a higher-is-better metric is −difference: its interval [0.3, 0.5].
        assert_eq!(
            (o.value.ci_low, o.value.ci_high),
            (Some(0.30000000000000004), Some(0.5))
        );
        assert_eq!(o.p_adjusted, Some(0.002));
        assert_eq!(rep.outcomes[1].status, Status::Pass);
        // No finding for the metric: one passing outcome.
        let p = gate("metric = \"recall\"\nrule = \"max_subgroup_gap\"\nthreshold = 0.1");
        let rep = evaluate(&r, &p, None).unwrap();
        assert_eq!(rep.outcomes.len(), 1);
        assert_eq!(rep.outcomes[0].status, Status::Pass);
        assert!(
            rep.outcomes[0].detail.contains("no subgroup"),
            "{}",
            rep.outcomes[0].detail
        );
    }
}
