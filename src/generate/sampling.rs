//! Random draws: the per-domain ChaCha keys, draws from weights, and distinct items.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Draws of one item before [`draw_distinct`] falls back to a scan.
pub(super) const MAX_ATTEMPTS: usize = 256;

/// The random domain of the catalog (popularity, providers, categories).
pub(super) const DOMAIN_ITEMS: u64 = 1;
/// The random domain of the users (one stream per user).
pub(super) const DOMAIN_USERS: u64 = 2;

/// Items with weights, sampled in O(1) by Vose's alias method: slot `i` holds
/// `(threshold, item, alias item)`, one cache line per draw even for 100k-item catalogs.
pub(super) struct Weighted {
    slots: Vec<(f64, u32, u32)>,
}

impl Weighted {
    /// `items` weighted by `weight`; with no item or no weight it draws nothing.
    pub(super) fn new(items: Vec<u32>, weight: impl Fn(u32) -> f64) -> Self {
        let n = items.len();
        let weights: Vec<f64> = items.iter().map(|&i| weight(i)).collect();
        let total: f64 = weights.iter().sum();
        if n == 0 || total <= 0.0 {
            return Weighted { slots: Vec::new() };
        }
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut alias: Vec<usize> = (0..n).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..n).partition(|&i| scaled[i] < 1.0);
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            alias[s] = l;
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Leftovers (rounding) keep themselves.
        for i in small.into_iter().chain(large) {
            scaled[i] = 1.0;
            alias[i] = i;
        }
        let slots = (0..n)
            .map(|i| (scaled[i], items[i], items[alias[i]]))
            .collect();
        Weighted { slots }
    }

    /// An item drawn by weight, or `None` when there is nothing to draw.
    pub(super) fn sample<R: Rng>(&self, rng: &mut R) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let (threshold, item, alias) = self.slots[rng.gen_range(0..self.slots.len())];
        Some(if rng.gen::<f64>() < threshold {
            item
        } else {
            alias
        })
    }
}

/// A 32-byte ChaCha key for one domain (items, users) of one seed.
pub(super) fn domain_key(seed: u64, domain: u64) -> [u8; 32] {
    ChaCha8Rng::seed_from_u64(seed ^ domain.wrapping_mul(0x9E37_79B9_7F4A_7C15)).get_seed()
}

/// Index drawn from (unnormalised) weights.
pub(super) fn pick<R: Rng>(rng: &mut R, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.gen::<f64>() * total;
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// An item not in any of `taken`, from `draw`, falling back to a scan.
pub(super) fn draw_distinct<R: Rng>(
    rng: &mut R,
    n_items: usize,
    taken: &[&Vec<u32>],
    mut draw: impl FnMut(&mut R) -> u32,
) -> u32 {
    for _ in 0..MAX_ATTEMPTS {
        let item = draw(rng);
        if !taken.iter().any(|t| t.contains(&item)) {
            return item;
        }
    }
    scan_free(rng, n_items, taken, |_| true).expect("validate() guarantees enough items")
}

/// The first item accepted by `ok` and not in any of `taken`, scanning from a random start.
pub(super) fn scan_free<R: Rng>(
    rng: &mut R,
    n_items: usize,
    taken: &[&Vec<u32>],
    ok: impl Fn(u32) -> bool,
) -> Option<u32> {
    let start = rng.gen_range(0..n_items);
    (0..n_items)
        .map(|off| ((start + off) % n_items) as u32)
        .find(|&item| ok(item) && !taken.iter().any(|t| t.contains(&item)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_sampling_follows_the_weights() {
        // Weights 1, 2, 3, 4 (total 10) on items 7, 8, 9, 10: expected shares .1 .2 .3 .4.
        let w = Weighted::new(vec![7, 8, 9, 10], |i| (i - 6) as f64);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut counts = [0usize; 4];
        for _ in 0..40_000 {
            counts[(w.sample(&mut rng).unwrap() - 7) as usize] += 1;
        }
        for (i, &c) in counts.iter().enumerate() {
            let expected = (i + 1) as f64 / 10.0;
            assert!((c as f64 / 40_000.0 - expected).abs() < 0.01, "{counts:?}");
        }
        assert_eq!(Weighted::new(vec![], |_| 1.0).sample(&mut rng), None);
        assert_eq!(Weighted::new(vec![3], |_| 5.0).sample(&mut rng), Some(3));
    }
}
