//! Generic tensor models (the precompile's `infer` form). The model format and its numeric
//! definition — integer fixed point, so every node, the challenger and a ZK circuit compute the same
//! bytes — live in [`bai_reference::tensor`]; this module re-exports them and builds classifiers.
//! Input and output use the ABI wire format of `bai_precompiles::tensor_io` (`int32[]` features in,
//! `(uint32 label, int32[] scores)` out, fixed point ×1e6).
//!
//! Units (what `gasPerUnit` meters): thousands of multiply-accumulates, rounded up.

use crate::embedding::Embedder;
use bai_precompiles::tensor_io::TENSOR_SCALE;
pub use bai_reference::tensor::{
    Activation, DenseLayer, FORMAT, MANIFEST, Manifest, SCALE, Scored, TensorModel, WEIGHTS, argmax, is_tensor_model,
};
use candle_core::{DType, Device, Tensor};
use std::{collections::HashMap, path::Path};

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
        let model = TensorModel::load(dir.path()).unwrap();
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
        let error = TensorModel::load(dir.path()).err().unwrap().to_string();
        assert!(error.ends_with("layer fc1 takes 2 inputs, the previous layer gives 3"), "{error}");
    }
}
