//! Atoms: the users split by their published group in every column, and the published sets
//! (the overall population, each shown group, each published count of unsliced users) as unions of
//! atoms.

use foldhash::fast::FixedState;
use hashbrown::HashMap;

/// A value that is not a published group of its column (not shown, or no value).
const OTHER: u32 = u32::MAX;

/// A published set: the overall population, one group, or one published count of unsliced users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Row {
    /// Every user of the population.
    Overall,
    /// Group `.1` of column `.0`.
    Group(usize, usize),
    /// The `.0`-th published count of users with no value in any column.
    Unsliced(usize),
}

/// The overall population, then every shown group, column by column.
pub(super) fn published_rows(shown: &[Vec<bool>]) -> Vec<Row> {
    let mut rows = vec![Row::Overall];
    for (c, col) in shown.iter().enumerate() {
        rows.extend(
            col.iter()
                .enumerate()
                .filter(|(_, &s)| s)
                .map(|(g, _)| Row::Group(c, g)),
        );
    }
    rows
}

/// The population split by the published groups: each atom's published group per column (or
/// [`OTHER`]) and its size. The users with no published group in any column are split further
/// into the published counts of unsliced users and the rest.
pub(super) struct Atoms {
    /// Per atom, per column: the published group, or [`OTHER`].
    keys: Vec<Vec<u32>>,
    /// For atoms of unsliced users: which published count they are (`None`: the rest).
    unsliced: Vec<Option<usize>>,
    /// Users per atom (every atom holds at least one).
    pub(super) sizes: Vec<usize>,
}

impl Atoms {
    /// The atoms of the rows `r` with `weight(r)` > 0, row `r` standing for `weight(r)` users (see
    /// [`count_atoms`]), with the users of no
    /// published group split off into `counts_of_unsliced` (one atom per published count) and the
    /// rest; empty atoms are dropped.
    pub(super) fn new(
        columns: &[&[u32]],
        shown: &[Vec<bool>],
        weight: &(dyn Fn(usize) -> usize + Sync),
        n_users: usize,
        counts_of_unsliced: &[usize],
    ) -> Atoms {
        let width = columns.len();
        let (mut keys, mut sizes) = count_atoms(columns, shown, weight, n_users);
        let mut unsliced = vec![None; keys.len()];
        if !counts_of_unsliced.is_empty() {
            let all_other = vec![OTHER; width];
            let rest = keys.iter().position(|k| *k == all_other);
            let total: usize = counts_of_unsliced.iter().sum();
            let rest_size = rest.map_or(0, |r| sizes[r]).saturating_sub(total);
            match rest {
                Some(r) => sizes[r] = rest_size,
                None => {
                    keys.push(all_other.clone());
                    sizes.push(0);
                    unsliced.push(None);
                }
            }
            for (i, &n) in counts_of_unsliced.iter().enumerate() {
                keys.push(all_other.clone());
                sizes.push(n);
                unsliced.push(Some(i));
            }
        }
        // Atoms emptied by the split carry nothing.
        let keep: Vec<usize> = (0..keys.len()).filter(|&a| sizes[a] > 0).collect();
        Atoms {
            keys: keep.iter().map(|&a| keys[a].clone()).collect(),
            unsliced: keep.iter().map(|&a| unsliced[a]).collect(),
            sizes: keep.iter().map(|&a| sizes[a]).collect(),
        }
    }

    /// Whether the published set `row` holds atom `atom`.
    pub(super) fn contains(&self, row: Row, atom: usize) -> bool {
        match row {
            Row::Overall => true,
            Row::Group(c, g) => self.keys[atom][c] == g as u32,
            Row::Unsliced(i) => self.unsliced[atom] == Some(i),
        }
    }
}

/// The atoms' keys (each column's published group, or [`OTHER`]) and sizes, in the order of their
/// first user. Each user's key is packed into one number (mixed radix, a column's radix being its
/// number of groups plus one for "other"), falling back to the key itself when that overflows.
fn count_atoms(
    columns: &[&[u32]],
    shown: &[Vec<bool>],
    weight: &(dyn Fn(usize) -> usize + Sync),
    n_users: usize,
) -> (Vec<Vec<u32>>, Vec<usize>) {
    let value = |c: usize, u: usize| -> u32 {
        let g = columns[c][u];
        if g != OTHER && shown[c][g as usize] {
            g
        } else {
            OTHER
        }
    };
    let radix: Vec<u64> = shown.iter().map(|s| s.len() as u64 + 1).collect();
    let packed = radix
        .iter()
        .try_fold(1u64, |acc, &r| acc.checked_mul(r))
        .is_some();
    let mut keys: Vec<Vec<u32>> = Vec::new();
    let mut sizes: Vec<usize> = Vec::new();
    if packed {
        let mut index: HashMap<u64, usize, FixedState> =
            HashMap::with_hasher(FixedState::default());
        for (u, w) in (0..n_users).map(|u| (u, weight(u))).filter(|&(_, w)| w > 0) {
            let mut code = 0u64;
            for (c, &r) in radix.iter().enumerate() {
                let v = value(c, u);
                code = code * r + if v == OTHER { r - 1 } else { u64::from(v) };
            }
            match index.get(&code) {
                Some(&at) => sizes[at] += w,
                None => {
                    index.insert(code, keys.len());
                    keys.push((0..columns.len()).map(|c| value(c, u)).collect());
                    sizes.push(w);
                }
            }
        }
    } else {
        let mut index: HashMap<Vec<u32>, usize, FixedState> =
            HashMap::with_hasher(FixedState::default());
        for (u, w) in (0..n_users).map(|u| (u, weight(u))).filter(|&(_, w)| w > 0) {
            let key: Vec<u32> = (0..columns.len()).map(|c| value(c, u)).collect();
            match index.get(&key) {
                Some(&at) => sizes[at] += w,
                None => {
                    index.insert(key.clone(), keys.len());
                    keys.push(key);
                    sizes.push(w);
                }
            }
        }
    }
    (keys, sizes)
}
