//! The small dataset the popularity tests work by hand.

use crate::data::{Csr, Dataset, History, Items};

/// Item ids from string literals.
pub(super) fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// 3 audited users, 4 items; history of 4 distinct users (one without recommendations).
/// Per item distinct users [4, 2, 1, 0], interactions [6, 2, 1, 0] (total 9, head ≥ 1.8).
pub(super) fn dataset() -> Dataset {
    Dataset {
        truth_propensity: None,
        n_users: 3,
        k: 2,
        recs: Csr::from_rows(vec![vec![0, 1], vec![2, 3], vec![1]]),
        items: Items {
            ids: ids(&["i0", "i1", "i2", "i3"]),
            ..Items::default()
        },
        history: Some(History {
            per_user: Csr::from_rows(vec![vec![0, 0, 1], vec![0], vec![]]),
            distinct_users: vec![4, 2, 1, 0],
            interactions: vec![6, 2, 1, 0],
            n_users: 4,
        }),
        ..Dataset::default()
    }
}
