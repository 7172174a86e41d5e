//! Coverage of the 95% exposure-share intervals, user-only against two-way (users × items), on
//! generated cases whose items carry random effects and whose true share is known
//! (docs/statistics.md, "Items as a source of chance"). Run by `bench/two_way_coverage.sh`:
//!
//! ```sh
//! cargo run --release --example two_way_coverage -- [cases] [users] [items] [sigma]
//! ```
//!
//! Each case draws a catalog from a population of items: item i is in the group G with
//! probability 0.3, independently of its appeal a_i ~ LogNormal(0, σ). Each user's top-10 list
//! holds 10 distinct items drawn with probability ∝ a_i, exposed by the log position weight
//! 1 / log2(r + 1). The share of exposure that G gets, Σ e_ui [i ∈ G] / Σ e_ui, then has the true
//! value 0.3 over the population of users and items (G is independent of appeal and rank). For
//! every case, the audit's two intervals of that share are computed (B = 1,000): the user-only
//! bootstrap of per-user masses (`stats::group_estimates`, as with `item_resampling = false`) and
//! the two-way bootstrap (`stats::two_way_sums`, the default), at the default cap of 4,096 units
//! and with every user and item its own unit (cap 0). The output is the share of cases whose
//! interval covers 0.3, with its binomial standard error, and the mean interval widths.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use recaudit::data::{id_key, UserKeys};
use recaudit::stats::{self, Groups, ItemKeys, Statistic, StatsConfig, Term};

/// Share of the catalog in the group G, and so the true exposure share.
const TRUE_SHARE: f64 = 0.3;
/// List length.
const K: usize = 10;

/// One generated case: per user, the (item, exposure) of each list position; per item, whether it
/// is in G.
struct Case {
    lists: Vec<Vec<(u32, f64)>>,
    in_group: Vec<bool>,
}

fn generate(rng: &mut ChaCha8Rng, n_users: usize, n_items: usize, sigma: f64) -> Case {
    // LogNormal(0, σ) by Box–Muller: exp(σ · √(−2 ln u₁) · cos(2π u₂)).
    let appeal: Vec<f64> = (0..n_items)
        .map(|_| {
            let (u1, u2): (f64, f64) = (1.0 - rng.gen::<f64>(), rng.gen());
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            (sigma * z).exp()
        })
        .collect();
    let in_group: Vec<bool> = (0..n_items)
        .map(|_| rng.gen::<f64>() < TRUE_SHARE)
        .collect();
    let cumulative: Vec<f64> = appeal
        .iter()
        .scan(0.0, |s, a| {
            *s += a;
            Some(*s)
        })
        .collect();
    let total = *cumulative.last().expect("items");
    let lists = (0..n_users)
        .map(|_| {
            let mut list: Vec<u32> = Vec::with_capacity(K);
            while list.len() < K.min(n_items) {
                let x = rng.gen::<f64>() * total;
                let i = cumulative.partition_point(|&c| c <= x).min(n_items - 1) as u32;
                if !list.contains(&i) {
                    list.push(i);
                }
            }
            list.into_iter()
                .enumerate()
                .map(|(r, i)| (i, 1.0 / ((r + 2) as f64).log2()))
                .collect()
        })
        .collect();
    Case { lists, in_group }
}

/// Whether each interval covers the truth, and its width: user-only, then two-way.
fn intervals(case: &Case, cfg: &StatsConfig) -> [(bool, f64); 2] {
    let n_users = case.lists.len();
    // Users `u0`, `u1`, ... and items `i0`, `i1`, ... keyed by these ids.
    let keys: UserKeys = (0..n_users).map(|u| id_key(&format!("u{u}"))).collect();
    let all = Groups::from_members([(0..n_users as u32).collect::<Vec<u32>>()], &keys);
    // User-only: per-user mass of G over per-user total mass.
    let (mut mass, mut total) = (vec![0.0; n_users], vec![0.0; n_users]);
    for (u, list) in case.lists.iter().enumerate() {
        for &(i, e) in list {
            total[u] += e;
            if case.in_group[i as usize] {
                mass[u] += e;
            }
        }
    }
    let share = Statistic::RatioOfSums { num: 0, den: 1 };
    let user_only = stats::group_estimates(&[&mass, &total], &[share], &all, &[true], cfg)[0][0];
    // Two-way: the same terms, each weighted by its user's and its item's replicate weight.
    let terms = |u: u32, out: &mut Vec<Term>| {
        for &(item, e) in &case.lists[u as usize] {
            out.push(Term {
                item,
                column: 1,
                value: e,
            });
            if case.in_group[item as usize] {
                out.push(Term {
                    item,
                    column: 0,
                    value: e,
                });
            }
        }
    };
    let item_ids: Vec<String> = (0..case.in_group.len()).map(|i| format!("i{i}")).collect();
    let reps = stats::two_way_sums(&all, &[true], &ItemKeys::of_ids(&item_ids), 2, &terms, cfg);
    let two_way = reps.ratio_estimate(0, 0, 1, n_users, cfg.confidence);
    [user_only, two_way].map(|e| match (e.ci_low, e.ci_high) {
        (Some(lo), Some(hi)) => (lo <= TRUE_SHARE && TRUE_SHARE <= hi, hi - lo),
        _ => (false, f64::NAN),
    })
}

fn main() {
    let arg = |i: usize, default: f64| {
        std::env::args()
            .nth(i)
            .map_or(default, |s| s.parse().expect("a number"))
    };
    let cases = arg(1, 1_000.0) as usize;
    let n_users = arg(2, 2_000.0) as usize;
    let n_items = arg(3, 200.0) as usize;
    let sigma = arg(4, 1.0);
    println!(
        "cases {cases}, users {n_users}, items {n_items}, top-{K}, appeal LogNormal(0, {sigma}), true share {TRUE_SHARE}, B = 1000, 95% percentile intervals"
    );
    let settings = [("default units (4,096)", 4_096), ("every unit (0)", 0)];
    // [setting][user-only, two-way]: (covered, width sum)
    let mut tally = [[(0usize, 0.0f64); 2]; 2];
    let mut rng = ChaCha8Rng::seed_from_u64(2007);
    for c in 0..cases {
        let case = generate(&mut rng, n_users, n_items, sigma);
        for (s, &(_, units)) in settings.iter().enumerate() {
            let cfg = StatsConfig {
                resamples: 1_000,
                bootstrap_units: units,
                seed: c as u64,
                ..StatsConfig::default()
            };
            for (t, (covered, width)) in tally[s].iter_mut().zip(intervals(&case, &cfg)) {
                t.0 += usize::from(covered);
                t.1 += width;
            }
        }
    }
    println!(
        "{:<24} {:<10} {:>9} {:>7} {:>11}",
        "units", "interval", "coverage", "± se", "mean width"
    );
    for (s, (name, _)) in settings.iter().enumerate() {
        for (t, kind) in tally[s].iter().zip(["user-only", "two-way"]) {
            let p = t.0 as f64 / cases as f64;
            let se = (p * (1.0 - p) / cases as f64).sqrt();
            println!(
                "{:<24} {:<10} {:>8.1}% {:>6.1}% {:>11.4}",
                name,
                kind,
                100.0 * p,
                100.0 * se,
                t.1 / cases as f64
            );
        }
    }
}
