//! `bai-tensor-v1` models: a stack of dense layers, defined in integers so every node, prover and
//! challenger computes the same bytes and a circuit can prove them.
//!
//! Directory layout (`<models-dir>/<name>/`):
//! - `model.json`: `{"format": "bai-tensor-v1", "inputDim": 384, "layers": ["fc"],
//!   "activation": "relu", "labels": [...], "description": "..."}`;
//! - `model.safetensors`: `<layer>.weight` `[out, in]` and `<layer>.bias` `[out]` as f32 for every
//!   layer, in order.
//!
//! The numeric definition (fixed point, scale [`SCALE`] = 10⁶):
//! 1. each weight and bias is `round(v × 10⁶)` (half away from zero, computed in f64), and must fit
//!    an `int32`;
//! 2. a layer computes `y_j = rdiv(Σ_i w_ji · x_i, 10⁶) + b_j` in exact integers, `rdiv` rounding
//!    half away from zero;
//! 3. between layers (not after the last) the activation runs: ReLU `max(0, y)`, or tanh as
//!    `round(tanh(y / 10⁶) × 10⁶)` with the software `libm::tanh`;
//! 4. every layer's output saturates to the `int32` range;
//! 5. the label is the index of the largest score, ties to the lowest index.
//!
//! Integer sums do not depend on their order, so any kernel (SIMD, GPU, a circuit) that follows
//! these steps gives the same bytes; the fast path and the reference are the same code here.

use crate::ReferenceError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The manifest's `format` value this loader understands.
pub const FORMAT: &str = "bai-tensor-v1";
/// File name of the manifest in a model directory.
pub const MANIFEST: &str = "model.json";
/// File name of the weights in a model directory.
pub const WEIGHTS: &str = "model.safetensors";
/// Fixed-point scale of features, weights and scores.
pub const SCALE: i64 = 1_000_000;

/// `model.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Must be [`FORMAT`].
    pub format: String,
    /// Number of input features the first layer takes.
    pub input_dim: usize,
    /// Names of the dense layers, input to output; each has `<name>.weight` and `<name>.bias`.
    pub layers: Vec<String>,
    #[serde(default)]
    /// Activation between layers.
    pub activation: Activation,
    #[serde(default)]
    /// Names of the outputs, for classifiers; empty otherwise.
    pub labels: Vec<String>,
    #[serde(default)]
    /// Free text describing the model.
    pub description: String,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
/// The activation a tensor model applies between its layers.
pub enum Activation {
    #[default]
    /// `max(0, x)` (the default).
    Relu,
    /// Hyperbolic tangent.
    Tanh,
}

/// One dense layer in fixed point.
#[derive(Debug, Clone)]
pub struct DenseLayer {
    /// Its name in the manifest.
    pub name: String,
    /// Input width.
    pub inputs: usize,
    /// Output width.
    pub outputs: usize,
    /// Row-major `[outputs, inputs]` weights ×10⁶.
    pub weight: Vec<i32>,
    /// Biases ×10⁶.
    pub bias: Vec<i32>,
}

/// A loaded tensor model.
#[derive(Debug, Clone)]
pub struct TensorModel {
    manifest: Manifest,
    layers: Vec<DenseLayer>,
    macs: u64,
}

/// What one evaluation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    /// Index of the highest score (ties go to the lowest index).
    pub label: u32,
    /// The outputs in fixed point (×10⁶).
    pub scores: Vec<i32>,
    /// Metered units of the evaluation.
    pub units: u64,
}

/// Whether `dir` holds a tensor model (a manifest in the format this loader reads).
pub fn is_tensor_model(dir: &Path) -> bool {
    std::fs::read(dir.join(MANIFEST))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Manifest>(&bytes).ok())
        .is_some_and(|m| m.format == FORMAT)
}

/// `round(v × 10⁶)` as an `int32`, or why it cannot be one.
pub fn to_fixed(v: f32) -> Option<i32> {
    let scaled = (f64::from(v) * SCALE as f64).round();
    (scaled.is_finite() && scaled >= f64::from(i32::MIN) && scaled <= f64::from(i32::MAX)).then_some(scaled as i32)
}

/// A classifier's label: the index of the highest score, ties to the lowest (0 for no scores).
pub fn argmax(scores: &[i32]) -> u32 {
    scores.iter().enumerate().fold(0, |best, (i, s)| if *s > scores[best] { i } else { best }) as u32
}

/// `n / d` rounded half away from zero (`d > 0`).
fn rdiv(n: i128, d: i128) -> i128 {
    let q = (n.abs() + d / 2) / d;
    if n < 0 { -q } else { q }
}

fn saturate(v: i128) -> i32 {
    v.clamp(i128::from(i32::MIN), i128::from(i32::MAX)) as i32
}

impl Activation {
    /// The activation of a fixed-point value.
    pub fn apply(self, y: i32) -> i32 {
        match self {
            Self::Relu => y.max(0),
            Self::Tanh => (libm::tanh(f64::from(y) / SCALE as f64) * SCALE as f64).round() as i32,
        }
    }
}

impl DenseLayer {
    /// `rdiv(W·x, 10⁶) + b`, before the activation, saturated to `int32`.
    pub fn forward(&self, x: &[i32]) -> Vec<i32> {
        self.weight
            .chunks_exact(self.inputs)
            .zip(&self.bias)
            .map(|(row, b)| {
                let acc: i128 = row.iter().zip(x).map(|(w, v)| i128::from(*w) * i128::from(*v)).sum();
                saturate(rdiv(acc, i128::from(SCALE)) + i128::from(*b))
            })
            .collect()
    }
}

impl TensorModel {
    /// Loads the model in `dir`, checking that layer shapes chain and labels match the outputs.
    pub fn load(dir: &Path) -> Result<Self, ReferenceError> {
        let manifest_path = dir.join(MANIFEST);
        let manifest: Manifest = serde_json::from_slice(&crate::read(&manifest_path)?)
            .map_err(|e| ReferenceError::format(&manifest_path, e))?;
        if manifest.format != FORMAT {
            let why = format!("unsupported tensor model format {:?}", manifest.format);
            return Err(ReferenceError::Format { path: manifest_path, why });
        }
        let weights = crate::Safetensors::open(&dir.join(WEIGHTS))?;
        let mut layers = Vec::new();
        for name in &manifest.layers {
            let fixed = |suffix: &str| -> Result<(Vec<usize>, Vec<i32>), ReferenceError> {
                let (shape, values) = weights.f32(&format!("{name}.{suffix}"))?;
                let fixed = values
                    .iter()
                    .map(|v| to_fixed(*v))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| weights.error(format!("{name}.{suffix} has a value outside int32 ×10⁻⁶")))?;
                Ok((shape, fixed))
            };
            let ((w_shape, weight), (b_shape, bias)) = (fixed("weight")?, fixed("bias")?);
            let [outputs, inputs] = w_shape[..] else {
                return Err(weights.error(format!("{name}.weight must be [out, in], is {w_shape:?}")));
            };
            if b_shape != [outputs] {
                return Err(weights.error(format!("layer {name}: bias length differs from {outputs} outputs")));
            }
            layers.push(DenseLayer { name: name.clone(), inputs, outputs, weight, bias });
        }
        Self::from_layers(manifest, layers).map_err(|why| ReferenceError::Format { path: manifest_path, why })
    }

    /// A model from fixed-point layers (tests, benchmarks, tools that generate weights), checking
    /// that shapes chain from `manifest.input_dim` and labels match the outputs. The manifest's
    /// layer names are replaced by the layers'.
    pub fn from_layers(mut manifest: Manifest, layers: Vec<DenseLayer>) -> Result<Self, String> {
        if layers.is_empty() {
            return Err("a tensor model needs at least one layer".into());
        }
        let (mut width, mut macs) = (manifest.input_dim, 0u64);
        for layer in &layers {
            let DenseLayer { name, inputs, outputs, .. } = layer;
            if *inputs != width {
                return Err(format!("layer {name} takes {inputs} inputs, the previous layer gives {width}"));
            }
            if layer.weight.len() != inputs * outputs || layer.bias.len() != *outputs {
                return Err(format!("layer {name}: weights or biases do not match [{outputs}, {inputs}]"));
            }
            macs += (outputs * inputs) as u64;
            width = *outputs;
        }
        if !manifest.labels.is_empty() && manifest.labels.len() != width {
            return Err(format!("{} labels for {width} outputs", manifest.labels.len()));
        }
        manifest.layers = layers.iter().map(|l| l.name.clone()).collect();
        Ok(Self { manifest, layers, macs })
    }

    /// The model's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The layers in fixed point, input to output.
    pub fn layers(&self) -> &[DenseLayer] {
        &self.layers
    }

    /// Metered units of one evaluation: thousands of multiply-accumulates, rounded up.
    pub fn units(&self) -> u64 {
        self.macs.div_ceil(1000).max(1)
    }

    /// Evaluates the model on fixed-point `features`.
    pub fn evaluate(&self, features: &[i32]) -> Result<Scored, ReferenceError> {
        if features.len() != self.manifest.input_dim {
            return Err(ReferenceError::Input(format!(
                "the model takes {} features, got {}",
                self.manifest.input_dim,
                features.len()
            )));
        }
        let mut x = features.to_vec();
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(&x);
            if i + 1 < self.layers.len() {
                x.iter_mut().for_each(|v| *v = self.manifest.activation.apply(*v));
            }
        }
        Ok(Scored { label: argmax(&x), scores: x, units: self.units() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(rdiv(1_500_000, 1_000_000), 2);
        assert_eq!(rdiv(-1_500_000, 1_000_000), -2);
        assert_eq!(rdiv(1_499_999, 1_000_000), 1);
        assert_eq!(rdiv(-499_999, 1_000_000), 0);
        assert_eq!(to_fixed(1.5), Some(1_500_000));
        assert_eq!(to_fixed(-0.000_001), Some(-1));
        assert_eq!(to_fixed(-0.25), Some(-250_000));
        assert_eq!(to_fixed(3000.0), None);
        assert_eq!(to_fixed(f32::NAN), None);
    }

    #[test]
    fn a_layer_saturates_instead_of_wrapping() {
        let layer =
            DenseLayer { name: "fc".into(), inputs: 2, outputs: 1, weight: vec![i32::MAX, i32::MAX], bias: vec![0] };
        assert_eq!(layer.forward(&[i32::MAX, i32::MAX]), vec![i32::MAX]);
        assert_eq!(layer.forward(&[i32::MIN, i32::MIN]), vec![i32::MIN]);
    }

    #[test]
    fn tanh_is_fixed_point() {
        assert_eq!(Activation::Tanh.apply(0), 0);
        assert_eq!(Activation::Tanh.apply(1_000_000), 761_594);
        assert_eq!(Activation::Tanh.apply(-1_000_000), -761_594);
        assert_eq!(Activation::Relu.apply(-5), 0);
    }
}
