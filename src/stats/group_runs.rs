//! The users of disjoint groups in runs, for passes that sum per group in user order.
//!
//! A pass over the users in id order that adds each user's value to its group's sum makes each
//! addition wait on the store of the one before whenever two users in a row share a group: the
//! sums live in memory, indexed by the user's group. [`GroupRuns`] cuts the user ids into blocks
//! and lists each block's users group by group: a run of one group's users can keep that group's
//! sums in registers, and every group still meets its users in ascending order, so each sum
//! takes the same terms in the same order as the pass in id order (the same bits).

/// User ids per block: the runs of a block read its users' values, which stay in the core's
/// caches from one run to the next (2,048 users × four columns of 8 bytes: 64 KB).
const BLOCK: usize = 2048;

/// The users of disjoint groups, block by block, each block's users of group 0 in ascending
/// order, then of group 1, and so on ([`GroupRuns::of`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupRuns {
    /// The users, run after run.
    users: Vec<u32>,
    /// Each run's group and end in `users` (its start is the previous run's end).
    runs: Vec<(u32, usize)>,
}

impl GroupRuns {
    /// The runs of `group_of`, the group of each user (users with a group of `n_groups` or more,
    /// such as `u32::MAX`, are in none).
    pub(crate) fn of(group_of: &[u32], n_groups: usize) -> GroupRuns {
        GroupRuns::of_blocks(group_of, n_groups, BLOCK)
    }

    /// One group's `users` as one run, in the order given.
    pub(crate) fn one_group(users: &[u32]) -> GroupRuns {
        GroupRuns {
            users: users.to_vec(),
            runs: if users.is_empty() {
                Vec::new()
            } else {
                vec![(0, users.len())]
            },
        }
    }

    /// [`GroupRuns::of`] with blocks of `block` user ids.
    fn of_blocks(group_of: &[u32], n_groups: usize, block: usize) -> GroupRuns {
        let mut users = Vec::with_capacity(group_of.len());
        let mut runs = Vec::new();
        let mut count = vec![0usize; n_groups];
        let mut next = vec![0usize; n_groups];
        for (b, codes) in group_of.chunks(block).enumerate() {
            count.fill(0);
            for &g in codes {
                if let Some(c) = count.get_mut(g as usize) {
                    *c += 1;
                }
            }
            let mut at = users.len();
            for (g, (&c, next)) in count.iter().zip(&mut next).enumerate() {
                *next = at;
                at += c;
                if c > 0 {
                    runs.push((g as u32, at));
                }
            }
            users.resize(at, 0);
            for (i, &g) in codes.iter().enumerate() {
                if let Some(next) = next.get_mut(g as usize) {
                    users[*next] = (b * block + i) as u32;
                    *next += 1;
                }
            }
        }
        GroupRuns { users, runs }
    }

    /// The runs in order: (group, its users in the run, ascending).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, &[u32])> + '_ {
        let starts = std::iter::once(0).chain(self.runs.iter().map(|&(_, end)| end));
        self.runs
            .iter()
            .zip(starts)
            .map(|(&(g, end), start)| (g as usize, &self.users[start..end]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_list_each_blocks_users_group_by_group() {
        const NONE: u32 = u32::MAX;
        // Users 0..7 in blocks of 3: [1, 0, 1], [NONE, 0, 5], [0, 2]; group 5 is past the 3 groups.
        let group_of = [1, 0, 1, NONE, 0, 5, 0, 2];
        let runs = GroupRuns::of_blocks(&group_of, 3, 3);
        let got: Vec<(usize, Vec<u32>)> = runs.iter().map(|(g, u)| (g, u.to_vec())).collect();
        assert_eq!(
            got,
            vec![
                (0, vec![1]),
                (1, vec![0, 2]),
                (0, vec![4]),
                (0, vec![6]),
                (2, vec![7]),
            ]
        );
    }

    #[test]
    fn every_group_meets_its_users_in_ascending_order() {
        let group_of: Vec<u32> = (0..10_000u32).map(|u| (u * 7919 % 13) % 5).collect();
        let runs = GroupRuns::of(&group_of, 4);
        for g in 0..5 {
            let met: Vec<u32> = runs
                .iter()
                .filter(|&(h, _)| h == g)
                .flat_map(|(_, users)| users.iter().copied())
                .collect();
            let members: Vec<u32> = (0..10_000u32)
                .filter(|&u| group_of[u as usize] == g as u32 && g < 4)
                .collect();
            assert_eq!(met, members, "group {g}");
        }
    }
}
