//! The numeric kernels every reference model is built from. Each one fixes its order of floating-point
//! operations in the source, so the result is a function of the inputs alone:
//!
//! - Rust never contracts `a * b + c` into a fused multiply-add, and IEEE-754 makes `+ − × ÷ √` and
//!   conversions correctly rounded, so the same sequence of operations gives the same bits on any CPU;
//! - reductions use [`LANES`] independent partial sums combined in a fixed tree. The compiler may run
//!   the lanes in SIMD registers of any width (they are independent) but cannot reorder within a lane;
//! - transcendentals come from the `libm` crate (software, the same code everywhere), never from the
//!   platform's libm or an intrinsic;
//! - quantised dot products are integer sums (exact in any order), scaled per block in sequence.

use half::f16;

/// Partial sums of a reduction. Part of the numeric definition: changing it changes outputs.
pub const LANES: usize = 8;
/// Elements per quantised block (GGML's Q4_1, Q8_0 and Q8_1).
pub const BLOCK: usize = 32;

/// `Σ a[i]·b[i]`: element `i` goes to lane `i mod 8`, lanes combine as `((0+1)+(2+3))+((4+5)+(6+7))`.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let mut lanes = [0f32; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (a_tail, b_tail) = (a_chunks.remainder(), b_chunks.remainder());
    for (x, y) in a_chunks.zip(b_chunks) {
        for k in 0..LANES {
            lanes[k] += x[k] * y[k];
        }
    }
    for (k, (x, y)) in a_tail.iter().zip(b_tail).enumerate() {
        lanes[k] += x * y;
    }
    combine(lanes)
}

/// `Σ a[i]`, in the same lane order as [`dot`].
pub fn sum(a: &[f32]) -> f32 {
    let mut lanes = [0f32; LANES];
    let chunks = a.chunks_exact(LANES);
    let tail = chunks.remainder();
    for x in chunks {
        for k in 0..LANES {
            lanes[k] += x[k];
        }
    }
    for (k, x) in tail.iter().enumerate() {
        lanes[k] += x;
    }
    combine(lanes)
}

fn combine(l: [f32; LANES]) -> f32 {
    ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
}

/// The next output of the SplitMix64 generator at `state` (advanced): the same sequence on every
/// machine, for the sampler and for seeded test and benchmark data.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `out[t][r] = dot(xs[t], weight[r]) + bias[r]` for a row-major `[rows, width]` weight; weight rows
/// outer, so a row stays in cache while every input uses it.
pub fn linear_batch(xs: &[Vec<f32>], weight: &[f32], bias: Option<&[f32]>) -> Vec<Vec<f32>> {
    let Some(width) = xs.first().map(Vec::len) else { return Vec::new() };
    let rows = weight.len() / width;
    let mut out = vec![vec![0f32; rows]; xs.len()];
    for (r, row) in weight.chunks_exact(width).enumerate() {
        let b = bias.map_or(0.0, |b| b[r]);
        for (x, y) in xs.iter().zip(out.iter_mut()) {
            y[r] = dot(x, row) + b;
        }
    }
    out
}

/// Layer normalisation: `(x − mean) / √(var + eps) · gamma + beta`, mean and variance over `x`.
pub fn layer_norm(x: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let n = x.len() as f32;
    let mean = sum(x) / n;
    for v in x.iter_mut() {
        *v -= mean;
    }
    let var = dot(x, x) / n;
    let inv = 1.0 / (var + eps).sqrt();
    for ((v, g), b) in x.iter_mut().zip(gamma).zip(beta) {
        *v = *v * inv * g + b;
    }
}

/// RMS normalisation: `x / √(mean(x²) + eps) · weight`.
pub fn rms_norm(x: &[f32], weight: &[f32], eps: f32) -> Vec<f32> {
    let mean_sq = dot(x, x) / x.len() as f32;
    let inv = 1.0 / (mean_sq + eps).sqrt();
    x.iter().zip(weight).map(|(v, w)| v * inv * w).collect()
}

/// Softmax in place: subtract the maximum, `exp`, divide by the sum taken in index order.
pub fn softmax(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut total = 0f32;
    for v in x.iter_mut() {
        *v = libm::expf(*v - max);
        total += *v;
    }
    for v in x.iter_mut() {
        *v /= total;
    }
}

/// GELU with the exact error function (BERT's `gelu`).
pub fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// SiLU, `x · sigmoid(x)` (llama's gated MLP).
pub fn silu(x: f32) -> f32 {
    x / (1.0 + libm::expf(-x))
}

/// Index of the largest value; ties go to the lowest index, NaN never wins.
pub fn argmax(x: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in x.iter().enumerate() {
        if *v > x[best] {
            best = i;
        }
    }
    best
}

/// An activation block quantised to 8 bits: `x ≈ d · q`. `s = d · Σq` (in f16, as GGML's Q8_1
/// keeps it) serves weights with an offset (Q4_1's `m`).
#[derive(Debug, Clone, Copy)]
pub struct Q8Block {
    /// Scale (an f16 value).
    pub d: f32,
    /// `d · Σq` rounded through f16.
    pub s: f32,
    /// The quantised values.
    pub q: [i8; BLOCK],
}

/// Quantises activations to 8-bit blocks (GGML's `quantize_row_q8_1`): scale `amax / 127`, values
/// rounded half away from zero. `x.len()` must be a multiple of [`BLOCK`].
pub fn quantize_q8(x: &[f32]) -> Vec<Q8Block> {
    debug_assert!(x.len().is_multiple_of(BLOCK));
    x.chunks_exact(BLOCK)
        .map(|xs| {
            let amax = xs.iter().fold(0f32, |m, v| m.max(v.abs()));
            let d = amax / 127.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            let mut q = [0i8; BLOCK];
            let mut total = 0i32;
            for (q, v) in q.iter_mut().zip(xs) {
                // `as i8` saturates; |v·id| ≤ 127 up to rounding anyway.
                *q = (v * id).round() as i8;
                total += i32::from(*q);
            }
            let d16 = f16::from_f32(d).to_f32();
            let s = f16::from_f32(f16::from_f32(total as f32).to_f32() * d16).to_f32();
            Q8Block { d: d16, s, q }
        })
        .collect()
}

/// A 4-bit weight block with an offset (GGML's Q4_1): `w = d · q + m`, `q ∈ 0..16`; element `j`
/// is the low nibble of byte `j`, element `j + 16` its high nibble.
#[derive(Debug, Clone, Copy)]
pub struct Q4_1Block {
    /// Scale (an f16 value).
    pub d: f32,
    /// Offset (an f16 value).
    pub m: f32,
    /// Packed nibbles.
    pub qs: [u8; BLOCK / 2],
}

/// An 8-bit weight block (GGML's Q8_0): `w = d · q`.
#[derive(Debug, Clone, Copy)]
pub struct Q8_0Block {
    /// Scale (an f16 value).
    pub d: f32,
    /// The quantised values.
    pub q: [i8; BLOCK],
}

/// Dot product of a Q4_1 weight row with quantised activations: an exact integer sum per block,
/// then `Σ_blocks (isum · d_w · d_x + m_w · s_x)` in block order.
pub fn dot_q4_1(w: &[Q4_1Block], x: &[Q8Block]) -> f32 {
    let mut total = 0f32;
    for (w, x) in w.iter().zip(x) {
        let mut isum = 0i32;
        for j in 0..BLOCK / 2 {
            let lo = i32::from(w.qs[j] & 0x0F);
            let hi = i32::from(w.qs[j] >> 4);
            isum += lo * i32::from(x.q[j]) + hi * i32::from(x.q[j + BLOCK / 2]);
        }
        total += isum as f32 * w.d * x.d + w.m * x.s;
    }
    total
}

/// Dot product of a Q8_0 weight row with quantised activations: `Σ_blocks isum · d_w · d_x`.
pub fn dot_q8_0(w: &[Q8_0Block], x: &[Q8Block]) -> f32 {
    let mut total = 0f32;
    for (w, x) in w.iter().zip(x) {
        let isum: i32 = w.q.iter().zip(&x.q).map(|(a, b)| i32::from(*a) * i32::from(*b)).sum();
        total += isum as f32 * w.d * x.d;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_uses_the_documented_lane_order() {
        // 1e8 + 1 − 1e8 depends on the order of additions in f32; the lane tree fixes it.
        let a = [1e8f32, 1.0, -1e8, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0];
        let b = [1f32; 9];
        // Lanes: l0 = 1e8 + 3 (the tail goes to lane 0), l1 = 1, l2 = −1e8; f32 spacing at 1e8 is 8.
        let l0 = 1e8f32 + 3.0;
        let expected = ((l0 + 1.0) + (-1e8f32 + 0.0)) + ((0.0f32 + 0.0) + (0.0 + 0.0));
        assert_eq!(dot(&a, &b).to_bits(), expected.to_bits());
        // A plain left-to-right sum differs, so the test would catch a different order.
        let sequential = a.iter().fold(0f32, |s, v| s + v);
        assert_ne!(sequential.to_bits(), expected.to_bits());
    }

    #[test]
    fn q8_quantisation_round_trips_within_half_a_step() {
        let x: Vec<f32> = (0..64).map(|i| (i as f32 - 31.5) * 0.37).collect();
        let blocks = quantize_q8(&x);
        for (b, xs) in blocks.iter().zip(x.chunks_exact(BLOCK)) {
            let total: i32 = b.q.iter().map(|q| i32::from(*q)).sum();
            // s = d·Σq rounded through f16 (11 significant bits).
            let exact = total as f32 * b.d;
            assert!((b.s - exact).abs() <= exact.abs() / 1024.0 + 1e-6, "{} vs {exact}", b.s);
            for (q, v) in b.q.iter().zip(xs) {
                assert!((f32::from(*q) * b.d - v).abs() <= b.d * 0.51, "{q} {v} {}", b.d);
            }
        }
    }

    #[test]
    fn q4_1_dot_matches_the_dequantised_sum() {
        let w =
            Q4_1Block { d: 0.5, m: -1.0, qs: core::array::from_fn(|j| (j as u8 % 16) | ((15 - j as u8 % 16) << 4)) };
        let x: Vec<f32> = (0..32).map(|i| i as f32 - 16.0).collect();
        let xq = quantize_q8(&x);
        let dequant: Vec<f32> = (0..32)
            .map(|i| {
                let q = if i < 16 { w.qs[i] & 0x0F } else { w.qs[i - 16] >> 4 };
                w.d * f32::from(q) + w.m
            })
            .collect();
        let xs: Vec<f32> = xq[0].q.iter().map(|q| f32::from(*q) * xq[0].d).collect();
        let expected: f32 = dequant.iter().zip(&xs).map(|(a, b)| a * b).sum();
        assert!((dot_q4_1(&[w], &xq) - expected).abs() < 0.05, "{} vs {expected}", dot_q4_1(&[w], &xq));
    }
}
