//! The fit of the SNIPS metrics' popularity propensities to the lists
//! (`propensity_gamma = "estimate"`): a global pass over the lists before the map, since every
//! user's SNIPS values depend on the γ fitted to all lists (`metrics::quality::propensity`).
//!
//! The fit reads, per item, how many lists show it among their first 50 items
//! ([`lists_showing`]): a sum over users. A partition counts its lists ([`map_shown`]), the counts
//! add ([`PartialShown::merge`]), and [`PartialShown::propensity`] fits γ exactly as the one-pass
//! audit does (integer counts: the same γ bit for bit), which the driver broadcasts with the item
//! statistics ([`ItemStats::with_propensity_gamma`]).

use crate::audit::propensity_model_of;
use crate::data::Dataset;
use crate::metrics::quality::{fit_propensity_gamma, lists_showing};
use crate::result::PropensityModel;
use crate::settings::AuditConfig;

use super::ItemStats;

/// Per item of the catalog, the lists of a set of users showing it among their first 50 items.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PartialShown {
    /// `shown[i]`: lists showing item i.
    pub shown: Vec<u64>,
}

/// The counts of a partition's lists (`ds` from `partition_dataset`: items indexed in the global
/// catalog).
pub fn map_shown(ds: &Dataset) -> PartialShown {
    PartialShown {
        shown: lists_showing(&ds.recs, ds.items.n_items()),
    }
}

impl PartialShown {
    /// The counts of both (disjoint) sets of users.
    pub fn merge(self, other: PartialShown) -> PartialShown {
        let (mut long, short) = if self.shown.len() >= other.shown.len() {
            (self, other)
        } else {
            (other, self)
        };
        for (n, m) in long.shown.iter_mut().zip(short.shown) {
            *n += m;
        }
        long
    }

    /// The γ of the SNIPS propensities and the `propensity` block of `audit.json` the one-pass
    /// audit gives (`audit::propensity_model`), from the merged counts of every user's lists;
    /// `truth_propensities`: the truth table gives the propensities. A γ that cannot be fitted
    /// adds the one-pass note to `notes`.
    pub fn propensity(
        &self,
        items: &ItemStats,
        truth_propensities: bool,
        cfg: &AuditConfig,
        notes: &mut Vec<String>,
    ) -> (f64, PropensityModel) {
        let popularity = items.popularity.as_ref().map(|p| p.pop.as_slice());
        let fit = |pop: &[f64]| fit_propensity_gamma(&self.shown, pop);
        propensity_model_of(fit, popularity, truth_propensities, cfg, notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Csr;

    #[test]
    fn counts_of_partitions_add_up_to_the_whole_and_fit_the_same_gamma() {
        // pop 1, 2, 4 (and an excluded 400) shown in 1, 2, 4 lists: γ = 1 (f ∝ n).
        let lists = [vec![0u32, 1, 2], vec![1, 2], vec![2], vec![2]];
        let pop = [1.0, 2.0, 4.0, 400.0];
        let count = |rows: &[Vec<u32>]| PartialShown {
            shown: lists_showing(&Csr::from_rows(rows.to_vec()), pop.len()),
        };
        let whole = count(&lists);
        assert_eq!(whole.shown, [1, 2, 4, 0]);
        let merged = count(&lists[..1]).merge(count(&lists[1..]));
        assert_eq!(merged, whole);
        assert_eq!(PartialShown::default().merge(whole.clone()), whole);
        let gamma = fit_propensity_gamma(&merged.shown, &pop).unwrap();
        assert!((gamma - 1.0).abs() < 1e-12, "{gamma}");
        // Through bytes: 8 magic + 4 version + 8 count + 4 × 8.
        let bytes = merged.to_bytes();
        assert_eq!(bytes.len(), 20 + 32);
        assert_eq!(&bytes[..8], crate::partial::SHOWN_MAGIC);
        assert_eq!(PartialShown::from_bytes(&bytes).unwrap(), merged);
        assert!(PartialShown::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(PartialShown::from_bytes(&[&bytes[..], &[0]].concat()).is_err());
    }
}
