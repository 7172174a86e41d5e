//! The small dataset the exposure tests work by hand.

use crate::data::{Categorical, Csr, Dataset, History, Items, Relevant};

/// 4 items: provider codes [A, A, B, missing]; categories 0 {x}, 1 {x, y}, 2 {y}, 3 {}.
/// 3 users, lists [0, 1], [0, 2], [1]; k = 2; history [2, 2], [0], []; truth u0 {2: 1}.
pub(super) fn dataset() -> Dataset {
    Dataset {
        truth_propensity: None,
        n_users: 3,
        k: 2,
        recs: Csr::from_rows(vec![vec![0, 1], vec![0, 2], vec![1]]),
        items: Items {
            ids: (0..4).map(|i| format!("i{i}")).collect(),
            category_labels: vec!["x".into(), "y".into()],
            categories: Csr::from_rows(vec![vec![0], vec![0, 1], vec![1], vec![]]),
            groups: vec![Categorical {
                name: "provider".into(),
                labels: vec!["A".into(), "B".into()],
                codes: vec![0, 0, 1, Categorical::MISSING],
            }],
            ..Items::default()
        },
        history: Some(History {
            per_user: Csr::from_rows(vec![vec![2, 2], vec![0], vec![]]),
            distinct_users: vec![1, 0, 1, 0],
            interactions: vec![1, 0, 2, 0],
            n_users: 2,
        }),
        truth: Some(Csr::from_rows(vec![
            vec![Relevant {
                item: 2,
                relevance: 1.0,
            }],
            vec![],
            vec![],
        ])),
        ..Dataset::default()
    }
}

/// Asserts `a` and `b` agree within 1e-12.
pub(super) fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}
