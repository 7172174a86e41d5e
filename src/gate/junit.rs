//! `gates.junit.xml`: one `<testsuite>` with one `<testcase>` per gate and scope, readable by
//! GitHub Actions test reporters, GitLab, Jenkins and Azure Pipelines.
//!
//! - `classname` is the gate's label (its `name`, or `rule metric slice`); `name` is
//!   `rule metric scope` (`min_ratio ndcg gender=F`).
//! - A failed gate is a `<failure>` whose `message` is the outcome's detail (number, interval,
//!   threshold, significance) and whose `type` is the rule; a skipped one is `<skipped>` with the
//!   reason as `message`. Every test case carries its full line as `<system-out>`.
//! - Labels, details and the policy path are written as [`visible`] shows them: XML 1.0 has no
//!   way to carry most control characters, and parsers turn a line break in an attribute into a
//!   space.

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::evaluate::{GateReport, Status};
use crate::text::visible;

/// The JUnit XML of a gate report.
pub fn junit_xml(report: &GateReport) -> String {
    let mut suite = TestSuite::new("recaudit gates");
    if let Some(p) = &report.policy {
        suite.add_property(Property::new(
            "policy",
            visible(&p.display().to_string()).into_owned(),
        ));
    }
    for o in &report.outcomes {
        let status = match o.status {
            Status::Pass => TestCaseStatus::success(),
            Status::Fail => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(visible(&o.detail).into_owned());
                s.set_type(o.rule.name());
                s.set_description(o.line());
                s
            }
            Status::Skipped => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(visible(&o.detail).into_owned());
                s
            }
        };
        let name = format!("{} {} {}", o.rule, o.metric, o.scope);
        let mut tc = TestCase::new(visible(&name).into_owned(), status);
        tc.set_classname(visible(&o.label).into_owned());
        tc.set_system_out(o.line());
        suite.add_test_case(tc);
    }
    let mut r = Report::new("recaudit");
    r.add_test_suite(suite);
    r.to_string()
        .expect("serialising JUnit XML to a string cannot fail")
}

/// Writes [`junit_xml`] to `path`.
pub fn write_junit(report: &GateReport, path: &std::path::Path) -> std::io::Result<()> {
    std::fs::write(path, junit_xml(report))
}
