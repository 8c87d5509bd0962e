//! Zero-knowledge proofs for `bai-tensor-v1` models: a model owner's operator proves that the
//! scores it returns are the model's integer definition (`bai_reference::tensor`) applied to the
//! caller's features, and any node checks that in milliseconds without the weights.
//!
//! - **Proving system**: halo2 (PLONKish, lookups) with the inner-product-argument commitment over
//!   BN254 (`halo2-axiom`). No trusted setup: the commitment generators are hashed to the curve
//!   from a fixed string, so anyone recomputes them ([`Setup`]).
//! - **Weights stay private**: they are fixed columns of the circuit; the [`VerifyingKey`] holds
//!   only their commitments. Its keccak-256 ([`VerifyingKey::commitment`]) is what a registry
//!   records; a proof verifies only against the key with that hash.
//! - **Statement**: public inputs are the features (`int32[inputDim]`) and the scores
//!   (`int32[outputs]`); the label is their argmax, which every node computes itself.
//! - **What the circuit covers**: dense layers, `rdiv` rounding half away from zero, ReLU between
//!   layers, the `int32` range of every output. Not covered (the prover refuses, see [`ZkError`]):
//!   tanh between layers, an evaluation that saturates, weights with `Σ|w| ≥ 2⁴⁰` for an output.
//!
//! This crate owns the circuit, key (de)serialisation and the prove/verify calls. It must not
//! read model files itself (callers load a `TensorModel`) nor know about the chain.

mod circuit;
mod trace;

pub use circuit::Lanes;

use bai_reference::tensor::{Activation, DenseLayer, TensorModel, argmax};
use circuit::{LANE_CHOICES, ModelCircuit, degree_for, fe, rows};
use halo2_axiom::{
    SerdeFormat,
    halo2curves::bn256::{Fr, G1Affine},
    plonk::{self, ProvingKey, create_proof, keygen_pk, keygen_vk, verify_proof},
    poly::{
        VerificationStrategy,
        commitment::ParamsProver,
        ipa::{
            commitment::{IPACommitmentScheme, ParamsIPA},
            multiopen::{ProverIPA, VerifierIPA},
            strategy::SingleStrategy,
        },
    },
    transcript::{Blake2bRead, Blake2bWrite, Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer},
};
use sha3::{Digest, Keccak256};
use std::{
    collections::HashMap,
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{Arc, Mutex},
};

/// First bytes of a serialised [`VerifyingKey`].
pub const KEY_MAGIC: &[u8; 8] = b"baizk-v1";
/// Largest circuit (2^k rows) a key may ask for. Deriving the generators costs about 0.8 ms per row on
/// 2 cores (6.3 s for 2^13, so ~50 s for 2^16) and verifying an MSM of that size: a key asking for
/// more would let one registration stall every verifier. The benchmark MLP (384→256→64→8) needs 2^13.
pub const MAX_DEGREE: u32 = 16;
/// Largest `Σ|w|` of one output's weights (×10⁶): keeps every sum below 2⁷¹ for int32 inputs.
pub const MAX_ABS_WEIGHT_SUM: i128 = 1 << 40;

/// Why a model cannot be proven, or a proof or key was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ZkError {
    /// The model uses something the circuit does not cover.
    #[error("the model cannot be proven: {0}")]
    Unsupported(String),
    /// This evaluation saturates an output to the int32 range, which the circuit does not prove.
    #[error("output {output} of layer {layer} saturates int32; the circuit proves unsaturated evaluations only")]
    Saturated {
        /// Layer name.
        layer: String,
        /// Output index within the layer.
        output: usize,
    },
    /// Features or scores of the wrong length.
    #[error("bad input: {0}")]
    Input(String),
    /// The bytes are not a verifying key this crate wrote.
    #[error("malformed verifying key: {0}")]
    MalformedKey(String),
    /// The proof does not show these scores for these features under this key.
    #[error("the proof does not verify: {0}")]
    BadProof(String),
    /// halo2 failed while generating keys or a proof.
    #[error("proving failed: {0}")]
    Prover(String),
}

/// keccak-256 of the serialised generators (`ParamsIPA::new(k)`, `Params::write`) for each degree a
/// key may ask for, computed once (`tests::print_generator_digests`). A cached file is used only when
/// its digest is the pinned one: generators whose discrete logs someone knows would let proofs be
/// forged, so a cache that anyone could have written is never trusted, only checked.
const GENERATOR_DIGESTS: [(u32, &str); 8] = [
    (9, "e3721be760255ed4da1879d5921a2fe3eca167c5a2ec14b94c8290811f536887"),
    (10, "47a335bfa2df8750ad5fbf63c61df42bef138d6bf664095f964614b67cb0369e"),
    (11, "df3d50488b847f21dca3323795eb9dc17ca229c5f5a84e1a4341b464ad1c3d8e"),
    (12, "382b9818ba8619a796e53866650339ae518a52fd39a70cadd007409f2e55d496"),
    (13, "f5e1f2567ff2c525c499faa5d91990bc40bb914eda4bc526638ed64b6402d398"),
    (14, "292d251c090642546bbb7f3bc2c20b1443587b8e77c0618686d1678dbbc01a1e"),
    (15, "166c4098184f5429dfac4a86e4b182b2b9b0f25e1b0761451fe9a3a8b31c72d1"),
    (16, "9fad9283e74cc26b81e2181247f47c29eebe7ceba25c92357d959ac0a698e099"),
];

fn pinned_digest(k: u32) -> Option<[u8; 32]> {
    let (_, digest) = GENERATOR_DIGESTS.iter().find(|(degree, _)| *degree == k)?;
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(digest, &mut bytes).ok()?;
    Some(bytes)
}

/// The commitment generators for each circuit size, derived once per process and shared. Deriving
/// costs ~0.8 ms per row on 2 cores (6 s for 2^13), so with a cache directory ([`Setup::with_cache`])
/// they are also kept on disk and read back (checked against pinned digests) by the next process.
/// Transparent: `ParamsIPA::new(k)` hashes them to the curve.
#[derive(Debug, Default)]
pub struct Setup {
    by_degree: Mutex<HashMap<u32, Arc<ParamsIPA<G1Affine>>>>,
    cache: Option<std::path::PathBuf>,
}

impl Setup {
    /// An empty in-memory cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// A cache that also keeps the generators in `dir` (created when first written).
    pub fn with_cache(dir: impl Into<std::path::PathBuf>) -> Self {
        Self { cache: Some(dir.into()), ..Self::default() }
    }

    /// The generators for 2^`k` rows.
    pub fn params(&self, k: u32) -> Arc<ParamsIPA<G1Affine>> {
        // A poisoned lock only means another thread panicked while inserting: the map is intact.
        let mut cache = self.by_degree.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.entry(k).or_insert_with(|| Arc::new(self.load_or_derive(k))).clone()
    }

    fn load_or_derive(&self, k: u32) -> ParamsIPA<G1Affine> {
        use halo2_axiom::poly::commitment::Params;
        let (Some(dir), Some(pinned)) = (&self.cache, pinned_digest(k)) else { return ParamsIPA::new(k) };
        let path = dir.join(format!("ipa-bn254-k{k}.bin"));
        if let Ok(bytes) = std::fs::read(&path)
            && <[u8; 32]>::from(Keccak256::digest(&bytes)) == pinned
            && let Ok(params) = ParamsIPA::<G1Affine>::read(&mut bytes.as_slice())
        {
            return params;
        }
        let params = ParamsIPA::new(k);
        let mut bytes = Vec::new();
        // Written only when it is what a reader will accept; a failed write just means no cache.
        if params.write(&mut bytes).is_ok() && <[u8; 32]>::from(Keccak256::digest(&bytes)) == pinned {
            let tmp = path.with_extension("tmp");
            let _ = std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(&tmp, &bytes))
                .and_then(|()| std::fs::rename(&tmp, &path));
        }
        params
    }
}

/// What a verifier needs for one model: the circuit's shape and the halo2 verifying key (fixed-column
/// commitments: the weights, biases and layout). Serialised as [`KEY_MAGIC`], lanes, inputs,
/// outputs (u32 LE each), then the halo2 key.
#[derive(Debug, Clone)]
pub struct VerifyingKey {
    lanes: usize,
    inputs: usize,
    outputs: usize,
    key: plonk::VerifyingKey<G1Affine>,
    bytes: Vec<u8>,
}

impl VerifyingKey {
    fn new(lanes: usize, inputs: usize, outputs: usize, key: plonk::VerifyingKey<G1Affine>) -> Self {
        let mut bytes = KEY_MAGIC.to_vec();
        for v in [lanes, inputs, outputs] {
            bytes.extend_from_slice(&(v as u32).to_le_bytes());
        }
        bytes.extend(key.to_bytes(SerdeFormat::Processed));
        Self { lanes, inputs, outputs, key, bytes }
    }

    /// Reads a key written by [`VerifyingKey::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ZkError> {
        let bad = |why: &str| ZkError::MalformedKey(why.to_string());
        let header = KEY_MAGIC.len() + 12;
        if bytes.len() < header || &bytes[..KEY_MAGIC.len()] != KEY_MAGIC {
            return Err(bad("not a bai-zk key"));
        }
        let field = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        let (lanes, inputs, outputs) = (field(8), field(12), field(16));
        if !LANE_CHOICES.contains(&lanes) || inputs == 0 || outputs == 0 || inputs + outputs > 1 << 20 {
            return Err(bad("implausible shape"));
        }
        let body = &bytes[header..];
        // halo2 reads with asserts in places; a hostile key must be an error, never a crash.
        let key = catch_unwind(AssertUnwindSafe(|| {
            plonk::VerifyingKey::<G1Affine>::from_bytes::<ModelCircuit>(body, SerdeFormat::Processed, Lanes(lanes))
        }))
        .map_err(|_| bad("halo2 key unreadable"))?
        .map_err(|e| ZkError::MalformedKey(e.to_string()))?;
        if key.get_domain().k() > MAX_DEGREE {
            return Err(bad("circuit too large"));
        }
        Ok(Self { lanes, inputs, outputs, key, bytes: bytes.to_vec() })
    }

    /// The serialised key.
    pub fn to_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// keccak-256 of [`VerifyingKey::to_bytes`]: what a registry records for the model.
    pub fn commitment(&self) -> [u8; 32] {
        Keccak256::digest(&self.bytes).into()
    }

    /// Number of features the model takes.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// Number of scores it returns.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// The circuit has 2^k rows.
    pub fn degree(&self) -> u32 {
        self.key.get_domain().k()
    }

    /// Lanes of the circuit's dot rows.
    pub fn lanes(&self) -> usize {
        self.lanes
    }
}

fn instance(features: &[i32], scores: &[i32]) -> Vec<Fr> {
    features.iter().chain(scores).map(|v| fe(i128::from(*v))).collect()
}

/// Checks that `proof` shows `scores = model(features)` for the model whose key is `key`.
pub fn verify(
    setup: &Setup,
    key: &VerifyingKey,
    features: &[i32],
    scores: &[i32],
    proof: &[u8],
) -> Result<(), ZkError> {
    if features.len() != key.inputs || scores.len() != key.outputs {
        return Err(ZkError::Input(format!(
            "the key is for {} features and {} scores, got {} and {}",
            key.inputs,
            key.outputs,
            features.len(),
            scores.len()
        )));
    }
    let params = setup.params(key.degree());
    let public = instance(features, scores);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut transcript = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(proof);
        verify_proof::<IPACommitmentScheme<G1Affine>, VerifierIPA<'_, _>, _, _, _>(
            params.verifier_params(),
            &key.key,
            SingleStrategy::new(&params),
            &[&[&public]],
            &mut transcript,
        )
    }));
    match outcome {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(ZkError::BadProof(e.to_string())),
        Err(_) => Err(ZkError::BadProof("malformed proof".into())),
    }
}

/// [`verify`] for an answer that names its label too (the precompile's `(label, scores)`): the label
/// must be the scores' argmax, which the proof does not cover and every verifier computes itself.
pub fn verify_labelled(
    setup: &Setup,
    key: &VerifyingKey,
    features: &[i32],
    label: u32,
    scores: &[i32],
    proof: &[u8],
) -> Result<(), ZkError> {
    let expected = argmax(scores);
    if label != expected {
        return Err(ZkError::Input(format!("label {label} is not the scores' argmax {expected}")));
    }
    verify(setup, key, features, scores, proof)
}

/// A proven evaluation.
#[derive(Debug, Clone)]
pub struct Proved {
    /// The label: the argmax of the scores, as the verifier computes it.
    pub label: u32,
    /// The scores (the public output).
    pub scores: Vec<i32>,
    /// The proof.
    pub proof: Vec<u8>,
}

/// Proves evaluations of one model. Building it generates the keys (a fraction of a second for
/// small models); keep it for the model's lifetime.
pub struct Prover {
    circuit: ModelCircuit,
    params: Arc<ParamsIPA<G1Affine>>,
    proving_key: ProvingKey<G1Affine>,
    verifying_key: VerifyingKey,
}

impl std::fmt::Debug for Prover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prover").field("key", &self.verifying_key).finish_non_exhaustive()
    }
}

/// Lanes and degree of the smallest layout for `layers`.
fn layout(layers: &[DenseLayer]) -> (usize, u32) {
    LANE_CHOICES
        .iter()
        .map(|&lanes| (lanes, degree_for(rows(layers, lanes))))
        .min_by_key(|&(lanes, k)| (k, lanes))
        .expect("lane choices are not empty")
}

impl Prover {
    /// Keys for `model`, or why the circuit cannot prove it.
    pub fn new(model: &TensorModel, setup: &Setup) -> Result<Self, ZkError> {
        let layers = model.layers();
        if layers.len() > 1 && model.manifest().activation != Activation::Relu {
            return Err(ZkError::Unsupported("the circuit proves ReLU between layers, not tanh".into()));
        }
        for layer in layers {
            for (j, row) in layer.weight.chunks_exact(layer.inputs).enumerate() {
                let sum: i128 = row.iter().map(|w| i128::from(*w).abs()).sum();
                if sum >= MAX_ABS_WEIGHT_SUM {
                    return Err(ZkError::Unsupported(format!(
                        "output {j} of layer {} has Σ|w| = {sum} ≥ 2^40 (×10⁻⁶)",
                        layer.name
                    )));
                }
            }
        }
        let (lanes, k) = layout(layers);
        if k > MAX_DEGREE {
            return Err(ZkError::Unsupported(format!("the circuit would need 2^{k} rows (at most 2^{MAX_DEGREE})")));
        }
        let circuit = ModelCircuit { lanes, layers: layers.to_vec().into(), witness: None };
        let params = setup.params(k);
        let key = keygen_vk(params.as_ref(), &circuit).map_err(|e| ZkError::Prover(e.to_string()))?;
        let proving_key =
            keygen_pk(params.as_ref(), key.clone(), &circuit).map_err(|e| ZkError::Prover(e.to_string()))?;
        let outputs = layers.last().map_or(0, |l| l.outputs);
        let verifying_key = VerifyingKey::new(lanes, model.manifest().input_dim, outputs, key);
        Ok(Self { circuit, params, proving_key, verifying_key })
    }

    /// The key verifiers use; its [`VerifyingKey::commitment`] identifies the weights.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying_key
    }

    /// Evaluates the model on `features` and proves it.
    pub fn prove(&self, features: &[i32]) -> Result<Proved, ZkError> {
        if features.len() != self.verifying_key.inputs {
            return Err(ZkError::Input(format!(
                "the model takes {} features, got {}",
                self.verifying_key.inputs,
                features.len()
            )));
        }
        let neurons = trace::trace(&self.circuit.layers, features)?;
        self.prove_trace(features, neurons)
    }

    /// Proves the scores `neurons` end with (the witness of one evaluation of `features`).
    fn prove_trace(&self, features: &[i32], neurons: Vec<Vec<trace::Neuron>>) -> Result<Proved, ZkError> {
        let scores: Vec<i32> =
            neurons.last().map(|layer| layer.iter().map(|n| n.out as i32).collect()).unwrap_or_default();
        let circuit = ModelCircuit { witness: Some((features.to_vec(), Arc::new(neurons))), ..self.circuit.clone() };
        let public = instance(features, &scores);
        let mut transcript = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(Vec::new());
        create_proof::<IPACommitmentScheme<G1Affine>, ProverIPA<'_, _>, _, _, _, _>(
            self.params.as_ref(),
            &self.proving_key,
            &[circuit],
            &[&[&public]],
            rand_core::OsRng,
            &mut transcript,
        )
        .map_err(|e| ZkError::Prover(e.to_string()))?;
        Ok(Proved { label: argmax(&scores), scores, proof: transcript.finalize() })
    }
}

/// Proves the scores of a tampered witness: tests show the verifier rejects them.
#[cfg(test)]
impl Prover {
    fn prove_with(&self, features: &[i32], tamper: impl FnOnce(&mut Vec<Vec<trace::Neuron>>)) -> Option<Proved> {
        let mut neurons = trace::trace(&self.circuit.layers, features).ok()?;
        tamper(&mut neurons);
        self.prove_trace(features, neurons).ok()
    }
}

#[cfg(test)]
mod tests;
