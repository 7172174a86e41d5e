//! The mergeable state of the per-user metric summaries and its merge.
//!
//! Per slice group (and for the overall population, one group of every user):
//! - `n`: the group's users seen;
//! - `rows`: (user key, every metric's value) while the group has at most `keep_rows` users: a
//!   group of at most `bootstrap_units` users is resampled user by user, in ascending user key
//!   (the one-pass order of dense user ids, which the reader numbers by key), and the permutation
//!   test and the percentiles read the values;
//! - `buckets`: the bootstrap's hashed units, `units` × (2M + 1) sums (each metric's value with
//!   NaN as 0, each metric's defined count, the user count), the bucket of the user with key k
//!   being `bucket_of(mix64(seed ⊕ salt), k, units)` as in the one-pass bootstrap: filled for
//!   every user because a partition cannot know whether its group will exceed `units` users in
//!   all;
//! - `moments`: (n, compensated sum, M2) of each metric's defined values, for Welch's test and
//!   the means of groups without rows.
//!
//! And the contingency table: users per (slice code of every column, set of metrics defined),
//! from which the group sizes, the undefined counts and the publication decisions follow.

use std::collections::BTreeMap;

use crate::metrics::registry::MetricDef;
use crate::stats::compensated::CompensatedSum;
use crate::stats::StatsConfig;

/// Count, sum, mean and sum of squared deviations from the mean of a metric's defined values.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Moments {
    /// Defined values.
    pub n: u64,
    /// Their compensated sum: the mean of merged states is then the same to the last bits or so
    /// whatever the partitioning, as the one-pass mean is (`stats::compensated`).
    pub sum: CompensatedSum,
    /// Their mean, sum / n (0 when n = 0).
    pub mean: f64,
    /// Σ (x − mean)².
    pub m2: f64,
}

impl Moments {
    /// Two-pass moments of `values` (NaN skipped), with the arithmetic of
    /// `stats::significance::moments_of_columns`: a compensated sum, then the compensated sum of
    /// the squared deviations from sum / n. One partition holding a whole group gives the
    /// one-pass bits.
    pub fn of(values: &[f64]) -> Moments {
        let mut n = 0u64;
        let mut sum = CompensatedSum::default();
        for &x in values.iter().filter(|x| !x.is_nan()) {
            n += 1;
            sum.add(x);
        }
        if n == 0 {
            return Moments::default();
        }
        let mean = sum.value() / n as f64;
        let mut m2 = CompensatedSum::default();
        for &x in values.iter().filter(|x| !x.is_nan()) {
            m2.add((x - mean) * (x - mean));
        }
        Moments {
            n,
            sum,
            mean,
            m2: m2.value(),
        }
    }

    /// The moments of `n` values with compensated sum `sum` and Σ (x − mean)² = `m2`.
    pub fn of_sum(n: u64, sum: CompensatedSum, m2: f64) -> Moments {
        let mean = if n == 0 { 0.0 } else { sum.value() / n as f64 };
        Moments { n, sum, mean, m2 }
    }

    /// The moments of the union of two disjoint sets of values: the sums added, mean = sum / n,
    /// and M2 = M2_a + M2_b + δ² n_a n_b / n (Chan, Golub & LeVeque 1979). Commutative up to
    /// the last bits of the compensation; associative up to rounding.
    pub fn merge(a: Moments, b: Moments) -> Moments {
        if a.n == 0 {
            return b;
        }
        if b.n == 0 {
            return a;
        }
        let (na, nb) = (a.n as f64, b.n as f64);
        let n = a.n + b.n;
        let delta = b.mean - a.mean;
        let m2 = (a.m2 + b.m2) + delta * delta * (na * nb / n as f64);
        Moments::of_sum(n, a.sum.merge(b.sum), m2)
    }

    /// (n, mean, sample variance) as `moments_of_columns` gives them: NaN mean and variance
    /// without values, NaN variance with one.
    pub fn welch(&self) -> (usize, f64, f64) {
        match self.n {
            0 => (0, f64::NAN, f64::NAN),
            1 => (1, self.mean, f64::NAN),
            n => (n as usize, self.mean, self.m2 / (n - 1) as f64),
        }
    }
}

/// Settings every partial state of one audit shares (a merge refuses states that differ).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartialSettings {
    /// The statistics settings (seed, replicates, units, permutations).
    pub stats: StatsConfig,
    /// A group keeps its users' values while it has at most this many users: at least
    /// `bootstrap_units` (user-by-user resampling), and the permutation test needs both groups'
    /// values when the smaller has at most `permutation_max_n`. `usize::MAX`: always.
    pub keep_rows: usize,
    /// `slices.min_slice_size`.
    pub min_size: usize,
}

impl PartialSettings {
    /// The settings of an audit: values kept up to max(`bootstrap_units`, `permutation_max_n`)
    /// users per group, always when `bootstrap_units` is 0 (every user resampled).
    pub fn new(stats: StatsConfig, min_size: usize) -> PartialSettings {
        let keep_rows = if stats.bootstrap_units == 0 {
            usize::MAX
        } else {
            stats.bootstrap_units.max(stats.permutation_max_n)
        };
        PartialSettings {
            stats,
            keep_rows,
            min_size,
        }
    }
}

/// One group's users' values: `values[i * m..(i + 1) * m]` are the M metrics of the user with
/// key `keys[i]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rows {
    /// User keys ([`crate::data::id_key`] of the user ids).
    pub keys: Vec<u64>,
    /// Values, user-major.
    pub values: Vec<f64>,
}

/// The state of one group (see the module documentation).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupState {
    /// Users seen.
    pub n: u64,
    /// Keep the users' values whatever their number: the group may be compared by a permutation
    /// test with a group of at most `permutation_max_n` users ([`SlicePlan::keeps_values`]).
    ///
    /// [`SlicePlan::keeps_values`]: super::SlicePlan::keeps_values
    pub keep: bool,
    /// The users' values while `n <= keep_rows`.
    pub rows: Option<Rows>,
    /// Bucket sums, slot-major: slot j of bucket k at `j * units + k`; empty when no user was
    /// seen or `units` is 0.
    pub buckets: Vec<f64>,
    /// Per metric.
    pub moments: Vec<Moments>,
}

impl GroupState {
    /// The state of users `members` (indices into `keys`, the users' keys, in ascending key)
    /// with per-user `values[j][i]` of metric j; `keep`: keep the values whatever their number.
    pub(crate) fn of(
        members: &[usize],
        keys: &[u64],
        values: &[&[f64]],
        settings: &PartialSettings,
        keep: bool,
    ) -> GroupState {
        let m = values.len();
        let n = members.len();
        let rows = (keep || n <= settings.keep_rows).then(|| Rows {
            keys: members.iter().map(|&i| keys[i]).collect(),
            values: members
                .iter()
                .flat_map(|&i| values.iter().map(move |v| v[i]))
                .collect(),
        });
        let units = settings.stats.bootstrap_units;
        let mut buckets = Vec::new();
        if units > 0 && n > 0 {
            // Summed unit by unit (a unit's 2m + 1 sums side by side, so a user touches one
            // stretch of memory), then laid out sum by sum; each sum takes its users' values in
            // member order either way.
            let width = 2 * m + 1;
            let mut by_unit = vec![0.0; width * units];
            let key = crate::stats::bootstrap::mix64(
                settings.stats.seed ^ crate::stats::bootstrap::BUCKET_SALT,
            );
            for &i in members {
                let k = crate::stats::bootstrap::bucket_of(key, keys[i], units) as usize;
                let unit = &mut by_unit[k * width..(k + 1) * width];
                for (j, v) in values.iter().enumerate() {
                    let x = v[i];
                    unit[j] += if x.is_nan() { 0.0 } else { x };
                    unit[m + j] += f64::from(u8::from(!x.is_nan()));
                }
                unit[2 * m] += 1.0;
            }
            buckets = vec![0.0; width * units];
            for (k, unit) in by_unit.chunks_exact(width).enumerate() {
                for (s, &x) in unit.iter().enumerate() {
                    buckets[s * units + k] = x;
                }
            }
        }
        let moments = values
            .iter()
            .map(|v| {
                let x: Vec<f64> = members.iter().map(|&i| v[i]).collect();
                Moments::of(&x)
            })
            .collect();
        GroupState {
            n: n as u64,
            keep,
            rows,
            buckets,
            moments,
        }
    }

    /// The state of the union of two disjoint sets of users.
    pub(super) fn merge(a: GroupState, b: GroupState, keep_rows: usize) -> GroupState {
        let n = a.n + b.n;
        let keep = a.keep || b.keep;
        // A state of no user holds the (empty) rows.
        let rows_of =
            |n: u64, rows: Option<Rows>| if n == 0 { Some(Rows::default()) } else { rows };
        let (a_rows, b_rows) = (rows_of(a.n, a.rows), rows_of(b.n, b.rows));
        let rows = match (a_rows, b_rows) {
            (Some(mut x), Some(y)) if keep || n as usize <= keep_rows => {
                x.keys.extend(y.keys);
                x.values.extend(y.values);
                Some(x)
            }
            _ => None,
        };
        let buckets = match (a.buckets.is_empty(), b.buckets.is_empty()) {
            (true, _) => b.buckets,
            (_, true) => a.buckets,
            _ => a
                .buckets
                .iter()
                .zip(&b.buckets)
                .map(|(x, y)| x + y)
                .collect(),
        };
        let moments = if a.moments.is_empty() {
            b.moments
        } else {
            a.moments
                .iter()
                .zip(&b.moments)
                .map(|(&x, &y)| Moments::merge(x, y))
                .collect()
        };
        GroupState {
            n,
            keep,
            rows,
            buckets,
            moments,
        }
    }
}

/// A users' slice codes (one per column, `u32::MAX` for none) and which metrics they have a
/// defined value for (bit j for metric j).
pub type Cell = (Vec<u32>, u128);

/// The users of one [`Cell`]: how many, and the smallest user key among them. The smallest key
/// orders the cells as the one-pass audit meets them (it numbers users in ascending key), which
/// is what the publication decision needs (`disclosure::protect_weighted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CellUsers {
    /// Users in the cell.
    pub n: u64,
    /// The smallest key of its users.
    pub first_key: u64,
}

impl CellUsers {
    /// One user of key `key`.
    pub fn one(key: u64) -> CellUsers {
        CellUsers {
            n: 1,
            first_key: key,
        }
    }

    /// The users of both (disjoint) sets.
    pub fn add(&mut self, other: CellUsers) {
        self.n += other.n;
        self.first_key = self.first_key.min(other.first_key);
    }

    /// Adds `users` (disjoint from those already counted) to the users of `cell` in `table`.
    pub fn add_to<K: Ord>(table: &mut BTreeMap<K, CellUsers>, cell: K, users: CellUsers) {
        table
            .entry(cell)
            .and_modify(|c| c.add(users))
            .or_insert(users);
    }
}

/// The partial state of the per-user metric summaries of a set of users.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialAudit {
    /// The metrics, in the order of every per-metric vector.
    pub defs: Vec<&'static MetricDef>,
    /// Groups per slice column.
    pub n_groups: Vec<usize>,
    /// Shared settings.
    pub settings: PartialSettings,
    /// Users seen.
    pub n_users: u64,
    /// The users of each [`Cell`].
    pub cells: BTreeMap<Cell, CellUsers>,
    /// Every user as one group.
    pub overall: GroupState,
    /// Per slice column, per group.
    pub columns: Vec<Vec<GroupState>>,
}

impl PartialAudit {
    /// The state of no user.
    pub fn empty(
        defs: Vec<&'static MetricDef>,
        n_groups: Vec<usize>,
        settings: PartialSettings,
    ) -> PartialAudit {
        let columns = n_groups
            .iter()
            .map(|&n| vec![GroupState::default(); n])
            .collect();
        PartialAudit {
            defs,
            n_groups,
            settings,
            n_users: 0,
            cells: BTreeMap::new(),
            overall: GroupState::default(),
            columns,
        }
    }

    /// The state of the union of the disjoint user sets of `self` and `other`.
    ///
    /// # Panics
    /// When the two states are of different audits (metrics, slice groups or settings).
    pub fn merge(self, other: PartialAudit) -> PartialAudit {
        assert!(
            self.defs.len() == other.defs.len()
                && self
                    .defs
                    .iter()
                    .zip(&other.defs)
                    .all(|(a, b)| a.key == b.key),
            "partial states of different metrics"
        );
        assert_eq!(self.n_groups, other.n_groups, "different slice plans");
        assert_eq!(self.settings, other.settings, "different settings");
        let keep = self.settings.keep_rows;
        let mut cells = self.cells;
        for (cell, users) in other.cells {
            CellUsers::add_to(&mut cells, cell, users);
        }
        let columns = self
            .columns
            .into_iter()
            .zip(other.columns)
            .map(|(a, b)| {
                a.into_iter()
                    .zip(b)
                    .map(|(x, y)| GroupState::merge(x, y, keep))
                    .collect()
            })
            .collect();
        PartialAudit {
            defs: self.defs,
            n_groups: self.n_groups,
            settings: self.settings,
            n_users: self.n_users + other.n_users,
            cells,
            overall: GroupState::merge(self.overall, other.overall, keep),
            columns,
        }
    }
}
