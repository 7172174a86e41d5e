//! One partition read from its own files and put in global numbering: a [`Partition`] as the map
//! takes it.

use crate::data::{Categorical, Csr, Dataset, Relevant, Snapshot};
use crate::error::{Error, Result};

use super::super::Partition;
use super::global::{load_partition, Globals};
use super::layout::{Layout, PartitionFiles};

/// Partition `p` of `layout` with the broadcast catalog: its rows with the items in global codes
/// (recommendations, snapshots, samples, truth with its propensities, history), the global
/// items and history counts, its users' keys as read (ascending), and its users' codes in the
/// plan's columns and in the chosen users-table columns.
pub fn read_partition(layout: &Layout, p: &PartitionFiles, g: &Globals) -> Result<Partition> {
    read_partition_with(layout, p, g, true)
}

/// [`read_partition`] of what the segregation's second round reads
/// ([`map_partition_clusters`](crate::partial::map_partition_clusters)): the lists, the users'
/// keys and codes; the truth and history tables (read in the first round) are not read again,
/// and the partition has none.
pub fn read_partition_lists(layout: &Layout, p: &PartitionFiles, g: &Globals) -> Result<Partition> {
    read_partition_with(layout, p, g, false)
}

/// [`read_partition`], with the truth and history tables only when `all_tables`.
fn read_partition_with(
    layout: &Layout,
    p: &PartitionFiles,
    g: &Globals,
    all_tables: bool,
) -> Result<Partition> {
    let (ds, _, details) = load_partition(layout, p, &g.broadcast.cfg, all_tables)?;
    let changed = |what: String| Error::BadTable {
        path: p.recs.clone(),
        message: format!(
            "{what} since the first pass over the partitions: were the files changed during the \
             audit?"
        ),
    };
    if [&details.snapshot_labels, &details.sample_labels] != [&g.labels[0], &g.labels[1]] {
        return Err(changed("the snapshot or sample labels differ".into()));
    }
    let global: Vec<u32> = ds
        .items
        .ids
        .iter()
        .map(|id| g.catalog.get(id))
        .collect::<Option<_>>()
        .ok_or_else(|| changed("an item is not in the catalog".into()))?;
    let lists = |csr: &Csr<u32>| -> Csr<u32> {
        Csr::from_parts(
            csr.offsets().to_vec(),
            csr.values().iter().map(|&i| global[i as usize]).collect(),
        )
    };
    let (truth, truth_propensity) = match &ds.truth {
        Some(t) => {
            let (t, p) = truth_in(t, ds.truth_propensity.as_deref(), &global);
            (Some(t), p)
        }
        None => (None, None),
    };
    let items = &g.broadcast.items;
    let (slice_codes, column_codes) = codes_of(&ds, g).ok_or_else(|| {
        changed("a user's combination of slice values is not in the slice plan".into())
    })?;
    Ok(Partition {
        ds: Dataset {
            n_users: ds.n_users,
            user_keys: ds.user_keys.clone(),
            k: ds.k,
            recs: lists(&ds.recs),
            snapshots: ds
                .snapshots
                .iter()
                .map(|s| Snapshot {
                    label: s.label.clone(),
                    lists: lists(&s.lists),
                })
                .collect(),
            samples: ds.samples.iter().map(lists).collect(),
            slices: Vec::new(),
            items: items.items.clone(),
            truth,
            truth_propensity,
            history: ds
                .history
                .as_ref()
                .and_then(|h| items.history(lists(&h.per_user))),
            baseline: None,
        },
        slice_codes,
        column_codes,
    })
}

/// The truth rows `t` (each user's by local item code) in global codes, each user's rows sorted
/// by global code as the loader sorts them, with the propensities `p` (one per row) in the same
/// order.
fn truth_in(
    t: &Csr<Relevant>,
    p: Option<&[f64]>,
    global: &[u32],
) -> (Csr<Relevant>, Option<Vec<f64>>) {
    let mut rows: Vec<Relevant> = Vec::with_capacity(t.n_values());
    let mut props: Vec<f64> = Vec::with_capacity(p.map_or(0, <[f64]>::len));
    let mut order: Vec<usize> = Vec::new();
    for w in t.offsets().windows(2) {
        order.clear();
        order.extend(w[0]..w[1]);
        let item = |k: usize| global[t.values()[k].item as usize];
        // One row per item (the loader kept one): no ties.
        order.sort_unstable_by_key(|&k| item(k));
        for &k in &order {
            rows.push(Relevant {
                item: item(k),
                relevance: t.values()[k].relevance,
            });
            if let Some(p) = p {
                props.push(p[k]);
            }
        }
    }
    (
        Csr::from_parts(t.offsets().to_vec(), rows),
        p.map(|_| props),
    )
}

/// Per column, each user's code.
type Codes = Vec<Vec<u32>>;

/// Each user's group in every plan column and code in every chosen users-table column, from the
/// partition's own slice columns (codes into its own sorted labels); `None` when a user's
/// combination is not in the plan.
fn codes_of(ds: &Dataset, g: &Globals) -> Option<(Codes, Codes)> {
    let b = &g.broadcast;
    // Per chosen column, each user's global code.
    let column_codes: Vec<Vec<u32>> = b
        .columns
        .iter()
        .map(|chosen| {
            let local = ds.slices.iter().find(|c| c.name == chosen.name)?;
            let to_global: Vec<u32> = local
                .labels
                .iter()
                .map(|l| chosen.labels.binary_search(l).ok().map(|c| c as u32))
                .collect::<Option<_>>()?;
            Some(
                local
                    .codes
                    .iter()
                    .map(|&c| match c {
                        Categorical::MISSING => Categorical::MISSING,
                        c => to_global[c as usize],
                    })
                    .collect(),
            )
        })
        .collect::<Option<_>>()?;
    let mut slice_codes: Vec<Vec<u32>> = vec![Vec::with_capacity(ds.n_users); b.plan.columns.len()];
    let mut combination: Vec<u32> = Vec::with_capacity(column_codes.len());
    for u in 0..ds.n_users {
        combination.clear();
        combination.extend(column_codes.iter().map(|c| c[u]));
        let in_plan = g.to_plan.get(&combination)?;
        for (codes, &code) in slice_codes.iter_mut().zip(in_plan) {
            codes.push(code);
        }
    }
    Some((slice_codes, column_codes))
}
