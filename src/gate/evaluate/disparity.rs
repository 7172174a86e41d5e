//! `min_ratio` and `max_difference`: each group of a slice column compared with the metric's
//! reference group in that column (by default its best-off group, see
//! [`metric_reference`](crate::slices::reference::metric_reference)); with `significant_only`, a
//! gap fails only when the comparison is significant.

use crate::format::{fmt_fixed_estimate, fmt_p, fmt_threshold};
use crate::gate::outcome::{GateOutcome, Status};
use crate::gate::rule::{Rule, Target};
use crate::stats::{Estimate, GroupComparison};

use super::{Ctx, Scope};

impl Ctx<'_> {
    /// min_ratio, max_difference.
    pub(super) fn disparity(&self, out: &mut Vec<GateOutcome>) {
        let g = self.gate;
        let Target::User { name } = &g.target else {
            unreachable!("validated: disparity rules take per-user metrics")
        };
        let metric = &self.result.metrics[name];
        let sm = metric.slices.get(&g.slice);
        let reference = sm
            .and_then(|s| s.disparity.as_ref())
            .map(|d| d.reference.clone());
        for scope in self.scopes() {
            if scope.group.is_some() && scope.group == reference {
                continue; // compared with itself
            }
            if let Some(reason) = &scope.skip {
                out.push(self.skip(&scope, None, reason.clone()));
                continue;
            }
            let label = scope.group.as_deref().unwrap_or_default();
            let Some(d) = sm.and_then(|s| s.disparity.as_ref()) else {
                out.push(self.skip(
                    &scope,
                    None,
                    "no reference group (suppressed or absent): no disparity to judge".into(),
                ));
                continue;
            };
            let Some(gc) = d.groups.get(label) else {
                out.push(self.skip(&scope, None, "not compared with the reference group".into()));
                continue;
            };
            let ref_value = d.groups.get(&d.reference).and_then(|r| r.estimate.value);
            out.push(self.judge_disparity(&scope, gc, ref_value, &d.reference));
        }
    }

    /// One group compared with the reference. `min_ratio` judges the lower of the two against
    /// the higher (the four-fifths reading: "a group gets less than threshold × what another
    /// gets"), so a reference group that is itself the disadvantaged one is caught too: its ratio
    /// is 1 / (group / reference), interval [1/hi, 1/lo]. `max_difference` judges |group −
    /// reference|.
    fn judge_disparity(
        &self,
        scope: &Scope,
        gc: &GroupComparison,
        ref_value: Option<f64>,
        reference: &str,
    ) -> GateOutcome {
        let g = self.gate;
        let t = g.threshold;
        let ratio = g.rule == Rule::MinRatio;
        let group = scope.group.clone().unwrap_or_default();
        let what = if ratio { "ratio" } else { "difference" };
        let pair = |low: &str, high: &str| Scope {
            slice: scope.slice.clone(),
            group: Some(low.to_string()),
            versus: Some(high.to_string()),
            skip: None,
        };
        let raw = if ratio { gc.ratio } else { gc.difference };
        let Some(v) = raw.value else {
            let reason = if gc.estimate.value.is_none() {
                "value undefined: no user of the group has a defined value".to_string()
            } else if ratio && ref_value == Some(0.0) {
                "ratio undefined: reference is 0 (a max_difference gate judges this pair)"
                    .to_string()
            } else if ref_value.is_none() {
                format!("{what} undefined: the reference group has no defined value")
            } else {
                format!("{what} undefined")
            };
            return self.skip(&pair(&group, reference), None, reason);
        };
        let (est, here) = if ratio && v > 1.0 {
            (invert(&raw), pair(reference, &group))
        } else {
            (raw, pair(&group, reference))
        };
        let v = est.value.unwrap_or(v);
        let breach = if ratio { v < t } else { v.abs() > t };
        let thr = fmt_threshold(t);
        let (ok, bad) = if ratio {
            ("≥", "<")
        } else {
            ("|d| ≤", "|d| >")
        };
        let shown = format!("{what} {}", fmt_fixed_estimate(&est));
        let p = gc
            .p_adjusted
            .map_or(String::new(), |p| format!(", p_adj {}", fmt_p(p)));
        let (status, detail) = if !breach {
            (Status::Pass, format!("{shown} {ok} {thr}"))
        } else if !g.significant_only {
            (Status::Fail, format!("{shown} {bad} {thr}"))
        } else if gc.significant {
            (Status::Fail, format!("{shown} {bad} {thr}, significant{p}"))
        } else {
            (
                Status::Pass,
                format!("{shown} {bad} {thr}, not significant{p}"),
            )
        };
        let mut o = self.outcome(&here, None, status, est, detail);
        o.significant = Some(gc.significant);
        o.p_adjusted = gc.p_adjusted;
        o
    }
}

/// 1 / ratio, with the percentile interval mapped through (it stays a percentile interval, as
/// 1/x is monotone on positive ratios); the interval is dropped when it reaches 0.
fn invert(e: &Estimate) -> Estimate {
    let (ci_low, ci_high) = match (e.ci_low, e.ci_high) {
        (Some(lo), Some(hi)) if lo > 0.0 => (Some(1.0 / hi), Some(1.0 / lo)),
        _ => (None, None),
    };
    Estimate {
        value: e.value.map(|v| 1.0 / v),
        ci_low,
        ci_high,
        n: e.n,
    }
}

#[cfg(test)]
mod tests {
    use crate::gate::evaluate;
    use crate::gate::test_support::{fixture, gate, run, status_of};
    use crate::gate::Status;

    #[test]
    fn min_ratio_fails_on_a_significant_gap_and_skips_suppressed_groups() {
        let r = run("metric = \"ndcg\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.8");
        // M is the reference: not judged against itself.
        assert_eq!(r.outcomes.len(), 2, "{:#?}", r.lines());
        let f = status_of(&r, "gender=F vs M");
        assert_eq!(f.status, Status::Fail);
        assert_eq!(f.value.value, Some(0.70));
        assert_eq!(f.significant, Some(true));
        assert_eq!(
            f.line(),
            "FAIL  min_ratio ndcg gender=F vs M  ratio 0.700 [0.600, 0.800] < 0.8, significant, p_adj 0.0010"
        );
        // The suppressed group is counted, never named or sized.
        let x = status_of(&r, "gender");
        assert_eq!(x.status, Status::Skipped);
        assert_eq!(
            x.detail,
            "1 group not published (fewer than 20 users, or withheld so that a smaller group cannot be recovered by subtraction); not judged"
        );
        assert!(r.lines().iter().all(|l| !l.contains("=X")));
        assert!(r.failed());

        let r = run("metric = \"ndcg\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.6");
        assert_eq!(status_of(&r, "gender=F vs M").status, Status::Pass);
        assert!(status_of(&r, "gender=F vs M")
            .line()
            .contains("ratio 0.700 [0.600, 0.800] ≥ 0.6"));
        assert!(!r.failed());
    }

    #[test]
    fn each_metric_is_judged_against_its_own_reference_group() {
        // No chosen reference: the disparity names the metric's reference (M, the best-off
        // group), and that group is still not judged against itself.
        let mut result = fixture();
        result.slices.get_mut("gender").unwrap().chosen_reference = None;
        let body = "metric = \"ndcg\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.8";
        let r = evaluate(&result, &gate(body), None).unwrap();
        assert_eq!(r.outcomes.len(), 2, "{:#?}", r.lines());
        assert_eq!(status_of(&r, "gender=F vs M").status, Status::Fail);
        assert_eq!(r.lines(), run(body).lines());
    }

    #[test]
    fn min_ratio_catches_a_disadvantaged_reference_group() {
        let r = run("metric = \"hit\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.8");
        let o = status_of(&r, "gender=M vs F");
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.group.as_deref(), Some("M"));
        assert_eq!(o.versus.as_deref(), Some("F"));
        assert_eq!(
            o.line(),
            "FAIL  min_ratio hit gender=M vs F  ratio 0.400 [0.320, 0.500] < 0.8, significant, p_adj 0.0010"
        );
    }

    #[test]
    fn min_ratio_needs_significance_unless_told_otherwise() {
        let body = "metric = \"ndcg\"\nslice = \"age_band\"\nrule = \"min_ratio\"\nthreshold = 0.8";
        let r = run(body);
        let o = status_of(&r, "age_band=18-24 vs 25-34");
        assert_eq!(o.status, Status::Pass);
        assert!(o.detail.contains("< 0.8, not significant"), "{}", o.detail);
        let r = run(&format!("{body}\nsignificant_only = false"));
        assert_eq!(
            status_of(&r, "age_band=18-24 vs 25-34").status,
            Status::Fail
        );
    }

    #[test]
    fn undefined_ratio_is_skipped_never_passed() {
        let r = run("metric = \"recall\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.8\nsignificant_only = false");
        let f = status_of(&r, "gender=F vs M");
        assert_eq!(f.status, Status::Skipped);
        assert!(
            f.detail.starts_with("ratio undefined: reference is 0"),
            "{}",
            f.detail
        );
        assert_eq!(r.count(Status::Pass), 0);
        assert!(!r.failed());
    }

    #[test]
    fn max_difference_judges_the_absolute_difference() {
        let r = run(
            "metric = \"ndcg\"\nslice = \"gender\"\nrule = \"max_difference\"\nthreshold = 0.05",
        );
        let f = status_of(&r, "gender=F vs M");
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.detail
                .contains("difference −0.090 [−0.130, −0.050] |d| > 0.05"),
            "{}",
            f.detail
        );
        let r = run(
            "metric = \"ndcg\"\nslice = \"gender\"\nrule = \"max_difference\"\nthreshold = 0.1",
        );
        assert_eq!(status_of(&r, "gender=F vs M").status, Status::Pass);
        // recall: the difference is defined even though the ratio is not.
        let r = run("metric = \"recall\"\nslice = \"gender\"\nrule = \"max_difference\"\nthreshold = 0.05\nsignificant_only = false");
        assert_eq!(status_of(&r, "gender=F vs M").status, Status::Fail);
    }
}
