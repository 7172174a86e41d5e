//! Tests of [`search_subgroups`](super::search_subgroups).

use super::*;
use crate::metrics::registry;
use crate::slices::{build_slices, protect_columns, SliceConfig};

/// Users in cells of gender (F, M) × age (young, old), in that order: `(gender, age, n, low,
/// high)` gives n users whose metric values alternate low, high, low, ...
fn case(cells: &[(u32, u32, usize, f64, f64)]) -> (Vec<Categorical>, Vec<f64>) {
    let mut gender = Vec::new();
    let mut age = Vec::new();
    let mut values = Vec::new();
    for &(g, a, n, low, high) in cells {
        for i in 0..n {
            gender.push(g);
            age.push(a);
            values.push(if i % 2 == 0 { low } else { high });
        }
    }
    let cols = vec![
        Categorical {
            name: "gender".into(),
            labels: vec!["F".into(), "M".into()],
            codes: gender,
        },
        Categorical {
            name: "age_band".into(),
            labels: vec!["18-54".into(), "55+".into()],
            codes: age,
        },
    ];
    (cols, values)
}

fn run(cols: &[Categorical], values: &[f64], min_size: usize) -> SubgroupSearch {
    let refs: Vec<&Categorical> = cols.iter().collect();
    let cfg = SliceConfig {
        min_slice_size: min_size,
        ..SliceConfig::default()
    };
    let mut published = build_slices(&refs, &cfg).unwrap();
    protect_columns(&mut published, min_size, &[]);
    let metrics = [SearchMetric {
        def: &registry::NDCG,
        values,
    }];
    search_subgroups(&refs, &metrics, &published, min_size, 0.05, 0.95)
}

#[test]
fn a_planted_gap_of_women_over_55_is_found_first() {
    // 30 users per cell; women 55+ have NDCG 0.2 / 0.4 (mean 0.3), everyone else 0.6 / 0.8
    // (mean 0.7).
    let (cols, values) = case(&[
        (0, 0, 30, 0.6, 0.8),
        (0, 1, 30, 0.2, 0.4),
        (1, 0, 30, 0.6, 0.8),
        (1, 1, 30, 0.6, 0.8),
    ]);
    let s = run(&cols, &values, 20);
    // gender (2 cells), age (2), gender × age (4), each with ≥ 20 users inside and outside.
    assert_eq!((s.combinations, s.combinations_skipped, s.tests), (3, 0, 8));
    let top = &s.findings[0];
    assert_eq!(top.columns, ["gender", "age_band"]);
    assert_eq!(top.values, ["F", "55+"]);
    assert_eq!(top.n_users, 30);
    // mean 0.3 against the rest's 0.7: d = −0.4, and NDCG is better higher, so the gap is 0.4.
    assert!((top.mean - 0.3).abs() < 1e-12 && (top.rest_mean - 0.7).abs() < 1e-12);
    assert!((top.gap - 0.4).abs() < 1e-12);
    // Welch: s²_S = 30 · 0.1² / 29, s²_rest = 90 · 0.1² / 89; se = √(s²_S/30 + s²_rest/90).
    let (a, b): (f64, f64) = (0.3 / 29.0 / 30.0, 0.9 / 89.0 / 90.0);
    let se = (a + b).sqrt();
    let df = (a + b).powi(2) / (a * a / 29.0 + b * b / 89.0);
    let t = crate::stats::student_t::t_quantile(0.975, df);
    let d = top.difference;
    assert!((d.value.unwrap() + 0.4).abs() < 1e-12);
    assert!((d.ci_low.unwrap() - (-0.4 - t * se)).abs() < 1e-12);
    assert!((d.ci_high.unwrap() - (-0.4 + t * se)).abs() < 1e-12);
    let p = welch_t_test(0.3, 0.3 / 29.0, 30, 0.7, 0.9 / 89.0, 90).unwrap();
    assert!((top.p_value - p).abs() < 1e-12);
    assert!(top.adjusted_p >= top.p_value && top.adjusted_p <= 0.05);
    // Then women and the over-55s as wholes (mean 0.5 against 0.7: gap 0.2 each; equal up to
    // rounding, so in either order).
    let mut rest: Vec<(&[String], &[String])> = s.findings[1..]
        .iter()
        .map(|f| (f.columns.as_slice(), f.values.as_slice()))
        .collect();
    rest.sort();
    assert_eq!(
        rest,
        [
            (&["age_band".to_string()][..], &["55+".to_string()][..]),
            (&["gender".to_string()][..], &["F".to_string()][..]),
        ]
    );
    assert!((s.findings[1].gap - 0.2).abs() < 1e-12);
    // Nobody better off is reported, and nothing was withheld.
    assert_eq!(s.findings.len(), TOP_PER_METRIC);
    assert!(s.findings.iter().all(|f| f.gap > 0.0));
    assert_eq!(s.withheld, 0);
}

#[test]
fn adjusted_p_values_are_benjamini_yekutieli_over_every_test() {
    let (cols, values) = case(&[
        (0, 0, 30, 0.6, 0.8),
        (0, 1, 30, 0.2, 0.4),
        (1, 0, 30, 0.6, 0.8),
        (1, 1, 30, 0.6, 0.8),
    ]);
    let s = run(&cols, &values, 20);
    // With m = 8 tests, c(8) = 761/280: the top finding's q is at least its p · c(8) · 8 / 8
    // (its p is the smallest) and exactly that unless capped.
    let top = &s.findings[0];
    assert!((top.adjusted_p - top.p_value * 761.0 / 280.0).abs() < 1e-15);
}

#[test]
fn nobody_is_worse_off_without_a_gap() {
    let (cols, values) = case(&[
        (0, 0, 30, 0.6, 0.8),
        (0, 1, 30, 0.6, 0.8),
        (1, 0, 30, 0.6, 0.8),
        (1, 1, 30, 0.6, 0.8),
    ]);
    let s = run(&cols, &values, 20);
    assert_eq!(s.tests, 8);
    assert!(s.findings.is_empty());
}

#[test]
fn a_small_subgroup_is_never_tested() {
    // Women 55+ are 12 < 20 users: their cell is not tested, whatever their gap.
    let (cols, values) = case(&[
        (0, 0, 30, 0.6, 0.8),
        (0, 1, 12, 0.0, 0.1),
        (1, 0, 30, 0.6, 0.8),
        (1, 1, 30, 0.6, 0.8),
    ]);
    let s = run(&cols, &values, 20);
    assert_eq!(s.tests, 7);
    assert!(!s
        .findings
        .iter()
        .any(|f| f.values == ["F".to_string(), "55+".to_string()]));
}

#[test]
fn a_subgroup_that_would_disclose_a_smaller_one_is_withheld() {
    // Women 55+ (25 users) are worse off; women under 55 are 15. Publishing women 55+ next to
    // the published group F (40) would give F − F × 55+ = the 15 women under 55.
    let (cols, values) = case(&[
        (0, 0, 15, 0.6, 0.8),
        (0, 1, 25, 0.2, 0.4),
        (1, 0, 40, 0.6, 0.8),
        (1, 1, 40, 0.6, 0.8),
    ]);
    let s = run(&cols, &values, 20);
    assert!(s.withheld >= 1, "{s:?}");
    assert!(!s
        .findings
        .iter()
        .any(|f| f.values == ["F".to_string(), "55+".to_string()]));
    // Women as a whole (published anyway) are still a finding.
    assert!(s.findings.iter().any(|f| f.values == ["F".to_string()]));
}

#[test]
fn the_search_cost_is_bounded() {
    // 10 columns give 10 + 45 + 120 = 175 combinations: the first MAX_COMBINATIONS are searched.
    assert_eq!(combinations(10).len(), 175);
    assert_eq!(
        combinations(3),
        [
            vec![0],
            vec![1],
            vec![2],
            vec![0, 1],
            vec![0, 2],
            vec![1, 2],
            vec![0, 1, 2]
        ]
    );
    let n = 40;
    let cols: Vec<Categorical> = (0..10)
        .map(|c| Categorical {
            name: format!("c{c}"),
            labels: vec!["a".into(), "b".into()],
            codes: (0..n).map(|u| ((u >> (c % 5)) & 1) as u32).collect(),
        })
        .collect();
    let refs: Vec<&Categorical> = cols.iter().collect();
    let values: Vec<f64> = (0..n).map(|u| u as f64).collect();
    let metrics = [SearchMetric {
        def: &registry::NDCG,
        values: &values,
    }];
    let s = search_subgroups(&refs, &metrics, &[], 10, 0.05, 0.95);
    assert_eq!(
        (s.combinations, s.combinations_skipped),
        (MAX_COMBINATIONS, 175 - MAX_COMBINATIONS)
    );
    // A column with more values than MAX_CELLS is skipped.
    let wide = Categorical {
        name: "wide".into(),
        labels: (0..=MAX_CELLS).map(|i| i.to_string()).collect(),
        codes: (0..n).map(|u| u as u32).collect(),
    };
    let s = search_subgroups(&[&wide], &metrics, &[], 10, 0.05, 0.95);
    assert_eq!((s.combinations, s.combinations_skipped, s.tests), (0, 1, 0));
}
