//! The audit's global sort: every metric's defined per-user values in ascending order across all
//! users, with each user's key and slice codes. The statistics that read ranks (percentiles, the
//! worst-decile cut-off, the within-group Gini coefficient, its linearised terms and the Lorenz
//! curve) read it for the groups whose values the partial state does not keep
//! (`partial::distribution`).
//!
//! The order is (value by [`f64::total_cmp`], user key): the order in which the one-pass audit's
//! stable sorts put a group's values, since its member lists are in ascending key. A partition
//! contributes its users' entries sorted ([`map_ranked`]); [`PartialRanked::merge`] merges two
//! sorted runs, so any split of the users merged in any order gives the same run. Unlike every
//! other partial state this one holds an entry per user and metric (16 + 4 × columns bytes): it is
//! a sort. `partial::audit_folder` therefore writes each partition's runs to a temporary file
//! and merges them as streams at finish (`partial::spill`), in the order of [`RankedRun::merge`].

use std::cmp::Ordering;

/// One metric's defined values, sorted by (value, user key), with their users' keys and slice
/// codes (`codes[i * columns + c]`: entry i's group in slice column c).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RankedRun {
    /// Slice columns of every entry.
    pub columns: usize,
    /// The values, ascending by [`f64::total_cmp`].
    pub values: Vec<f64>,
    /// Each entry's user key (ascending among equal values).
    pub keys: Vec<u64>,
    /// Each entry's slice codes, `columns` per entry.
    pub codes: Vec<u32>,
}

impl RankedRun {
    /// Entries.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Entry i's code in slice column c.
    pub fn code(&self, i: usize, c: usize) -> u32 {
        self.codes[i * self.columns + c]
    }

    fn order(&self, i: usize, other: &RankedRun, k: usize) -> Ordering {
        self.values[i]
            .total_cmp(&other.values[k])
            .then(self.keys[i].cmp(&other.keys[k]))
    }

    fn push_from(&mut self, from: &RankedRun, i: usize) {
        self.values.push(from.values[i]);
        self.keys.push(from.keys[i]);
        let c = from.columns;
        self.codes
            .extend_from_slice(&from.codes[i * c..(i + 1) * c]);
    }

    /// The run of the entries of both (disjoint sets of users).
    pub fn merge(self, other: RankedRun) -> RankedRun {
        assert_eq!(self.columns, other.columns, "different slice columns");
        let mut out = RankedRun {
            columns: self.columns,
            values: Vec::with_capacity(self.len() + other.len()),
            keys: Vec::with_capacity(self.len() + other.len()),
            codes: Vec::with_capacity(self.codes.len() + other.codes.len()),
        };
        let (mut i, mut k) = (0, 0);
        while i < self.len() || k < other.len() {
            let take_self = k == other.len()
                || (i < self.len() && self.order(i, &other, k) != Ordering::Greater);
            if take_self {
                out.push_from(&self, i);
                i += 1;
            } else {
                out.push_from(&other, k);
                k += 1;
            }
        }
        out
    }
}

/// The sorted runs of every metric, in the order of the partial state's metrics.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PartialRanked {
    /// One run per metric.
    pub runs: Vec<RankedRun>,
}

impl PartialRanked {
    /// The runs of both (disjoint sets of users), metric by metric.
    pub fn merge(self, other: PartialRanked) -> PartialRanked {
        assert_eq!(self.runs.len(), other.runs.len(), "different metrics");
        PartialRanked {
            runs: self
                .runs
                .into_iter()
                .zip(other.runs)
                .map(|(a, b)| a.merge(b))
                .collect(),
        }
    }
}

/// A partition's runs: per metric (`metrics[j][i]`: user i's value, NaN = undefined) its defined
/// values sorted by (value, key), with the users' keys (`keys[i]`) and slice codes
/// (`codes[c][i]`).
pub fn map_ranked(keys: &[u64], codes: &[&[u32]], metrics: &[&[f64]]) -> PartialRanked {
    let columns = codes.len();
    let runs = metrics
        .iter()
        .map(|values| {
            let mut users: Vec<usize> = (0..keys.len()).filter(|&i| !values[i].is_nan()).collect();
            users.sort_unstable_by(|&a, &b| {
                values[a].total_cmp(&values[b]).then(keys[a].cmp(&keys[b]))
            });
            RankedRun {
                columns,
                values: users.iter().map(|&i| values[i]).collect(),
                keys: users.iter().map(|&i| keys[i]).collect(),
                codes: users
                    .iter()
                    .flat_map(|&i| codes.iter().map(move |c| c[i]))
                    .collect(),
            }
        })
        .collect();
    PartialRanked { runs }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_merge_in_value_then_key_order() {
        // Partition a: users with keys 5 (0.5, group 1), 2 (NaN), 9 (0.5, group 0);
        // partition b: keys 7 (0.5, group 0), 1 (0.25, group 1).
        let a = map_ranked(&[5, 2, 9], &[&[1, 0, 0]], &[&[0.5, f64::NAN, 0.5]]);
        let b = map_ranked(&[7, 1], &[&[0, 1]], &[&[0.5, 0.25]]);
        assert_eq!(a.runs[0].keys, [5, 9]);
        let want = RankedRun {
            columns: 1,
            values: vec![0.25, 0.5, 0.5, 0.5],
            keys: vec![1, 5, 7, 9],
            codes: vec![1, 1, 0, 0],
        };
        assert_eq!(a.clone().merge(b.clone()).runs[0], want);
        assert_eq!(b.merge(a).runs[0], want);
    }

    #[test]
    fn runs_round_trip_through_bytes_and_hostile_bytes_are_refused() {
        let ranked = map_ranked(
            &[5, 2, 9, 7],
            &[&[1, 0, 0, 2], &[0, 0, 1, 1]],
            &[&[0.5, f64::NAN, 0.5, -1.0], &[3.0, 2.0, 1.0, 0.0]],
        );
        let bytes = ranked.to_bytes();
        assert_eq!(&bytes[..8], crate::partial::RANKED_MAGIC);
        assert_eq!(PartialRanked::from_bytes(&bytes).unwrap(), ranked);
        // 8 magic + 4 version + 8 counts + (8 + 3 × 24) + (8 + 4 × 24): 16 + 4 × 2 bytes per entry.
        assert_eq!(bytes.len(), 20 + 8 + 3 * 24 + 8 + 4 * 24);
        assert!(PartialRanked::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(PartialRanked::from_bytes(&trailing).is_err());
        // The first run's first two values swapped: out of order.
        let mut swapped = bytes.clone();
        let first = 20 + 8;
        let (a, b) = (first..first + 8, first + 8..first + 16);
        let x: Vec<u8> = swapped[a.clone()].to_vec();
        let y: Vec<u8> = swapped[b.clone()].to_vec();
        swapped[a].copy_from_slice(&y);
        swapped[b].copy_from_slice(&x);
        assert!(PartialRanked::from_bytes(&swapped).is_err());
        let mut huge = bytes.clone();
        huge[20..28].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(PartialRanked::from_bytes(&huge).is_err());
    }
}
