//! `max_value`, `min_value` and `max_share_narrowed`: a value (overall, per slice group, per item
//! group) against a bound; with `significant_only`, a breach fails only when the value's interval
//! lies entirely beyond the threshold (a value without an interval is judged by its point).

use crate::format::{fmt_fixed_estimate, fmt_threshold};
use crate::gate::compare;
use crate::gate::outcome::{GateOutcome, Status};
use crate::stats::Estimate;

use super::{Ctx, Scope};

impl Ctx<'_> {
    /// max_value, min_value, max_share_narrowed.
    pub(super) fn bound(&self, out: &mut Vec<GateOutcome>) {
        let key = self.key();
        let values = compare::audit_values(self.result);
        let item_col = self.item_column();
        for scope in self.scopes() {
            if let Some(reason) = &scope.skip {
                out.push(self.skip(&scope, None, reason.clone()));
                continue;
            }
            let here: Vec<_> = values
                .iter()
                .filter(|(k, ..)| {
                    k.0 == key && k.1 == scope.slice && k.2.as_deref() == scope.group.as_deref()
                })
                .collect();
            if here.is_empty() {
                out.push(self.skip(
                    &scope,
                    None,
                    "value undefined: no value for this scope in the audit".into(),
                ));
            }
            for (k, _, _, est) in here {
                let item = item_col.as_deref().zip(k.3.as_deref());
                out.push(self.judge_bound(&scope, item, est));
            }
        }
    }

    fn judge_bound(
        &self,
        scope: &Scope,
        item: Option<(&str, &str)>,
        est: &Estimate,
    ) -> GateOutcome {
        let g = self.gate;
        let is_min = g.rule.is_min();
        let t = g.threshold;
        let Some(v) = est.value else {
            return self.skip(
                scope,
                item,
                "value undefined: no user in this scope has a defined value".into(),
            );
        };
        let breach = if is_min { v < t } else { v > t };
        let shown = fmt_fixed_estimate(est);
        let (ok, bad) = if is_min { ("≥", "<") } else { ("≤", ">") };
        let thr = fmt_threshold(t);
        let (status, significant, detail) = if !breach {
            (Status::Pass, None, format!("{shown} {ok} {thr}"))
        } else if !g.significant_only {
            (Status::Fail, None, format!("{shown} {bad} {thr}"))
        } else {
            match (est.ci_low, est.ci_high) {
                (Some(lo), Some(hi)) => {
                    let sig = if is_min { hi < t } else { lo > t };
                    if sig {
                        (
                            Status::Fail,
                            Some(true),
                            format!("{shown} {bad} {thr}, interval entirely beyond the threshold"),
                        )
                    } else {
                        (
                            Status::Pass,
                            Some(false),
                            format!("{shown} {bad} {thr}, not significant: the interval reaches the threshold"),
                        )
                    }
                }
                _ => (
                    Status::Fail,
                    None,
                    format!("{shown} {bad} {thr} (no interval: judged on the point value)"),
                ),
            }
        };
        let mut o = self.outcome(scope, item, status, *est, detail);
        o.significant = significant;
        o
    }
}

#[cfg(test)]
mod tests {
    use crate::gate::test_support::{run, status_of};
    use crate::gate::Status;

    #[test]
    fn max_value_uses_the_interval_for_significance() {
        // 0.35 [0.30, 0.40] > 0.3 but the interval reaches 0.3: not significant.
        let r = run("metric = \"miscalibration\"\nrule = \"max_value\"\nthreshold = 0.3");
        let o = status_of(&r, "overall");
        assert_eq!(o.status, Status::Pass);
        assert_eq!(o.significant, Some(false));
        let r = run("metric = \"miscalibration\"\nrule = \"max_value\"\nthreshold = 0.25");
        assert_eq!(status_of(&r, "overall").status, Status::Fail);
        let r = run("metric = \"miscalibration\"\nrule = \"max_value\"\nthreshold = 0.3\nsignificant_only = false");
        assert_eq!(status_of(&r, "overall").status, Status::Fail);
        let r = run("metric = \"miscalibration\"\nrule = \"max_value\"\nthreshold = 0.5");
        assert_eq!(
            status_of(&r, "overall").line(),
            "PASS  max_value miscalibration overall  0.350 [0.300, 0.400] ≤ 0.5"
        );
    }

    #[test]
    fn min_value_on_corpus_values_judges_the_point() {
        let r = run("metric = \"catalog_coverage\"\nrule = \"min_value\"\nthreshold = 0.5");
        let o = status_of(&r, "overall");
        assert_eq!(o.status, Status::Fail);
        assert!(o.detail.contains("no interval"), "{}", o.detail);
        let r = run(
            "metric = \"catalog_coverage\"\nslice = \"gender\"\nrule = \"min_value\"\nthreshold = 0.32",
        );
        assert_eq!(status_of(&r, "gender=F").status, Status::Fail);
        assert_eq!(status_of(&r, "gender=M").status, Status::Pass);
        assert_eq!(status_of(&r, "gender").status, Status::Skipped);
        // An undefined corpus value is skipped.
        let r = run("metric = \"personalisation\"\nrule = \"min_value\"\nthreshold = 0.5");
        let o = status_of(&r, "overall");
        assert_eq!(o.status, Status::Skipped);
        assert!(o.detail.contains("value undefined"), "{}", o.detail);
    }

    #[test]
    fn max_share_narrowed_per_group() {
        let r = run("rule = \"max_share_narrowed\"\nslice = \"gender\"\nthreshold = 0.3");
        assert_eq!(status_of(&r, "gender=F").status, Status::Fail);
        assert_eq!(status_of(&r, "gender=M").status, Status::Pass);
        assert_eq!(status_of(&r, "gender").status, Status::Skipped);
        assert_eq!(r.outcomes[0].metric, "narrowed");
        let r = run("rule = \"max_share_narrowed\"\nthreshold = 0.3");
        assert_eq!(status_of(&r, "overall").status, Status::Pass);
    }

    #[test]
    fn share_gates_per_item_group() {
        let r = run("metric = \"disparate_exposure_ratio_catalog\"\nslice = \"provider\"\nrule = \"min_value\"\nthreshold = 0.8");
        assert_eq!(r.outcomes.len(), 2);
        assert_eq!(status_of(&r, "provider=indie").status, Status::Fail);
        assert_eq!(status_of(&r, "provider=major").status, Status::Pass);
        assert_eq!(
            r.outcomes[0].metric,
            "disparate_exposure_ratio_catalog_provider"
        );
        // exposure_share_provider of indie has an interval: 0.1 [0.08, 0.12] vs 0.11.
        let r = run("metric = \"exposure_share_provider\"\nrule = \"min_value\"\nthreshold = 0.11");
        let o = status_of(&r, "provider=indie");
        assert_eq!(o.status, Status::Pass);
        assert_eq!(o.value.ci_low, Some(0.08));
    }
}
