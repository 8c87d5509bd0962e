//! The witness: every intermediate value of one evaluation, computed from the `bai-tensor-v1`
//! definition (the same steps as `bai_reference::tensor`), in the form the circuit checks.

use crate::ZkError;
use bai_reference::tensor::{DenseLayer, SCALE};

/// Half of [`SCALE`]: the rounding offset of `rdiv`.
pub(crate) const HALF: i128 = SCALE as i128 / 2;

/// One output of one layer, as the circuit's post-processing rows hold it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Neuron {
    /// `Σ w·x`, exact.
    pub(crate) acc: i128,
    /// `rdiv(acc, 10⁶)`.
    pub(crate) quotient: i128,
    /// The remainder: `acc = q·10⁶ + r − 5·10⁵ + s`, `0 ≤ r < 10⁶`.
    pub(crate) remainder: i128,
    /// 1 when `acc < 0`.
    pub(crate) negative: bool,
    /// `q + b`, the layer's output before the activation.
    pub(crate) pre: i128,
    /// 1 when `pre ≥ 0`.
    pub(crate) non_negative: bool,
    /// What the next layer reads: `max(0, pre)` between layers, `pre` after the last.
    pub(crate) out: i128,
}

/// `acc` split the way the circuit checks it: `acc = q·10⁶ + r − 5·10⁵ + s` with `s = [acc < 0]`,
/// which is `rdiv` rounding half away from zero.
pub(crate) fn split(acc: i128) -> (i128, i128, bool) {
    let negative = acc < 0;
    let shifted = acc + HALF - i128::from(negative);
    let scale = i128::from(SCALE);
    (shifted.div_euclid(scale), shifted.rem_euclid(scale), negative)
}

/// Every layer's neurons for `features`, or why the circuit cannot prove this evaluation.
pub(crate) fn trace(layers: &[DenseLayer], features: &[i32]) -> Result<Vec<Vec<Neuron>>, ZkError> {
    let mut x: Vec<i128> = features.iter().map(|v| i128::from(*v)).collect();
    let mut out = Vec::with_capacity(layers.len());
    for (index, layer) in layers.iter().enumerate() {
        if x.len() != layer.inputs {
            return Err(ZkError::Input(format!("layer {} takes {} inputs, got {}", layer.name, layer.inputs, x.len())));
        }
        let last = index + 1 == layers.len();
        let neurons = layer
            .weight
            .chunks_exact(layer.inputs)
            .zip(&layer.bias)
            .enumerate()
            .map(|(j, (row, b))| {
                let acc: i128 = row.iter().zip(&x).map(|(w, v)| i128::from(*w) * v).sum();
                let (quotient, remainder, negative) = split(acc);
                let pre = quotient + i128::from(*b);
                if pre < i128::from(i32::MIN) || pre > i128::from(i32::MAX) {
                    return Err(ZkError::Saturated { layer: layer.name.clone(), output: j });
                }
                let non_negative = pre >= 0;
                let out = if last || non_negative { pre } else { 0 };
                Ok(Neuron { acc, quotient, remainder, negative, pre, non_negative, out })
            })
            .collect::<Result<Vec<_>, _>>()?;
        x = neurons.iter().map(|n| n.out).collect();
        out.push(neurons);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The split is `rdiv` (half away from zero) at and around every tie.
    #[test]
    fn split_rounds_like_the_reference() {
        for acc in [0i128, 1, -1, 499_999, 500_000, -500_000, -500_001, 1_500_000, -1_500_000, -2_499_999, 7 << 60] {
            let (q, r, s) = split(acc);
            let reference = (acc.abs() + HALF) / i128::from(SCALE) * acc.signum();
            assert_eq!(q, reference, "acc {acc}");
            assert!((0..i128::from(SCALE)).contains(&r));
            assert_eq!(acc, q * i128::from(SCALE) + r - HALF + i128::from(s));
        }
    }
}
