//! Bootstrap intervals of exposure shares: a share over a user set is a ratio of sums of exposure
//! terms, so replicates reweight terms and never re-run the exposure kernel. By default the
//! replicates reweight users and items (the two-way bootstrap, [`stats::two_way_sums`]); with
//! `item_resampling = false`, users only.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::data::{Csr, Dataset, RecLists};
use crate::metrics::exposure::{self, ExposureConfig};
use crate::metrics::popularity::Popularity;
use crate::result::ExposureShares;
use crate::slices::SliceColumn;
use crate::stats::{
    self, Estimate, Groups, ItemKeys, RankedTerms, Statistic, StatsConfig, Term, TwoWayReplicates,
};

/// Exposure share of every item group with percentile bootstrap intervals (overall, and within
/// each unsuppressed slice group). A share over a user set is a ratio of sums of exposure terms,
/// S_G = Σ_u Σ_i e_ui(G) / Σ_u Σ_i e_ui; the replicates resample users and items (two-way, when
/// [`StatsConfig::item_resampling`]) or users only, and never re-run the exposure kernel.
pub(crate) fn exposure_share_intervals(
    ds: &Dataset,
    pop: Option<&Popularity>,
    exposure_cfg: &ExposureConfig,
    slices: &[SliceColumn],
    stats_cfg: &StatsConfig,
) -> BTreeMap<String, ExposureShares> {
    let group_batch = share_group_batch(ds.n_users);
    exposure_share_intervals_in_batches(ds, pop, exposure_cfg, slices, stats_cfg, group_batch)
}

/// Item groups bootstrapped together for `n_users` users: the per-user masses of a batch take 8
/// bytes per user and group, every group at once up to 1M users, 5 at a time at 10M. (Batches
/// give the same numbers as one call: they only bound the memory.)
pub(crate) fn share_group_batch(n_users: usize) -> usize {
    const BATCH_BYTES: usize = 400 << 20;
    (BATCH_BYTES / (8 * n_users.max(1))).max(1)
}

/// A slice column as the exposure shares report it: its name, its groups' labels and which groups
/// are published (`SliceColumn::shown_mask`).
pub(crate) struct ShareColumn<'a> {
    pub(crate) name: &'a str,
    pub(crate) labels: Vec<&'a str>,
    pub(crate) shown: Vec<bool>,
}

impl<'a> ShareColumn<'a> {
    fn of(col: &'a SliceColumn) -> Self {
        ShareColumn {
            name: &col.name,
            labels: col.groups.iter().map(|g| g.label.as_str()).collect(),
            shown: col.shown_mask(),
        }
    }
}

/// [`exposure_share_intervals`], bootstrapping `group_batch` item groups at a time. The groups of
/// all item-group columns (provider, category, popularity band, ...) are batched together, since
/// the total mass Σ_u e_u is the same for every column: at 1M users one bootstrap covers them all.
/// Batches give the same replicates as one call, since a unit's weights do not depend on the
/// columns.
fn exposure_share_intervals_in_batches(
    ds: &Dataset,
    pop: Option<&Popularity>,
    exposure_cfg: &ExposureConfig,
    slices: &[SliceColumn],
    stats_cfg: &StatsConfig,
    group_batch: usize,
) -> BTreeMap<String, ExposureShares> {
    let n_users = ds.n_users;
    let keys = &ds.user_keys;
    let all = Groups::from_members([(0..n_users as u32).collect::<Vec<u32>>()], keys);
    // Items are resampled by their ids' keys (the two-way bootstrap's item units).
    let items = ItemKeys::of_ids(&ds.items.ids);
    let slice_groups: Vec<(Groups, Vec<bool>)> = slices
        .iter()
        .map(|col| {
            (
                Groups::from_members(col.groups.iter().map(|g| g.users.clone()), keys),
                col.shown_mask(),
            )
        })
        .collect();
    let item_columns = exposure::item_group_columns(ds, pop);
    let combined = exposure::ItemGroups::concat(&item_columns);
    let columns: Vec<ShareColumn> = slices.iter().map(ShareColumn::of).collect();
    assemble_shares(&item_columns, &columns, group_batch, |batch| {
        let subset = combined.subset(batch);
        if stats_cfg.item_resampling {
            two_way_share_estimates(
                ds,
                &subset,
                &items,
                exposure_cfg,
                &all,
                &slice_groups,
                stats_cfg,
            )
        } else {
            user_share_estimates(ds, &subset, exposure_cfg, &all, &slice_groups, stats_cfg)
        }
    })
}

/// The exposure shares of every item-group column: `estimate(range)` gives the shares of the
/// groups `range` of all columns side by side ([`exposure::ItemGroups::concat`] of
/// `item_columns`), overall and per group of every slice column of `slices`, `group_batch`
/// groups at a time; the published groups' shares are kept. Shared by the one-pass audit and
/// `partial::finish_exposure_shares`.
pub(crate) fn assemble_shares(
    item_columns: &[exposure::ItemGroups],
    slices: &[ShareColumn],
    group_batch: usize,
    mut estimate: impl FnMut(std::ops::Range<usize>) -> ShareEstimates,
) -> BTreeMap<String, ExposureShares> {
    let mut results: Vec<ExposureShares> = item_columns
        .iter()
        .map(|_| ExposureShares {
            overall: BTreeMap::new(),
            slices: slices
                .iter()
                .map(|col| {
                    let shown = shown_groups(col)
                        .map(|g| (col.labels[g].to_string(), BTreeMap::new()))
                        .collect();
                    (col.name.to_string(), shown)
                })
                .collect(),
        })
        .collect();
    // Every group of every column, in column order: (column, label).
    let owners: Vec<(usize, &String)> = item_columns
        .iter()
        .enumerate()
        .flat_map(|(c, col)| col.labels.iter().map(move |label| (c, label)))
        .collect();
    let mut start = 0;
    while start < owners.len() {
        let end = start.saturating_add(group_batch).min(owners.len());
        let batch = &owners[start..end];
        let (overall, per_column) = estimate(start..end);
        start = end;
        for (&(c, label), est) in batch.iter().zip(&overall) {
            results[c].overall.insert(label.clone(), est[0]);
        }
        for (col, est) in slices.iter().zip(per_column) {
            for g in shown_groups(col) {
                let slice_label = col.labels[g];
                for (&(c, label), per_group) in batch.iter().zip(&est) {
                    let per_slice = results[c].slices.get_mut(col.name).expect("every column");
                    per_slice
                        .get_mut(slice_label)
                        .expect("shown group")
                        .insert(label.clone(), per_group[g]);
                }
            }
        }
    }
    item_columns
        .iter()
        .map(|col| col.name.clone())
        .zip(results)
        .collect()
}

/// The published groups of `col`.
fn shown_groups<'a>(col: &'a ShareColumn) -> impl Iterator<Item = usize> + 'a {
    (0..col.shown.len()).filter(|&g| col.shown[g])
}

/// Per item group of `groups`: its share over all users (`[group][0]`) and over each group of
/// every slice column (`[column][group][slice group]`).
pub(crate) type ShareEstimates = (Vec<Vec<Estimate>>, Vec<Vec<Vec<Estimate>>>);

/// The shares of `groups` with intervals that resample users only: ratios of sums of per-user
/// masses, S_G = Σ_u e_u(G) / Σ_u e_u.
fn user_share_estimates(
    ds: &Dataset,
    groups: &exposure::ItemGroups,
    exposure_cfg: &ExposureConfig,
    all: &Groups,
    slice_groups: &[(Groups, Vec<bool>)],
    stats_cfg: &StatsConfig,
) -> ShareEstimates {
    let (columns, n_groups) = user_share_columns(&ds.recs, groups, exposure_cfg);
    let cols: Vec<&[f64]> = columns.iter().map(|c| c.as_slice()).collect();
    let shares = share_statistics(n_groups);
    // Overall and per slice column: independent bootstraps, run side by side.
    rayon::join(
        || stats::group_estimates(&cols, &shares, all, &[true], stats_cfg),
        || {
            slice_groups
                .par_iter()
                .map(|(members, include)| {
                    stats::group_estimates(&cols, &shares, members, include, stats_cfg)
                })
                .collect()
        },
    )
}

/// The per-user columns the user-only shares bootstrap, by user of `lists`: column g <
/// `groups.n_groups()` the group's exposure mass, the last column the total mass; and the number
/// of groups.
pub(crate) fn user_share_columns(
    lists: &RecLists,
    groups: &exposure::ItemGroups,
    exposure_cfg: &ExposureConfig,
) -> (Vec<Vec<f64>>, usize) {
    let exposure::UserGroupMass {
        n_groups,
        mass: mut columns,
        total,
    } = exposure::user_group_exposure(lists, groups, &exposure_cfg.weight);
    columns.push(total);
    (columns, n_groups)
}

/// The shares of `n_groups` groups over the columns of [`user_share_columns`]: group g's mass
/// over the total (column `n_groups`).
pub(crate) fn share_statistics(n_groups: usize) -> Vec<Statistic> {
    (0..n_groups)
        .map(|g| Statistic::RatioOfSums {
            num: g,
            den: n_groups,
        })
        .collect()
}

/// The position weights of ranks 1..=`max_len`.
pub(crate) fn rank_weights(max_len: usize, exposure_cfg: &ExposureConfig) -> Vec<f64> {
    (1..=max_len)
        .map(|r| exposure_cfg.weight.weight(r))
        .collect()
}

/// Appends the two-way terms of one list (`row`, item ids; `weight[r]` the weight of rank
/// r + 1): per item in rank order, its exposure e to the total column `groups.n_groups()`, then
/// e · fraction(item, G) to the column of each group G the item is in.
pub(crate) fn share_terms(
    row: &[u32],
    weight: &[f64],
    groups: &exposure::ItemGroups,
    out: &mut Vec<Term>,
) {
    let total = groups.n_groups() as u32;
    for (&item, &e) in row.iter().zip(weight) {
        out.push(Term {
            item,
            column: total,
            value: e,
        });
        for &(g, f) in groups.members.row(item as usize) {
            out.push(Term {
                item,
                column: g,
                value: e * f,
            });
        }
    }
}

/// The columns of the two-way terms of `groups` by item, as [`stats::RankedTerms`] takes them:
/// per item, the total column `groups.n_groups()` with factor 1, then each group G the item is in
/// with fraction(item, G). The ranked terms of a list are then its [`share_terms`] (e · 1 = e).
pub(crate) fn share_columns(groups: &exposure::ItemGroups) -> Csr<(u32, f64)> {
    let total = groups.n_groups() as u32;
    let members = &groups.members;
    let n_items = members.n_rows();
    let offsets: Vec<usize> = members
        .offsets()
        .iter()
        .enumerate()
        .map(|(i, &o)| o + i)
        .collect();
    let mut values = Vec::with_capacity(members.values().len() + n_items);
    for row in members.rows() {
        values.push((total, 1.0));
        values.extend_from_slice(row);
    }
    Csr::from_parts(offsets, values)
}

/// The shares of `groups` with two-way intervals ([`stats::two_way_sums`]): each exposure term
/// e_ui = weight(rank of i in u's list) · fraction(i, G) gets the product of its user's and its
/// item's replicate weights, S*_G = Σ_u Σ_i w_u v_i e_ui(G) / Σ_u Σ_i w_u v_i e_ui. The item
/// weights of a replicate are the same for all users and every set of users. The terms are
/// [`share_terms`], given to the engine as ranked terms ([`share_columns`]).
fn two_way_share_estimates(
    ds: &Dataset,
    groups: &exposure::ItemGroups,
    items: &ItemKeys,
    exposure_cfg: &ExposureConfig,
    all: &Groups,
    slice_groups: &[(Groups, Vec<bool>)],
    stats_cfg: &StatsConfig,
) -> ShareEstimates {
    let n_groups = groups.n_groups();
    let max_len = ds.recs.rows().map(|r| r.len()).max().unwrap_or(0);
    let weight = rank_weights(max_len, exposure_cfg);
    assert_eq!(
        groups.members.n_rows(),
        items.len(),
        "item groups over the catalog"
    );
    // Columns 0..n_groups: the groups' exposure; column n_groups: the total exposure.
    let columns = share_columns(groups);
    let terms = RankedTerms {
        lists: &ds.recs,
        weight: &weight,
        columns: &columns,
    };
    // Overall and every slice column: the cells of all of them from shared passes over the users.
    let families: Vec<(&Groups, &[bool])> = std::iter::once((all, &[true][..]))
        .chain(
            slice_groups
                .iter()
                .map(|(g, include)| (g, include.as_slice())),
        )
        .collect();
    let reps = stats::two_way_sums_ranked(&families, items, n_groups + 1, terms, stats_cfg);
    let sizes: Vec<Vec<usize>> = families
        .iter()
        .map(|(members, _)| (0..members.n_groups()).map(|s| members.size(s)).collect())
        .collect();
    two_way_estimates(reps, &sizes, n_groups, stats_cfg.confidence)
}

/// The shares of `n_groups` groups from the two-way replicates of every family of sets (the
/// overall population first, then each slice column; `sizes[f][s]` the users of set s of family
/// f): group g's column over the total column `n_groups`, at level `confidence`.
pub(crate) fn two_way_estimates(
    reps: Vec<TwoWayReplicates>,
    sizes: &[Vec<usize>],
    n_groups: usize,
    confidence: f64,
) -> ShareEstimates {
    let mut estimates = sizes
        .iter()
        .zip(reps)
        .map(|(sizes, reps)| -> Vec<Vec<Estimate>> {
            (0..n_groups)
                .map(|g| {
                    sizes
                        .iter()
                        .enumerate()
                        .map(|(s, &n)| reps.ratio_estimate(s, g, n_groups, n, confidence))
                        .collect()
                })
                .collect()
        });
    let overall = estimates.next().expect("the overall family");
    (overall, estimates.collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::tests::conformance_config;
    use crate::data::Categorical;
    use crate::input;
    use crate::metrics::popularity::PopularityConfig;
    use crate::slices::build_slices;

    #[test]
    fn exposure_shares_do_not_depend_on_the_group_batch() {
        let cfg = conformance_config();
        let (ds, _) = input::load(&cfg.input()).unwrap();
        let columns: Vec<&Categorical> = ds.slices.iter().collect();
        let slices = build_slices(&columns, &cfg.slices).unwrap();
        let pop = Popularity::new(&ds, &PopularityConfig::default());
        let exposure_cfg = ExposureConfig {
            weight: cfg.position_weight,
        };
        let run = |batch| {
            exposure_share_intervals_in_batches(
                &ds,
                pop.as_ref(),
                &exposure_cfg,
                &slices,
                &cfg.stats,
                batch,
            )
        };
        let whole = run(usize::MAX);
        assert!(whole.values().any(|s| s.overall.len() > 1));
        assert!(whole.values().all(|s| !s.slices.is_empty()));
        assert_eq!(run(1), whole);
        assert_eq!(run(2), whole);
        // A batch that spans two item-group columns.
        let first_column = whole.values().next().expect("a column").overall.len();
        assert_eq!(run(first_column + 1), whole);
    }

    proptest::proptest! {
        #[test]
        fn share_columns_give_the_share_terms(
            memberships in proptest::collection::vec(
                proptest::collection::vec((0u32..4, 0.05f64..1.0), 0..3),
                1..12,
            ),
            lists in proptest::collection::vec(proptest::collection::vec(0u32..12, 0..6), 1..8),
        ) {
            let n_items = memberships.len() as u32;
            let groups = exposure::ItemGroups {
                name: "g".to_string(),
                labels: (0..4).map(|g| g.to_string()).collect(),
                members: Csr::from_rows(memberships),
            };
            let lists = Csr::from_rows(lists.into_iter().map(|row| {
                row.into_iter().map(|i| i % n_items).collect::<Vec<u32>>()
            }));
            let weight: Vec<f64> = (0..5).map(|r| 1.0 / (r as f64 + 1.7)).collect();
            let columns = share_columns(&groups);
            let ranked = RankedTerms { lists: &lists, weight: &weight, columns: &columns };
            for (u, row) in lists.rows().enumerate() {
                let (mut got, mut want) = (Vec::new(), Vec::new());
                ranked.terms(u as u32, &mut got);
                share_terms(row, &weight, &groups, &mut want);
                let bits = |t: &[Term]| -> Vec<(u32, u32, u64)> {
                    t.iter().map(|t| (t.item, t.column, t.value.to_bits())).collect()
                };
                proptest::prop_assert_eq!(bits(&got), bits(&want));
            }
        }
    }
}
