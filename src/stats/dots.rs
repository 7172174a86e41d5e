//! The bootstrap's inner kernel: many dot products of replicate weights with unit columns.
//!
//! For a block of k units, a batch of replicates (rows w_i of k weights) and the units' slot
//! columns x_j (k values each), [`add_block_dots`] adds every Σ_u w_i[u] · x_j[u] to its output.
//!
//! # Same result on every machine
//! Each dot product keeps [`LANES`] partial sums: term u (counted from the block start) goes to
//! lane u mod [`LANES`], each lane adds its products in order with a separate multiply and add
//! (never a fused multiply-add), and the lanes are combined as (l₀ + l₂) + (l₁ + l₃). The AVX
//! kernel (one 4-wide register per partial-sum set) and the portable kernel do exactly this, so
//! results are bit-identical whichever runs, whatever the tile, the number of columns or threads.
//!
//! # Speed
//! A plain dot product loads two values per product, and loads bound it. The products are taken
//! in register tiles of 2 rows × 4 columns: each step loads 2 weight vectors and 4 column vectors
//! for 8 vector products, so each load serves 1.3 products.

/// Partial sums per dot product.
const LANES: usize = 4;

/// Partial sums of one dot product.
type Lanes = [f64; LANES];

/// Rows × columns of a register tile.
const TILE_ROWS: usize = 2;
const TILE_COLS: usize = 4;

/// `out[i·m + j] += Σ_u w_i[u] · x_j[u]`, where row w_i is `w[i·k..(i + 1)·k]`, the m columns
/// are `x` (k values each) and `out` has one row of m sums per row of `w`.
pub(crate) fn add_block_dots(w: &[f64], x: &[&[f64]], out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU has AVX, checked just above.
        return unsafe { add_block_dots_avx(w, x, out) };
    }
    add_block_dots_with(w, x, out, tile_portable);
}

/// [`add_block_dots`] compiled for AVX (the same arithmetic, 4-wide registers).
///
/// # Safety
/// The CPU must support AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn add_block_dots_avx(w: &[f64], x: &[&[f64]], out: &mut [f64]) {
    add_block_dots_with(w, x, out, |w, x, full| {
        // SAFETY: AVX is enabled for this function; `tile_avx` checks the lengths.
        unsafe { tile_avx(w, x, full) }
    });
}

/// The tiling shared by both kernels; `tile` gives the partial sums of a 2 × 4 tile over the
/// first `full` terms (a multiple of [`LANES`]).
#[inline(always)]
fn add_block_dots_with(
    w: &[f64],
    x: &[&[f64]],
    out: &mut [f64],
    tile: impl Fn([&[f64]; TILE_ROWS], [&[f64]; TILE_COLS], usize) -> [[Lanes; TILE_COLS]; TILE_ROWS],
) {
    let m = x.len();
    let k = x.first().map_or(0, |c| c.len());
    if k == 0 {
        return;
    }
    let full = k - k % LANES;
    let rows: Vec<&[f64]> = w.chunks_exact(k).collect();
    assert_eq!(
        out.len(),
        rows.len() * m,
        "one output row of m sums per weight row"
    );
    for (pair, r) in rows.chunks(TILE_ROWS).enumerate() {
        let i = pair * TILE_ROWS;
        let mut j = 0;
        if let Ok(wr) = <[&[f64]; TILE_ROWS]>::try_from(r) {
            while j + TILE_COLS <= m {
                let acc = tile(wr, std::array::from_fn(|c| x[j + c]), full);
                for (dr, row) in wr.into_iter().enumerate() {
                    for (dc, lanes) in acc[dr].into_iter().enumerate() {
                        out[(i + dr) * m + j + dc] += finish(lanes, row, x[j + dc], full);
                    }
                }
                j += TILE_COLS;
            }
        }
        for (dr, row) in r.iter().enumerate() {
            for (c, col) in x.iter().enumerate().skip(j) {
                out[(i + dr) * m + c] += finish(dot_lanes(row, col, full), row, col, full);
            }
        }
    }
}

/// The partial sums of one dot product over the first `full` terms.
#[inline(always)]
fn dot_lanes(w: &[f64], x: &[f64], full: usize) -> Lanes {
    let mut acc = [0.0; LANES];
    for (a, b) in w[..full]
        .chunks_exact(LANES)
        .zip(x[..full].chunks_exact(LANES))
    {
        for l in 0..LANES {
            acc[l] += a[l] * b[l];
        }
    }
    acc
}

/// Adds the terms after `full` (fewer than [`LANES`], lane by lane) and combines the lanes.
#[inline(always)]
fn finish(mut acc: Lanes, w: &[f64], x: &[f64], full: usize) -> f64 {
    for (l, u) in (full..x.len()).enumerate() {
        acc[l] += w[u] * x[u];
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3])
}

/// A 2 × 4 tile in plain code.
#[inline(always)]
fn tile_portable(
    w: [&[f64]; TILE_ROWS],
    x: [&[f64]; TILE_COLS],
    full: usize,
) -> [[Lanes; TILE_COLS]; TILE_ROWS] {
    std::array::from_fn(|r| std::array::from_fn(|c| dot_lanes(w[r], x[c], full)))
}

/// A 2 × 4 tile with AVX: 8 accumulator registers, 6 loads per step.
///
/// # Safety
/// The CPU must support AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn tile_avx(
    w: [&[f64]; TILE_ROWS],
    x: [&[f64]; TILE_COLS],
    full: usize,
) -> [[Lanes; TILE_COLS]; TILE_ROWS] {
    use std::arch::x86_64::{_mm256_add_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_setzero_pd};
    assert!(w.iter().chain(&x).all(|s| s.len() >= full) && full.is_multiple_of(LANES));
    let mut acc = [[_mm256_setzero_pd(); TILE_COLS]; TILE_ROWS];
    let mut u = 0;
    while u < full {
        // SAFETY: u + 4 <= full <= every slice's length (asserted above).
        let (w0, w1) = unsafe {
            (
                _mm256_loadu_pd(w[0].as_ptr().add(u)),
                _mm256_loadu_pd(w[1].as_ptr().add(u)),
            )
        };
        for c in 0..TILE_COLS {
            // SAFETY: as above.
            let xc = unsafe { _mm256_loadu_pd(x[c].as_ptr().add(u)) };
            acc[0][c] = _mm256_add_pd(acc[0][c], _mm256_mul_pd(w0, xc));
            acc[1][c] = _mm256_add_pd(acc[1][c], _mm256_mul_pd(w1, xc));
        }
        u += LANES;
    }
    // SAFETY: __m256d and [f64; 4] have the same size, and any bits are a valid f64.
    acc.map(|row| row.map(|v| unsafe { std::mem::transmute::<_, Lanes>(v) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3 weight rows × 7 columns of 13 terms: full tiles, leftover columns, a leftover row and
    /// leftover terms.
    fn case() -> (Vec<f64>, Vec<Vec<f64>>) {
        let k = 13;
        let w: Vec<f64> = (0..3 * k).map(|i| ((i * 7) % 5) as f64).collect();
        let cols = (0..7)
            .map(|j| (0..k).map(|u| 1.0 / (1 + u + 3 * j) as f64).collect())
            .collect();
        (w, cols)
    }

    #[test]
    fn every_sum_is_its_own_lane_dot_product() {
        let (w, cols) = case();
        let k = cols[0].len();
        let x: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
        let mut out = vec![1.0; 3 * 7];
        add_block_dots(&w, &x, &mut out);
        for i in 0..3 {
            let row = &w[i * k..(i + 1) * k];
            for j in 0..7 {
                // Hand-written lanes: term u in lane u mod 4, lanes combined (0 + 2) + (1 + 3).
                let mut lane = [0.0; 4];
                for u in 0..k {
                    lane[u % 4] += row[u] * x[j][u];
                }
                let want = 1.0 + ((lane[0] + lane[2]) + (lane[1] + lane[3]));
                assert_eq!(out[i * 7 + j], want, "({i}, {j})");
                let plain: f64 = row.iter().zip(x[j]).map(|(a, b)| a * b).sum();
                assert!((out[i * 7 + j] - 1.0 - plain).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn the_portable_kernel_gives_the_same_bits() {
        let (w, cols) = case();
        let x: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
        let (mut fast, mut portable) = (vec![0.0; 21], vec![0.0; 21]);
        add_block_dots(&w, &x, &mut fast);
        add_block_dots_with(&w, &x, &mut portable, tile_portable);
        assert_eq!(fast, portable);
    }
}
