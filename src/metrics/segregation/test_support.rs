//! Fixtures of the segregation tests: two planted sides of users with lists from separate
//! categories, and a float comparison.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::data::{Categorical, Csr, Dataset, Items};

/// Asserts |a − b| < tol.
pub(super) fn close(a: f64, b: f64, tol: f64) {
    assert!((a - b).abs() < tol, "{a} != {b}");
}

/// `n` users per side: side 0 gets 10-item lists drawn (seeded) from the 20 items of categories
/// w, x; side 1 from the 20 items of y, z, so the share of w (or y) varies from user to user.
/// Slice "side" = the planted side, "coin" = a seeded shuffle of it, "partial" = side with user 0
/// missing.
pub(super) fn planted(n: usize) -> Dataset {
    // 40 items, item i has category i % 4 (w, x, y, z)
    let item_cats: Vec<Vec<u32>> = (0..40).map(|i| vec![i % 4]).collect();
    let pool_a: Vec<u32> = (0..40).filter(|i| i % 4 < 2).collect();
    let pool_b: Vec<u32> = (0..40).filter(|i| i % 4 >= 2).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut lists = Vec::new();
    let mut side = Vec::new();
    for u in 0..2 * n {
        let s = (u % 2) as u32;
        side.push(s);
        let pool = if s == 0 { &pool_a } else { &pool_b };
        lists.push(
            pool.choose_multiple(&mut rng, 10)
                .copied()
                .collect::<Vec<u32>>(),
        );
    }
    let mut coin = side.clone();
    coin.shuffle(&mut ChaCha8Rng::seed_from_u64(7));
    // a third column with a missing value for user 0
    let mut partial = side.clone();
    partial[0] = Categorical::MISSING;
    Dataset {
        truth_propensity: None,
        n_users: 2 * n,
        k: 4,
        recs: Csr::from_rows(lists),
        slices: vec![
            Categorical {
                name: "side".into(),
                labels: vec!["a".into(), "b".into()],
                codes: side,
            },
            Categorical {
                name: "coin".into(),
                labels: vec!["a".into(), "b".into()],
                codes: coin,
            },
            Categorical {
                name: "partial".into(),
                labels: vec!["a".into(), "b".into()],
                codes: partial,
            },
        ],
        items: Items {
            ids: (0..40).map(|i| format!("i{i}")).collect(),
            category_labels: vec!["w".into(), "x".into(), "y".into(), "z".into()],
            categories: Csr::from_rows(item_cats),
            ..Items::default()
        },
        ..Dataset::default()
    }
}
