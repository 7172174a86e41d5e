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

use super::outcome::{GateReport, Status};
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::test_support::{fixture, hostile_report, HOSTILE_SHOWN};
    use crate::gate::{evaluate, run_gates, Policy, JUNIT_FILE};

    #[test]
    fn junit_has_one_case_per_gate_and_group() {
        let p = Policy::parse(
            r#"
            [[gate]]
            name = "ndcg parity"
            metric = "ndcg"
            slice = "gender"
            rule = "min_ratio"
            threshold = 0.8
            [[gate]]
            metric = "recall"
            slice = "gender"
            rule = "min_ratio"
            threshold = 0.8
            [[gate]]
            metric = "miscalibration"
            rule = "max_value"
            threshold = 0.5
            "#,
        )
        .unwrap();
        let report = evaluate(&fixture(), &p, None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let rep = run_gates(&fixture(), &p, None, dir.path(), true).unwrap();
        assert_eq!(rep, report);
        let xml = std::fs::read_to_string(dir.path().join(JUNIT_FILE)).unwrap();
        assert_eq!(xml, junit_xml(&report));

        let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
        assert_eq!(parsed.test_suites.len(), 1);
        let suite = &parsed.test_suites[0];
        // ndcg: F fail, X skip; recall: F skip (ratio undefined), X skip; miscalibration: pass.
        assert_eq!(suite.tests, 5);
        assert_eq!(suite.failures, 1);
        assert_eq!(suite.disabled, 3);
        let failed: Vec<_> = suite
            .test_cases
            .iter()
            .filter(|c| matches!(c.status, quick_junit::TestCaseStatus::NonSuccess { .. }))
            .collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].name.as_str(), "min_ratio ndcg gender=F vs M");
        assert_eq!(
            failed[0].classname.as_ref().unwrap().as_str(),
            "ndcg parity"
        );
        let quick_junit::TestCaseStatus::NonSuccess { message, .. } = &failed[0].status else {
            unreachable!()
        };
        assert!(message
            .as_ref()
            .unwrap()
            .as_str()
            .contains("ratio 0.700 [0.600, 0.800] < 0.8"));
        let skipped_reasons: Vec<String> = suite
            .test_cases
            .iter()
            .filter_map(|c| match &c.status {
                quick_junit::TestCaseStatus::Skipped { message, .. } => {
                    message.as_ref().map(|m| m.as_str().to_string())
                }
                _ => None,
            })
            .collect();
        assert!(skipped_reasons
            .iter()
            .any(|m| m.contains("ratio undefined: reference is 0")));
        assert_eq!(report.summary(), "1 passed, 1 failed, 3 skipped");
        // Lines match the brief's shape: status, rule, metric, scope, numbers.
        assert!(report.lines()[0]
            .starts_with("FAIL  ndcg parity: min_ratio ndcg gender=F vs M  ratio 0.700"));
    }

    #[test]
    fn junit_shows_hostile_labels_visibly() {
        let report = hostile_report();
        let f = &report.outcomes[0];

        let xml = junit_xml(&report);
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        assert!(
            !xml.contains('\u{1B}') && !xml.contains('\u{202E}'),
            "{xml}"
        );
        let case = doc
            .descendants()
            .find(|n| n.has_tag_name("testcase") && n.children().any(|c| c.has_tag_name("failure")))
            .unwrap();
        assert_eq!(
            case.attribute("name"),
            Some(format!("min_ratio ndcg gender={HOSTILE_SHOWN} vs M").as_str())
        );
        let out = case
            .children()
            .find(|n| n.has_tag_name("system-out"))
            .unwrap();
        assert_eq!(out.text(), Some(f.line().as_str()));
    }
}
