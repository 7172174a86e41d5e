//! Sample quantiles: the type-7 quantile of Hyndman & Fan (1996, "Sample quantiles in statistical
//! packages", The American Statistician 50:361–365), numpy's and R's default, and the 10th, 50th
//! and 90th percentiles of a metric's per-user values ([`Quantiles`]).

use serde::{Deserialize, Serialize};

use crate::metrics::finite;
use crate::stats::distribution::sorted::value_of_key;

/// Type-7 quantile of sorted, non-empty `v` at level `q` (clamped to 0..=1): with
/// h = (n − 1)·q, the order statistic x₍⌊h⌋₎ plus (h − ⌊h⌋) of the step to the next one
/// (linear interpolation between order statistics, numpy's `linear` method).
///
/// ```
/// use recaudit::stats::quantile_sorted;
/// let v = [1.0, 2.0, 4.0, 8.0];
/// assert_eq!(quantile_sorted(&v, 0.5), 3.0); // h = 1.5: 2 + 0.5 · (4 − 2)
/// assert_eq!(quantile_sorted(&v, 0.0), 1.0);
/// assert_eq!(quantile_sorted(&v, 1.0), 8.0);
/// ```
pub fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    let h = (v.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// [`quantile_sorted`] of `values` in any order, without sorting them: the order statistic
/// x₍⌊h⌋₎ is selected in linear time (`values` is reordered) and the next one is the smallest
/// value above it ([`quantiles_unsorted`] at the one level). `None` when `values` is empty. The
/// values must be finite.
pub fn quantile_unsorted(values: &mut [f64], q: f64) -> Option<f64> {
    let [x] = quantiles_unsorted(values, [q]);
    x
}

/// [`quantile_unsorted`] at each of the ascending levels `qs`, with one selection per distinct
/// order statistic ([`quantiles_by_selection`]: each over the part of the values between the order
/// statistics already placed), so every quantile is the same value. `values` is reordered; all
/// `None` when it is empty.
pub fn quantiles_unsorted<const N: usize>(values: &mut [f64], qs: [f64; N]) -> [Option<f64>; N] {
    quantiles_by_selection(
        values,
        qs,
        |part, i| {
            part.select_nth_unstable_by(i, f64::total_cmp);
        },
        |part| part.iter().copied().reduce(f64::min),
        |x| x,
    )
}

/// [`quantiles_unsorted`] of the values whose
/// [`total_order_key`](crate::stats::distribution::sorted::total_order_key)s are `keys` (any order;
/// `keys` is reordered): the same selections on the keys, whose unsigned order is the values'
/// order by [`f64::total_cmp`], so the order statistics are the same values; the next one up is
/// the value of the smallest key above, which differs from the smallest value above at most in
/// the sign of a zero, which the step's subtraction loses. Selecting integers is cheaper than
/// comparing floating-point values by their total order.
pub(crate) fn quantiles_of_keys<const N: usize>(
    keys: &mut [u64],
    qs: [f64; N],
) -> [Option<f64>; N] {
    quantiles_by_selection(
        keys,
        qs,
        select_key,
        |part| part.iter().copied().min(),
        value_of_key,
    )
}

/// Reorders `keys` so that its i-th smallest is at i.
///
/// Kept out of line: one release build inlined the selection into [`Quantiles::of_keys`], where
/// its partition loop kept its counters on the stack instead of in registers, and the
/// percentiles of the 10M-row benchmark took about twice as long (0.5 CPU-s against 0.3).
#[inline(never)]
fn select_key(keys: &mut [u64], i: usize) {
    keys.select_nth_unstable(i);
}

/// Type-7 quantiles at the ascending levels `qs` of the n elements of `items` (their values by
/// `value`). The order statistics x₍⌊h⌋₎ of the levels are placed by `select(part, i)`, which
/// reorders `part` so that its i-th smallest element is at i: the middle one on all the elements
/// first, then the lower ones among the elements below it and the upper ones among those above,
/// and so on (each element then lies between the placed order statistics around it). The next
/// order statistic up from a placed one at i is the smallest element (`min`) from i + 1 up to and
/// including the next placed one (+∞ when i is the last position).
fn quantiles_by_selection<T: Copy, const N: usize>(
    items: &mut [T],
    qs: [f64; N],
    select: impl Fn(&mut [T], usize) + Copy,
    min: impl Fn(&[T]) -> Option<T>,
    value: impl Fn(T) -> f64,
) -> [Option<f64>; N] {
    let n = items.len();
    let mut out = [None; N];
    if n == 0 {
        return out;
    }
    let h = qs.map(|q| (n - 1) as f64 * q.clamp(0.0, 1.0));
    let lo = h.map(|h| h.floor() as usize);
    assert!(
        lo.windows(2).all(|w| w[0] <= w[1]),
        "levels in ascending order"
    );
    let mut placed: Vec<usize> = lo.to_vec();
    placed.dedup();
    place(items, 0, &placed, select);
    for ((slot, h), lo) in out.iter_mut().zip(h).zip(lo) {
        let x_lo = value(items[lo]);
        let next = placed.partition_point(|&p| p <= lo);
        let end = placed.get(next).map_or(n, |&p| p + 1);
        let x_hi = min(&items[lo + 1..end]).map_or(f64::INFINITY, &value);
        let step = if x_hi.is_finite() { x_hi - x_lo } else { 0.0 };
        *slot = finite(x_lo + (h - lo as f64) * step);
    }
    out
}

/// Places the order statistics at the ascending, distinct positions `ranks` of `items` (which
/// starts at position `offset` of the whole): the middle one by `select`, then the ones below it
/// among the elements before it and the ones above among the elements after it.
fn place<T>(
    items: &mut [T],
    offset: usize,
    ranks: &[usize],
    select: impl Fn(&mut [T], usize) + Copy,
) {
    if ranks.is_empty() {
        return;
    }
    let mid = ranks.len() / 2;
    let at = ranks[mid] - offset;
    select(items, at);
    let (below, above) = items.split_at_mut(at);
    place(below, offset, &ranks[..mid], select);
    place(&mut above[1..], offset + at + 1, &ranks[mid + 1..], select);
}

/// The 10th, 50th (median) and 90th percentiles of a metric's per-user values over the users with
/// a defined value ([`quantile_sorted`], type 7). Each is `null` when no user has a defined value.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Quantiles {
    /// 10th percentile.
    pub q10: Option<f64>,
    /// 50th percentile (the median).
    pub q50: Option<f64>,
    /// 90th percentile.
    pub q90: Option<f64>,
}

impl Quantiles {
    /// The percentiles of the defined (finite) `values`; the buffer is reordered.
    pub fn of(values: &mut [f64]) -> Quantiles {
        let [q10, q50, q90] = quantiles_unsorted(values, [0.1, 0.5, 0.9]);
        Quantiles { q10, q50, q90 }
    }

    /// [`Quantiles::of`] the finite values whose keys are `keys` ([`quantiles_of_keys`]); the
    /// buffer is reordered.
    pub(crate) fn of_keys(keys: &mut [u64]) -> Quantiles {
        let [q10, q50, q90] = quantiles_of_keys(keys, [0.1, 0.5, 0.9]);
        Quantiles { q10, q50, q90 }
    }

    /// [`Quantiles::of`] the finite values `sorted`, already in ascending order
    /// ([`f64::total_cmp`]): read off by [`quantile_sorted`], without a selection. Equal to
    /// [`Quantiles::of`] bit for bit (the order statistics are the same values, and the step to
    /// the next one differs at most in the sign of a zero, which the subtraction loses).
    pub fn of_sorted(sorted: &[f64]) -> Quantiles {
        if sorted.is_empty() {
            return Quantiles::default();
        }
        let at = |q: f64| finite(quantile_sorted(sorted, q));
        Quantiles {
            q10: at(0.1),
            q50: at(0.5),
            q90: at(0.9),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::distribution::sorted::total_order_key;
    use proptest::prelude::*;

    #[test]
    fn quantile_sorted_hand_worked() {
        // n = 5: h = 4q. q10: h = 0.4 → 0 + 0.4 · (10 − 0) = 4; q50: h = 2 → 20;
        // q90: h = 3.6 → 30 + 0.6 · (100 − 30) = 72.
        let v = [0.0, 10.0, 20.0, 30.0, 100.0];
        assert!((quantile_sorted(&v, 0.1) - 4.0).abs() < 1e-12);
        assert_eq!(quantile_sorted(&v, 0.5), 20.0);
        assert!((quantile_sorted(&v, 0.9) - 72.0).abs() < 1e-12);
        // One value: every quantile is that value.
        assert_eq!(quantile_sorted(&[7.0], 0.9), 7.0);
    }

    #[test]
    fn quantiles_hand_worked_in_any_order() {
        // Sorted: 0, 0, 1, 1 (a hit-style 0/1 metric): h = 0.3, 1.5, 2.7.
        let mut v = [1.0, 0.0, 1.0, 0.0];
        let q = Quantiles::of(&mut v);
        assert_eq!(q.q10, Some(0.0));
        assert_eq!(q.q50, Some(0.5));
        assert_eq!(q.q90, Some(1.0));
        assert_eq!(Quantiles::of(&mut []), Quantiles::default());
        assert_eq!(Quantiles::default().q50, None);
    }

    proptest! {
        #[test]
        fn unsorted_equals_the_sort_based_definition(
            mut v in prop::collection::vec(-1e6f64..1e6, 1..60),
            q in 0.0f64..=1.0,
        ) {
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let want = quantile_sorted(&sorted, q);
            let got = quantile_unsorted(&mut v, q).unwrap();
            prop_assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{got} vs {want}");
            // A quantile lies between the smallest and the largest value and grows with q.
            prop_assert!(sorted[0] <= got + 1e-9 && got <= sorted[sorted.len() - 1] + 1e-9);
            prop_assert!(quantile_sorted(&sorted, q / 2.0) <= want + 1e-9);
        }

        /// The levels selected one after the other are, bit for bit, each level selected on its
        /// own; values drawn from few distinct ones (ties, ±0) as well as spread ones.
        #[test]
        fn levels_in_turn_equal_each_level_alone(
            v in prop::collection::vec(
                prop_oneof![-1e6f64..1e6, (0u8..4).prop_map(|k| [0.0, -0.0, 1.0, 0.5][k as usize])],
                0..80,
            ),
            mut qs in prop::array::uniform3(0.0f64..=1.0),
        ) {
            qs.sort_by(f64::total_cmp);
            let mut buf = v.clone();
            let together = quantiles_unsorted(&mut buf, qs);
            for (q, got) in qs.into_iter().zip(together) {
                let alone = quantile_unsorted(&mut v.clone(), q);
                prop_assert_eq!(got.map(f64::to_bits), alone.map(f64::to_bits), "q {}", q);
            }
            let mut buf = v.clone();
            let [q10, q50, q90] = quantiles_unsorted(&mut buf, [0.1, 0.5, 0.9]);
            prop_assert_eq!(Quantiles::of(&mut v.clone()), Quantiles { q10, q50, q90 });
        }

        /// Selected on the values' keys, the percentiles are [`Quantiles::of`] bit for bit, with
        /// ties and ±0 among the values, in any order.
        #[test]
        fn percentiles_of_keys_equal_the_selection(
            v in prop::collection::vec(
                prop_oneof![
                    -1e6f64..1e6,
                    0.0f64..1e-3,
                    (0u8..5).prop_map(|k| [0.0, -0.0, 1.0, 0.5, -2.0][k as usize]),
                ],
                0..300,
            ),
        ) {
            let mut keys: Vec<u64> = v.iter().map(|&x| total_order_key(x)).collect();
            let bits = |q: Quantiles| [q.q10, q.q50, q.q90].map(|x| x.map(f64::to_bits));
            prop_assert_eq!(
                bits(Quantiles::of_keys(&mut keys)),
                bits(Quantiles::of(&mut v.clone()))
            );
        }

        /// Read off the sorted values, the percentiles are [`Quantiles::of`] bit for bit, with
        /// ties and ±0 among the values.
        #[test]
        fn percentiles_of_sorted_values_equal_the_selection(
            v in prop::collection::vec(
                prop_oneof![
                    -1e6f64..1e6,
                    (0u8..5).prop_map(|k| [0.0, -0.0, 1.0, 0.5, -2.0][k as usize]),
                ],
                0..200,
            ),
        ) {
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let bits = |q: Quantiles| [q.q10, q.q50, q.q90].map(|x| x.map(f64::to_bits));
            prop_assert_eq!(
                bits(Quantiles::of_sorted(&sorted)),
                bits(Quantiles::of(&mut v.clone()))
            );
        }
    }
}
