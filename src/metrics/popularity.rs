//! Popularity bias (SPEC §6): item popularity, the short-head / long-tail split, and per-user
//! ARP, APLT and GAP, with ΔGAP for a set of users (Abdollahpouri et al. 2019).
//!
//! Conventions:
//! - **pop(i)** = the number of distinct users of the whole history table who interacted with i
//!   ([`History::distinct_users`](crate::data::History)); without a history table (or with
//!   [`PopularitySource::Column`]) the items table's `popularity` column (non-finite values read as
//!   0).
//! - **φ(i) = pop(i) / U**, U = the number of distinct users of the whole history table (users
//!   without recommendations included); without history, U = the number of audited users. With the
//!   column source the column should hold user counts for φ to be a share.
//! - **Head / tail split by share of interactions** (not by share of items): items are taken by
//!   descending history interaction count (rows, duplicates kept; the popularity column when there
//!   is no history), ties by item id (numeric order when every id parses as an integer, else
//!   lexicographic), until the running total reaches `head_share` (default 20%) of all
//!   interactions; the item that crosses is included. The long tail is every other item, items
//!   never interacted with included. Some tools split by share of *items* (top 20% of items);
//!   recaudit's split gives far fewer head items.
//! - **Three bands** for exposure shares: `head` as above; `tail` = the items after the running
//!   total has reached `1 − tail_share` (default 80%; the crossing item is still `mid`) plus the
//!   items never interacted with, i.e. the least popular items that together hold at most 20% of
//!   interactions (the H/M/T split of Abdollahpouri et al. 2021, "User-centered evaluation of
//!   popularity bias in recommender systems"); `mid` = the rest.
//! - Every per-user value is NaN for an empty list (and GAP_p for a user with no history).

use rayon::prelude::*;

use crate::data::{Categorical, Dataset};
use crate::metrics::{registry, UserMetric};

/// Where pop(i) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PopularitySource {
    /// History when given, else the items' popularity column.
    #[default]
    Auto,
    /// Distinct history users (None when there is no history table).
    History,
    /// The items table's popularity column (None when there is no such column).
    Column,
}

/// Settings of the popularity family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PopularityConfig {
    /// Share of interactions held by the short head (default 0.2).
    pub head_share: f64,
    /// Share of interactions held by the `tail` band of [`popularity_band`] (default 0.2).
    pub tail_share: f64,
    /// Where pop(i) comes from.
    pub source: PopularitySource,
}

impl Default for PopularityConfig {
    fn default() -> Self {
        PopularityConfig {
            head_share: 0.2,
            tail_share: 0.2,
            source: PopularitySource::Auto,
        }
    }
}

/// Popularity band of an item (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Band {
    /// The short head.
    Head,
    /// Neither head nor tail.
    Mid,
    /// The least popular items, holding at most `tail_share` of interactions.
    Tail,
}

/// Item popularity of a dataset, computed once and shared by popularity, novelty and exposure.
#[derive(Debug, Clone, PartialEq)]
pub struct Popularity {
    /// pop(i) per dense item.
    pub pop: Vec<f64>,
    /// φ(i) = pop(i) / U per dense item.
    pub phi: Vec<f64>,
    /// U, the denominator of φ.
    pub n_users: usize,
    /// Whether pop(i) came from the history (true) or the items' popularity column (false).
    pub from_history: bool,
    /// Per item, whether it is in the short head (SPEC §6; the long tail is the complement).
    pub head: Vec<bool>,
    /// Per item, its three-way band.
    pub band: Vec<Band>,
    /// Number of head items.
    pub n_head: usize,
    /// The head share used.
    pub head_share: f64,
}

impl Popularity {
    /// Builds the popularity of `ds`; `None` when the chosen source is missing.
    pub fn new(ds: &Dataset, cfg: &PopularityConfig) -> Option<Popularity> {
        let n_items = ds.items.n_items();
        let use_history = match cfg.source {
            PopularitySource::Auto => ds.history.is_some(),
            PopularitySource::History => true,
            PopularitySource::Column => false,
        };
        let (pop, counts, n_users) = if use_history {
            let h = ds.history.as_ref()?;
            let pop: Vec<f64> = h.distinct_users.iter().map(|&c| c as f64).collect();
            let counts: Vec<f64> = h.interactions.iter().map(|&c| c as f64).collect();
            (pop, counts, h.n_users)
        } else {
            let col = ds.items.popularity.as_ref()?;
            let pop: Vec<f64> = col
                .iter()
                .map(|&p| if p.is_finite() { p } else { 0.0 })
                .collect();
            let n_users = ds.history.as_ref().map_or(ds.n_users, |h| h.n_users);
            (pop.clone(), pop, n_users)
        };
        debug_assert_eq!(pop.len(), n_items);
        let u = n_users as f64;
        let phi = pop.iter().map(|&p| p / u).collect();
        let band = bands(&counts, &ds.items.ids, cfg.head_share, cfg.tail_share);
        let head: Vec<bool> = band.iter().map(|&b| b == Band::Head).collect();
        let n_head = head.iter().filter(|&&h| h).count();
        Some(Popularity {
            pop,
            phi,
            n_users,
            from_history: use_history,
            head,
            band,
            n_head,
            head_share: cfg.head_share,
        })
    }

    /// φ(i) with the novelty convention: items with φ = 0 use 1 / U (SPEC §7).
    #[inline]
    pub fn phi_or_floor(&self, item: u32) -> f64 {
        let p = self.phi[item as usize];
        if p > 0.0 {
            p
        } else {
            1.0 / self.n_users as f64
        }
    }
}

/// Item order for the head/tail walk: descending count, ties by item id (numeric when every id is
/// an integer, else lexicographic).
pub fn popularity_order(counts: &[f64], ids: &[String]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..counts.len() as u32).collect();
    let numeric: Option<Vec<i128>> = ids.iter().map(|s| s.trim().parse::<i128>().ok()).collect();
    match numeric {
        Some(num) if num.len() == counts.len() => order.sort_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            counts[b].total_cmp(&counts[a]).then(num[a].cmp(&num[b]))
        }),
        _ if ids.len() == counts.len() => order.sort_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            counts[b].total_cmp(&counts[a]).then(ids[a].cmp(&ids[b]))
        }),
        // no ids (hand-built datasets): dense id order
        _ => order.sort_by(|&a, &b| counts[b as usize].total_cmp(&counts[a as usize])),
    }
    order
}

/// Head / mid / tail band per item from interaction counts (see the module docs).
///
/// ```
/// use recaudit::metrics::popularity::{bands, Band};
/// // counts 50, 30, 10, 5, 5, 0 (total 100), ids "a".."f":
/// // head: running 50 ≥ 20 → item a only; mid until the running total reaches 80:
/// // b (80, the crossing item, still mid); tail: c, d, e and the never-seen f.
/// let ids: Vec<String> = ["a", "b", "c", "d", "e", "f"].iter().map(|s| s.to_string()).collect();
/// let b = bands(&[50.0, 30.0, 10.0, 5.0, 5.0, 0.0], &ids, 0.2, 0.2);
/// assert_eq!(b, [Band::Head, Band::Mid, Band::Tail, Band::Tail, Band::Tail, Band::Tail]);
/// assert!(bands(&[], &[], 0.2, 0.2).is_empty());
/// ```
pub fn bands(counts: &[f64], ids: &[String], head_share: f64, tail_share: f64) -> Vec<Band> {
    let mut band = vec![Band::Tail; counts.len()];
    let total: f64 = counts.iter().sum();
    if total <= 0.0 {
        return band;
    }
    let head_stop = head_share * total;
    let mid_stop = (1.0 - tail_share) * total;
    let mut running = 0.0;
    let mut in_head = head_share > 0.0;
    for item in popularity_order(counts, ids) {
        let c = counts[item as usize];
        if c <= 0.0 {
            break;
        }
        if in_head {
            band[item as usize] = Band::Head;
            running += c;
            in_head = running < head_stop;
        } else {
            if running >= mid_stop {
                break;
            }
            band[item as usize] = Band::Mid;
            running += c;
        }
    }
    band
}

/// The three-way band as an item group column named `popularity_band` (labels `head`, `mid`,
/// `tail`), for exposure shares.
pub fn popularity_band(pop: &Popularity) -> Categorical {
    Categorical {
        name: "popularity_band".to_string(),
        labels: vec!["head".into(), "mid".into(), "tail".into()],
        codes: pop
            .band
            .iter()
            .map(|b| match b {
                Band::Head => 0,
                Band::Mid => 1,
                Band::Tail => 2,
            })
            .collect(),
    }
}

/// Popularity values of one user, in [`POPULARITY_METRICS`] order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UserPopularity {
    /// Mean pop(i) over the list.
    pub arp: f64,
    /// |L ∩ tail| / |L|.
    pub aplt: f64,
    /// Mean φ(i) over the list.
    pub gap_r: f64,
    /// Mean φ(i) over the history (duplicates kept; NaN without history).
    pub gap_p: f64,
}

/// Names of the per-user popularity metrics as they appear in JSON.
pub const POPULARITY_METRICS: [&str; 4] = ["arp", "aplt", "gap_r", "gap_p"];

/// Popularity values of one user (Abdollahpouri et al. 2019, "Managing popularity bias in
/// recommender systems with personalized re-ranking" for ARP/APLT; "The unfairness of popularity
/// bias in recommendation" for GAP).
///
/// ARP = mean_{i∈L} pop(i); APLT = |L ∩ tail| / |L|; GAP_r = mean_{i∈L} φ(i);
/// GAP_p = mean_{i∈H} φ(i). All NaN for an empty list; GAP_p NaN for an empty history.
///
/// ```
/// use recaudit::metrics::popularity::user_popularity;
/// // pop = [4, 2, 1, 0], U = 4, head = {0}; list [0, 2], history [1, 1, 3]:
/// // ARP = (4 + 1)/2 = 2.5, APLT = 1/2, GAP_r = (1 + 0.25)/2 = 0.625,
/// // GAP_p = (0.5 + 0.5 + 0)/3 = 1/3.
/// let pop = [4.0, 2.0, 1.0, 0.0];
/// let phi = [1.0, 0.5, 0.25, 0.0];
/// let head = [true, false, false, false];
/// let p = user_popularity(&[0, 2], &[1, 1, 3], &pop, &phi, &head);
/// assert_eq!((p.arp, p.aplt, p.gap_r), (2.5, 0.5, 0.625));
/// assert!((p.gap_p - 1.0 / 3.0).abs() < 1e-15);
/// assert!(user_popularity(&[], &[], &pop, &phi, &head).arp.is_nan());
/// ```
pub fn user_popularity(
    list: &[u32],
    history: &[u32],
    pop: &[f64],
    phi: &[f64],
    head: &[bool],
) -> UserPopularity {
    let n = list.len() as f64;
    let (mut arp, mut tail, mut gap_r) = (0.0, 0.0, 0.0);
    for &i in list {
        let i = i as usize;
        arp += pop[i];
        gap_r += phi[i];
        if !head[i] {
            tail += 1.0;
        }
    }
    let gap_p = history.iter().map(|&i| phi[i as usize]).sum::<f64>() / history.len() as f64;
    if list.is_empty() {
        return UserPopularity {
            arp: f64::NAN,
            aplt: f64::NAN,
            gap_r: f64::NAN,
            gap_p,
        };
    }
    UserPopularity {
        arp: arp / n,
        aplt: tail / n,
        gap_r: gap_r / n,
        gap_p,
    }
}

/// ARP, APLT, GAP_r and GAP_p for every user of `ds.recs`, as [`UserMetric`]s in
/// [`POPULARITY_METRICS`] order. ARP is better lower (less popularity bias), APLT higher; GAP_r and
/// GAP_p are neutral inputs of [`delta_gap`].
pub fn popularity_metrics(ds: &Dataset, pop: &Popularity) -> Vec<UserMetric> {
    let recs = &ds.recs;
    // Each user's values go straight into the four columns, on all cores.
    type Columns = (Vec<f64>, (Vec<f64>, (Vec<f64>, Vec<f64>)));
    let (arp, (aplt, (gap_r, gap_p))): Columns = (0..recs.n_rows())
        .into_par_iter()
        .map(|u| {
            let history = ds
                .history
                .as_ref()
                .filter(|h| u < h.per_user.n_rows())
                .map_or(&[][..], |h| h.per_user.row(u));
            let p = user_popularity(recs.row(u), history, &pop.pop, &pop.phi, &pop.head);
            (p.arp, (p.aplt, (p.gap_r, p.gap_p)))
        })
        .unzip();
    vec![
        UserMetric::new(&registry::ARP, arp),
        UserMetric::new(&registry::APLT, aplt),
        UserMetric::new(&registry::GAP_R, gap_r),
        UserMetric::new(&registry::GAP_P, gap_p),
    ]
}

/// ΔGAP of a set of users (Abdollahpouri et al. 2019):
/// (mean_u GAP_r(u) − mean_u GAP_p(u)) / mean_u GAP_p(u).
///
/// Convention: each mean skips NaN on its own side, so GAP_r averages over the users with a
/// non-empty list and GAP_p over the users with history. `None` when either side has no user or
/// the mean GAP_p is 0. Negative values mean the lists are less popular than the users' histories.
///
/// ```
/// use recaudit::metrics::popularity::delta_gap;
/// // GAP_r = [0.2, 0.4], GAP_p = [0.5, NaN]: (0.3 − 0.5) / 0.5 = −0.4
/// let d = delta_gap(&[0.2, 0.4], &[0.5, f64::NAN], &[0, 1]).unwrap();
/// assert!((d + 0.4).abs() < 1e-15);
/// assert!(delta_gap(&[0.2], &[f64::NAN], &[0]).is_none());
/// ```
pub fn delta_gap(gap_r: &[f64], gap_p: &[f64], users: &[u32]) -> Option<f64> {
    let mean = |v: &[f64]| {
        let (s, n) = users
            .iter()
            .map(|&u| v[u as usize])
            .filter(|x| !x.is_nan())
            .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
        (n > 0).then(|| s / n as f64)
    };
    let r = mean(gap_r)?;
    let p = mean(gap_p)?;
    (p != 0.0).then(|| (r - p) / p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Csr, History, Items};

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn head_includes_the_crossing_item_and_ties_go_by_id() {
        // counts [10, 30, 30, 30] (total 100), head share 0.2 → threshold 20.
        // Numeric ids "10", "9", "100", "8": the tied items 1, 2, 3 order by number,
        // 8 (item 3) < 9 (item 1) < 100 (item 2) → item 3 first, running 30 ≥ 20 → head = {3}.
        let numeric = ids(&["10", "9", "100", "8"]);
        let b = bands(&[10.0, 30.0, 30.0, 30.0], &numeric, 0.2, 0.2);
        assert_eq!(b[3], Band::Head);
        assert_eq!(b.iter().filter(|&&x| x == Band::Head).count(), 1);
        // lexicographic when one id is not an integer: "100" < "8" < "9" < "x" → item 2 first.
        let mixed = ids(&["x", "9", "100", "8"]);
        let b = bands(&[10.0, 30.0, 30.0, 30.0], &mixed, 0.2, 0.2);
        assert_eq!(b[2], Band::Head);
        assert_eq!(b.iter().filter(|&&x| x == Band::Head).count(), 1);
    }

    #[test]
    fn head_stops_exactly_at_the_threshold() {
        // counts [10, 10, 80] (total 100), threshold 20: item 2 (80) crosses at once → head = {2};
        // with head share 0.9 (threshold 90): 80, then 10 reaches 90 → head = {2, 0}.
        let i = ids(&["a", "b", "c"]);
        let b = bands(&[10.0, 10.0, 80.0], &i, 0.2, 0.2);
        assert_eq!(b, [Band::Tail, Band::Tail, Band::Head]);
        let b = bands(&[10.0, 10.0, 80.0], &i, 0.9, 0.0);
        assert_eq!(b, [Band::Head, Band::Mid, Band::Head]);
    }

    #[test]
    fn no_interactions_means_all_tail() {
        let b = bands(&[0.0, 0.0], &ids(&["a", "b"]), 0.2, 0.2);
        assert_eq!(b, [Band::Tail, Band::Tail]);
    }

    fn dataset() -> Dataset {
        // 3 audited users, 4 items; history of 4 distinct users (one without recommendations).
        // per item distinct users [4, 2, 1, 0], interactions [6, 2, 1, 0] (total 9, head ≥ 1.8).
        Dataset {
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

    #[test]
    fn dataset_metrics_hand_worked() {
        let ds = dataset();
        let pop = Popularity::new(&ds, &PopularityConfig::default()).unwrap();
        // φ = pop / 4 = [1, 0.5, 0.25, 0]; head = {0} (6 ≥ 1.8).
        assert_eq!(pop.phi, vec![1.0, 0.5, 0.25, 0.0]);
        assert_eq!(pop.head, vec![true, false, false, false]);
        assert_eq!(pop.n_head, 1);
        // mid: running 6 < 7.2 → item 1 (8 ≥ 7.2, crossing, mid); tail = {2, 3}.
        assert_eq!(
            pop.band,
            vec![Band::Head, Band::Mid, Band::Tail, Band::Tail]
        );
        let m = popularity_metrics(&ds, &pop);
        // user 0: list [0, 1]: ARP (4 + 2)/2 = 3, APLT 1/2, GAP_r 0.75, GAP_p (1 + 1 + 0.5)/3
        // user 1: list [2, 3]: ARP 0.5, APLT 1, GAP_r 0.125, GAP_p 1
        // user 2: list [1]:    ARP 2,   APLT 1, GAP_r 0.5,   GAP_p NaN
        assert_eq!(m[0].values, vec![3.0, 0.5, 2.0]);
        assert_eq!(m[1].values, vec![0.5, 1.0, 1.0]);
        assert_eq!(m[2].values, vec![0.75, 0.125, 0.5]);
        assert!((m[3].values[0] - 2.5 / 3.0).abs() < 1e-15);
        assert!(m[3].values[2].is_nan());
        // ΔGAP over all: GAP_r mean (0.75 + 0.125 + 0.5)/3 = 0.458333,
        // GAP_p mean (0.833333 + 1)/2 = 0.916667 → (0.458333 − 0.916667)/0.916667 = −0.5
        let d = delta_gap(&m[2].values, &m[3].values, &[0, 1, 2]).unwrap();
        assert!((d + 0.5).abs() < 1e-12, "{d}");
    }

    #[test]
    fn column_source_without_history() {
        let mut ds = dataset();
        ds.history = None;
        ds.items.popularity = Some(vec![1.0, f64::NAN, 3.0, 0.0]);
        let pop = Popularity::new(&ds, &PopularityConfig::default()).unwrap();
        // U = 3 audited users; NaN read as 0; head: item 2 (3 ≥ 0.8).
        assert!(!pop.from_history);
        assert_eq!(pop.pop, vec![1.0, 0.0, 3.0, 0.0]);
        assert_eq!(pop.phi, vec![1.0 / 3.0, 0.0, 1.0, 0.0]);
        assert_eq!(pop.head, vec![false, false, true, false]);
        assert_eq!(pop.phi_or_floor(1), 1.0 / 3.0);
        ds.items.popularity = None;
        assert!(Popularity::new(&ds, &PopularityConfig::default()).is_none());
    }
}
