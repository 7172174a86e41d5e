//! Step 6 of the segregation analysis: each slice column related to the clusters (its NMI with
//! them and each group's spread over them), and the groups that may not be published dropped.

use rayon::prelude::*;

use super::nmi::nmi_of_table;
use super::result::{GroupClusters, Segregation, SliceSegregation};
use crate::data::Categorical;
use crate::metrics::finite;

impl Segregation {
    /// Step 6 of [`segregation`](super::segregation()): relates each slice column to the clusters
    /// of [`cluster_users`](super::cluster_users) (one [`SliceSegregation`] per column, in order, computed in parallel).
    pub fn relate_slices(mut self, slices: &[Categorical]) -> Segregation {
        self.slices = slices
            .par_iter()
            .map(|col| slice_segregation(col, &self.labels, self.n_clusters))
            .collect();
        self
    }

    /// Keeps the groups `publish(column index, group label)` allows and counts the others in
    /// `groups_not_shown`. The NMI, an aggregate over all groups, is kept.
    pub fn publish_only(&mut self, publish: impl Fn(usize, &str) -> bool) {
        for (c, slice) in self.slices.iter_mut().enumerate() {
            let before = slice.groups.len();
            slice.groups.retain(|g| publish(c, &g.group));
            slice.groups_not_shown = before - slice.groups.len();
        }
    }
}

/// NMI and group spread of one slice column against per-user cluster labels
/// ([`Categorical::MISSING`] = not clustered). Users missing either are skipped.
pub fn slice_segregation(col: &Categorical, labels: &[u32], n_clusters: usize) -> SliceSegregation {
    let mut table = vec![0u64; col.labels.len() * n_clusters];
    for (&code, &cluster) in col.codes.iter().zip(labels) {
        if code == Categorical::MISSING || cluster == Categorical::MISSING {
            continue;
        }
        table[code as usize * n_clusters + cluster as usize] += 1;
    }
    slice_segregation_of_table(&col.name, &col.labels, &table, n_clusters)
}

/// [`slice_segregation`] from the users counted per (group, cluster): `table[g · n_clusters + c]`
/// users of group g (label `labels[g]`) in cluster c, over the users with both. A table summed
/// over partitions of the users gives the same result.
pub fn slice_segregation_of_table(
    column: &str,
    labels: &[String],
    table: &[u64],
    n_clusters: usize,
) -> SliceSegregation {
    let groups: Vec<GroupClusters> = table
        .chunks(n_clusters.max(1))
        .enumerate()
        .filter_map(|(g, row)| {
            let n: u64 = row.iter().sum();
            (n > 0).then(|| GroupClusters {
                group: labels[g].clone(),
                n_users: n as usize,
                cluster_shares: row.iter().map(|&c| c as f64 / n as f64).collect(),
            })
        })
        .collect();
    let nmi = (groups.len() >= 2)
        .then(|| nmi_of_table(table, n_clusters))
        .and_then(finite);
    SliceSegregation {
        column: column.to_string(),
        n_users: table.iter().sum::<u64>() as usize,
        nmi,
        groups,
        groups_not_shown: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::super::segregation;
    use super::super::test_support::planted;
    use super::*;
    use crate::metrics::bubble::BubbleConfig;

    #[test]
    fn slice_segregation_handles_single_group() {
        let col = Categorical {
            name: "g".into(),
            labels: vec!["only".into(), "other".into()],
            codes: vec![0, 0, 0, 1],
        };
        // user 3 unclustered → one group left → NMI undefined
        let s = slice_segregation(&col, &[0, 1, 1, Categorical::MISSING], 2);
        assert_eq!((s.n_users, s.nmi), (3, None));
        assert_eq!(s.groups[0].cluster_shares, vec![1.0 / 3.0, 2.0 / 3.0]);
    }

    #[test]
    fn unpublished_groups_are_dropped_and_counted() {
        let ds = planted(30);
        let mut seg = segregation(&ds, &BubbleConfig::default()).unwrap();
        // "partial" has group a with 29 clustered users (user 0 missing), group b with 30
        seg.publish_only(|_, g| g != "a");
        let partial = &seg.slices[2];
        assert_eq!(partial.groups.len(), 1);
        assert_eq!(partial.groups[0].group, "b");
        assert_eq!(partial.groups_not_shown, 1);
        assert_eq!(partial.groups[0].cluster_shares.len(), seg.n_clusters);
        assert!(partial.nmi.is_some());
    }
}
