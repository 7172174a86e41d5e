//! The popularity model of the catalog: pop(i), φ(i), the item order of the head / tail walk and
//! the short head, mid and tail bands ([`Popularity`], [`bands`]), shared by the popularity
//! metrics, novelty and the `popularity_band` exposure groups.
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

use crate::data::{Categorical, Dataset};

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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Band {
    /// The short head.
    Head,
    /// Neither head nor tail.
    Mid,
    /// The least popular items, holding at most `tail_share` of interactions.
    Tail,
}

/// Item popularity of a dataset, computed once and shared by popularity, novelty and exposure.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Popularity {
    /// pop(i) per dense item.
    pub pop: Vec<f64>,
    /// φ(i) = pop(i) / U per dense item.
    pub phi: Vec<f64>,
    /// U, the denominator of φ.
    pub n_users: usize,
    /// Whether pop(i) came from the history (true) or the items' popularity column (false).
    pub from_history: bool,
    /// Per item, whether it is in the short head (docs/metrics.md; the long tail is the complement).
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

    /// φ(i) with the novelty convention: items with φ = 0 use 1 / U (docs/metrics.md).
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

#[cfg(test)]
mod tests {
    use super::super::test_data::{dataset, ids};
    use super::*;

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

    #[test]
    fn popularity_of_the_dataset_hand_worked() {
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
