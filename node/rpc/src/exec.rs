//! EVM execution for RPC: `eth_call`, `eth_estimateGas`, `eth_createAccessList` and tracing, all
//! against the state of a retained block, with nothing written back.

use super::error::{RpcError, RpcResult};
use alloy::{
    consensus::Header,
    eips::{Encodable2718, eip2930::AccessList},
    primitives::{Address, Bytes, U256},
    rpc::types::{TransactionRequest, state::StateOverride},
};
use alloy_evm::{Evm, FromTxWithEncoded, overrides::apply_state_overrides};
use alloy_op_evm::OpTx;
use bai_evm::{BaiEvmConfig, InferenceMode};
use bai_storage::StateDb;
use op_alloy::consensus::OpTxEnvelope;
use op_revm::OpHaltReason;
use revm::{
    Inspector,
    context::result::{ExecutionResult, ResultAndState},
    database::CacheDB,
    inspector::NoOpInspector,
    interpreter::{CallInputs, CallOutcome, InstructionResult, Interpreter, InterpreterTypes},
};
use std::time::{Duration, Instant};

/// Bounds on one RPC execution (an `eth_call`, a whole `eth_estimateGas` search, a trace).
#[derive(Debug, Clone)]
pub(crate) struct ExecutionLimits {
    /// Gas cap for calls (`--rpc.gascap`, geth's 50M): a request asking more runs with this much.
    pub gas_cap: u64,
    /// Wall-clock budget, and when it started: an execution still running at `started + timeout`
    /// is aborted, whatever gas it has left.
    pub timeout: Duration,
    pub started: Instant,
    /// Most interpreter steps (struct-logger traces: each step is kept in memory); `None`: no cap.
    pub max_steps: Option<u64>,
    /// A trace (geth words its timeout differently for tracers).
    pub trace: bool,
    /// Time spent in model calls so far (nanoseconds), shared by every run under these limits (an
    /// `eth_estimateGas` search runs the call many times): it extends the deadline.
    pub model_time: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// A first attempt on the RPC worker itself: it gives up ([`Tripped::Inline`]) after
    /// [`INLINE_BUDGET`] or at its first model call, and the caller runs it again on the blocking pool.
    pub inline: bool,
}

/// How long a call may run on an RPC worker before it moves to the blocking pool. Most calls (a
/// balance, a quote) take tens of microseconds: handing each to another thread cost more than the
/// call, and the thread hand-off dominated `eth_call`'s profile. A worker is never held longer than
/// this, so a heavy call delays the requests behind it by at most a millisecond.
pub(crate) const INLINE_BUDGET: Duration = Duration::from_millis(1);

/// Why an [`ExecutionGuard`] stopped an execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tripped {
    Timeout,
    Steps(u64),
    /// An inline attempt ran out of its budget or reached a model call (see [`ExecutionLimits::inline`]).
    Inline,
}

/// Stops an execution that runs past its deadline or step budget: geth cancels its interpreter from
/// a timer; revm has no such hook, so this inspector checks the clock every few thousand steps and,
/// once tripped, halts every frame at its next step (the outer frames unwind without running on).
/// Time inside AI precompile calls does not count: a model call is bounded by the inference timeout
/// and the simulated-call limit, and a text generation alone can take longer than the EVM budget.
#[derive(Debug)]
pub(crate) struct ExecutionGuard {
    deadline: Instant,
    /// The end of an inline attempt's budget (`None`: not inline).
    inline_until: Option<Instant>,
    /// Steps between clock reads.
    clock_every: u64,
    max_steps: u64,
    steps: u64,
    tripped: Option<Tripped>,
    model_call_started: Option<Instant>,
    model_time: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl ExecutionGuard {
    /// How many steps run between clock reads (reading the clock every step would cost more than a
    /// cheap opcode).
    const CLOCK_EVERY: u64 = 2048;
    /// The same on an RPC worker: 2048 expensive steps (hashing large memory) could hold it for
    /// far longer than [`INLINE_BUDGET`].
    const INLINE_CLOCK_EVERY: u64 = 64;

    pub(crate) fn new(limits: &ExecutionLimits) -> Self {
        let model_time = Duration::from_nanos(limits.model_time.load(std::sync::atomic::Ordering::Relaxed));
        Self {
            model_time: limits.model_time.clone(),
            deadline: limits.started + limits.timeout + model_time,
            inline_until: limits.inline.then(|| Instant::now() + INLINE_BUDGET),
            clock_every: if limits.inline { Self::INLINE_CLOCK_EVERY } else { Self::CLOCK_EVERY },
            max_steps: limits.max_steps.unwrap_or(u64::MAX),
            steps: 0,
            tripped: None,
            model_call_started: None,
        }
    }

    pub(crate) fn tripped(&self) -> Option<Tripped> {
        self.tripped
    }
}

impl<CTX, INTR: InterpreterTypes> Inspector<CTX, INTR> for ExecutionGuard {
    fn step(&mut self, interp: &mut Interpreter<INTR>, _context: &mut CTX) {
        self.steps += 1;
        if self.tripped.is_none() {
            if self.steps > self.max_steps {
                self.tripped = Some(Tripped::Steps(self.max_steps));
            } else if self.steps.is_multiple_of(self.clock_every) {
                let now = Instant::now();
                if self.inline_until.is_some_and(|until| now >= until) {
                    self.tripped = Some(Tripped::Inline);
                } else if now >= self.deadline {
                    self.tripped = Some(Tripped::Timeout);
                }
            }
        }
        if self.tripped.is_some() {
            interp.halt(InstructionResult::OutOfGas);
        }
    }

    fn call(&mut self, _context: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        let model_call = inputs.bytecode_address == bai_chainspec::predeploys::AI_PRECOMPILE;
        if self.inline_until.is_some() && (model_call || is_heavy_precompile(&inputs.bytecode_address)) {
            // One model call or pairing check can outlast the whole inline budget in a single step:
            // never on an RPC worker. Skipped, and the whole call runs again on the blocking pool.
            self.tripped = Some(Tripped::Inline);
            return Some(CallOutcome::new_oog(inputs.gas_limit, inputs.return_memory_offset.clone()));
        }
        if model_call {
            self.model_call_started = Some(Instant::now());
        }
        None
    }

    fn call_end(&mut self, _context: &mut CTX, inputs: &CallInputs, _outcome: &mut CallOutcome) {
        if inputs.bytecode_address == bai_chainspec::predeploys::AI_PRECOMPILE
            && let Some(started) = self.model_call_started.take()
        {
            let spent = started.elapsed();
            self.deadline += spent;
            self.model_time.fetch_add(spent.as_nanos() as u64, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

pub(crate) type CallDb = CacheDB<StateDb>;

/// What a call needs: the block it runs in and a state database at that block.
pub(crate) struct CallContext<'a> {
    pub evm: &'a BaiEvmConfig,
    pub limits: ExecutionLimits,
    pub header: Header,
    pub state: StateDb,
    /// How the AI precompile answers: a (cached) backend, or not at all.
    pub inference: InferenceMode,
}

fn has_fee_fields(request: &TransactionRequest) -> bool {
    request.gas_price.is_some() || request.max_fee_per_gas.is_some() || request.max_priority_fee_per_gas.is_some()
}

impl ExecutionLimits {
    /// The error of an execution these limits stopped: geth's message for a timed-out call.
    pub(crate) fn error(&self, why: Tripped) -> RpcError {
        match why {
            Tripped::Timeout if self.trace => RpcError::Execution("execution timeout".into()),
            Tripped::Timeout => RpcError::Execution(format!(
                "execution aborted (timeout = {})",
                humantime::format_duration(self.timeout)
            )),
            Tripped::Steps(max) => RpcError::Limit(format!(
                "trace limit exceeded: more than {max} steps (raise --rpc.max-trace-steps, or trace with callTracer)"
            )),
            Tripped::Inline => RpcError::NeedsBlockingPool,
        }
    }
}

impl CallContext<'_> {
    fn env(&self, request: &TransactionRequest) -> alloy_evm::EvmEnv<op_revm::OpSpecId> {
        let mut env = self.evm.evm_env(&self.header);
        // Like geth: calls skip the nonce check, and run with base fee 0 when they carry no fees.
        env.cfg_env.disable_nonce_check = true;
        if !has_fee_fields(request) {
            env.block_env.basefee = 0;
        }
        env
    }

    fn db(&self, overrides: Option<StateOverride>) -> RpcResult<CallDb> {
        let mut db = CacheDB::new(self.state.clone());
        if let Some(overrides) = overrides {
            apply_state_overrides(overrides, &mut db)
                .map_err(|e| RpcError::invalid(format!("invalid state override: {e}")))?;
        }
        Ok(db)
    }

    /// Runs `request` with `gas` (or the request's own limit, capped) and an inspector, within the
    /// context's [`ExecutionLimits`] (an execution they stop is an error, never a result).
    pub(crate) fn run_with<'db, I>(
        &self,
        db: &'db mut CallDb,
        mut request: TransactionRequest,
        gas: Option<u64>,
        inspector: I,
    ) -> RpcResult<ResultAndState<OpHaltReason>>
    where
        I: Inspector<alloy_op_evm::OpEvmContext<&'db mut CallDb>>,
    {
        let env = self.env(&request);
        // Capped by --rpc.gascap and by the block's gas limit, which revm enforces on every transaction
        // (asking 2^64-1 gas is not an error: the call runs with what it may have, as in geth).
        let limit =
            gas.or(request.gas).unwrap_or(self.header.gas_limit).min(self.limits.gas_cap).min(self.header.gas_limit);
        request.gas = Some(limit);
        let tx = self.evm.call_tx_env(request, &env).map_err(RpcError::invalid)?;
        let mut guard = ExecutionGuard::new(&self.limits);
        let mut evm = self.evm.evm_with_inspector(db, env, (&mut guard, inspector), self.inference.clone());
        let result = evm.transact(tx).map_err(|e| RpcError::Execution(e.to_string()));
        drop(evm);
        match guard.tripped() {
            None => result,
            Some(why) => Err(self.limits.error(why)),
        }
    }

    pub(crate) fn run(
        &self,
        db: &mut CallDb,
        request: TransactionRequest,
        gas: Option<u64>,
    ) -> RpcResult<ExecutionResult<OpHaltReason>> {
        Ok(self.run_with(db, request, gas, NoOpInspector)?.result)
    }

    /// `eth_call`: the output, or the revert as an error with its data.
    pub(crate) fn call(&self, request: TransactionRequest, overrides: Option<StateOverride>) -> RpcResult<Bytes> {
        let mut db = self.db(overrides)?;
        match self.run(&mut db, request, None)? {
            ExecutionResult::Success { output, .. } => Ok(output.into_data()),
            ExecutionResult::Revert { output, .. } => Err(RpcError::revert(output)),
            ExecutionResult::Halt { reason, .. } => Err(RpcError::Execution(halt_message(&reason))),
        }
    }

    /// `eth_estimateGas`: the smallest gas limit with which the call succeeds (binary search).
    pub(crate) fn estimate_gas(&self, request: TransactionRequest, overrides: Option<StateOverride>) -> RpcResult<u64> {
        let db = self.db(overrides)?;
        let mut hi = request.gas.unwrap_or(self.header.gas_limit).min(self.header.gas_limit);
        // With a gas price, the sender must be able to pay for the gas: cap by the allowance.
        if has_fee_fields(&request) {
            let price = request.max_fee_per_gas.or(request.gas_price).unwrap_or_default();
            if price > 0 {
                let from = request.from.unwrap_or_default();
                let balance = self.state.account(&from)?.map(|a| a.balance).unwrap_or_default();
                let available = balance.saturating_sub(request.value.unwrap_or_default());
                let allowance = (available / U256::from(price)).saturating_to::<u64>();
                if allowance < 21_000 {
                    return Err(RpcError::Execution("insufficient funds for gas * price + value".into()));
                }
                hi = hi.min(allowance);
            }
        }
        let attempt = |gas: u64| -> RpcResult<ExecutionResult<OpHaltReason>> {
            let mut db = db.clone();
            self.run(&mut db, request.clone(), Some(gas))
        };
        let first = attempt(hi)?;
        let used = match &first {
            ExecutionResult::Success { gas, .. } => gas.tx_gas_used(),
            ExecutionResult::Revert { output, .. } => return Err(RpcError::revert(output.clone())),
            ExecutionResult::Halt { reason, .. } => {
                return Err(RpcError::Execution(match reason {
                    OpHaltReason::Base(revm::context::result::HaltReason::OutOfGas(_)) => {
                        format!("gas required exceeds allowance ({hi})")
                    }
                    other => halt_message(other),
                }));
            }
        };
        // Everything between used-1 (fails: it must pay at least what it used) and hi (works).
        let mut lo = used.saturating_sub(1);
        // Most calls succeed with a little over the gas they used (refunds, the 63/64 rule).
        let optimistic = (used + 2_300) * 64 / 63;
        if optimistic < hi {
            if attempt(optimistic)?.is_success() { hi = optimistic } else { lo = optimistic }
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if attempt(mid)?.is_success() { hi = mid } else { lo = mid }
        }
        Ok(hi)
    }

    /// `eth_createAccessList`: the slots the call touches and the gas it uses with them.
    pub(crate) fn create_access_list(
        &self,
        mut request: TransactionRequest,
    ) -> RpcResult<(AccessList, u64, Option<String>)> {
        let mut db = self.db(None)?;
        let from = request.from.unwrap_or_default();
        let to = request.to.and_then(|kind| kind.to().copied());
        let mut excluded: Vec<Address> = vec![from];
        excluded.extend(to);
        let mut inspector =
            revm_inspectors::access_list::AccessListInspector::new(request.access_list.clone().unwrap_or_default());
        let result = self.run_with(&mut db, request.clone(), None, &mut inspector)?.result;
        let mut list = inspector.into_access_list();
        list.0.retain(|item| !excluded.contains(&item.address) && !is_precompile(&item.address));
        request.access_list = Some(list.clone());
        let mut db = self.db(None)?;
        let final_result = self.run(&mut db, request, None)?;
        let error = match (&result, &final_result) {
            (ExecutionResult::Revert { .. }, _) | (_, ExecutionResult::Revert { .. }) => {
                Some("execution reverted".to_string())
            }
            (ExecutionResult::Halt { reason, .. }, _) => Some(halt_message(reason)),
            _ => None,
        };
        Ok((list, final_result.tx_gas_used(), error))
    }
}

/// Precompiles whose one call can take milliseconds (modexp, the BN254 and BLS12-381 operations, blake2f
/// with many rounds, the KZG point evaluation, P-256 verification). ecrecover, sha256, ripemd160 and the
/// identity cost no more than hashing their input.
fn is_heavy_precompile(address: &Address) -> bool {
    let bytes = address.as_slice();
    bytes[..18].iter().all(|b| *b == 0) && matches!(u16::from_be_bytes([bytes[18], bytes[19]]), 0x05..=0x11 | 0x100)
}

fn is_precompile(address: &Address) -> bool {
    let bytes = address.as_slice();
    bytes[..18].iter().all(|b| *b == 0) && u16::from_be_bytes([bytes[18], bytes[19]]) <= 0x11
        || *address == bai_chainspec::predeploys::AI_PRECOMPILE
}

pub(crate) fn halt_message(reason: &OpHaltReason) -> String {
    use revm::context::result::{HaltReason, OutOfGasError};
    match reason {
        OpHaltReason::Base(HaltReason::OutOfGas(
            OutOfGasError::Basic
            | OutOfGasError::Memory
            | OutOfGasError::MemoryLimit
            | OutOfGasError::Precompile
            | OutOfGasError::InvalidOperand
            | OutOfGasError::ReentrancySentry,
        )) => "out of gas".into(),
        OpHaltReason::Base(HaltReason::InvalidFEOpcode | HaltReason::OpcodeNotFound) => "invalid opcode".into(),
        other => format!("execution halted: {other:?}"),
    }
}

/// The EVM transaction for a stored transaction (with its encoding, for the L1 fee).
pub(crate) fn stored_tx_env(tx: &OpTxEnvelope, sender: Address) -> OpTx {
    let encoded: Bytes = tx.encoded_2718().into();
    OpTx::from_encoded_tx(tx, sender, encoded)
}
