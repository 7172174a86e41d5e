//! The subgroup search (`slices::subgroups`) as map, merge and finish.
//!
//! The search needs, per *profile* (a combination of one group of every published slice column
//! and every searched column, `MISSING` included), per metric: the users with a defined value,
//! the first of them in the audit's user order (the privacy check meets profiles in that order)
//! and the moments of their values. That is all the one-pass search reads from the users, so the
//! state holds exactly that:
//!
//! - **map**: a partition's users → per profile and metric (n, mean, M2) and the smallest user
//!   key with a defined value;
//! - **merge**: per profile, moments by Chan, Golub & LeVeque's update and the smaller first key;
//! - **finish**: the shift of each metric (its mean over every user, from the merged moments),
//!   each profile's shifted sums Σ (x − shift) = n (mean − shift) and Σ (x − shift)² =
//!   M2 + n (mean − shift)², the totals over every profile, then the one-pass search
//!   ([`search_profiles`]) on them.
//!
//! Size: profiles × metrics × 32 bytes, plus 4 bytes per column per profile. Profiles are at
//! most the product of the columns' numbers of values (one per distinct combination met): a few
//! hundred to a few thousand, whatever the number of users.
//!
//! Exactness: counts, first keys and so every test's membership, the privacy decisions and the
//! number of tests are exact; means, variances, intervals and p-values agree with the one-pass
//! search within rounding (the one-pass sums shifted values user by user, the merge combines
//! moments), which the property test bounds.

use std::collections::BTreeMap;

use crate::data::Categorical;
use crate::metrics::registry::MetricDef;
use crate::slices::subgroups::{search_profiles, Profiles, SearchSettings, SubgroupSearch, Sums};

use super::state::Moments;

/// One profile's state for one metric: the moments of its users' defined values and the first of
/// those users' keys (`u64::MAX` when none has a value).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProfileMetric {
    /// Moments of the defined values.
    pub moments: Moments,
    /// The smallest user key with a defined value.
    pub first: u64,
}

impl Default for ProfileMetric {
    fn default() -> Self {
        ProfileMetric {
            moments: Moments::default(),
            first: u64::MAX,
        }
    }
}

/// The subgroup search's partial state: per profile (its group in each published column, then in
/// each searched column), per metric, a [`ProfileMetric`]. A `BTreeMap`, so iteration is
/// deterministic.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PartialSubgroups {
    /// Published slice columns (the first codes of a profile).
    pub n_published: usize,
    /// Searched columns (the remaining codes).
    pub n_searched: usize,
    /// Metrics, in the order the search takes them.
    pub n_metrics: usize,
    /// Profile → per metric.
    pub profiles: BTreeMap<Vec<u32>, Vec<ProfileMetric>>,
}

impl PartialSubgroups {
    /// The union of two partitions' states (disjoint users).
    ///
    /// # Panics
    /// When the states are of different columns or metrics.
    pub fn merge(mut self, other: PartialSubgroups) -> PartialSubgroups {
        assert_eq!(
            (self.n_published, self.n_searched, self.n_metrics),
            (other.n_published, other.n_searched, other.n_metrics),
            "subgroup states of different columns or metrics"
        );
        for (profile, theirs) in other.profiles {
            match self.profiles.get_mut(&profile) {
                None => {
                    self.profiles.insert(profile, theirs);
                }
                Some(ours) => {
                    for (a, b) in ours.iter_mut().zip(theirs) {
                        a.moments = Moments::merge(a.moments, b.moments);
                        a.first = a.first.min(b.first);
                    }
                }
            }
        }
        self
    }
}

/// The state of one partition: `keys[i]` is user i's key in the audit's user order (distinct),
/// `published[c][i]` and `searched[c][i]` its group in each published and searched column
/// ([`Categorical::MISSING`] for none), `metrics[m][i]` its value of metric m (NaN: undefined).
pub fn map_subgroups(
    keys: &[u64],
    published: &[&[u32]],
    searched: &[&[u32]],
    metrics: &[&[f64]],
) -> PartialSubgroups {
    let mut members: BTreeMap<Vec<u32>, Vec<usize>> = BTreeMap::new();
    for i in 0..keys.len() {
        let profile: Vec<u32> = published
            .iter()
            .chain(searched)
            .map(|codes| codes[i])
            .collect();
        members.entry(profile).or_default().push(i);
    }
    // Within a profile, users in key order: the order the one-pass sums them in.
    let profiles = members
        .into_iter()
        .map(|(profile, mut users)| {
            users.sort_unstable_by_key(|&i| keys[i]);
            let per_metric = metrics
                .iter()
                .map(|values| {
                    let defined: Vec<f64> = users.iter().map(|&i| values[i]).collect();
                    ProfileMetric {
                        moments: Moments::of(&defined),
                        first: users
                            .iter()
                            .filter(|&&i| !values[i].is_nan())
                            .map(|&i| keys[i])
                            .min()
                            .unwrap_or(u64::MAX),
                    }
                })
                .collect();
            (profile, per_metric)
        })
        .collect();
    PartialSubgroups {
        n_published: published.len(),
        n_searched: searched.len(),
        n_metrics: metrics.len(),
        profiles,
    }
}

/// The subgroup search of the merged `state`: `columns` are the searched columns in the order of
/// the state's searched codes (only their names and labels are read), `metrics` the metrics in the state's
/// order, `shown` per published column which of its groups the audit publishes.
pub fn finish_subgroups(
    state: &PartialSubgroups,
    columns: &[&Categorical],
    metrics: &[&'static MetricDef],
    shown: &[Vec<bool>],
    settings: SearchSettings,
) -> SubgroupSearch {
    let m = state.n_metrics;
    // The shift of each metric: the mean of its defined values over every user.
    let shifts: Vec<f64> = (0..m)
        .map(|j| {
            let all = state.profiles.values().fold(Moments::default(), |acc, p| {
                Moments::merge(acc, p[j].moments)
            });
            if all.n == 0 {
                0.0
            } else {
                all.mean
            }
        })
        .collect();
    let column_of = |offset: usize, c: usize| -> Vec<u32> {
        state.profiles.keys().map(|p| p[offset + c]).collect()
    };
    let profiles = Profiles {
        published: (0..state.n_published).map(|c| column_of(0, c)).collect(),
        searched: (0..state.n_searched)
            .map(|c| column_of(state.n_published, c))
            .collect(),
        defined: (0..m)
            .map(|j| {
                state
                    .profiles
                    .values()
                    .map(|p| p[j].moments.n as usize)
                    .collect()
            })
            .collect(),
        first_defined: (0..m)
            .map(|j| state.profiles.values().map(|p| p[j].first).collect())
            .collect(),
        sums: (0..m)
            .map(|j| {
                state
                    .profiles
                    .values()
                    .map(|p| {
                        let x = p[j].moments;
                        Sums::of_moments(x.n as usize, x.mean, x.m2, shifts[j])
                    })
                    .collect()
            })
            .collect(),
    };
    let totals: Vec<Sums> = profiles
        .sums
        .iter()
        .map(|per_profile| {
            let mut t = Sums::default();
            per_profile.iter().for_each(|s| t.merge(*s));
            t
        })
        .collect();
    search_profiles(
        columns, metrics, &profiles, shown, &shifts, &totals, settings,
    )
}

#[cfg(test)]
#[path = "subgroups_tests.rs"]
mod tests;
