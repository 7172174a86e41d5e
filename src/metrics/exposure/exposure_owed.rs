//! Exposure owed over time: each item group's cumulative exposure against its cumulative merit
//! across snapshots, and the amortised unfairness (Biega, Gummadi & Weikum 2018, "Equity of
//! attention: amortizing individual fairness in rankings", SIGIR, doi:10.1145/3209978.3210063).

use serde::{Deserialize, Serialize};

use super::groups::ItemGroups;
use crate::data::{Csr, Relevant};
use crate::metrics::PositionWeight;

/// One item group's exposure owed over the snapshots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwedGroup {
    /// A_t: the group's cumulative exposure share after each snapshot.
    pub exposure: Vec<f64>,
    /// R_t: the group's cumulative merit share after each snapshot.
    pub merit: Vec<f64>,
    /// |A_T − R_T| after the last snapshot T: the attention the group is owed (R_T > A_T) or was
    /// given beyond its merit (A_T > R_T), in snapshots' worth of attention.
    pub unfairness: f64,
}

/// Exposure owed for every group of one item-group column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExposureOwed {
    /// Per item group, in label order.
    pub groups: std::collections::BTreeMap<String, OwedGroup>,
    /// The amortised unfairness Σ_g |A_T(g) − R_T(g)|.
    pub amortised_unfairness: f64,
}

/// The amortised unfairness of item groups over snapshots (Biega, Gummadi & Weikum 2018).
///
/// # Formula
/// With `exposure[t][g]` and `merit[t][g]` the exposure and the merit of group g in snapshot t,
/// each normalised to shares within its snapshot, a_t(g) = exposure[t][g] / Σ_h exposure[t][h] and
/// r_t(g) = merit[t][g] / Σ_h merit[t][h], the cumulative shares are
/// A_t(g) = Σ_{s ≤ t} a_s(g) and R_t(g) = Σ_{s ≤ t} r_s(g), and the amortised unfairness after the
/// last snapshot T is Σ_g |A_T(g) − R_T(g)| (Biega et al.'s eq. 3 with groups as subjects: the sum
/// over time is inside the absolute value, so over-exposure in one snapshot is paid back by
/// under-exposure in a later one).
///
/// # Conventions
/// Each snapshot carries one unit of attention and one of merit, so A_T and R_T sum to T over the
/// groups and the unfairness lies in [0, 2T]. A snapshot with no exposure (or no merit) at all
/// adds nothing to A (or R). Returns `None` with no group or no snapshot.
///
/// # Example
/// ```
/// use recaudit::metrics::exposure::amortised_unfairness;
/// // Two groups, two snapshots. Shares a = (0.75, 0.25) then (0.25, 0.75); merit always (0.5, 0.5).
/// // A_2 = (1, 1), R_2 = (1, 1): the second snapshot paid back the first, unfairness 0.
/// let o = amortised_unfairness(&[vec![3.0, 1.0], vec![1.0, 3.0]], &[vec![1.0, 1.0], vec![2.0, 2.0]]).unwrap();
/// assert_eq!(o.0, 0.0);
/// assert!(amortised_unfairness(&[], &[]).is_none());
/// ```
/// Returns the unfairness with, per group, (A_t for every t, R_t for every t, |A_T − R_T|).
#[allow(clippy::type_complexity)]
pub fn amortised_unfairness(
    exposure: &[Vec<f64>],
    merit: &[Vec<f64>],
) -> Option<(f64, Vec<(Vec<f64>, Vec<f64>, f64)>)> {
    let n_groups = exposure.first()?.len();
    if n_groups == 0 || merit.len() != exposure.len() {
        return None;
    }
    let shares = |row: &[f64]| -> Vec<f64> {
        let total: f64 = row.iter().sum();
        row.iter()
            .map(|&x| if total > 0.0 { x / total } else { 0.0 })
            .collect()
    };
    let mut per_group = vec![(Vec::new(), Vec::new(), 0.0); n_groups];
    let (mut a, mut r) = (vec![0.0; n_groups], vec![0.0; n_groups]);
    for (e_t, m_t) in exposure.iter().zip(merit) {
        for (g, (sa, sr)) in shares(e_t).into_iter().zip(shares(m_t)).enumerate() {
            a[g] += sa;
            r[g] += sr;
            per_group[g].0.push(a[g]);
            per_group[g].1.push(r[g]);
        }
    }
    let mut total = 0.0;
    for g in 0..n_groups {
        let u = (a[g] - r[g]).abs();
        per_group[g].2 = u;
        total += u;
    }
    Some((total, per_group))
}

/// Per snapshot, the position-weighted exposure and the merit of every group of `groups`: the
/// exposure Σ_u Σ_{i ∈ L_u^t} w(rank) · fraction(i, g) over the snapshot's lists, the merit
/// Σ_u Σ_{i ∈ Rel_u} rel(u, i) · fraction(i, g) over the held-out relevant items of the users
/// with a list in the snapshot.
pub fn exposure_and_merit(
    snapshots: &[&Csr<u32>],
    truth: &Csr<Relevant>,
    groups: &ItemGroups,
    weight: &PositionWeight,
) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    exposure_and_merit_of(snapshots, truth, groups, weight, None)
}

/// [`exposure_and_merit`] over the users `users` (row indices, summed in that order; `None`:
/// every row in order). The sums of disjoint sets of users add up to the sums of their union
/// (up to the order of the f64 additions).
pub fn exposure_and_merit_of(
    snapshots: &[&Csr<u32>],
    truth: &Csr<Relevant>,
    groups: &ItemGroups,
    weight: &PositionWeight,
    users: Option<&[u32]>,
) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let n = groups.labels.len();
    let mut exposure = Vec::new();
    let mut merit = Vec::new();
    for lists in snapshots {
        let mut e = vec![0.0; n];
        let mut m = vec![0.0; n];
        let mut add_user = |u: usize| {
            if u >= lists.n_rows() {
                return;
            }
            let list = lists.row(u);
            if list.is_empty() {
                return;
            }
            for (pos, &i) in list.iter().enumerate() {
                let w = weight.weight(pos + 1);
                for &(g, frac) in groups.members.row(i as usize) {
                    e[g as usize] += w * frac;
                }
            }
            if u < truth.n_rows() {
                for rel in truth.row(u) {
                    for &(g, frac) in groups.members.row(rel.item as usize) {
                        m[g as usize] += rel.relevance * frac;
                    }
                }
            }
        };
        match users {
            Some(us) => us.iter().for_each(|&u| add_user(u as usize)),
            None => (0..lists.n_rows()).for_each(&mut add_user),
        }
        exposure.push(e);
        merit.push(m);
    }
    (exposure, merit)
}

/// [`amortised_unfairness`] of `groups` over `snapshots`, labelled.
pub fn exposure_owed(
    snapshots: &[&Csr<u32>],
    truth: &Csr<Relevant>,
    groups: &ItemGroups,
    weight: &PositionWeight,
) -> Option<ExposureOwed> {
    let (e, m) = exposure_and_merit(snapshots, truth, groups, weight);
    owed_of_sums(&groups.labels, &e, &m)
}

/// [`amortised_unfairness`] of the per-snapshot exposure and merit sums of the groups `labels`
/// (`exposure[t][g]`, `merit[t][g]`, as [`exposure_and_merit`] gives them), labelled. `None` as
/// [`amortised_unfairness`].
pub fn owed_of_sums(
    labels: &[String],
    exposure: &[Vec<f64>],
    merit: &[Vec<f64>],
) -> Option<ExposureOwed> {
    let (total, per_group) = amortised_unfairness(exposure, merit)?;
    Some(ExposureOwed {
        groups: labels
            .iter()
            .cloned()
            .zip(per_group)
            .map(|(l, (exposure, merit, unfairness))| {
                (
                    l,
                    OwedGroup {
                        exposure,
                        merit,
                        unfairness,
                    },
                )
            })
            .collect(),
        amortised_unfairness: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_three_snapshots() {
        // Groups (indie, major). Exposure shares per snapshot: (0.2, 0.8), (0.2, 0.8), (0.5, 0.5);
        // merit shares: (0.4, 0.6) each time.
        // A = (0.2, 0.8), (0.4, 1.6), (0.9, 2.1); R = (0.4, 0.6), (0.8, 1.2), (1.2, 1.8).
        // |A_3 − R_3| = 0.3 for each group: amortised unfairness 0.6.
        let e = vec![vec![1.0, 4.0], vec![2.0, 8.0], vec![3.0, 3.0]];
        let m = vec![vec![2.0, 3.0], vec![4.0, 6.0], vec![0.4, 0.6]];
        let (total, g) = amortised_unfairness(&e, &m).unwrap();
        assert!((total - 0.6).abs() < 1e-12);
        let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12);
        assert!(close(&g[0].0, &[0.2, 0.4, 0.9]) && close(&g[0].1, &[0.4, 0.8, 1.2]));
        assert!(close(&g[1].0, &[0.8, 1.6, 2.1]) && close(&g[1].1, &[0.6, 1.2, 1.8]));
        assert!((g[0].2 - 0.3).abs() < 1e-12 && (g[1].2 - 0.3).abs() < 1e-12);
    }

    #[test]
    fn empty_snapshots_add_nothing_and_bad_shapes_are_none() {
        let (total, g) = amortised_unfairness(&[vec![0.0, 0.0]], &[vec![1.0, 0.0]]).unwrap();
        assert_eq!(total, 1.0);
        assert_eq!(g[0].0, vec![0.0]);
        assert!(amortised_unfairness(&[vec![1.0]], &[]).is_none());
        assert!(amortised_unfairness(&[vec![]], &[vec![]]).is_none());
    }

    #[test]
    fn exposure_and_merit_of_lists() {
        // Items 0 (indie) and 1 (major); one user, k = 2, uniform weight. Snapshot 1 shows [1, 0],
        // snapshot 2 [1]; the user's relevant item is 0 (relevance 1).
        let groups = ItemGroups {
            name: "provider".into(),
            labels: vec!["indie".into(), "major".into()],
            members: Csr::from_rows(vec![vec![(0u32, 1.0)], vec![(1u32, 1.0)]]),
        };
        let s1 = Csr::from_rows(vec![vec![1u32, 0]]);
        let s2 = Csr::from_rows(vec![vec![1u32]]);
        let truth = Csr::from_rows(vec![vec![Relevant {
            item: 0,
            relevance: 1.0,
        }]]);
        let (e, m) = exposure_and_merit(&[&s1, &s2], &truth, &groups, &PositionWeight::Uniform);
        assert_eq!(e, vec![vec![1.0, 1.0], vec![0.0, 1.0]]);
        assert_eq!(m, vec![vec![1.0, 0.0], vec![1.0, 0.0]]);
        // A_2 = (0.5, 1.5), R_2 = (2, 0): unfairness 1.5 + 1.5 = 3.
        let o = exposure_owed(&[&s1, &s2], &truth, &groups, &PositionWeight::Uniform).unwrap();
        assert!((o.amortised_unfairness - 3.0).abs() < 1e-12);
        assert!((o.groups["indie"].unfairness - 1.5).abs() < 1e-12);
    }
}
