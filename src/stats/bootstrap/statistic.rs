//! Group statistics as functions of per-user weighted sums.
//!
//! A replicate (or the sample as observed) gives, for each column j of a group, S_j = Σ_u w_u x_uj
//! and C_j = Σ_u w_u over the users with x_uj defined, and W = Σ_u w_u over all the group's users
//! ([`Sums`]). Every [`Statistic`] is computed from these: a mean S_j / C_j, a ratio of sums, a
//! ratio of means, a relative difference of means.

/// The weighted sums of one group in one replicate (or as observed, all weights 1).
#[derive(Debug, Clone, Copy)]
pub struct Sums<'a> {
    /// The accumulator: one slot per column sum S_j, then the defined counts, then W.
    pub(super) acc: &'a [f64],
    /// Per column j, the slot of `acc` holding C_j.
    pub(super) count_of: &'a [usize],
}

impl Sums<'_> {
    /// S_j = Σ_u w_u x_uj over users with x_uj defined.
    #[inline]
    pub fn sum(&self, j: usize) -> f64 {
        self.acc[j]
    }

    /// C_j = Σ_u w_u over users with x_uj defined.
    #[inline]
    pub fn count(&self, j: usize) -> f64 {
        self.acc[self.count_of[j]]
    }

    /// Σ_u w_u over all users of the group.
    #[inline]
    pub fn weight(&self) -> f64 {
        self.acc[self.acc.len() - 1]
    }

    /// S_j / C_j, NaN when no user has x_j defined.
    #[inline]
    pub fn mean(&self, j: usize) -> f64 {
        let c = self.count(j);
        if c > 0.0 {
            self.sum(j) / c
        } else {
            f64::NAN
        }
    }
}

/// A group statistic as a function of per-user weighted sums; column indices refer to the
/// `columns` slice passed to [`bootstrap_sums`](super::bootstrap_sums) /
/// [`compare`](crate::stats::compare).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// Mean of column c over the users where it is defined: S_c / C_c.
    Mean(usize),
    /// Ratio of sums Σ_u a_u / Σ_u b_u (each sum over the users where that column is defined; give
    /// both columns the same definedness, e.g. 0 for an empty list). Example: exposure share of an
    /// item group G in a slice, a_u = exposure of G in u's list, b_u = total exposure of u's list
    /// (docs/metrics.md). Undefined when Σ b = 0.
    RatioOfSums {
        /// Column of a_u.
        num: usize,
        /// Column of b_u.
        den: usize,
    },
    /// Ratio of means mean(x) / mean(y); undefined when mean(y) = 0.
    RatioOfMeans {
        /// Column x.
        num: usize,
        /// Column y.
        den: usize,
    },
    /// Relative difference (mean(x) − mean(y)) / mean(y), e.g. ΔGAP with x = GAP_r and y = GAP_p
    /// (Abdollahpouri et al. 2019; docs/metrics.md). Undefined when mean(y) = 0.
    RelativeDifference {
        /// Column x (e.g. per-user mean popularity of the list).
        x: usize,
        /// Column y (e.g. per-user mean popularity of the history).
        y: usize,
    },
}

impl Statistic {
    /// The statistic's value from a group's sums; NaN when undefined (never ±inf).
    pub fn eval(&self, s: &Sums) -> f64 {
        let v = match *self {
            Statistic::Mean(c) => s.mean(c),
            Statistic::RatioOfSums { num, den } => {
                if s.count(num) > 0.0 && s.count(den) > 0.0 && s.sum(den) != 0.0 {
                    s.sum(num) / s.sum(den)
                } else {
                    f64::NAN
                }
            }
            Statistic::RatioOfMeans { num, den } => {
                let d = s.mean(den);
                if d != 0.0 {
                    s.mean(num) / d
                } else {
                    f64::NAN
                }
            }
            Statistic::RelativeDifference { x, y } => {
                let d = s.mean(y);
                if d != 0.0 {
                    (s.mean(x) - d) / d
                } else {
                    f64::NAN
                }
            }
        };
        if v.is_finite() {
            v
        } else {
            f64::NAN
        }
    }

    /// The columns the statistic reads.
    pub fn columns(&self) -> [usize; 2] {
        match *self {
            Statistic::Mean(c) => [c, c],
            Statistic::RatioOfSums { num, den } | Statistic::RatioOfMeans { num, den } => {
                [num, den]
            }
            Statistic::RelativeDifference { x, y } => [x, y],
        }
    }

    /// Users of `members` for whom every column read is defined (the statistic's `n`).
    pub fn n_defined(&self, columns: &[&[f64]], members: &[u32]) -> usize {
        let [a, b] = self.columns();
        members
            .iter()
            .filter(|&&u| !columns[a][u as usize].is_nan() && !columns[b][u as usize].is_nan())
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::bootstrap::Layout;

    #[test]
    fn statistics_are_undefined_not_infinite() {
        let x = [1.0, 2.0];
        let zero = [0.0, 0.0];
        let cols: [&[f64]; 2] = [&x, &zero];
        let layout = Layout::new(&cols, &[0, 1]);
        let acc = layout.plain_sums(&[0, 1]);
        let s = layout.view(&acc);
        assert_eq!(Statistic::Mean(0).eval(&s), 1.5);
        assert!(Statistic::RatioOfSums { num: 0, den: 1 }.eval(&s).is_nan());
        assert!(Statistic::RatioOfMeans { num: 0, den: 1 }.eval(&s).is_nan());
        assert!(Statistic::RelativeDifference { x: 0, y: 1 }
            .eval(&s)
            .is_nan());
        assert_eq!(Statistic::RatioOfSums { num: 1, den: 0 }.eval(&s), 0.0);
        assert_eq!(Statistic::RelativeDifference { x: 0, y: 0 }.eval(&s), 0.0);
    }
}
