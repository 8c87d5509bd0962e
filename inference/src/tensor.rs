//! Generic tensor models (the precompile's `infer` form): a stack of dense layers stored in
//! safetensors and described by a small manifest, evaluated with candle. Input and output use the
//! ABI wire format of `bai_precompiles::tensor_io` (`int32[]` features in, `(uint32 label,
//! int32[] scores)` out, fixed point ×1e6).
//!
//! Directory layout (`<models-dir>/<name>/`):
//! - `model.json`: `{"format": "bai-tensor-v1", "inputDim": 384, "layers": ["fc"],
//!   "activation": "relu", "labels": [...], "description": "..."}`;
//! - `model.safetensors`: `<layer>.weight` `[out, in]` and `<layer>.bias` `[out]` as f32 for every
//!   layer, in order. The activation runs between layers, not after the last.
//!
//! Units (what `gasPerUnit` meters): thousands of multiply-accumulates, rounded up.

use crate::embedding::Embedder;
use anyhow::Context;
use bai_precompiles::tensor_io::TENSOR_SCALE;
use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};
use std::{collections::HashMap, path::Path};

/// The manifest's `format` value this loader understands.
pub const FORMAT: &str = "bai-tensor-v1";
/// File name of the manifest in a model directory.
pub const MANIFEST: &str = "model.json";
/// File name of the weights in a model directory.
pub const WEIGHTS: &str = "model.safetensors";

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

/// Whether `dir` holds a tensor model (a manifest in the format this loader reads).
pub fn is_tensor_model(dir: &Path) -> bool {
    std::fs::read(dir.join(MANIFEST))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Manifest>(&bytes).ok())
        .is_some_and(|m| m.format == FORMAT)
}

/// A loaded tensor model.
pub struct TensorModel {
    manifest: Manifest,
    layers: Vec<(Tensor, Tensor)>,
    macs: u64,
    device: Device,
}

/// What one evaluation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    /// Index of the highest score (ties go to the lowest index).
    pub label: u32,
    /// The outputs in fixed point (×1e6).
    pub scores: Vec<i32>,
    /// Metered units of the evaluation.
    pub units: u64,
}

impl TensorModel {
    /// Loads the model in `dir` onto `device`, checking that layer shapes chain and labels match the outputs.
    pub fn load(dir: &Path, device: &Device) -> anyhow::Result<Self> {
        let manifest: Manifest = serde_json::from_slice(
            &std::fs::read(dir.join(MANIFEST)).with_context(|| format!("reading {}/{MANIFEST}", dir.display()))?,
        )
        .with_context(|| format!("parsing {}/{MANIFEST}", dir.display()))?;
        anyhow::ensure!(manifest.format == FORMAT, "unsupported tensor model format {:?}", manifest.format);
        anyhow::ensure!(!manifest.layers.is_empty(), "a tensor model needs at least one layer");
        let mut tensors = candle_core::safetensors::load(dir.join(WEIGHTS), device)
            .with_context(|| format!("loading {}/{WEIGHTS}", dir.display()))?;
        let mut layers = Vec::new();
        let (mut width, mut macs) = (manifest.input_dim, 0u64);
        for name in &manifest.layers {
            let mut take = |suffix: &str| {
                tensors
                    .remove(&format!("{name}.{suffix}"))
                    .with_context(|| format!("tensor {name}.{suffix} missing"))
                    .and_then(|t| Ok(t.to_dtype(DType::F32)?))
            };
            let (weight, bias) = (take("weight")?, take("bias")?);
            let (out, inp) = weight.dims2()?;
            anyhow::ensure!(inp == width, "layer {name} takes {inp} inputs, the previous layer gives {width}");
            anyhow::ensure!(bias.dims1()? == out, "layer {name}: bias length differs from {out} outputs");
            macs += (out * inp) as u64;
            width = out;
            layers.push((weight.t()?.contiguous()?, bias));
        }
        anyhow::ensure!(
            manifest.labels.is_empty() || manifest.labels.len() == width,
            "{} labels for {width} outputs",
            manifest.labels.len()
        );
        Ok(Self { manifest, layers, macs, device: device.clone() })
    }

    /// The model's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Metered units of one evaluation.
    pub fn units(&self) -> u64 {
        self.macs.div_ceil(1000).max(1)
    }

    /// Evaluates the model on fixed-point `features`.
    pub fn evaluate(&self, features: &[i32]) -> anyhow::Result<Scored> {
        anyhow::ensure!(
            features.len() == self.manifest.input_dim,
            "the model takes {} features, got {}",
            self.manifest.input_dim,
            features.len()
        );
        let values: Vec<f32> = features.iter().map(|v| (*v as f64 / TENSOR_SCALE) as f32).collect();
        let mut x = Tensor::from_vec(values, (1, features.len()), &self.device)?;
        for (i, (weight_t, bias)) in self.layers.iter().enumerate() {
            x = x.matmul(weight_t)?.broadcast_add(bias)?;
            if i + 1 < self.layers.len() {
                x = match self.manifest.activation {
                    Activation::Relu => x.relu()?,
                    Activation::Tanh => x.tanh()?,
                };
            }
        }
        let out: Vec<f32> = x.squeeze(0)?.to_vec1()?;
        let scores: Vec<i32> = out.iter().map(|v| (*v as f64 * TENSOR_SCALE).round() as i32).collect();
        // Ties go to the lowest index, so the label is a function of the recorded scores.
        let label = scores.iter().enumerate().fold(0, |best, (i, s)| if *s > scores[best] { i } else { best }) as u32;
        Ok(Scored { label, scores, units: self.units() })
    }
}

/// Builds a zero-shot classifier over sentence embeddings: one linear layer whose rows are the
/// (fixed-point rounded) embeddings of each label's description, so a score is the cosine between
/// the input embedding and that description. Writes `model.json` and `model.safetensors` to `out`.
pub fn build_zero_shot_classifier(
    embedder: &Embedder,
    labels: &[(String, String)],
    out: &Path,
    description: &str,
) -> anyhow::Result<()> {
    anyhow::ensure!(labels.len() >= 2, "a classifier needs at least two labels");
    let mut rows = Vec::new();
    let mut dim = 0;
    for (_, text) in labels {
        let ids = embedder.tokenize(text, 256)?;
        let unit = embedder.embed_same_length(&[ids])?.remove(0);
        // Round through the fixed-point form so the weights are exactly what a contract would hold.
        let fixed = crate::embedding::quantize(&unit);
        dim = fixed.len();
        rows.extend(fixed.iter().map(|v| (*v as f64 / TENSOR_SCALE) as f32));
    }
    let device = Device::Cpu;
    let weight = Tensor::from_vec(rows, (labels.len(), dim), &device)?;
    let bias = Tensor::zeros(labels.len(), DType::F32, &device)?;
    std::fs::create_dir_all(out)?;
    let tensors: HashMap<String, Tensor> =
        [("classifier.weight".to_string(), weight), ("classifier.bias".to_string(), bias)].into();
    candle_core::safetensors::save(&tensors, out.join(WEIGHTS))?;
    let manifest = Manifest {
        format: FORMAT.into(),
        input_dim: dim,
        layers: vec!["classifier".into()],
        activation: Activation::Relu,
        labels: labels.iter().map(|(name, _)| name.clone()).collect(),
        description: description.into(),
    };
    std::fs::write(out.join(MANIFEST), serde_json::to_string_pretty(&manifest)? + "\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_layer(dir: &Path) {
        let device = Device::Cpu;
        // fc1: identity on 2 inputs then ReLU; fc2: [a - b, b - a].
        let tensors: HashMap<String, Tensor> = [
            ("fc1.weight".to_string(), Tensor::new(&[[1f32, 0.], [0., 1.]], &device).unwrap()),
            ("fc1.bias".to_string(), Tensor::new(&[0f32, 0.], &device).unwrap()),
            ("fc2.weight".to_string(), Tensor::new(&[[1f32, -1.], [-1., 1.]], &device).unwrap()),
            ("fc2.bias".to_string(), Tensor::new(&[0.5f32, 0.], &device).unwrap()),
        ]
        .into();
        candle_core::safetensors::save(&tensors, dir.join(WEIGHTS)).unwrap();
        let manifest = serde_json::json!({
            "format": FORMAT, "inputDim": 2, "layers": ["fc1", "fc2"], "labels": ["first", "second"]
        });
        std::fs::write(dir.join(MANIFEST), manifest.to_string()).unwrap();
    }

    #[test]
    fn evaluates_dense_layers_with_relu_between() {
        let dir = tempfile::tempdir().unwrap();
        two_layer(dir.path());
        assert!(is_tensor_model(dir.path()));
        let model = TensorModel::load(dir.path(), &Device::Cpu).unwrap();
        // relu([0.25, -2]) = [0.25, 0] → [0.25 + 0.5, -0.25]
        let scored = model.evaluate(&[250_000, -2_000_000]).unwrap();
        assert_eq!(scored.scores, vec![750_000, -250_000]);
        assert_eq!(scored.label, 0);
        let scored = model.evaluate(&[0, 3_000_000]).unwrap();
        assert_eq!((scored.label, scored.scores), (1, vec![-2_500_000, 3_000_000]));
        assert_eq!(scored.units, 1);
        assert_eq!(model.evaluate(&[1, 2, 3]).unwrap_err().to_string(), "the model takes 2 features, got 3");
    }

    #[test]
    fn rejects_mismatched_shapes() {
        let dir = tempfile::tempdir().unwrap();
        two_layer(dir.path());
        let manifest = serde_json::json!({ "format": FORMAT, "inputDim": 3, "layers": ["fc1", "fc2"] });
        std::fs::write(dir.path().join(MANIFEST), manifest.to_string()).unwrap();
        let error = TensorModel::load(dir.path(), &Device::Cpu).err().unwrap().to_string();
        assert_eq!(error, "layer fc1 takes 2 inputs, the previous layer gives 3");
    }
}
