//! The precompile at [`AI_PRECOMPILE`]: ABI dispatch, registry checks, metering and the
//! mode-dependent source of answers.

use crate::{
    abi::IBaiInference::{self, IBaiInferenceCalls},
    backend::{InferenceBackend, InferenceOutput, InferenceRequest, ModelKind},
    gas::{QUOTE_GAS, REFUSAL_GAS, charge, verify_gas},
    proof::{self, ProofError, ProofVerifier, RegisteredKey},
    registry::{ModelEntry, ModelStatus, read_model, read_zk_key},
    witness::{Witness, WitnessSet, call_key, read_recorded, unpack_embedding},
};
use alloy::{
    primitives::{Address, B256, Bytes, U256, keccak256},
    sol_types::{SolCall, SolError, SolInterface},
};
use alloy_evm::precompiles::{DynPrecompile, PrecompileInput, PrecompilesMap};
use bai_chainspec::predeploys::{AI_PRECOMPILE, MODEL_MARKETPLACE, WITNESS_STORE};
use parking_lot::Mutex;
use revm::precompile::{PrecompileError, PrecompileHalt, PrecompileId, PrecompileOutput, PrecompileResult};
use std::sync::Arc;

/// Where the precompile's answers come from.
#[derive(Debug, Clone, Default)]
pub enum InferenceMode {
    /// No inference at all: every model call reverts with `InferenceUnavailable`.
    #[default]
    Disabled,
    /// Building a block: ask `backend`, and collect every answer so the block can record it.
    Sequencing {
        /// Where model calls are sent.
        backend: Arc<dyn InferenceBackend>,
        /// Every answer given, by call key, for the block's witness deposit.
        collected: Arc<Mutex<WitnessSet>>,
    },
    /// Executing a block (sealing it, importing it, tracing it): answer only from its witnesses,
    /// which must match what the witness store recorded in this block.
    Replay(Arc<WitnessSet>),
    /// `eth_call` / `eth_estimateGas`: ask `backend` (usually cached), record nothing.
    Call(Arc<dyn InferenceBackend>),
    /// Re-executing a committed block for a challenger: answers exactly as [`Self::Replay`] and
    /// also lists every call answered from a witness, with the request that produced it, so the
    /// result can be re-run on a reference runtime.
    Audit {
        /// The block's recorded witnesses.
        witnesses: Arc<WitnessSet>,
        /// Every call answered from a witness, in execution order.
        calls: Arc<Mutex<Vec<AuditedCall>>>,
    },
}

/// A model call as the precompile reads it from calldata (`embed`, `generate` or `infer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelCall {
    /// The model called.
    pub model: B256,
    /// The precompile function called.
    pub selector: [u8; 4],
    /// What the function does with the model.
    pub kind: ModelKind,
    /// The text, prompt or raw input.
    pub input: Bytes,
    /// `maxTokens` / `maxUnits` as passed; `None` for `embed` (which has no cap of its own).
    pub requested_units: Option<u32>,
}

impl ModelCall {
    /// The call, or the `quote` view (which calls no model) as `Err`.
    pub fn from_call(call: IBaiInferenceCalls) -> Result<Self, IBaiInference::quoteCall> {
        Ok(match call {
            IBaiInferenceCalls::quote(q) => return Err(q),
            IBaiInferenceCalls::embed(c) => Self {
                model: c.modelId,
                selector: IBaiInference::embedCall::SELECTOR,
                kind: ModelKind::Embedding,
                input: Bytes::from(c.text.into_bytes()),
                requested_units: None,
            },
            IBaiInferenceCalls::generate(c) => Self {
                model: c.modelId,
                selector: IBaiInference::generateCall::SELECTOR,
                kind: ModelKind::Generation,
                input: Bytes::from(c.prompt.into_bytes()),
                requested_units: Some(c.maxTokens),
            },
            IBaiInferenceCalls::infer(c) => Self {
                model: c.modelId,
                selector: IBaiInference::inferCall::SELECTOR,
                kind: ModelKind::Generic,
                input: c.input,
                requested_units: Some(c.maxUnits),
            },
        })
    }

    /// Decodes precompile calldata; `None` for anything but a model call.
    pub fn decode(calldata: &[u8]) -> Option<Self> {
        IBaiInferenceCalls::abi_decode(calldata).ok().and_then(|call| Self::from_call(call).ok())
    }

    /// The key its answer is recorded under.
    pub fn key(&self) -> B256 {
        call_key(self.model, self.selector, &self.input, self.requested_units.unwrap_or(0))
    }
}

/// One model call of a block answered from its witness: what was asked (enough to recompute the
/// call key and re-run the model) and what the witness recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditedCall {
    /// The call key the witness is recorded under.
    pub key: B256,
    /// The precompile function called (`embed`, `generate` or `infer`).
    pub selector: [u8; 4],
    /// `maxTokens` / `maxUnits` as the caller passed it (0 for `embed`): part of the call key.
    pub requested_units: u32,
    /// The request the sequencer sent its backend.
    pub request: InferenceRequest,
    /// The answer the block's witness recorded for this call.
    pub witness: Witness,
    /// Whether the model was at the `zk` level: the witness carries a proof every node verified,
    /// so there is nothing for a challenger to re-run.
    pub proven: bool,
}

/// Makes the precompile answerable at [`AI_PRECOMPILE`] in `precompiles`, checking zk models'
/// proofs with `verifier`.
///
/// A lookup rather than an inserted precompile: it keeps the stock precompiles in their static
/// table, so building an EVM for each `eth_call` stays cheap.
pub fn install(precompiles: &mut PrecompilesMap, mode: InferenceMode, verifier: Arc<dyn ProofVerifier>) {
    let precompile = Arc::new(InferencePrecompile { mode, verifier });
    let dynamic =
        DynPrecompile::new_stateful(PrecompileId::Custom("bai-inference".into()), move |input| precompile.call(input));
    precompiles.set_precompile_lookup(move |address: &Address| (*address == AI_PRECOMPILE).then(|| dynamic.clone()));
}

#[derive(Debug)]
struct InferencePrecompile {
    mode: InferenceMode,
    verifier: Arc<dyn ProofVerifier>,
}

/// What a zk model's call is checked against.
struct ZkCheck {
    /// The registered verifying key.
    key: RegisteredKey,
    /// What verifying costs.
    gas: u64,
}

/// An answer: the witness as recorded and the output the caller gets (for a zk model the
/// witness also carries the proof).
struct Answered {
    witness: Witness,
    output: Bytes,
}

/// A refusal: reverts with an ABI-encoded `IBaiInference` error and costs [`REFUSAL_GAS`].
struct Refusal(Bytes);

impl<E: SolError> From<E> for Refusal {
    fn from(error: E) -> Self {
        Self(error.abi_encode().into())
    }
}

enum Outcome {
    Answer { gas: u64, output: Bytes },
    Refused(Refusal),
}

/// The reason every model call that lands in a block without an answer reverts with.
///
/// One constant, whatever went wrong: the sequencer (backend down, inference disabled) and every
/// node replaying the block (no witness recorded) must produce byte-identical revert data and gas,
/// or the receipts root of the block differs between them and verifiers fork. The backend's own
/// error goes to the sequencer's log, not into the chain. Only `eth_call` (nothing recorded)
/// reverts with the descriptive error.
pub const UNANSWERED_REASON: &str = "the model gave no answer for this call";

fn unavailable(model: B256, reason: impl Into<String>) -> Refusal {
    IBaiInference::InferenceUnavailable { modelId: model, reason: reason.into() }.into()
}

fn invalid_proof(model: B256, error: &ProofError) -> Refusal {
    IBaiInference::InvalidProof { modelId: model, reason: error.to_string() }.into()
}

fn invalid(reason: impl Into<String>) -> Refusal {
    IBaiInference::InvalidInput { reason: reason.into() }.into()
}

fn fatal(error: impl std::fmt::Display) -> PrecompileError {
    PrecompileError::Fatal(format!("AI precompile: {error}"))
}

impl InferencePrecompile {
    fn call(&self, mut input: PrecompileInput<'_>) -> PrecompileResult {
        let reservoir = input.reservoir;
        let gas_limit = input.gas;
        let outcome = self.dispatch(&mut input)?;
        metrics::counter!("bai_precompile_calls_total", "outcome" => match &outcome {
            Outcome::Answer { .. } => "ok",
            Outcome::Refused(_) => "refused",
        })
        .increment(1);
        Ok(match outcome {
            Outcome::Answer { gas, output } if gas <= gas_limit => PrecompileOutput::new(gas, output, reservoir),
            Outcome::Refused(Refusal(data)) if REFUSAL_GAS <= gas_limit => {
                PrecompileOutput::revert(REFUSAL_GAS, data, reservoir)
            }
            _ => PrecompileOutput::halt(PrecompileHalt::OutOfGas, reservoir),
        })
    }

    fn dispatch(&self, input: &mut PrecompileInput<'_>) -> Result<Outcome, PrecompileError> {
        let call = match IBaiInferenceCalls::abi_decode(input.data) {
            Ok(call) => call,
            Err(_) if input.data.len() < 4 => return Ok(Outcome::Refused(invalid("calldata too short"))),
            Err(error) => return Ok(Outcome::Refused(invalid(format!("undecodable call: {error}")))),
        };
        // Taken by value: the decoded text/input moves into the request instead of being copied.
        let ModelCall { model: model_id, selector, kind, input: payload, requested_units } =
            match ModelCall::from_call(call) {
                Ok(call) => call,
                Err(quote) => return self.quote(input, &quote),
            };
        if input.is_static {
            return Ok(Outcome::Refused(IBaiInference::StaticCallNotAllowed {}.into()));
        }
        let model = match self.model(input, model_id)? {
            Ok(model) => model,
            Err(refusal) => return Ok(Outcome::Refused(refusal)),
        };
        if let Err(refusal) = check_call(&model, model_id, kind, input.caller, payload.len()) {
            return Ok(Outcome::Refused(refusal));
        }
        // Embeddings have no caller-chosen cap: the model's token limit is the worst case.
        let max_units = match requested_units {
            None => model.max_units,
            Some(0) => return Ok(Outcome::Refused(invalid("maxUnits must be positive"))),
            Some(units) if units > model.max_units => {
                return Ok(Outcome::Refused(
                    IBaiInference::UnitsTooLarge { requested: U256::from(units), max: U256::from(model.max_units) }
                        .into(),
                ));
            }
            Some(units) => units,
        };
        if kind != ModelKind::Generic && std::str::from_utf8(&payload).is_err() {
            return Ok(Outcome::Refused(invalid("text is not valid UTF-8")));
        }
        let zk = match self.zk_check(input, model_id, &model)? {
            Ok(zk) => zk,
            Err(refusal) => return Ok(Outcome::Refused(refusal)),
        };
        let proof_gas = zk.as_ref().map_or(0, |zk| zk.gas);
        let worst = charge(&model, payload.len() as u64, max_units as u64).saturating_add(proof_gas);
        if worst > input.gas {
            return Ok(Outcome::Refused(
                IBaiInference::InsufficientGas { required: U256::from(worst), available: U256::from(input.gas) }.into(),
            ));
        }

        let key = call_key(model_id, selector, &payload, requested_units.unwrap_or(0));
        // Routed to the registry's serving operator (the one paid and slashable for the answer).
        let operator = (!model.operator.is_zero()).then_some(model.operator);
        let request = InferenceRequest {
            model: model_id,
            kind,
            input: payload.clone(),
            max_units,
            operator,
            prove: zk.is_some(),
        };
        let Answered { witness, output: answer } = match self.answer(input, key, &request, zk.as_ref())? {
            Ok(answered) => answered,
            Err(refusal) => return Ok(Outcome::Refused(refusal)),
        };
        if let InferenceMode::Audit { calls, .. } = &self.mode {
            calls.lock().push(AuditedCall {
                key,
                selector,
                requested_units: requested_units.unwrap_or(0),
                request,
                witness: witness.clone(),
                proven: zk.is_some(),
            });
        }
        if witness.units > max_units as u64 {
            return Ok(Outcome::Refused(unavailable(model_id, "backend exceeded the unit cap")));
        }
        let output: Bytes = match kind {
            ModelKind::Embedding => match unpack_embedding(&answer) {
                Some(values) => IBaiInference::embedCall::abi_encode_returns(&values).into(),
                None => return Ok(Outcome::Refused(unavailable(model_id, "malformed embedding"))),
            },
            ModelKind::Generation => match String::from_utf8(answer.to_vec()) {
                Ok(text) => IBaiInference::generateCall::abi_encode_returns(&text).into(),
                Err(_) => return Ok(Outcome::Refused(unavailable(model_id, "generated text is not UTF-8"))),
            },
            ModelKind::Generic => IBaiInference::inferCall::abi_encode_returns(&answer).into(),
        };
        let gas = charge(&model, payload.len() as u64, witness.units).saturating_add(proof_gas);
        Ok(Outcome::Answer { gas, output })
    }

    fn quote(&self, input: &mut PrecompileInput<'_>, q: &IBaiInference::quoteCall) -> Result<Outcome, PrecompileError> {
        let model = match self.model(input, q.modelId)? {
            Ok(model) => model,
            Err(refusal) => return Ok(Outcome::Refused(refusal)),
        };
        let zk = match self.zk_check(input, q.modelId, &model)? {
            Ok(zk) => zk,
            Err(refusal) => return Ok(Outcome::Refused(refusal)),
        };
        let bytes = q.inputBytes.saturating_to::<u64>();
        let gas = charge(&model, bytes, q.maxUnits as u64).saturating_add(zk.map_or(0, |zk| zk.gas));
        // Saturated bytes mean a quote no call could ever pay: report it as the maximum.
        let gas = if q.inputBytes > U256::from(u64::MAX) { U256::MAX } else { U256::from(gas) };
        Ok(Outcome::Answer { gas: QUOTE_GAS, output: IBaiInference::quoteCall::abi_encode_returns(&gas).into() })
    }

    fn model(&self, input: &mut PrecompileInput<'_>, id: B256) -> Result<Result<ModelEntry, Refusal>, PrecompileError> {
        let internals = &mut input.internals;
        let model = read_model(id, |slot| internals.sload(MODEL_MARKETPLACE, slot).map(|v| v.data)).map_err(fatal)?;
        Ok(model.ok_or_else(|| IBaiInference::UnknownModel { modelId: id }.into()))
    }

    /// For a model at the `zk` level in this block: its key and the verification's gas. A key the
    /// verifier cannot use refuses the call the same way in every mode (it is chain state).
    fn zk_check(
        &self,
        input: &mut PrecompileInput<'_>,
        id: B256,
        model: &ModelEntry,
    ) -> Result<Result<Option<ZkCheck>, Refusal>, PrecompileError> {
        let number = input.internals.block_number().saturating_to::<u64>();
        if !model.is_zk_at(number) {
            return Ok(Ok(None));
        }
        let internals = &mut input.internals;
        let key = read_zk_key(id, |slot| internals.sload(MODEL_MARKETPLACE, slot).map(|v| v.data)).map_err(fatal)?;
        let Some(bytes) = key.filter(|key| keccak256(key) == model.zk_key_hash) else {
            let error = ProofError::MalformedKey("the stored key does not match its registered hash".into());
            return Ok(Err(invalid_proof(id, &error)));
        };
        let key = RegisteredKey { hash: model.zk_key_hash, bytes };
        Ok(match self.verifier.rows(&key) {
            Ok(rows) => Ok(Some(ZkCheck { key, gas: verify_gas(rows) })),
            Err(error) => Err(invalid_proof(id, &error)),
        })
    }

    /// Checks a backend's answer for a zk model and seals it with its proof for the witness.
    fn proven(&self, request: &InferenceRequest, zk: &ZkCheck, out: InferenceOutput) -> Result<Answered, ProofError> {
        let proof = out.proof.ok_or(ProofError::Missing)?;
        self.verifier.verify(&zk.key, &request.input, &out.output, &proof)?;
        Ok(Answered {
            witness: Witness { output: proof::seal(&out.output, &proof), units: out.units },
            output: out.output,
        })
    }

    /// The answer for `key`, from wherever this mode takes answers.
    fn answer(
        &self,
        input: &mut PrecompileInput<'_>,
        key: B256,
        request: &InferenceRequest,
        zk: Option<&ZkCheck>,
    ) -> Result<Result<Answered, Refusal>, PrecompileError> {
        let unanswered = || unavailable(request.model, UNANSWERED_REASON);
        let plain = |witness: Witness| Answered { output: witness.output.clone(), witness };
        Ok(match &self.mode {
            InferenceMode::Disabled => Err(unanswered()),
            InferenceMode::Call(backend) => match (backend.run(request), zk) {
                (Err(error), _) => Err(unavailable(request.model, error.to_string())),
                (Ok(out), None) => Ok(plain(Witness { output: out.output, units: out.units })),
                // Only simulations say why: a wallet's estimate names the rejected proof.
                (Ok(out), Some(zk)) => self.proven(request, zk, out).map_err(|e| invalid_proof(request.model, &e)),
            },
            InferenceMode::Sequencing { backend, collected } => {
                if let Some(witness) = collected.lock().get(&key).cloned() {
                    // Collected earlier in this block, so already checked.
                    return Ok(Ok(match zk {
                        None => plain(witness),
                        Some(_) => {
                            let (output, _) = proof::open(&witness.output).ok_or_else(|| fatal("a sealed witness"))?;
                            Answered { witness, output }
                        }
                    }));
                }
                let answered = match backend.run(request) {
                    Ok(out) => match zk {
                        None => Ok(plain(Witness { output: out.output, units: out.units })),
                        Some(zk) => self.proven(request, zk, out).map_err(|error| {
                            // Never recorded: the call reverts as every replaying node (no witness)
                            // will revert it.
                            metrics::counter!("bai_precompile_rejected_proofs_total").increment(1);
                            tracing::warn!(model = %request.model, %error, "proof rejected: model call left unanswered");
                            unanswered()
                        }),
                    },
                    Err(error) => {
                        tracing::warn!(model = %request.model, %error, "model call left unanswered in a block");
                        Err(unanswered())
                    }
                };
                if let Ok(answered) = &answered {
                    collected.lock().insert(key, answered.witness.clone());
                }
                answered
            }
            InferenceMode::Replay(witnesses) | InferenceMode::Audit { witnesses, .. } => match witnesses.get(&key) {
                None => Err(unanswered()),
                Some(witness) => {
                    // The witness must be the one this block recorded in the store; anything else
                    // means the block's witness deposit and its state disagree: the block is invalid.
                    let internals = &mut input.internals;
                    let (units, block, hash) =
                        read_recorded(key, |slot| internals.sload(WITNESS_STORE, slot).map(|v| v.data))
                            .map_err(fatal)?;
                    let number = input.internals.block_number().saturating_to::<u64>();
                    if block != number || units != witness.units || hash != keccak256(&witness.output) {
                        return Err(fatal(format!("witness {key} does not match the witness store")));
                    }
                    let Some(zk) = zk else { return Ok(Ok(plain(witness.clone()))) };
                    // A proof the sequencer should never have recorded: the block is invalid, on
                    // every node alike.
                    let (output, proof) = proof::open(&witness.output)
                        .ok_or_else(|| fatal(format!("witness {key} of a zk model carries no proof")))?;
                    self.verifier
                        .verify(&zk.key, &request.input, &output, &proof)
                        .map_err(|error| fatal(format!("witness {key}: {error}")))?;
                    Ok(Answered { witness: witness.clone(), output })
                }
            },
        })
    }
}

/// Registry checks that do not depend on units.
fn check_call(model: &ModelEntry, id: B256, kind: ModelKind, caller: Address, input_len: usize) -> Result<(), Refusal> {
    if model.status != ModelStatus::Active {
        return Err(IBaiInference::ModelNotActive { modelId: id, status: model.status.as_u8() }.into());
    }
    if model.kind != kind.as_u8() {
        return Err(IBaiInference::WrongModelKind { modelId: id, expected: kind.as_u8(), actual: model.kind }.into());
    }
    if input_len > model.max_input_bytes as usize {
        return Err(IBaiInference::InputTooLarge {
            size: U256::from(input_len),
            max: U256::from(model.max_input_bytes),
        }
        .into());
    }
    if !model.price.is_zero() && caller != MODEL_MARKETPLACE {
        return Err(IBaiInference::PaymentRequired { modelId: id, price: model.price }.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_call_decodes_to_the_key_its_answer_is_recorded_under() {
        let model = B256::repeat_byte(7);
        let embed = IBaiInference::embedCall { modelId: model, text: "hello".into() }.abi_encode();
        let call = ModelCall::decode(&embed).unwrap();
        assert_eq!((call.kind, call.requested_units), (ModelKind::Embedding, None));
        assert_eq!(call.key(), call_key(model, IBaiInference::embedCall::SELECTOR, b"hello", 0));
        let generate = IBaiInference::generateCall { modelId: model, prompt: "hi".into(), maxTokens: 9 }.abi_encode();
        let call = ModelCall::decode(&generate).unwrap();
        assert_eq!(call.key(), call_key(model, IBaiInference::generateCall::SELECTOR, b"hi", 9));
        let quote = IBaiInference::quoteCall { modelId: model, inputBytes: U256::from(1), maxUnits: 1 }.abi_encode();
        assert_eq!(ModelCall::decode(&quote), None, "quote calls no model");
        assert_eq!(ModelCall::decode(&[0xde, 0xad]), None);
    }
}
