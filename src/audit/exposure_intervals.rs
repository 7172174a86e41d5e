//! Bootstrap intervals of exposure shares: a share over a user set is a ratio of sums of exposure
//! terms, so replicates reweight terms and never re-run the exposure kernel. By default the
//! replicates reweight users and items (the two-way bootstrap, [`stats::two_way_sums`]); with
//! `item_resampling = false`, users only.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::data::Dataset;
use crate::metrics::exposure::{self, ExposureConfig};
use crate::metrics::popularity::Popularity;
use crate::result::ExposureShares;
use crate::slices::SliceColumn;
use crate::stats::{self, Estimate, Groups, ItemKeys, Statistic, StatsConfig, Term};

/// Exposure share of every item group with percentile bootstrap intervals (overall, and within
/// each unsuppressed slice group). A share over a user set is a ratio of sums of exposure terms,
/// S_G = Σ_u Σ_i e_ui(G) / Σ_u Σ_i e_ui; the replicates resample users and items (two-way, when
/// [`StatsConfig::item_resampling`]) or users only, and never re-run the exposure kernel.
pub(super) fn exposure_share_intervals(
    ds: &Dataset,
    pop: Option<&Popularity>,
    exposure_cfg: &ExposureConfig,
    slices: &[SliceColumn],
    stats_cfg: &StatsConfig,
) -> BTreeMap<String, ExposureShares> {
    /// Memory for the per-user masses of the item groups bootstrapped together (8 bytes per user
    /// and group): every group at once up to 1M users, 5 at a time at 10M.
    const BATCH_BYTES: usize = 400 << 20;
    let group_batch = (BATCH_BYTES / (8 * ds.n_users.max(1))).max(1);
    exposure_share_intervals_in_batches(ds, pop, exposure_cfg, slices, stats_cfg, group_batch)
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
    let mut results: Vec<ExposureShares> = item_columns
        .iter()
        .map(|_| ExposureShares {
            overall: BTreeMap::new(),
            slices: slices
                .iter()
                .map(|col| {
                    let shown = col
                        .shown()
                        .map(|g| (col.groups[g].label.clone(), BTreeMap::new()))
                        .collect();
                    (col.name.clone(), shown)
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
    let combined = exposure::ItemGroups::concat(&item_columns);
    let mut start = 0;
    while start < owners.len() {
        let end = start.saturating_add(group_batch).min(owners.len());
        let batch = &owners[start..end];
        let subset = combined.subset(start..end);
        start = end;
        let (overall, per_column) = if stats_cfg.item_resampling {
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
        };
        for (&(c, label), est) in batch.iter().zip(&overall) {
            results[c].overall.insert(label.clone(), est[0]);
        }
        for (col, est) in slices.iter().zip(per_column) {
            for g in col.shown() {
                let slice_label = &col.groups[g].label;
                for (&(c, label), per_group) in batch.iter().zip(&est) {
                    let per_slice = results[c].slices.get_mut(&col.name).expect("every column");
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

/// Per item group of `groups`: its share over all users (`[group][0]`) and over each group of
/// every slice column (`[column][group][slice group]`).
type ShareEstimates = (Vec<Vec<Estimate>>, Vec<Vec<Vec<Estimate>>>);

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
    let exposure::UserGroupMass {
        n_groups,
        mass: mut columns,
        total,
    } = exposure::user_group_exposure(&ds.recs, groups, &exposure_cfg.weight);
    // Column g < n_groups: the group's mass per user; the last column: the total mass.
    columns.push(total);
    let cols: Vec<&[f64]> = columns.iter().map(|c| c.as_slice()).collect();
    let shares: Vec<Statistic> = (0..n_groups)
        .map(|g| Statistic::RatioOfSums {
            num: g,
            den: n_groups,
        })
        .collect();
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

/// The shares of `groups` with two-way intervals ([`stats::two_way_sums`]): each exposure term
/// e_ui = weight(rank of i in u's list) · fraction(i, G) gets the product of its user's and its
/// item's replicate weights, S*_G = Σ_u Σ_i w_u v_i e_ui(G) / Σ_u Σ_i w_u v_i e_ui. The item
/// weights of a replicate are the same for all users and every set of users.
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
    let weight: Vec<f64> = (1..=max_len)
        .map(|r| exposure_cfg.weight.weight(r))
        .collect();
    // Columns 0..n_groups: the groups' exposure; column n_groups: the total exposure.
    let terms = |u: u32, out: &mut Vec<Term>| {
        for (&item, &e) in ds.recs.row(u as usize).iter().zip(&weight) {
            out.push(Term {
                item,
                column: n_groups as u32,
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
    };
    assert_eq!(
        groups.members.n_rows(),
        items.len(),
        "item groups over the catalog"
    );
    // Overall and every slice column: the cells of all of them from shared passes over the users.
    let families: Vec<(&Groups, &[bool])> = std::iter::once((all, &[true][..]))
        .chain(
            slice_groups
                .iter()
                .map(|(g, include)| (g, include.as_slice())),
        )
        .collect();
    let reps = stats::two_way_sums_each(&families, items, n_groups + 1, &terms, stats_cfg);
    let mut estimates =
        families
            .iter()
            .zip(reps)
            .map(|((members, _), reps)| -> Vec<Vec<Estimate>> {
                (0..n_groups)
                    .map(|g| {
                        (0..members.n_groups())
                            .map(|s| {
                                reps.ratio_estimate(
                                    s,
                                    g,
                                    n_groups,
                                    members.size(s),
                                    stats_cfg.confidence,
                                )
                            })
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
}
