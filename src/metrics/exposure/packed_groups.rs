//! Item group memberships packed for the per-user loop of the group masses (`UserGroupMass` in
//! `groups.rs`, the only user of this file).
//!
//! `ItemGroups` keeps, per item, a list of `(group, fraction)` pairs behind an offset: 16 bytes a
//! membership, about 7 MB for 100,000 items with a provider, a popularity band and 1–3
//! categories, which the per-user loop reads at random (the items of a list) and which does not
//! stay in a core's cache. Few distinct memberships exist (each group with fractions 1, 1/2,
//! 1/3, ...), so [`PackedGroups`] numbers them and holds each item's as 2-byte ids at a fixed
//! stride, 1 MB for those items. The loop reads the same `(group, fraction)` values in the same
//! order, so it gives the same bits.

use crate::data::Csr;

/// The memberships of a grouping of items, packed: the memberships of item `i` are the ids
/// `ids[i · width..(i + 1) · width]` (unused slots [`PackedGroups::NONE`]), in the same order, and
/// id `m` stands for `memberships[m]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PackedGroups {
    width: usize,
    ids: Vec<u16>,
    memberships: Vec<(u32, f64)>,
}

impl PackedGroups {
    /// An unused membership slot.
    pub const NONE: u16 = u16::MAX;

    /// Most distinct fractions of one group that are packed (an item split between m categories
    /// gives 1/m, so real groupings have a few).
    pub const MAX_FRACTIONS: usize = 64;

    /// The packed memberships of `members` (per item, its `(group, fraction)` pairs; groups
    /// numbered below `n_groups`), or `None` when there are [`NONE`](Self::NONE) distinct
    /// `(group, fraction)` memberships or more, or a group has more than
    /// [`MAX_FRACTIONS`](Self::MAX_FRACTIONS) distinct fractions.
    pub fn new(members: &Csr<(u32, f64)>, n_groups: usize) -> Option<PackedGroups> {
        let width = members.rows().map(<[_]>::len).max().unwrap_or(0);
        // Per group, the ids of its memberships so far (a group has few distinct fractions).
        let mut ids_of_group: Vec<Vec<u16>> = vec![Vec::new(); n_groups];
        let mut memberships: Vec<(u32, f64)> = Vec::new();
        let mut ids = vec![Self::NONE; members.n_rows() * width];
        if width > 0 {
            for (slots, row) in ids.chunks_exact_mut(width).zip(members.rows()) {
                for (slot, &(g, f)) in slots.iter_mut().zip(row) {
                    let known = &mut ids_of_group[g as usize];
                    let same =
                        |&&id: &&u16| memberships[usize::from(id)].1.to_bits() == f.to_bits();
                    *slot = match known.iter().find(same) {
                        Some(&id) => id,
                        None => {
                            if memberships.len() >= usize::from(Self::NONE)
                                || known.len() >= Self::MAX_FRACTIONS
                            {
                                return None;
                            }
                            memberships.push((g, f));
                            let id = (memberships.len() - 1) as u16;
                            known.push(id);
                            id
                        }
                    };
                }
            }
        }
        Some(PackedGroups {
            width,
            ids,
            memberships,
        })
    }

    /// The membership ids of `item` (slots [`NONE`](Self::NONE) included).
    #[inline]
    pub fn of(&self, item: u32) -> &[u16] {
        let at = item as usize * self.width;
        &self.ids[at..at + self.width]
    }

    /// The `(group, fraction)` of membership `id`.
    #[inline]
    pub fn membership(&self, id: u16) -> (u32, f64) {
        self.memberships[usize::from(id)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_each_distinct_membership_once() {
        // item 0 in groups 0 and 2, item 1 in none, item 2 in group 1, item 3 half in 0 and 1
        let members = Csr::from_rows(vec![
            vec![(0, 1.0), (2, 1.0)],
            vec![],
            vec![(1, 1.0)],
            vec![(0, 0.5), (1, 0.5)],
        ]);
        let p = PackedGroups::new(&members, 3).unwrap();
        let of = |i| -> Vec<Option<(u32, f64)>> {
            p.of(i)
                .iter()
                .map(|&id| (id != PackedGroups::NONE).then(|| p.membership(id)))
                .collect()
        };
        for i in 0..4 {
            let packed: Vec<(u32, f64)> = of(i).into_iter().flatten().collect();
            assert_eq!(packed, members.row(i as usize), "item {i}");
        }
        assert_eq!(of(1), [None, None]);
        assert_eq!(p.memberships.len(), 5);
        // no memberships at all: width 0
        let none = PackedGroups::new(&Csr::from_rows(vec![vec![], vec![]]), 1).unwrap();
        assert!(none.of(1).is_empty());
    }
}
