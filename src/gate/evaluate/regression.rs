//! `max_regression`: the change from a baseline audit in the worse direction against a bound; with
//! `significant_only`, a breach fails only when the change is significant after Benjamini–Hochberg
//! adjustment across the rows the gate judges.

use crate::format::{fmt_fixed, fmt_fixed_estimate, fmt_p, fmt_threshold};
use crate::gate::compare::{ChangeRow, Comparison};
use crate::gate::outcome::{GateOutcome, Status};
use crate::stats::benjamini_hochberg;

use super::{Ctx, Scope};

impl Ctx<'_> {
    /// max_regression: the comparison's raw p-values, Benjamini–Hochberg adjusted across the rows
    /// this gate judges (see [`compare`](mod@crate::gate::compare)).
    pub(super) fn regression(&self, cmp: Option<&Comparison>, out: &mut Vec<GateOutcome>) {
        let g = self.gate;
        let key = self.key();
        let item_col = self.item_column();
        let Some(cmp) = cmp else {
            for scope in self.scopes() {
                out.push(self.skip(
                    &scope,
                    None,
                    "no baseline audit given (--baseline): nothing to compare with".into(),
                ));
            }
            return;
        };
        // Judged rows first, so that their p-values are adjusted together.
        enum Item<'r> {
            Skip(GateOutcome),
            Judge(Scope, &'r ChangeRow),
        }
        let mut items = Vec::new();
        for scope in self.scopes() {
            if let Some(reason) = &scope.skip {
                items.push(Item::Skip(self.skip(&scope, None, reason.clone())));
                continue;
            }
            let rows: Vec<_> = cmp
                .rows
                .iter()
                .filter(|r| {
                    r.metric == key
                        && r.slice == scope.slice
                        && r.group.as_deref() == scope.group.as_deref()
                })
                .collect();
            if rows.is_empty() {
                items.push(Item::Skip(self.skip(
                    &scope,
                    None,
                    "value undefined: not in either audit".into(),
                )));
            }
            for r in rows {
                if r.worse_by.is_some() {
                    let s = Scope {
                        slice: scope.slice.clone(),
                        group: scope.group.clone(),
                        versus: None,
                        skip: None,
                    };
                    items.push(Item::Judge(s, r));
                    continue;
                }
                let item = item_col.as_deref().zip(r.item_group.as_deref());
                let reason = match (r.baseline.value, r.candidate.value) {
                    (None, Some(_)) => "value undefined in the baseline audit (or absent there)",
                    (Some(_), None) => "value undefined in this audit",
                    _ => "value undefined in both audits",
                };
                items.push(Item::Skip(self.skip(&scope, item, reason.into())));
            }
        }
        let p: Vec<f64> = items
            .iter()
            .filter_map(|i| match i {
                Item::Judge(_, r) => Some(r.p_value.unwrap_or(f64::NAN)),
                Item::Skip(_) => None,
            })
            .collect();
        let mut q = benjamini_hochberg(&p).into_iter();
        let alpha = self.result.settings.stats.alpha;
        for it in items {
            let (scope, r) = match it {
                Item::Skip(o) => {
                    out.push(o);
                    continue;
                }
                Item::Judge(s, r) => (s, r),
            };
            let q = q.next().filter(|x| !x.is_nan());
            let item = item_col.as_deref().zip(r.item_group.as_deref());
            let worse = r.worse_by.unwrap_or(f64::NAN);
            let thr = fmt_threshold(g.threshold);
            let significant = q.map(|q| q < alpha);
            let breach = worse > g.threshold;
            let how = format!(
                "{} → {}, change {}, worse by {}",
                r.baseline.value.map_or("—".into(), fmt_fixed),
                r.candidate.value.map_or("—".into(), fmt_fixed),
                fmt_fixed_estimate(&r.change),
                fmt_fixed(worse)
            );
            let p = q.map_or(String::new(), |p| format!(", p_adj {}", fmt_p(p)));
            let (status, detail) = match (breach, g.significant_only, significant) {
                (false, ..) => (Status::Pass, format!("{how} ≤ {thr}")),
                (true, false, _) => (Status::Fail, format!("{how} > {thr}")),
                (true, true, None) => (
                    Status::Fail,
                    format!("{how} > {thr} (no intervals: judged on the point values)"),
                ),
                (true, true, Some(true)) => {
                    (Status::Fail, format!("{how} > {thr}, significant{p}"))
                }
                (true, true, Some(false)) => {
                    (Status::Pass, format!("{how} > {thr}, not significant{p}"))
                }
            };
            let mut o = self.outcome(&scope, item, status, r.change, detail);
            o.significant = significant;
            o.p_adjusted = q;
            out.push(o);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::gate::test_support::{est, fixture, gate, jitter, status_of};
    use crate::gate::{compare, evaluate, Status};

    #[test]
    fn max_regression_judges_the_comparison() {
        let base = fixture();
        let mut cand = jitter(&base, -0.5);
        cand.metrics.get_mut("ndcg").unwrap().overall = est(0.25, 0.23, 0.27, 225);
        let p = gate("metric = \"ndcg\"\nrule = \"max_regression\"\nthreshold = 0.01");
        let cmp = compare(&base, &cand);
        let r = evaluate(&cand, &p, Some(&cmp)).unwrap();
        let o = status_of(&r, "overall");
        assert_eq!(o.status, Status::Fail, "{}", o.line());
        assert!(
            o.detail.starts_with("0.300 → 0.250, change −0.050 ["),
            "{}",
            o.detail
        );
        assert!(
            o.detail.contains("worse by 0.050 > 0.01, significant"),
            "{}",
            o.detail
        );

        // A re-run's noise does not fail it, even past the threshold.
        let rerun = jitter(&base, -0.5);
        let r = evaluate(&rerun, &p, Some(&compare(&base, &rerun))).unwrap();
        let o = status_of(&r, "overall");
        assert_eq!(o.status, Status::Pass, "{}", o.line());
        assert!(o.detail.contains("not significant"), "{}", o.detail);

        // Per group, with a suppressed group skipped; and no baseline: skipped.
        let p = gate(
            "metric = \"ndcg\"\nslice = \"gender\"\nrule = \"max_regression\"\nthreshold = 0.01",
        );
        let r = evaluate(&cand, &p, Some(&cmp)).unwrap();
        assert_eq!(r.outcomes.len(), 3);
        assert_eq!(status_of(&r, "gender").status, Status::Skipped);
        let r = evaluate(&cand, &p, None).unwrap();
        assert!(r
            .outcomes
            .iter()
            .all(|o| o.status == Status::Skipped && o.detail.contains("no baseline")));

        // Lower-is-better: a rise is a regression.
        let mut worse = base.clone();
        worse.metrics.get_mut("miscalibration").unwrap().overall = est(0.5, 0.45, 0.55, 225);
        let p = gate("metric = \"miscalibration\"\nrule = \"max_regression\"\nthreshold = 0.05");
        let r = evaluate(&worse, &p, Some(&compare(&base, &worse))).unwrap();
        assert_eq!(status_of(&r, "overall").status, Status::Fail);
        let r = evaluate(&base, &p, Some(&compare(&worse, &base))).unwrap();
        assert_eq!(status_of(&r, "overall").status, Status::Pass);
    }
}
