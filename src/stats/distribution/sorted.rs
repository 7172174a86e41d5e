//! One ordering of a group's values serving every order statistic of this module: the Gini terms
//! ([`gini_terms`](super::gini_terms)), the Gini coefficient ([`gini`](super::gini)) and the Lorenz
//! curve ([`lorenz`](super::lorenz)) of the same values, which each sort the values on their own.
//!
//! [`SortedGroup`] sorts once and evaluates each definition's formula in the definition's own
//! order of operations, so every result is equal to the definition's bit for bit (the tests below
//! hold them equal on values with and without ties). The order is the definitions' order:
//! ascending by [`f64::total_cmp`], ties in their order in the input (a stable sort). Above
//! [`RADIX_FROM`] values it is found by a counting sort over the distinct values when there are at
//! most [`FEW_DISTINCT`] of them (the quality metrics take few distinct values: a hit is 0 or 1, a
//! precision at k one of k + 1, an NDCG at k with a fixed number of relevant items one of at most
//! 2^k), else by a stable least-significant-digit radix sort of the values' order-preserving bit
//! patterns (11-bit digits, six passes), which skips the digits all values share. A stable order
//! is unique, so every path gives the same order.

use crate::data::prefetch;
use crate::metrics::finite;

/// Groups of at least this many values are ordered by the radix sort; smaller ones by a
/// comparison sort.
const RADIX_FROM: usize = 512;
/// Groups with at most this many distinct values are ordered by a counting sort over them.
const FEW_DISTINCT: usize = 1024;
/// How many ranks ahead [`SortedGroup::split`] prefetches the groups and values of the places it
/// reads: places in value order are scattered over the users, and each read
/// would otherwise wait on memory (1M places split into five groups: 26 ms a split without the
/// prefetch, 13 ms with it).
const PREFETCH_AHEAD: usize = 32;

/// A group's values (NaN excluded by the caller) in their stable ascending order, each with its
/// place: its position among the values as given ([`SortedGroup::new`]), or any index the caller
/// chose for it, such as its user ([`SortedGroup::placed`], [`SortedGroup::split`]).
#[derive(Debug, Clone)]
pub struct SortedGroup {
    /// The place of the value of each rank.
    order: Vec<u32>,
    /// The values by rank.
    sorted: Vec<f64>,
    /// Σ values in ascending order (the definitions' total: it depends on the values alone, not
    /// on the order in which the users come, so a partitioned audit finds the same bits).
    total: f64,
}

/// Bits per digit of the radix sort: six passes cover a 64-bit key (the last digit has 9 bits).
const DIGIT_BITS: u32 = 11;
/// Buckets per radix pass.
const RADIX: usize = 1 << DIGIT_BITS;
/// Radix passes over a 64-bit key.
const DIGITS: usize = 64usize.div_ceil(DIGIT_BITS as usize);

/// Digit `digit` of `key`, least significant first.
#[inline]
fn digit_of(key: u64, digit: usize) -> usize {
    ((key >> (DIGIT_BITS as usize * digit)) & (RADIX as u64 - 1)) as usize
}

/// A key whose unsigned order is [`f64::total_cmp`]'s order of the values.
pub(crate) fn total_order_key(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// The value of a [`total_order_key`].
pub(crate) fn value_of_key(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

/// The stable ascending order of `values` by [`f64::total_cmp`]: (position of each rank, value of
/// each rank).
fn stable_order(values: &[f64]) -> (Vec<u32>, Vec<f64>) {
    let n = values.len();
    assert!(u32::try_from(n).is_ok(), "a group of at most 2^32 values");
    if n < RADIX_FROM {
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by(|&a, &b| values[a as usize].total_cmp(&values[b as usize]));
        let sorted = order.iter().map(|&i| values[i as usize]).collect();
        return (order, sorted);
    }
    if let Some(found) = few_distinct_order(values) {
        return found;
    }
    let mut keys: Vec<u64> = values.iter().map(|&x| total_order_key(x)).collect();
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut counts = vec![[0usize; RADIX]; DIGITS];
    for &k in &keys {
        for (digit, c) in counts.iter_mut().enumerate() {
            c[digit_of(k, digit)] += 1;
        }
    }
    let mut keys_out = vec![0u64; n];
    let mut order_out = vec![0u32; n];
    let mut next = vec![0usize; RADIX];
    for (digit, c) in counts.iter().enumerate() {
        // A digit every key shares leaves the order as it is.
        if c.contains(&n) {
            continue;
        }
        let mut at = 0;
        for (slot, &count) in next.iter_mut().zip(c) {
            *slot = at;
            at += count;
        }
        for (&k, &i) in keys.iter().zip(&order) {
            let d = digit_of(k, digit);
            keys_out[next[d]] = k;
            order_out[next[d]] = i;
            next[d] += 1;
        }
        std::mem::swap(&mut keys, &mut keys_out);
        std::mem::swap(&mut order, &mut order_out);
    }
    let sorted = keys.into_iter().map(value_of_key).collect();
    (order, sorted)
}

/// [`stable_order`] of `values` by a counting sort over their distinct values, or `None` when
/// there are more than [`FEW_DISTINCT`] of them. The distinct keys ([`total_order_key`]) are found
/// through an open-addressing table of twice that many slots; the values then go, in their given
/// order, to their key's place (a stable counting sort).
fn few_distinct_order(values: &[f64]) -> Option<(Vec<u32>, Vec<f64>)> {
    const SLOTS: usize = 2 * FEW_DISTINCT;
    const EMPTY: u64 = u64::MAX;
    let mut table = vec![EMPTY; SLOTS];
    let mut count = vec![0usize; SLOTS];
    let mut slot_of: Vec<u16> = Vec::with_capacity(values.len());
    let mut distinct = 0;
    for &x in values {
        let key = total_order_key(x);
        if key == EMPTY {
            return None;
        }
        let mut at =
            (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - SLOTS.trailing_zeros())) as usize;
        loop {
            if table[at] == key {
                break;
            }
            if table[at] == EMPTY {
                if distinct == FEW_DISTINCT {
                    return None;
                }
                table[at] = key;
                distinct += 1;
                break;
            }
            at = (at + 1) % SLOTS;
        }
        count[at] += 1;
        slot_of.push(at as u16);
    }
    // The slots in ascending key order, and where each slot's values start.
    let mut slots: Vec<usize> = (0..SLOTS).filter(|&at| table[at] != EMPTY).collect();
    slots.sort_unstable_by_key(|&at| table[at]);
    let mut next = vec![0usize; SLOTS];
    let mut sorted = Vec::with_capacity(values.len());
    for &at in &slots {
        next[at] = sorted.len();
        sorted.extend(std::iter::repeat_n(value_of_key(table[at]), count[at]));
    }
    let mut order = vec![0u32; values.len()];
    for (i, &at) in slot_of.iter().enumerate() {
        let at = at as usize;
        order[next[at]] = i as u32;
        next[at] += 1;
    }
    Some((order, sorted))
}

impl SortedGroup {
    /// Orders `values` (finite, in the group's order); each value's place is its position.
    pub fn new(values: &[f64]) -> Self {
        let (order, sorted) = stable_order(values);
        Self::of_ranks(order, sorted)
    }

    /// Orders `values` (finite, in the group's order), value i at place `places[i]`.
    pub fn placed(values: &[f64], places: &[u32]) -> Self {
        assert_eq!(places.len(), values.len(), "a place per value");
        let (mut order, sorted) = stable_order(values);
        for at in &mut order {
            *at = places[*at as usize];
        }
        Self::of_ranks(order, sorted)
    }

    /// The group of the values by rank `sorted` (ascending, ties stable) at places `order`.
    fn of_ranks(order: Vec<u32>, sorted: Vec<f64>) -> Self {
        let total = sorted.iter().sum();
        SortedGroup {
            order,
            sorted,
            total,
        }
    }

    /// The places by rank, the values dropped: what [`SortedGroup::split`] needs of a group whose
    /// places index the values.
    pub fn into_order(self) -> Vec<u32> {
        self.order
    }

    /// The values of each wanted group (`wanted[g]`), ordered, from `order`, the places by rank
    /// of a group made by [`SortedGroup::placed`] whose places index `values`
    /// ([`SortedGroup::into_order`]): the values whose place p has `group_of[p] == g`, in this
    /// order (`None` for the other groups). Ties keep their order, so when the places were
    /// ascending, each group is the one [`SortedGroup::placed`] makes of its values in ascending
    /// place: the same order, values and total, bit for bit. `sizes[g]`, where given, is room
    /// enough for group g's values (its number of places, say).
    pub fn split(
        order: &[u32],
        values: &[f64],
        group_of: &[u32],
        wanted: &[bool],
        sizes: &[usize],
    ) -> Vec<Option<SortedGroup>> {
        let mut parts: Vec<Option<(Vec<u32>, Vec<f64>)>> = wanted
            .iter()
            .enumerate()
            .map(|(g, &w)| {
                let room = sizes.get(g).copied().unwrap_or(0);
                w.then(|| (Vec::with_capacity(room), Vec::with_capacity(room)))
            })
            .collect();
        for (rank, &at) in order.iter().enumerate() {
            // The places come in value order, so their groups and values are scattered reads:
            // ask for those of a later rank while this one is placed.
            if let Some(&ahead) = order.get(rank + PREFETCH_AHEAD) {
                prefetch(&group_of[ahead as usize]);
                prefetch(&values[ahead as usize]);
            }
            if let Some(Some((order, sorted))) = parts.get_mut(group_of[at as usize] as usize) {
                order.push(at);
                sorted.push(values[at as usize]);
            }
        }
        parts
            .into_iter()
            .map(|p| p.map(|(order, sorted)| Self::of_ranks(order, sorted)))
            .collect()
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// Σ values in ascending order.
    pub fn total(&self) -> f64 {
        self.total
    }

    /// The values in ascending order.
    pub fn sorted(&self) -> &[f64] {
        &self.sorted
    }

    /// [`gini_terms`](super::gini_terms) of the values, in their given order (of a group made by
    /// [`SortedGroup::new`], whose places are the values' positions).
    pub fn gini_terms(&self) -> Vec<f64> {
        let mut out = vec![0.0; self.len()];
        self.gini_terms_into(&mut out);
        out
    }

    /// [`gini_terms`](Self::gini_terms) written in place: the term of each value goes to
    /// `out[place]`. The same operations as [`gini_terms`](super::gini_terms), so the same bits,
    /// without a vector of the group's size.
    pub fn gini_terms_into(&self, out: &mut [f64]) {
        let n = self.len();
        if n == 0 {
            return;
        }
        let total = self.total;
        let mut sum_below = 0.0;
        let mut sum_g = 0.0;
        for (rank, (&at, &x)) in self.order.iter().zip(&self.sorted).enumerate() {
            let below = rank as f64;
            let above = (n - rank - 1) as f64;
            let sum_above = total - sum_below - x;
            let g_u = (x * below - sum_below + sum_above - x * above) / n as f64;
            out[at as usize] = g_u;
            sum_g += g_u;
            sum_below += x;
        }
        let d = sum_g / n as f64;
        for &at in &self.order {
            let g_u = &mut out[at as usize];
            *g_u -= d / 2.0;
        }
    }

    /// [`gini`](super::gini) of the values.
    pub fn gini(&self) -> Option<f64> {
        let n = self.len();
        let total = self.total;
        if n == 0 || total <= 0.0 {
            return None;
        }
        let weighted: f64 = self
            .sorted
            .iter()
            .enumerate()
            .map(|(i, &x)| (2.0 * (i + 1) as f64 - n as f64 - 1.0) * x)
            .sum();
        finite(weighted / (n as f64 * total))
    }

    /// [`lorenz`](super::lorenz) of the values at `m` + 1 population shares.
    pub fn lorenz(&self, m: usize) -> Option<Vec<(f64, f64)>> {
        let n = self.len();
        let total = self.total;
        if n == 0 || m == 0 || total <= 0.0 || !total.is_finite() {
            return None;
        }
        // The definition's cumulative shares, s_i / T with s_i the running sum of the i smallest
        // values, found only at the ranks the curve reads (⌊h⌋ and ⌊h⌋ + 1 of each share): the
        // running sum is the same one, taken in the same order.
        let points: Vec<(f64, f64, usize, usize)> = (0..=m)
            .map(|t| {
                let p = t as f64 / m as f64;
                let h = p * n as f64;
                let lo = (h.floor() as usize).min(n);
                (p, h, lo, (lo + 1).min(n))
            })
            .collect();
        let mut read: Vec<usize> = points.iter().flat_map(|&(_, _, lo, hi)| [lo, hi]).collect();
        read.sort_unstable();
        read.dedup();
        let mut shares: Vec<f64> = Vec::with_capacity(read.len());
        let (mut s, mut summed) = (0.0, 0);
        for &i in &read {
            for x in &self.sorted[summed..i] {
                s += x;
            }
            summed = i;
            shares.push(if i == 0 { 0.0 } else { s / total });
        }
        let cumulative = |i: usize| shares[read.binary_search(&i).expect("a rank read")];
        Some(
            points
                .into_iter()
                .map(|(p, h, lo, hi)| {
                    let y = cumulative(lo) + (h - lo as f64) * (cumulative(hi) - cumulative(lo));
                    (p, y)
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::distribution::{gini, gini_terms, lorenz};
    use proptest::prelude::*;

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    fn check(values: &[f64]) -> Result<(), TestCaseError> {
        let s = SortedGroup::new(values);
        let mut want = values.to_vec();
        want.sort_by(f64::total_cmp);
        prop_assert_eq!(bits(s.sorted()), bits(&want));
        prop_assert_eq!(bits(&s.gini_terms()), bits(&gini_terms(values)));
        // Written in place, at places in reverse order among NaN.
        let n = values.len();
        let places: Vec<u32> = (0..n as u32).map(|i| 2 * (n as u32 - i)).collect();
        let mut out = vec![f64::NAN; 2 * n + 1];
        SortedGroup::placed(values, &places).gini_terms_into(&mut out);
        let placed: Vec<f64> = places.iter().map(|&at| out[at as usize]).collect();
        prop_assert_eq!(bits(&placed), bits(&gini_terms(values)));
        prop_assert!(out[0].is_nan() && out.iter().skip(1).step_by(2).all(|x| x.is_nan()));
        prop_assert_eq!(s.gini().map(f64::to_bits), gini(values).map(f64::to_bits));
        for m in [0, 1, 10] {
            let flat = |c: Option<Vec<(f64, f64)>>| {
                c.map(|c| c.iter().flat_map(|&(p, y)| [p, y]).collect::<Vec<f64>>())
            };
            prop_assert_eq!(
                flat(s.lorenz(m)).map(|v| bits(&v)),
                flat(lorenz(values, m)).map(|v| bits(&v))
            );
        }
        Ok(())
    }

    #[test]
    fn keys_keep_the_total_order() {
        let xs = [
            f64::NEG_INFINITY,
            -2.5,
            -0.0,
            0.0,
            1e-300,
            0.5,
            3.0,
            f64::INFINITY,
        ];
        for w in xs.windows(2) {
            assert!(total_order_key(w[0]) < total_order_key(w[1]), "{w:?}");
        }
        for x in xs {
            assert_eq!(value_of_key(total_order_key(x)).to_bits(), x.to_bits());
        }
    }

    /// The stable order by a comparison sort (the definition).
    fn stable_order_by_comparison(values: &[f64]) -> (Vec<u32>, Vec<f64>) {
        let mut order: Vec<u32> = (0..values.len() as u32).collect();
        order.sort_by(|&a, &b| values[a as usize].total_cmp(&values[b as usize]));
        let sorted = order.iter().map(|&i| values[i as usize]).collect();
        (order, sorted)
    }

    #[test]
    fn both_large_group_paths_give_the_stable_order() {
        // FEW_DISTINCT distinct values (the counting sort: 1,023 from the formula and −0) and more than
        // that (the radix sort), with ties, ±0 and negative values.
        let few: Vec<f64> = (0..5_000u32)
            .map(|u| f64::from((u * 7919) % (FEW_DISTINCT as u32 - 1)) / 64.0 - 3.0)
            .chain([0.0, -0.0, 0.0, -0.0])
            .collect();
        let many: Vec<f64> = (0..5_000u32)
            .map(|u| f64::from((u * 7919) % 4_999) / 64.0 - 3.0)
            .chain([0.0, -0.0])
            .collect();
        assert!(few_distinct_order(&few).is_some());
        assert!(few_distinct_order(&many).is_none());
        for v in [few, many] {
            let (order, sorted) = stable_order(&v);
            let (want_order, want_sorted) = stable_order_by_comparison(&v);
            assert_eq!(order, want_order);
            assert_eq!(bits(&sorted), bits(&want_sorted));
        }
    }

    #[test]
    fn large_groups_with_ties_equal_the_definitions() {
        // A hit rate (0 or 1) and a precision at 10 over 5,000 users: the radix path, ties
        // throughout.
        let hit: Vec<f64> = (0..5_000).map(|u| f64::from(u8::from(u % 7 < 2))).collect();
        let precision: Vec<f64> = (0..5_000u32)
            .map(|u| f64::from((u * 31) % 11) / 10.0)
            .collect();
        for v in [hit, precision] {
            check(&v).unwrap();
        }
        check(&[]).unwrap();
        check(&[0.0; 600]).unwrap();
    }

    /// The order, values and total of a group, as bits.
    fn parts(s: &SortedGroup) -> (Vec<u32>, Vec<u64>, u64) {
        (s.order.clone(), bits(s.sorted()), s.total().to_bits())
    }

    #[test]
    fn splitting_by_hand() {
        // Users 0–5 with values 0.5, 0.1, 0.5, 0.1, 0.3, 0.5 in groups a b a a b (none): a has
        // 0.5 (user 0), 0.5 (user 2), 0.1 (user 3): ascending 0.1 (3), 0.5 (0), 0.5 (2).
        let values = [0.5, 0.1, 0.5, 0.1, 0.3, 0.5];
        let all = SortedGroup::placed(&values, &[0, 1, 2, 3, 4, 5]).into_order();
        let parts_of = SortedGroup::split(
            &all,
            &values,
            &[0, 1, 0, 0, 1, u32::MAX],
            &[true, true],
            &[],
        );
        let a = parts_of[0].as_ref().unwrap();
        assert_eq!(a.order, [3, 0, 2]);
        assert_eq!(a.sorted(), [0.1, 0.5, 0.5]);
        assert_eq!(parts_of[1].as_ref().unwrap().order, [1, 4]);
        let codes = [0, 1, 0, 0, 1, 0];
        assert!(SortedGroup::split(&all, &values, &codes, &[false, true], &[4, 2])[0].is_none());
    }

    proptest! {
        /// Each group split off the ordered whole is the group ordered on its own, bit for bit
        /// (ties, ±0, groups left out, places not in any group).
        #[test]
        fn a_split_group_is_the_group_ordered_alone(
            rows in proptest::collection::vec(
                (
                    prop_oneof![
                        (0u32..5).prop_map(|k| f64::from(k) / 4.0),
                        Just(-0.0),
                        0.0f64..1.0,
                    ],
                    prop_oneof![Just(u32::MAX), 0u32..4],
                ),
                0..1_500,
            ),
            wanted in proptest::collection::vec(any::<bool>(), 4),
        ) {
            let values: Vec<f64> = rows.iter().map(|r| r.0).collect();
            let group_of: Vec<u32> = rows.iter().map(|r| r.1).collect();
            let places: Vec<u32> = (0..values.len() as u32).collect();
            let whole = SortedGroup::placed(&values, &places).into_order();
            let split = SortedGroup::split(&whole, &values, &group_of, &wanted, &[3]);
            for (g, part) in split.iter().enumerate() {
                prop_assert_eq!(part.is_some(), wanted[g]);
                let Some(part) = part else { continue };
                let members: Vec<u32> =
                    places.iter().copied().filter(|&p| group_of[p as usize] == g as u32).collect();
                let x: Vec<f64> = members.iter().map(|&p| values[p as usize]).collect();
                prop_assert_eq!(parts(part), parts(&SortedGroup::placed(&x, &members)));
            }
        }

        #[test]
        fn one_sort_equals_the_definitions_bit_for_bit(
            values in prop_oneof![
                proptest::collection::vec(0.0f64..1.0, 0..1_500),
                proptest::collection::vec((0u32..11).prop_map(|k| f64::from(k) / 10.0), 0..1_500),
                proptest::collection::vec(
                    prop_oneof![Just(0.0), Just(1.0), 0.0f64..1e-3, 1e3f64..1e6],
                    0..1_500,
                ),
            ]
        ) {
            check(&values)?;
        }
    }
}
