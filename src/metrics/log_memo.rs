//! Logarithms of recurring arguments, remembered.
//!
//! The per-user entropies and divergences take logarithms of probabilities that recur from user to
//! user: a list of 10 items or a history of 20, each item giving 1, 1/2 or 1/3 of its weight to
//! its categories, yields a few dozen distinct shares. At 10M rows these loops take some 30M
//! logarithms, about 4% of the audit's CPU time when each is computed. [`LogMemo`] keeps the last value computed for
//! each of 1,024 slots (picked by a hash of the argument's bits) and returns it when the same bits
//! come again: the value `f64::log2` or `f64::ln` gave for those bits, so the results are the same
//! bits as calling them each time.

/// Slots of each cache (a power of two).
const SLOTS: usize = 1 << 10;

/// Per-thread caches of `log2` and `ln` (see the module documentation).
#[derive(Debug, Clone)]
pub struct LogMemo {
    log2: Cache,
    ln: Cache,
}

impl Default for LogMemo {
    fn default() -> Self {
        LogMemo {
            log2: Cache::new(f64::log2),
            ln: Cache::new(f64::ln),
        }
    }
}

impl LogMemo {
    /// `x.log2()`.
    #[inline]
    pub fn log2(&mut self, x: f64) -> f64 {
        self.log2.get(x, f64::log2)
    }

    /// `x.ln()`.
    #[inline]
    pub fn ln(&mut self, x: f64) -> f64 {
        self.ln.get(x, f64::ln)
    }
}

/// A direct-mapped cache of one function: slot `s` holds an argument's bits and the function's
/// value for them. Every slot starts with +0.0 and its value, so every entry is a true one.
#[derive(Debug, Clone)]
struct Cache {
    keys: Vec<u64>,
    values: Vec<f64>,
}

impl Cache {
    fn new(f: fn(f64) -> f64) -> Cache {
        Cache {
            keys: vec![0.0f64.to_bits(); SLOTS],
            values: vec![f(0.0); SLOTS],
        }
    }

    #[inline]
    fn get(&mut self, x: f64, f: fn(f64) -> f64) -> f64 {
        let bits = x.to_bits();
        // Fibonacci hashing: the top 10 bits of the product (the low bits of a share's
        // mantissa vary too little to spread it alone).
        let slot =
            (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.trailing_zeros())) as usize;
        if self.keys[slot] == bits {
            return self.values[slot];
        }
        let value = f(x);
        self.keys[slot] = bits;
        self.values[slot] = value;
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_values_are_those_of_the_functions() {
        let mut memo = LogMemo::default();
        let mut xs: Vec<f64> = vec![0.0, -0.0, 1.0, 0.5, f64::MIN_POSITIVE / 4.0, f64::INFINITY];
        xs.extend([f64::NAN, -1.0, 1e300, 3.0]);
        // Shares of lists and histories, far more than the slots, so that slots are reused.
        for n in 1..=60 {
            for k in 0..=n {
                xs.push(f64::from(k) / f64::from(n));
                xs.push(f64::from(k) / (3.0 * f64::from(n)));
            }
        }
        for _ in 0..3 {
            for &x in &xs {
                assert_eq!(memo.log2(x).to_bits(), x.log2().to_bits(), "log2({x})");
                assert_eq!(memo.ln(x).to_bits(), x.ln().to_bits(), "ln({x})");
            }
        }
    }
}
