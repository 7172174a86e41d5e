//! `max_nmi`: the segregation NMI of a slice column against a bound. The NMI has no interval: its
//! point is judged.

use crate::format::{fmt_fixed, fmt_threshold};
use crate::gate::outcome::{GateOutcome, Status};
use crate::stats::Estimate;

use super::{Ctx, Scope};

impl Ctx<'_> {
    /// max_nmi.
    pub(super) fn nmi(&self, out: &mut Vec<GateOutcome>) {
        let g = self.gate;
        let scope = Scope {
            slice: g.slice.clone(),
            group: None,
            versus: None,
            skip: None,
        };
        let seg = self.result.segregation.as_ref().expect("checked present");
        let Some(s) = seg.slices.iter().find(|s| s.column == g.slice) else {
            out.push(self.skip(
                &scope,
                None,
                "no segregation analysis for this slice column".into(),
            ));
            return;
        };
        let Some(v) = s.nmi else {
            out.push(self.skip(
                &scope,
                None,
                "NMI undefined: fewer than two groups have clustered users".into(),
            ));
            return;
        };
        let est = Estimate::point(Some(v), s.n_users);
        let thr = fmt_threshold(g.threshold);
        let (status, detail) = if v > g.threshold {
            (Status::Fail, format!("NMI {} > {thr}", fmt_fixed(v)))
        } else {
            (Status::Pass, format!("NMI {} ≤ {thr}", fmt_fixed(v)))
        };
        out.push(self.outcome(&scope, None, status, est, detail));
    }
}

#[cfg(test)]
mod tests {
    use crate::gate::test_support::{run, status_of};
    use crate::gate::Status;

    #[test]
    fn max_nmi_per_slice_column() {
        let r = run("rule = \"max_nmi\"\nslice = \"region\"\nthreshold = 0.2");
        let o = status_of(&r, "region");
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.line(), "FAIL  max_nmi nmi region  NMI 0.300 > 0.2");
        let r = run("rule = \"max_nmi\"\nslice = \"region\"\nthreshold = 0.5");
        assert_eq!(status_of(&r, "region").status, Status::Pass);
        let r = run("rule = \"max_nmi\"\nslice = \"gender\"\nthreshold = 0.5");
        let o = status_of(&r, "gender");
        assert_eq!(o.status, Status::Skipped);
        assert!(o.detail.contains("NMI undefined"));
    }
}
