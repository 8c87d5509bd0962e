//! Model runtime and inference server: the candle implementations of the models the chain serves,
//! an [`Engine`] that runs them on worker threads with batching, timeouts and backpressure, and the
//! `bai infer serve` JSON-RPC server. The engine is also the in-process backend `bai node --dev` uses.
//!
//! Owns: loading weights from local files (never a hub), tokenisation, the numeric contract of
//! each model kind (embeddings: mean pooling, L2 normalisation, ×1e6 rounded to `int32`; generation:
//! chat template, greedy decoding by default; tensor models: dense layers over fixed-point
//! features), model ids (hashes of the weight files).
//! Must not touch: chain state, gas or witnesses (that is `bai-precompiles`).

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod catalog;
pub mod corpus;
pub mod embedding;
pub mod engine;
pub mod generation;
pub mod server;
pub mod tensor;

pub use catalog::{Catalog, ModelFiles, ModelInfo, model_id};
pub use engine::{Engine, EngineConfig};

/// Which device models run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    #[default]
    /// The CPU (always available).
    Cpu,
    /// The first CUDA GPU; needs a build with the `cuda` feature.
    Cuda,
}

impl std::str::FromStr for DeviceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cpu" => Ok(Self::Cpu),
            "cuda" | "gpu" => Ok(Self::Cuda),
            other => Err(format!("unknown device {other:?} (expected cpu or cuda)")),
        }
    }
}

impl DeviceKind {
    /// The candle device; CUDA needs the `cuda` cargo feature.
    pub fn device(self) -> anyhow::Result<candle_core::Device> {
        match self {
            Self::Cpu => Ok(candle_core::Device::Cpu),
            Self::Cuda if cfg!(feature = "cuda") => Ok(candle_core::Device::new_cuda(0)?),
            Self::Cuda => anyhow::bail!("this build has no CUDA support (rebuild with --features cuda)"),
        }
    }
}
