//! The Gaussian mechanism: a statistic plus N(0, σ²) noise drawn from a ChaCha20 stream seeded
//! by the audit's seed (its own stream, apart from the bootstrap's and the clustering's).

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, Normal};

/// The ChaCha20 stream the noise is drawn from ("dpnoise" in ASCII; the bootstrap and the
/// clustering use other generators).
const NOISE_STREAM: u64 = 0x0064_706e_6f69_7365;

/// Draws Gaussian noise of one standard deviation for every query of an audit, in the order the
/// queries are asked (so a seed gives the same noise for the same audit).
pub struct GaussianNoise {
    rng: ChaCha20Rng,
    normal: Normal<f64>,
}

impl GaussianNoise {
    /// Noise of standard deviation `sigma` (finite, > 0) seeded by `seed`.
    pub fn new(sigma: f64, seed: u64) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        rng.set_stream(NOISE_STREAM);
        GaussianNoise {
            rng,
            normal: Normal::new(0.0, sigma).expect("finite positive sigma"),
        }
    }

    /// `value` plus one draw of noise.
    pub fn release(&mut self, value: f64) -> f64 {
        value + self.normal.sample(&mut self.rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empirical_noise_sd_matches_the_stated_sigma() {
        // With n draws the sample sd has standard error ≈ σ / √(2n); accept 5 standard errors.
        let n = 200_000;
        for (sigma, seed) in [(0.5, 1), (6.151, 2), (80.0, 3)] {
            let mut noise = GaussianNoise::new(sigma, seed);
            let draws: Vec<f64> = (0..n).map(|_| noise.release(10.0) - 10.0).collect();
            let mean = draws.iter().sum::<f64>() / n as f64;
            let sd =
                (draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
            let tolerance = 5.0 * sigma / (2.0 * n as f64).sqrt();
            assert!((sd - sigma).abs() < tolerance, "sd {sd} vs σ {sigma}");
            assert!(mean.abs() < 5.0 * sigma / (n as f64).sqrt(), "mean {mean}");
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_noise_and_another_seed_does_not() {
        let draw = |seed| {
            let mut n = GaussianNoise::new(1.0, seed);
            (0..5).map(|_| n.release(0.0)).collect::<Vec<_>>()
        };
        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(42), draw(43));
    }
}
