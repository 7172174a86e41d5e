//! The bootstrap's random numbers: a counter-based SplitMix64 generator, the bucket hash that pools
//! users into resampling units, and the Poisson(1) sampler of the replicate weights.
//!
//! SplitMix64 is Steele, Lea & Flood 2014 ("Fast splittable pseudorandom number generators",
//! OOPSLA), used counter-based: output i of stream (seed, s) is mix64(key(seed, s) + (i + 1)·γ),
//! so any position of any stream is reached in O(1) and no draw depends on the thread count.
//! The Poisson(1) weights are drawn by inversion of the Poisson(1) CDF from 32 uniform bits.

/// Salt of the bucket hash, so that buckets do not follow the replicate streams.
pub(crate) const BUCKET_SALT: u64 = 0x6275_636b_6574_7321;

/// Bucket in 0..n of the user or item whose id has key `id_key` ([`crate::data::id_key`]):
/// ⌊mix64(key ⊕ id_key·γ) · n / 2⁶⁴⌋ (multiply-shift of a SplitMix64 hash, Lemire 2019), `key`
/// being derived from the seed. A function of (seed, id) only.
#[inline]
pub(crate) fn bucket_of(key: u64, id_key: u64, n: usize) -> u32 {
    ((u128::from(keyed_hash(key, id_key)) * n as u128) >> 64) as u32
}

/// Hash of the user or item whose id has key `id_key` under `key` (derived from a seed):
/// mix64(key ⊕ id_key·γ), the SplitMix64 finaliser. A function of (seed, id) only.
#[inline]
pub(crate) fn keyed_hash(key: u64, id_key: u64) -> u64 {
    mix64(key ^ id_key.wrapping_mul(SplitMix64::GAMMA))
}

/// SplitMix64 finalizer (Steele, Lea & Flood 2014): a bijective 64-bit mix.
#[inline]
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Counter-based SplitMix64: output i of stream (seed, s) is mix64(key(seed, s) + (i + 1)·γ), so
/// any position can be reached in O(1).
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

    /// Stream `stream` of `seed`, positioned before output `pos`.
    pub(crate) fn at(seed: u64, stream: u64, pos: u64) -> Self {
        let key = mix64(seed ^ mix64(stream.wrapping_add(Self::GAMMA)));
        SplitMix64 {
            state: key.wrapping_add(pos.wrapping_mul(Self::GAMMA)),
        }
    }

    /// The next output: the state advances by γ and is mixed by [`mix64`].
    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(Self::GAMMA);
        mix64(self.state)
    }

    /// Uniform in 0..n by multiply-shift, ⌊x · n / 2⁶⁴⌋ (Lemire 2019, "Fast random integer
    /// generation in an interval", ACM TOMACS 29(1); bias below n / 2⁶⁴).
    #[inline]
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// Inverse-CDF sampler of Poisson(1) from one uniform 32-bit word: the replicate weights of the
/// Poisson bootstrap (Hanley & MacGibbon 2006; Chamandy et al. 2012).
pub(super) struct Poisson1 {
    /// thresholds[k] = round(F(k) · 2³²); the weight is the first k with u < thresholds[k].
    thresholds: Vec<u64>,
    /// Weight by the top 16 bits of u, or `u8::MAX` when a threshold falls inside that range (12 of
    /// the 65,536 entries, so the slow path is almost never taken).
    fast: Vec<u8>,
}

impl Poisson1 {
    /// The thresholds T_k = round(F(k) · 2³²) of the Poisson(1) CDF F(k) = e⁻¹ Σ_{i≤k} 1/i! (up to
    /// the first k where T_k reaches 2³², at most 20 values) and the 16-bit lookup table.
    pub(super) fn new() -> Self {
        const TWO32: f64 = 4_294_967_296.0;
        let mut thresholds = Vec::new();
        let mut pk = (-1.0f64).exp();
        let mut cdf = 0.0;
        for k in 0..20u32 {
            cdf += pk;
            pk /= f64::from(k + 1);
            let t = ((cdf * TWO32).round() as u64).min(1 << 32);
            if t >= 1 << 32 || k == 19 {
                thresholds.push(1 << 32);
                break;
            }
            thresholds.push(t);
        }
        let mut p = Poisson1 {
            thresholds,
            fast: vec![u8::MAX; 1 << 16],
        };
        for top in 0..1u32 << 16 {
            let lo = p.slow(top << 16);
            let hi = p.slow((top << 16) | 0xFFFF);
            if lo == hi {
                p.fast[top as usize] = lo as u8;
            }
        }
        p
    }

    /// The weight of `u` by scanning the thresholds: #{k : u ≥ T_k}.
    #[inline]
    fn slow(&self, u: u32) -> u32 {
        let u = u64::from(u);
        self.thresholds.iter().take_while(|&&t| u >= t).count() as u32
    }

    /// The weight of `u`: the lookup table on the top 16 bits, the scan when a threshold falls in
    /// that range.
    #[inline]
    fn weight(&self, u: u32) -> u32 {
        let f = self.fast[(u >> 16) as usize];
        if f != u8::MAX {
            u32::from(f)
        } else {
            self.slow(u)
        }
    }

    /// Fills `w` with the weights of replicate `b` at positions `start..start + w.len()`.
    /// Position p uses half p mod 2 (high, then low) of output ⌊p/2⌋ of the
    /// SplitMix64 stream (seed, b).
    pub(super) fn fill(&self, w: &mut [f64], seed: u64, b: u64, start: usize) {
        let mut rng = SplitMix64::at(seed, b, (start / 2) as u64);
        let put = |slot: &mut f64, u: u32| *slot = f64::from(self.weight(u));
        let mut rest: &mut [f64] = w;
        if start % 2 == 1 && !rest.is_empty() {
            let (first, tail) = rest.split_at_mut(1);
            put(&mut first[0], rng.next_u64() as u32);
            rest = tail;
        }
        let mut pairs = rest.chunks_exact_mut(2);
        for pair in &mut pairs {
            let x = rng.next_u64();
            put(&mut pair[0], (x >> 32) as u32);
            put(&mut pair[1], x as u32);
        }
        if let [last] = pairs.into_remainder() {
            put(last, (rng.next_u64() >> 32) as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_weights_have_poisson1_frequencies() {
        let p = Poisson1::new();
        // Exact probabilities from the thresholds: P(w = k) = (T_k − T_{k−1}) / 2³².
        let mut prev = 0u64;
        let mut mean = 0.0;
        for (k, &t) in p.thresholds.iter().enumerate() {
            let prob = (t - prev) as f64 / 4_294_967_296.0;
            let want = (-1.0f64).exp() / (1..=k).map(|i| i as f64).product::<f64>();
            assert!((prob - want).abs() < 1e-9, "k={k}: {prob} vs {want}");
            mean += k as f64 * prob;
            prev = t;
        }
        assert!((mean - 1.0).abs() < 1e-8);
        // The fast path agrees with the slow one around every threshold.
        for &t in &p.thresholds {
            for d in [-2i64, -1, 0, 1] {
                let u = (t as i64 + d).clamp(0, u32::MAX as i64) as u32;
                assert_eq!(p.weight(u), p.slow(u));
            }
        }
    }

    #[test]
    fn splitmix_positions_are_random_access() {
        let mut seq = SplitMix64::at(9, 3, 0);
        let first: Vec<u64> = (0..10).map(|_| seq.next_u64()).collect();
        let mut jump = SplitMix64::at(9, 3, 7);
        assert_eq!(jump.next_u64(), first[7]);
        assert_ne!(SplitMix64::at(9, 4, 0).next_u64(), first[0]);
        assert_ne!(SplitMix64::at(10, 3, 0).next_u64(), first[0]);
        // Reference SplitMix64 (Vigna): state 0 gives 0xe220a8397b1dcdaf first.
        let mut z = SplitMix64 { state: 0 };
        assert_eq!(z.next_u64(), 0xe220_a839_7b1d_cdaf);
        let mut r = SplitMix64::at(1, 1, 0);
        let mut hist = [0u32; 3];
        for _ in 0..3_000 {
            hist[r.below(3) as usize] += 1;
        }
        assert!(hist.iter().all(|&h| (900..1100).contains(&h)), "{hist:?}");
    }

    #[test]
    fn fill_matches_per_position_draws() {
        let p = Poisson1::new();
        let mut all = vec![0.0; 11];
        p.fill(&mut all, 5, 2, 0);
        assert!(all.iter().all(|&w| w >= 0.0 && w.fract() == 0.0));
        for start in [1usize, 2, 3] {
            let mut part = vec![0.0; 11 - start];
            p.fill(&mut part, 5, 2, start);
            assert_eq!(part, all[start..]);
        }
    }
}
