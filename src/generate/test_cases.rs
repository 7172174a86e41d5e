//! Helpers of the generator's tests: small configurations, and a generated CSV case loaded into
//! maps (demographics per user, lists per user and snapshot) with per-group means over it.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;

use super::{generate, GeneratorConfig, Plants, UNDEREXPOSED_PROVIDER, WORSE_GENDER};

pub(super) fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

pub(super) fn small(seed: u64, plants: Plants) -> GeneratorConfig {
    GeneratorConfig {
        n_users: 2_000,
        n_items: 1_000,
        history_per_user: 10,
        truth_per_user: 5,
        seed,
        plants,
        ..GeneratorConfig::default()
    }
}

/// Loaded CSV case: per user the demographics, per (user, snapshot) the list.
pub(super) struct Case {
    pub(super) users: HashMap<String, Vec<String>>,
    pub(super) items: HashMap<String, (Vec<String>, String)>,
    pub(super) lists: HashMap<(String, String), Vec<(u32, String)>>,
    pub(super) truth: HashMap<String, HashSet<String>>,
    pub(super) history: HashMap<String, Vec<String>>,
}

pub(super) fn load(dir: &Path) -> Case {
    let (_, users) = read_csv(&dir.join("users.csv"));
    let (_, items) = read_csv(&dir.join("items.csv"));
    let (rh, recs) = read_csv(&dir.join("recs.csv"));
    let (_, truth) = read_csv(&dir.join("truth.csv"));
    let (_, history) = read_csv(&dir.join("history.csv"));
    let mut lists: HashMap<(String, String), Vec<(u32, String)>> = HashMap::new();
    for r in recs {
        let snap = if rh.len() == 5 {
            r[4].clone()
        } else {
            "1".into()
        };
        lists
            .entry((r[0].clone(), snap))
            .or_default()
            .push((r[2].parse().unwrap(), r[1].clone()));
    }
    let mut t: HashMap<String, HashSet<String>> = HashMap::new();
    for r in truth {
        t.entry(r[0].clone()).or_default().insert(r[1].clone());
    }
    let mut h: HashMap<String, Vec<String>> = HashMap::new();
    for r in history {
        h.entry(r[0].clone()).or_default().push(r[1].clone());
    }
    Case {
        users: users.into_iter().map(|r| (r[0].clone(), r)).collect(),
        items: items
            .into_iter()
            .map(|r| {
                let cats = r[1].split('|').map(String::from).collect();
                (r[0].clone(), (cats, r[2].clone()))
            })
            .collect(),
        lists,
        truth: t,
        history: h,
    }
}

/// Mean over users of `f(list, user row)`, split by `in_group(user row)`: (group, rest).
pub(super) fn split_mean(
    case: &Case,
    snapshot: &str,
    in_group: impl Fn(&[String]) -> bool,
    f: impl Fn(&[(u32, String)], &str) -> f64,
) -> (f64, f64) {
    let (mut g, mut ng, mut o, mut no) = (0.0, 0usize, 0.0, 0usize);
    for ((u, snap), list) in &case.lists {
        if snap != snapshot {
            continue;
        }
        let v = f(list, u);
        if in_group(&case.users[u]) {
            g += v;
            ng += 1;
        } else {
            o += v;
            no += 1;
        }
    }
    (g / ng as f64, o / no as f64)
}

pub(super) fn distinct_cats<'a>(case: &Case, items: impl Iterator<Item = &'a String>) -> f64 {
    let mut set = HashSet::new();
    for i in items {
        set.extend(case.items[i].0.iter().cloned());
    }
    set.len() as f64
}

pub(super) fn gen_case(cfg: &GeneratorConfig) -> (tempfile::TempDir, Case) {
    let dir = tempfile::tempdir().unwrap();
    generate(cfg, dir.path()).unwrap();
    let case = load(dir.path());
    (dir, case)
}

pub(super) fn hit_rate_by_gender(case: &Case) -> (f64, f64) {
    split_mean(
        case,
        "1",
        |u| u[1] == WORSE_GENDER,
        |list, u| {
            let t = &case.truth[u];
            list.iter().any(|(_, i)| t.contains(i)) as u8 as f64
        },
    )
}

pub(super) fn indie_share(case: &Case) -> (f64, f64) {
    let catalog = case
        .items
        .values()
        .filter(|(_, p)| p == UNDEREXPOSED_PROVIDER)
        .count() as f64
        / case.items.len() as f64;
    let (mut indie, mut all) = (0usize, 0usize);
    for list in case.lists.values() {
        for (_, i) in list {
            all += 1;
            indie += (case.items[i].1 == UNDEREXPOSED_PROVIDER) as usize;
        }
    }
    (indie as f64 / all as f64, catalog)
}

/// Category entropy (bits) of a set of items, an item with m categories giving 1/m to each.
pub(super) fn entropy<'a>(case: &Case, items: impl Iterator<Item = &'a String>) -> f64 {
    let mut mass: HashMap<&str, f64> = HashMap::new();
    let mut total = 0.0;
    for i in items {
        let cats = &case.items[i].0;
        for c in cats {
            *mass.entry(c.as_str()).or_default() += 1.0 / cats.len() as f64;
        }
        total += 1.0;
    }
    -mass
        .values()
        .map(|m| m / total * (m / total).log2())
        .sum::<f64>()
}
