//! The bit-exact reference runtime: for a model and an input, the same output bytes on every CPU,
//! operating system and build (portable or `target-cpu=native`, debug or release).
//!
//! It is what a challenger re-runs a recorded inference on, and what an operator serving a model
//! declared *exact* must run, so an honest operator can never be slashed because its CPU differs
//! from the challenger's. Each model is re-implemented here on [`kernels`], whose floating-point
//! operation order is fixed in the source (see that module for the rules), from the same weight
//! files the fast path (candle) loads:
//! - [`tensor`]: `bai-tensor-v1` dense models, defined in integers (fast path = reference);
//! - [`bert`]: sentence embeddings (all-MiniLM-L6-v2), f32 with fixed reductions;
//! - [`llama`]: quantised chat models (SmolLM2 Q4_1 GGUF) with integer block dot products.
//!
//! Owns: the numeric definition of each shipped model kind. Takes token ids, not text (tokenising is
//! integer code and stays with `bai-inference`). Must not touch: candle, SIMD intrinsics, threads
//! whose scheduling could change a result, the platform libm, chain state.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod bert;
pub mod gguf;
pub mod kernels;
pub mod llama;
pub mod tensor;

use std::path::{Path, PathBuf};

/// Why a reference model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// A model file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A model file is malformed or holds something this runtime does not implement.
    #[error("{path}: {why}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The input does not fit the model.
    #[error("{0}")]
    Input(String),
}

impl ReferenceError {
    fn format(path: &Path, why: impl std::fmt::Display) -> Self {
        Self::Format { path: path.to_path_buf(), why: why.to_string() }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, ReferenceError> {
    std::fs::read(path).map_err(|source| ReferenceError::Io { path: path.to_path_buf(), source })
}

/// A safetensors file read whole, its header parsed once (the reference runtime keeps its own f32
/// copies anyway).
struct Safetensors {
    path: PathBuf,
    bytes: Vec<u8>,
    /// Where the tensor data starts (after the length prefix and the JSON header).
    data_start: usize,
    metadata: safetensors::tensor::Metadata,
}

impl Safetensors {
    fn open(path: &Path) -> Result<Self, ReferenceError> {
        let bytes = read(path)?;
        let (header, metadata) =
            safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| ReferenceError::format(path, e))?;
        Ok(Self { path: path.to_path_buf(), bytes, data_start: 8 + header, metadata })
    }

    fn error(&self, why: String) -> ReferenceError {
        ReferenceError::Format { path: self.path.clone(), why }
    }

    /// Whether the file holds tensor `name`.
    fn has(&self, name: &str) -> bool {
        self.metadata.info(name).is_some()
    }

    /// Tensor `name` (must be f32) as its shape and values.
    fn f32(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>), ReferenceError> {
        let info = self.metadata.info(name).ok_or_else(|| self.error(format!("tensor {name} missing")))?;
        if info.dtype != safetensors::Dtype::F32 {
            return Err(self.error(format!("tensor {name} is {:?}, the reference runtime reads f32", info.dtype)));
        }
        // `read_metadata` checked that the offsets lie inside the file.
        let (start, end) = info.data_offsets;
        let data = &self.bytes[self.data_start + start..self.data_start + end];
        let values = data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        Ok((info.shape.clone(), values))
    }

    /// Tensor `name` with the given shape.
    fn f32_shaped(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, ReferenceError> {
        let (actual, values) = self.f32(name)?;
        if actual != shape {
            return Err(self.error(format!("tensor {name} is {actual:?}, expected {shape:?}")));
        }
        Ok(values)
    }
}
