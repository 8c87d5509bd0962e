//! Method implementations.

use crate::{
    convert::{self, RpcBlock, decode_receipt, decode_tx},
    ctx::{RpcCtx, SUGGESTED_TIP, blocking, finish, inline_first, method, traced},
    error::{RpcError, RpcResult},
    exec::{self, CallContext, ExecutionGuard, ExecutionLimits},
    filters::FilterKind,
};
use alloy::{
    consensus::{Header, SignableTransaction, Transaction as _, TxEip1559},
    eips::{BlockId, BlockNumberOrTag, Encodable2718},
    network::TxSignerSync,
    primitives::{Address, B256, Bytes, TxKind, U64, U256, keccak256},
    rpc::types::{
        EIP1186AccountProofResponse, EIP1186StorageProof, FeeHistory, Filter, FilterChanges, Log, TransactionRequest,
        state::StateOverride,
        trace::geth::{
            GethDebugBuiltInTracerType, GethDebugTracerType, GethDebugTracingCallOptions, GethDebugTracingOptions,
            GethTrace,
        },
    },
    serde::JsonStorageKey,
};
use alloy_evm::Evm;
use bai_storage::{BlockMeta, StateAt, StateDb, StoredBlock};
use jsonrpsee::RpcModule;
use op_alloy::{
    consensus::{OpReceiptEnvelope, OpTxEnvelope},
    rpc_types::{OpTransactionReceipt, Transaction},
};
use revm::context::result::ExecutionResult;
use revm_inspectors::tracing::{TracingInspector, TracingInspectorConfig};
use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

fn inv(e: impl std::fmt::Display) -> RpcError {
    RpcError::invalid(e)
}

impl RpcCtx {
    /// Number of the newest stored block (0 before genesis is stored).
    pub fn head(&self) -> u64 {
        self.store().head_number().unwrap_or_default()
    }

    /// The block number a block tag or hash names (`latest` and `pending` are the head); a number
    /// above the head or an unknown hash is [`RpcError::NotFound`].
    pub fn resolve(&self, id: Option<BlockId>) -> RpcResult<u64> {
        let head = self.head();
        match id.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest)) {
            BlockId::Number(tag) => match tag {
                BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => Ok(head),
                BlockNumberOrTag::Safe => Ok(self.sync_status().safe_l2.min(head)),
                BlockNumberOrTag::Finalized => Ok(self.sync_status().finalized_l2.min(head)),
                BlockNumberOrTag::Earliest => Ok(0),
                BlockNumberOrTag::Number(n) if n <= head => Ok(n),
                BlockNumberOrTag::Number(_) => Err(RpcError::NotFound("header not found".into())),
            },
            BlockId::Hash(hash) => self
                .store()
                .block_number(&hash.block_hash)?
                .ok_or_else(|| RpcError::NotFound("header not found".into())),
        }
    }

    fn header(&self, number: u64) -> RpcResult<Header> {
        let (head, _) = self.seq.head();
        if head.number == number {
            return Ok(head);
        }
        self.store().header(number)?.ok_or_else(|| RpcError::NotFound("header not found".into()))
    }

    /// `bai_listModels`: every model in the marketplace registry at the head.
    fn list_models(&self) -> RpcResult<serde_json::Value> {
        use alloy::sol_types::SolCall;
        use bai_precompiles::abi::IModelMarketplace;
        let ctx = self.call_ctx(None, self.call_limits())?;
        let call = |input: Vec<u8>| {
            let request = TransactionRequest::default()
                .to(bai_chainspec::predeploys::MODEL_MARKETPLACE)
                .input(Bytes::from(input).into());
            ctx.call(request, None)
        };
        let raw = call(IModelMarketplace::modelIdsCall {}.abi_encode())?;
        let ids = IModelMarketplace::modelIdsCall::abi_decode_returns(&raw).map_err(RpcError::internal)?;
        let mut models = Vec::with_capacity(ids.len());
        for id in ids {
            let raw = call(IModelMarketplace::getModelCall { modelId: id }.abi_encode())?;
            let m = IModelMarketplace::getModelCall::abi_decode_returns(&raw).map_err(RpcError::internal)?;
            let kind = bai_precompiles::ModelKind::from_u8(m.kind)
                .map_or_else(|| format!("unknown({})", m.kind), |k| format!("{k:?}").to_lowercase());
            models.push(serde_json::json!({
                "id": id,
                "name": m.metadataURI,
                "kind": kind,
                "status": bai_precompiles::ModelStatus::from_u8(m.status).name(),
                "price": m.price,
                "baseGas": U64::from(m.baseGas),
                "gasPerUnit": U64::from(m.gasPerUnit),
                "gasPerInputByte": U64::from(m.gasPerInputByte),
                "maxInputBytes": U64::from(m.maxInputBytes),
                "maxUnits": U64::from(m.maxUnits),
                "toleranceBps": U64::from(m.toleranceBps),
                "owner": m.owner,
                "operator": m.operator,
                // zk: every node checks a proof of each answer against the registered key (in force
                // from block zkSince); optimistic: witness + challenge against the bit-exact reference.
                "verification": if m.zkKeyHash.is_zero() { "optimistic" } else { "zk" },
                "zkKeyHash": (!m.zkKeyHash.is_zero()).then_some(m.zkKeyHash),
                "zkSince": (!m.zkKeyHash.is_zero()).then_some(U64::from(m.zkSince)),
            }));
        }
        Ok(serde_json::json!({
            "marketplace": bai_chainspec::predeploys::MODEL_MARKETPLACE,
            "precompile": bai_chainspec::predeploys::AI_PRECOMPILE,
            "models": models,
        }))
    }

    /// `bai_inferenceCalls`: every model call transaction `hash` made that its block's witnesses
    /// answered, in execution order, with what a user needs to judge it: the model, the units and fee
    /// paid, the verification level and rule in force for that block (for `zk`, the key's and the
    /// proof's hashes) and the hash of the recorded output (what the witness store keeps and a
    /// challenger disputes). Found by re-executing the transaction with
    /// the call tracer: calls to the precompile, their fee from the marketplace frame's `ModelCalled`.
    fn inference_calls(&self, hash: B256) -> RpcResult<serde_json::Value> {
        use alloy::{
            rpc::types::trace::geth::CallConfig,
            sol_types::{SolCall, SolEvent},
        };
        use bai_chainspec::predeploys::{AI_PRECOMPILE, MODEL_MARKETPLACE};
        use bai_precompiles::{
            ModelCall,
            abi::{IModelMarketplace, events::IModelMarketplaceEvents::ModelCalled},
        };

        let options = GethDebugTracingOptions::call_tracer(CallConfig { only_top_call: None, with_log: Some(true) });
        let (GethTrace::CallTracer(root), number, witnesses) = self.trace_in_block(hash, options)? else {
            return Err(RpcError::internal("the call tracer returned another kind of trace"));
        };

        // Each answered precompile call with the price its marketplace frame's `ModelCalled` charged
        // (calls to free models, or made directly, pay nothing).
        let mut found: Vec<(ModelCall, U256)> = Vec::new();
        let mut frames = vec![&root];
        if root.to == Some(AI_PRECOMPILE) && root.error.is_none() {
            found.extend(ModelCall::decode(&root.input).map(|call| (call, U256::ZERO)));
        }
        while let Some(frame) = frames.pop() {
            let mut prices: Vec<(B256, U256)> = if frame.to == Some(MODEL_MARKETPLACE) {
                frame
                    .logs
                    .iter()
                    .filter_map(|log| {
                        let topics = log.topics.as_deref()?;
                        if topics.first() != Some(&ModelCalled::SIGNATURE_HASH) {
                            return None;
                        }
                        let data = log.data.as_deref()?;
                        Some((*topics.get(1)?, U256::from_be_slice(data.get(..32)?)))
                    })
                    .collect()
            } else {
                Vec::new()
            };
            for child in &frame.calls {
                if child.to == Some(AI_PRECOMPILE)
                    && child.error.is_none()
                    && child.typ == "CALL"
                    && let Some(call) = ModelCall::decode(&child.input)
                {
                    let fee = prices
                        .iter()
                        .position(|(model, _)| *model == call.model)
                        .map_or(U256::ZERO, |i| prices.remove(i).1);
                    found.push((call, fee));
                }
            }
            // Depth first, in call order.
            frames.extend(frame.calls.iter().rev());
        }

        let ctx = self.call_ctx(Some(BlockId::number(number)), self.call_limits())?;
        let view = |input: Vec<u8>| {
            ctx.call(TransactionRequest::default().to(MODEL_MARKETPLACE).input(Bytes::from(input).into()), None)
        };
        let mut calls = Vec::with_capacity(found.len());
        for (call, fee) in found {
            let key = call.key();
            let Some(witness) = witnesses.0.get(&key) else { continue };
            let model = IModelMarketplace::getModelCall::abi_decode_returns(&view(
                IModelMarketplace::getModelCall { modelId: call.model }.abi_encode(),
            )?)
            .map_err(RpcError::internal)?;
            let tolerance = IModelMarketplace::toleranceAtCall::abi_decode_returns(&view(
                IModelMarketplace::toleranceAtCall { modelId: call.model, blockNumber: number }.abi_encode(),
            )?)
            .map_err(RpcError::internal)?;
            let operator = IModelMarketplace::operatorAtCall::abi_decode_returns(&view(
                IModelMarketplace::operatorAtCall { modelId: call.model, blockNumber: number }.abi_encode(),
            )?)
            .map_err(RpcError::internal)?;
            // The record read at this block says the level (ModelMarketplace.verificationAt's rule; a
            // key, once set, never changes), so no further call is needed.
            let zk = !model.zkKeyHash.is_zero() && number >= model.zkSince;
            let verification = match bai_precompiles::proof::open(&witness.output) {
                // The precompile accepted the answer only with a proof that verified on every node.
                Some((_, proof)) if zk => serde_json::json!({
                    "level": "zk",
                    "rule": "proof",
                    "keyHash": model.zkKeyHash,
                    "proofHash": keccak256(&proof),
                    "proofBytes": U64::from(proof.len() as u64),
                }),
                _ => serde_json::json!({
                    "level": "optimistic",
                    "rule": if tolerance == 0 { "exact" } else { "tolerance" },
                    "toleranceBps": U64::from(tolerance),
                    "reference": "bai-reference",
                }),
            };
            calls.push(serde_json::json!({
                "model": call.model,
                "name": model.metadataURI,
                "kind": format!("{:?}", call.kind).to_lowercase(),
                "callKey": key,
                "units": U64::from(witness.units),
                "feePaid": fee,
                "operator": operator,
                "verification": verification,
                "witnessHash": keccak256(&witness.output),
                "outputBytes": U64::from(witness.output.len() as u64),
            }));
        }
        Ok(serde_json::json!({ "transactionHash": hash, "blockNumber": U64::from(number), "calls": calls }))
    }

    fn block(&self, number: u64) -> RpcResult<StoredBlock> {
        self.store().block(number)?.ok_or_else(|| RpcError::NotFound("block not found".into()))
    }

    fn state(&self, id: Option<BlockId>) -> RpcResult<StateDb> {
        let number = self.resolve(id)?;
        Ok(self.store().state(StateAt::Block(number))?)
    }

    /// The bounds of a call (`eth_call`, `eth_estimateGas`, `eth_createAccessList`) starting now.
    fn call_limits(&self) -> ExecutionLimits {
        ExecutionLimits {
            gas_cap: self.config.gas_cap,
            timeout: self.config.evm_timeout,
            started: Instant::now(),
            max_steps: None,
            trace: false,
            model_time: Default::default(),
            inline: false,
        }
    }

    /// The bounds of a trace starting now: the tracer's `timeout` option or the node's, and for the
    /// struct logger (which keeps every step) the step cap.
    fn trace_limits(&self, opts: &GethDebugTracingOptions) -> RpcResult<ExecutionLimits> {
        let timeout = match &opts.timeout {
            Some(text) => humantime::parse_duration(text)
                .map_err(|e| RpcError::invalid(format!("invalid tracer timeout {text:?}: {e}")))?,
            None => self.config.evm_timeout,
        };
        Ok(ExecutionLimits {
            gas_cap: self.config.gas_cap,
            timeout,
            started: Instant::now(),
            max_steps: opts.tracer.is_none().then_some(self.config.max_trace_steps),
            trace: true,
            model_time: Default::default(),
            inline: false,
        })
    }

    fn call_ctx(&self, id: Option<BlockId>, limits: ExecutionLimits) -> RpcResult<CallContext<'_>> {
        let number = self.resolve(id)?;
        Ok(CallContext {
            evm: self.seq.evm_config(),
            limits,
            header: self.header(number)?,
            state: self.store().state(StateAt::Block(number))?,
            inference: self.config.call_inference.clone().map(bai_evm::InferenceMode::Call).unwrap_or_default(),
        })
    }

    fn receipts(&self, number: u64) -> RpcResult<Vec<OpReceiptEnvelope>> {
        self.store().receipts(number)?.unwrap_or_default().iter().map(|r| decode_receipt(r)).collect()
    }

    /// A block's receipts with its L1 fee fields: what its RPC receipts are made from.
    fn receipts_with_meta(&self, number: u64) -> RpcResult<(Vec<OpReceiptEnvelope>, BlockMeta)> {
        Ok((self.receipts(number)?, self.store().block_meta(number)?.unwrap_or_default()))
    }

    fn rpc_receipts(&self, block: &StoredBlock) -> RpcResult<Vec<OpTransactionReceipt>> {
        let (receipts, meta) = self.receipts_with_meta(block.header.number)?;
        convert::rpc_receipts(block, &receipts, &meta)
    }

    /// Validates and admits a raw transaction: all admission happens in the pool, against the
    /// engine's view of the head.
    pub fn submit_raw(&self, raw: Bytes) -> RpcResult<B256> {
        Ok(self.seq.submit_transaction(raw)?)
    }

    fn tx_by_location(&self, number: u64, index: usize) -> RpcResult<Option<Transaction>> {
        let block = self.block(number)?;
        let Some(raw) = block.transactions.get(index) else { return Ok(None) };
        let receipt = self
            .store()
            .receipts(number)?
            .and_then(|r| r.get(index).cloned())
            .map(|r| decode_receipt(&r))
            .transpose()?;
        Ok(Some(convert::rpc_transaction(&block, index, decode_tx(raw)?, receipt.as_ref())))
    }

    /// Logs of blocks `from..=to` matching `filter`: the blocks the log index lists (address and
    /// topic constraints, any range), and for blocks below the index or a filter that constrains
    /// nothing, a scan of the header blooms (bounded by `max_logs_range`).
    pub fn logs_in_range(&self, filter: &Filter, from: u64, to: u64) -> RpcResult<Vec<Log>> {
        let addresses: Vec<Address> = filter.address.iter().copied().collect();
        let topics: Vec<Vec<B256>> = filter.topics.iter().map(|set| set.iter().copied().collect()).collect();
        let query = bai_storage::LogQuery { addresses: &addresses, topics: &topics };
        let indexed_from = self.store().log_index_from().max(from);
        let indexed = match self.config.use_log_index {
            true => self.store().log_blocks(&query, indexed_from, to)?,
            false => None,
        };
        let mut logs = Vec::new();
        match indexed {
            Some(blocks) => {
                // Each listed block is read: as many as a bloom scan may read, no more.
                if blocks.len() as u64 > self.config.max_logs_range {
                    return Err(RpcError::Limit(format!(
                        "query matches logs in more than {} blocks; narrow the range or the filter",
                        self.config.max_logs_range
                    )));
                }
                if indexed_from > from {
                    logs = self.logs_by_bloom(filter, from, indexed_from - 1)?;
                }
                for number in blocks {
                    self.collect_block_logs(filter, number, &mut logs)?;
                }
            }
            None => logs = self.logs_by_bloom(filter, from, to)?,
        }
        Ok(logs)
    }

    /// [`Self::logs_in_range`] by reading every header's bloom.
    fn logs_by_bloom(&self, filter: &Filter, from: u64, to: u64) -> RpcResult<Vec<Log>> {
        if to >= from && to - from >= self.config.max_logs_range {
            return Err(RpcError::Limit(format!("query exceeds max block range {}", self.config.max_logs_range)));
        }
        let mut logs = Vec::new();
        for number in from..=to {
            let header = self.header(number)?;
            // The header bloom skips blocks that cannot contain a match.
            if filter.matches_bloom(header.logs_bloom) {
                self.collect_block_logs(filter, number, &mut logs)?;
            }
        }
        Ok(logs)
    }

    /// Appends block `number`'s logs matching `filter` to `logs`, within the result limit.
    fn collect_block_logs(&self, filter: &Filter, number: u64, logs: &mut Vec<Log>) -> RpcResult<()> {
        let block = self.block(number)?;
        let receipts = self.receipts(number)?;
        logs.extend(convert::block_logs(&block, &receipts).into_iter().filter(|log| filter.matches(&log.inner)));
        if logs.len() > self.config.max_logs {
            return Err(RpcError::Limit(format!("query returned more than {} results", self.config.max_logs)));
        }
        Ok(())
    }

    fn filter_range(&self, filter: &Filter) -> RpcResult<(u64, u64)> {
        let head = self.head();
        let to_num = |tag: Option<BlockNumberOrTag>, default: u64| -> RpcResult<u64> {
            match tag {
                None => Ok(default),
                Some(tag) => self.resolve(Some(BlockId::Number(tag))).or_else(|e| match tag {
                    BlockNumberOrTag::Number(n) if n > head => Ok(n),
                    _ => Err(e),
                }),
            }
        };
        Ok((
            to_num(filter.get_from_block().map(Into::into), head)?,
            to_num(filter.get_to_block().map(Into::into), head)?.min(head),
        ))
    }

    /// `eth_getLogs`: logs matching `filter`, from one block by hash or from its block range.
    pub fn get_logs(&self, filter: &Filter) -> RpcResult<Vec<Log>> {
        if let Some(hash) = filter.get_block_hash() {
            let number = self.store().block_number(&hash)?.ok_or_else(|| RpcError::NotFound("unknown block".into()))?;
            let block = self.block(number)?;
            let receipts = self.receipts(number)?;
            return Ok(convert::block_logs(&block, &receipts)
                .into_iter()
                .filter(|log| filter.matches(&log.inner))
                .collect());
        }
        let (from, to) = self.filter_range(filter)?;
        if from > to {
            return Ok(vec![]);
        }
        self.logs_in_range(filter, from, to)
    }

    fn fee_history(
        &self,
        count: u64,
        newest: BlockNumberOrTag,
        percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory> {
        let count = count.min(MAX_FEE_HISTORY_BLOCKS);
        if count == 0 {
            return Ok(FeeHistory::default());
        }
        // geth's limit: each percentile costs a pass over every block's transactions.
        if let Some(p) = &percentiles
            && p.len() > MAX_REWARD_PERCENTILES
        {
            return Err(RpcError::invalid(format!(
                "invalid reward percentile: over the query limit {MAX_REWARD_PERCENTILES}"
            )));
        }
        if let Some(p) = &percentiles
            && (p.iter().any(|x| !(0.0..=100.0).contains(x)) || p.windows(2).any(|w| w[0] > w[1]))
        {
            return Err(RpcError::invalid("invalid reward percentiles: must be ascending and within [0, 100]"));
        }
        let newest = self.resolve(Some(BlockId::Number(newest)))?;
        let oldest = newest.saturating_sub(count - 1);
        let mut base_fees = Vec::new();
        let mut ratios = Vec::new();
        let mut rewards = Vec::new();
        let mut last = None;
        for number in oldest..=newest {
            let header = self.header(number)?;
            base_fees.push(header.base_fee_per_gas.unwrap_or_default() as u128);
            ratios.push(header.gas_used as f64 / header.gas_limit as f64);
            if let Some(percentiles) = &percentiles {
                let block = self.block(number)?;
                let receipts = self.receipts(number)?;
                let base_fee = header.base_fee_per_gas.unwrap_or_default();
                let mut tips: Vec<(u128, u64)> = Vec::new();
                let mut previous = 0;
                for (raw, receipt) in block.transactions.iter().zip(&receipts) {
                    let used = receipt.cumulative_gas_used() - previous;
                    previous = receipt.cumulative_gas_used();
                    let tx = decode_tx(raw)?;
                    if tx.is_deposit() {
                        continue;
                    }
                    tips.push((tx.effective_tip_per_gas(base_fee).unwrap_or_default(), used));
                }
                tips.sort_unstable();
                let total: u64 = tips.iter().map(|(_, g)| g).sum();
                rewards.push(
                    percentiles
                        .iter()
                        .map(|p| {
                            if tips.is_empty() {
                                return 0;
                            }
                            let threshold = (total as f64 * p / 100.0) as u64;
                            let mut acc = 0;
                            for (tip, gas) in &tips {
                                acc += gas;
                                if acc >= threshold {
                                    return *tip;
                                }
                            }
                            tips.last().map(|(t, _)| *t).unwrap_or_default()
                        })
                        .collect(),
                );
            }
            last = Some(header);
        }
        let last = last.expect("at least one block");
        base_fees.push(self.seq.chain().next_base_fee(
            last.gas_used,
            last.gas_limit,
            last.base_fee_per_gas.unwrap_or_default(),
        ) as u128);
        Ok(FeeHistory {
            oldest_block: oldest,
            base_fee_per_gas: base_fees,
            gas_used_ratio: ratios,
            reward: percentiles.map(|_| rewards),
            base_fee_per_blob_gas: vec![0; (count + 1) as usize],
            blob_gas_used_ratio: vec![0.0; count as usize],
        })
    }

    fn trace_options_inspector(opts: &GethDebugTracingOptions) -> RpcResult<(TracingInspector, bool)> {
        match &opts.tracer {
            None => Ok((TracingInspector::new(TracingInspectorConfig::from_geth_config(&opts.config)), false)),
            Some(GethDebugTracerType::BuiltInTracer(GethDebugBuiltInTracerType::CallTracer)) => {
                let call_config = opts.tracer_config.clone().into_call_config().map_err(inv)?;
                Ok((TracingInspector::new(TracingInspectorConfig::from_geth_call_config(&call_config)), true))
            }
            Some(other) => Err(RpcError::invalid(format!(
                "tracer {other:?} is not supported (use the default struct logger or callTracer)"
            ))),
        }
    }

    fn finish_trace(
        inspector: TracingInspector,
        opts: &GethDebugTracingOptions,
        is_call_tracer: bool,
        result: &ExecutionResult<op_revm::OpHaltReason>,
    ) -> RpcResult<GethTrace> {
        let gas_used = result.tx_gas_used();
        let builder = inspector.into_geth_builder();
        if is_call_tracer {
            let call_config = opts.tracer_config.clone().into_call_config().map_err(inv)?;
            Ok(GethTrace::CallTracer(builder.geth_call_traces(call_config, gas_used)))
        } else {
            let output = result.output().cloned().unwrap_or_default();
            Ok(GethTrace::Default(builder.geth_traces(gas_used, output, opts.config)))
        }
    }

    fn trace_transaction(&self, hash: B256, opts: GethDebugTracingOptions) -> RpcResult<GethTrace> {
        Ok(self.trace_in_block(hash, opts)?.0)
    }

    /// [`Self::trace_transaction`], also returning the block number and the block's witnesses (what
    /// `bai_inferenceCalls` reads beside the trace, without decoding the block again).
    fn trace_in_block(
        &self,
        hash: B256,
        opts: GethDebugTracingOptions,
    ) -> RpcResult<(GethTrace, u64, Arc<bai_precompiles::WitnessSet>)> {
        let location = self
            .store()
            .tx_location(&hash)?
            .ok_or_else(|| RpcError::NotFound(format!("transaction {hash} not found")))?;
        let number = location.block_number;
        if number == 0 {
            return Err(RpcError::invalid("genesis is not traceable"));
        }
        let block = self.block(number)?;
        let parent_state = self.store().state(StateAt::Block(number - 1))?;
        let evm_config = self.seq.evm_config();
        let env = evm_config.evm_env(&block.header);
        let mut db = revm::database::CacheDB::new(parent_state);
        let (mut inspector, is_call) = Self::trace_options_inspector(&opts)?;
        let limits = self.trace_limits(&opts)?;
        let mut guard = ExecutionGuard::new(&limits);
        let txs = block.transactions.iter().map(|raw| decode_tx(raw)).collect::<RpcResult<Vec<_>>>()?;
        let witnesses = Arc::new(bai_sequencer::block_witnesses(&txs));
        let replay = bai_evm::InferenceMode::Replay(witnesses.clone());
        let mut evm = evm_config.evm_with_inspector(&mut db, env, (&mut guard, &mut inspector), replay);
        evm.disable_inspector();
        for (index, tx) in txs.into_iter().enumerate() {
            let tx_env = exec::stored_tx_env(&tx, block.senders[index]);
            if index == location.index as usize {
                evm.enable_inspector();
                let result = evm.transact(tx_env).map_err(|e| RpcError::Execution(e.to_string()))?.result;
                drop(evm);
                if let Some(why) = guard.tripped() {
                    return Err(limits.error(why));
                }
                return Ok((Self::finish_trace(inspector, &opts, is_call, &result)?, number, witnesses));
            }
            evm.transact_commit(tx_env).map_err(|e| RpcError::Execution(e.to_string()))?;
        }
        Err(RpcError::internal("transaction index out of range"))
    }

    fn trace_call(
        &self,
        request: TransactionRequest,
        id: Option<BlockId>,
        opts: GethDebugTracingCallOptions,
    ) -> RpcResult<GethTrace> {
        let ctx = self.call_ctx(id, self.trace_limits(&opts.tracing_options)?)?;
        let mut db = revm::database::CacheDB::new(ctx.state.clone());
        if let Some(overrides) = opts.state_overrides.clone() {
            alloy_evm::overrides::apply_state_overrides(overrides, &mut db).map_err(inv)?;
        }
        let (mut inspector, is_call) = Self::trace_options_inspector(&opts.tracing_options)?;
        let result = ctx.run_with(&mut db, request, None, &mut inspector)?.result;
        Self::finish_trace(inspector, &opts.tracing_options, is_call, &result)
    }

    fn proof(
        &self,
        address: Address,
        keys: Vec<JsonStorageKey>,
        id: Option<BlockId>,
    ) -> RpcResult<EIP1186AccountProofResponse> {
        if keys.len() > self.config.max_proof_keys {
            return Err(RpcError::invalid(format!(
                "too many storage keys: {}, limit {}",
                keys.len(),
                self.config.max_proof_keys
            )));
        }
        let number = self.resolve(id)?;
        let slots: Vec<B256> = keys.iter().map(|key| key.as_b256()).collect();
        let proof = self.store().proof(&address, &slots, number)?;
        let storage_hash = proof.storage_root();
        let (nonce, balance, code_hash) = match proof.account {
            Some(a) => (a.nonce, a.balance, a.code_hash),
            None => (0, U256::ZERO, revm::primitives::KECCAK_EMPTY),
        };
        let storage_proof = keys
            .into_iter()
            .zip(proof.storage)
            .map(|(key, slot)| EIP1186StorageProof { key, value: slot.value, proof: slot.proof })
            .collect();
        Ok(EIP1186AccountProofResponse {
            address,
            balance,
            code_hash,
            nonce,
            storage_hash,
            account_proof: proof.account_proof,
            storage_proof,
        })
    }

    /// `eth_sendTransaction` for dev accounts whose keys the node holds (as anvil does).
    fn send_transaction(&self, mut request: TransactionRequest) -> RpcResult<B256> {
        let from = request.from.ok_or_else(|| RpcError::invalid("missing from"))?;
        let signer = self
            .dev_signers
            .iter()
            .find(|s| s.address() == from)
            .ok_or_else(|| RpcError::Execution("unknown account".into()))?;
        let state = self.state(None)?;
        let state_nonce = state.account(&from)?.map(|a| a.nonce).unwrap_or_default();
        let nonce = request.nonce.unwrap_or_else(|| self.seq.pool().pending_nonce(&from, state_nonce));
        request.nonce = Some(nonce);
        let gas = match request.gas {
            Some(gas) => gas,
            None => self.call_ctx(None, self.call_limits())?.estimate_gas(request.clone(), None)?,
        };
        let base_fee = self.seq.next_base_fee() as u128;
        let tip = request.max_priority_fee_per_gas.unwrap_or(SUGGESTED_TIP);
        let mut tx = TxEip1559 {
            chain_id: self.seq.chain().chain_id,
            nonce,
            gas_limit: gas,
            max_fee_per_gas: request.max_fee_per_gas.or(request.gas_price).unwrap_or(base_fee * 2 + tip),
            max_priority_fee_per_gas: tip,
            to: request.to.unwrap_or(TxKind::Create),
            value: request.value.unwrap_or_default(),
            access_list: request.access_list.clone().unwrap_or_default(),
            input: request.input.input().cloned().unwrap_or_default(),
        };
        let signature = signer.sign_transaction_sync(&mut tx).map_err(RpcError::internal)?;
        let envelope = OpTxEnvelope::from(tx.into_signed(signature));
        self.submit_raw(envelope.encoded_2718().into())
    }
}

/// geth's cap on `eth_feeHistory`'s block count (more is clamped, not refused).
const MAX_FEE_HISTORY_BLOCKS: u64 = 1024;
/// geth's cap on `eth_feeHistory`'s reward percentiles.
const MAX_REWARD_PERCENTILES: usize = 100;

/// What one `eth_getFilterChanges` poll has to report.
#[allow(clippy::large_enum_variant)] // one short-lived value per poll: boxing the filter buys nothing
enum FilterPoll {
    Blocks(u64),
    Logs(Filter, u64),
    Hashes(Vec<B256>),
}

macro_rules! params {
    ($params:expr; $($name:ident : $ty:ty),* ; $($opt:ident : $oty:ty),*) => {
        let mut seq = $params.sequence();
        $( let $name: $ty = seq.next().map_err(|e| inv(e.message()))?; )*
        $( let $opt: Option<$oty> = seq.optional_next().map_err(|e| inv(e.message()))?; )*
    };
}

/// The `eth_*`, `net_*`, `web3_*`, `debug_*`, `txpool_*`, `bai_*` and dev methods.
pub(crate) fn module(ctx: RpcCtx) -> anyhow::Result<RpcModule<RpcCtx>> {
    let chain_id = ctx.seq.chain().chain_id;
    let forwards = !ctx.sequencer_clients.is_empty();
    let mut m = RpcModule::new(ctx);

    // ---- chain and node info ----
    method(&mut m, "eth_chainId", move |_, _| Ok(U64::from(chain_id)))?;
    method(&mut m, "net_version", move |_, _| Ok(chain_id.to_string()))?;
    method(&mut m, "net_listening", |_, _| Ok(true))?;
    method(&mut m, "net_peerCount", |_, _| Ok(U64::ZERO))?;
    method(&mut m, "web3_clientVersion", |_, _| Ok(bai_runtime::client_version()))?;
    method(&mut m, "web3_sha3", |p, _| {
        params!(p; data: Bytes;);
        Ok(keccak256(data))
    })?;
    method(&mut m, "eth_blockNumber", |_, ctx| Ok(U64::from(ctx.head())))?;
    method(&mut m, "eth_syncing", |_, _| Ok(false))?;
    method(&mut m, "eth_accounts", |_, ctx| Ok(ctx.dev_signers.iter().map(|s| s.address()).collect::<Vec<_>>()))?;
    method(&mut m, "eth_gasPrice", |_, ctx| Ok(U256::from(ctx.seq.next_base_fee() as u128 + SUGGESTED_TIP)))?;
    method(&mut m, "eth_maxPriorityFeePerGas", |_, _| Ok(U256::from(SUGGESTED_TIP)))?;
    method(&mut m, "eth_blobBaseFee", |_, _| Ok(U256::from(1)))?;
    blocking(&mut m, "eth_feeHistory", |p, ctx| {
        params!(p; count: U64, newest: BlockNumberOrTag; percentiles: Vec<f64>);
        ctx.fee_history(count.to(), newest, percentiles)
    })?;

    // ---- state ----
    method(&mut m, "eth_getBalance", |p, ctx| {
        params!(p; address: Address; block: BlockId);
        Ok(ctx.state(block)?.account(&address)?.map(|a| a.balance).unwrap_or_default())
    })?;
    method(&mut m, "eth_getTransactionCount", |p, ctx| {
        params!(p; address: Address; block: BlockId);
        let pending = matches!(block, Some(BlockId::Number(BlockNumberOrTag::Pending)));
        let nonce = ctx.state(block)?.account(&address)?.map(|a| a.nonce).unwrap_or_default();
        Ok(U64::from(if pending { ctx.seq.pool().pending_nonce(&address, nonce) } else { nonce }))
    })?;
    method(&mut m, "eth_getCode", |p, ctx| {
        params!(p; address: Address; block: BlockId);
        Ok(ctx.state(block)?.code(&address)?.map(|c| c.original_bytes()).unwrap_or_default())
    })?;
    method(&mut m, "eth_getStorageAt", |p, ctx| {
        params!(p; address: Address, slot: JsonStorageKey; block: BlockId);
        Ok(B256::from(ctx.state(block)?.storage_value(&address, &slot.as_b256())?))
    })?;
    blocking(&mut m, "eth_getProof", |p, ctx| {
        params!(p; address: Address, keys: Vec<JsonStorageKey>; block: BlockId);
        ctx.proof(address, keys, block)
    })?;

    // ---- execution ----
    inline_first(&mut m, "eth_call", |p, ctx, inline| {
        params!(p; request: TransactionRequest; block: BlockId, overrides: StateOverride);
        ctx.call_ctx(block, ExecutionLimits { inline, ..ctx.call_limits() })?.call(request, overrides)
    })?;
    blocking(&mut m, "eth_estimateGas", |p, ctx| {
        params!(p; request: TransactionRequest; block: BlockId, overrides: StateOverride);
        Ok(U64::from(ctx.call_ctx(block, ctx.call_limits())?.estimate_gas(request, overrides)?))
    })?;
    blocking(&mut m, "eth_createAccessList", |p, ctx| {
        params!(p; request: TransactionRequest; block: BlockId);
        let (access_list, gas_used, error) = ctx.call_ctx(block, ctx.call_limits())?.create_access_list(request)?;
        Ok(alloy::rpc::types::AccessListResult { access_list, gas_used: U256::from(gas_used), error })
    })?;

    // ---- transactions ----
    if forwards {
        // A replica: the sequencer decides, and its answer (a hash, a receipt, or an error with geth's
        // code and message) is the caller's answer.
        for name in ["eth_sendRawTransaction", "eth_sendRawTransactionSync"] {
            m.register_async_method(name, move |p, ctx, _| async move {
                let started = Instant::now();
                let result = async {
                    let params: Vec<serde_json::Value> = p.parse().map_err(|e| inv(e.message()))?;
                    ctx.forward_to_sequencer(name, params).await
                }
                .await;
                finish(name, started, result)
            })?;
        }
    } else {
        register_local_submission(&mut m)?;
    }
    blocking(&mut m, "eth_sendTransaction", |p, ctx| {
        params!(p; request: TransactionRequest;);
        ctx.send_transaction(request)
    })?;
    method(&mut m, "eth_getTransactionByHash", |p, ctx| {
        params!(p; hash: B256;);
        if let Some(location) = ctx.store().tx_location(&hash)? {
            return ctx.tx_by_location(location.block_number, location.index as usize);
        }
        Ok(ctx.seq.pool().get(&hash).map(|pooled| convert::pending_transaction(&pooled)))
    })?;
    method(&mut m, "eth_getTransactionByBlockHashAndIndex", |p, ctx| {
        params!(p; hash: B256, index: U64;);
        let number = ctx.resolve(Some(BlockId::from(hash)))?;
        ctx.tx_by_location(number, index.to())
    })?;
    method(&mut m, "eth_getTransactionByBlockNumberAndIndex", |p, ctx| {
        params!(p; block: BlockNumberOrTag, index: U64;);
        let number = ctx.resolve(Some(BlockId::Number(block)))?;
        ctx.tx_by_location(number, index.to())
    })?;
    method(&mut m, "eth_getTransactionReceipt", |p, ctx| {
        params!(p; hash: B256;);
        let Some(location) = ctx.store().tx_location(&hash)? else { return Ok(None) };
        let block = ctx.block(location.block_number)?;
        let (receipts, meta) = ctx.receipts_with_meta(location.block_number)?;
        convert::rpc_receipt(&block, &receipts, &meta, location.index as usize)
    })?;
    method(&mut m, "eth_getBlockReceipts", |p, ctx| {
        params!(p; block: BlockId;);
        let Ok(number) = ctx.resolve(Some(block)) else { return Ok(None) };
        Ok(Some(ctx.rpc_receipts(&ctx.block(number)?)?))
    })?;

    // ---- blocks ----
    method(&mut m, "eth_getBlockByNumber", |p, ctx| {
        params!(p; block: BlockNumberOrTag; full: bool);
        let Ok(number) = ctx.resolve(Some(BlockId::Number(block))) else { return Ok(None::<RpcBlock>) };
        Ok(Some(convert::rpc_block(ctx.store(), ctx.block(number)?, full.unwrap_or(false))?))
    })?;
    method(&mut m, "eth_getBlockByHash", |p, ctx| {
        params!(p; hash: B256; full: bool);
        let Some(number) = ctx.store().block_number(&hash)? else { return Ok(None::<RpcBlock>) };
        Ok(Some(convert::rpc_block(ctx.store(), ctx.block(number)?, full.unwrap_or(false))?))
    })?;
    method(&mut m, "eth_getBlockTransactionCountByNumber", |p, ctx| {
        params!(p; block: BlockNumberOrTag;);
        let Ok(number) = ctx.resolve(Some(BlockId::Number(block))) else { return Ok(None) };
        Ok(Some(U64::from(ctx.block(number)?.transactions.len())))
    })?;
    method(&mut m, "eth_getBlockTransactionCountByHash", |p, ctx| {
        params!(p; hash: B256;);
        let Some(number) = ctx.store().block_number(&hash)? else { return Ok(None) };
        Ok(Some(U64::from(ctx.block(number)?.transactions.len())))
    })?;
    method(&mut m, "eth_getUncleCountByBlockNumber", |_, _| Ok(U64::ZERO))?;
    method(&mut m, "eth_getUncleCountByBlockHash", |_, _| Ok(U64::ZERO))?;

    // ---- logs and filters ----
    blocking(&mut m, "eth_getLogs", |p, ctx| {
        params!(p; filter: Filter;);
        ctx.get_logs(&filter)
    })?;
    method(&mut m, "eth_newFilter", |p, ctx| {
        params!(p; filter: Filter;);
        ctx.filter_range(&filter)?;
        Ok(ctx.filters.install(FilterKind::Logs(Box::new(filter)), ctx.head() + 1)?)
    })?;
    method(&mut m, "eth_newBlockFilter", |_, ctx| Ok(ctx.filters.install(FilterKind::Blocks, ctx.head() + 1)?))?;
    method(&mut m, "eth_newPendingTransactionFilter", |_, ctx| {
        Ok(ctx.filters.install(FilterKind::PendingTransactions(ctx.seq.pool().subscribe()), ctx.head() + 1)?)
    })?;
    method(&mut m, "eth_uninstallFilter", |p, ctx| {
        params!(p; id: U256;);
        Ok(ctx.filters.uninstall(&id))
    })?;
    blocking(&mut m, "eth_getFilterChanges", |p, ctx| {
        params!(p; id: U256;);
        let head = ctx.head();
        // The block cursor moves only once the poll's answer is ready: a poll that fails (a range
        // over the log limit, a storage error) reports the same blocks again next time.
        let poll = ctx.filters.with(&id, |filter| {
            let from = filter.next_block;
            if !matches!(filter.kind, FilterKind::Logs(_)) {
                filter.next_block = head + 1;
            }
            match &mut filter.kind {
                FilterKind::Blocks => FilterPoll::Blocks(from),
                FilterKind::Logs(f) => FilterPoll::Logs((**f).clone(), from),
                FilterKind::PendingTransactions(rx) => {
                    let mut hashes = Vec::new();
                    loop {
                        match rx.try_recv() {
                            Ok(hash) => hashes.push(hash),
                            Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => continue,
                            Err(_) => break,
                        }
                    }
                    FilterPoll::Hashes(hashes)
                }
            }
        });
        match poll.ok_or_else(|| RpcError::NotFound("filter not found".into()))? {
            FilterPoll::Hashes(hashes) => Ok(FilterChanges::<Log>::Hashes(hashes)),
            FilterPoll::Blocks(from) => {
                let hashes = (from..=head).filter_map(|n| ctx.store().block_hash(n).ok().flatten()).collect();
                Ok(FilterChanges::Hashes(hashes))
            }
            FilterPoll::Logs(filter, from) => {
                let to = filter.get_to_block().map(|b| b.min(head)).unwrap_or(head);
                let from = from.max(filter.get_from_block().unwrap_or(0));
                let logs = if from > to { Vec::new() } else { ctx.logs_in_range(&filter, from, to)? };
                ctx.filters.with(&id, |f| f.next_block = f.next_block.max(head + 1));
                Ok(FilterChanges::Logs(logs))
            }
        }
    })?;
    blocking(&mut m, "eth_getFilterLogs", |p, ctx| {
        params!(p; id: U256;);
        let filter = ctx.filters.with(&id, |f| match &f.kind {
            FilterKind::Logs(filter) => Some((**filter).clone()),
            _ => None,
        });
        match filter {
            Some(Some(filter)) => ctx.get_logs(&filter),
            Some(None) => Err(RpcError::invalid("filter is not a log filter")),
            None => Err(RpcError::NotFound("filter not found".into())),
        }
    })?;

    // ---- tracing ----
    traced(&mut m, "debug_traceTransaction", |p, ctx| {
        params!(p; hash: B256; opts: GethDebugTracingOptions);
        ctx.trace_transaction(hash, opts.unwrap_or_default())
    })?;
    traced(&mut m, "debug_traceCall", |p, ctx| {
        params!(p; request: TransactionRequest; block: BlockId, opts: GethDebugTracingCallOptions);
        ctx.trace_call(request, block, opts.unwrap_or_default())
    })?;
    traced(&mut m, "bai_inferenceCalls", |p, ctx| {
        params!(p; hash: B256;);
        ctx.inference_calls(hash)
    })?;

    // ---- txpool ----
    method(&mut m, "txpool_status", |_, ctx| {
        let status = ctx.seq.pool().status();
        Ok(serde_json::json!({ "pending": U64::from(status.pending), "queued": U64::from(status.queued) }))
    })?;
    // Copies and converts the whole pool: off the async workers.
    blocking(&mut m, "txpool_content", |_, ctx| {
        let (pending, queued) = ctx.seq.pool().content();
        let group = |txs: Vec<Arc<bai_pool::PooledTx>>| {
            let mut out: BTreeMap<Address, BTreeMap<String, Transaction>> = BTreeMap::new();
            for tx in txs {
                out.entry(tx.sender).or_default().insert(tx.nonce.to_string(), convert::pending_transaction(&tx));
            }
            out
        };
        Ok(serde_json::json!({ "pending": group(pending), "queued": group(queued) }))
    })?;

    // ---- BalanceAI ----
    blocking(&mut m, "bai_listModels", |_, ctx| ctx.list_models())?;
    // Every supervised task and whether the critical ones run (also `GET /health`).
    method(&mut m, "bai_health", |_, ctx| {
        Ok(match &ctx.config.health {
            Some(health) => health.report(),
            None => bai_runtime::HealthReport { healthy: true, tasks: Vec::new() },
        })
    })?;
    // Where the inference challenger stands and the block it cannot check, if any (null: not running).
    method(&mut m, "bai_inferenceChallengerStatus", |_, ctx| {
        Ok(ctx.config.inference_challenger.as_ref().map(|status| status.get()))
    })?;
    // A sequencer cluster member: leader or standby, the leader, the fencing token (null: not a member).
    method(&mut m, "bai_conductorStatus", |_, ctx| Ok(ctx.config.cluster_status.as_ref().map(|status| (status.0)())))?;
    method(&mut m, "debug_getRawBlock", |p, ctx| {
        params!(p; id: BlockId;);
        let number = ctx.resolve(Some(id))?;
        raw_block(&ctx.block(number)?)
    })?;

    // ---- dev ----
    // Builds and commits a block (EVM execution, state root, an fsync): off the async workers.
    blocking(&mut m, "evm_mine", |_, ctx| {
        ctx.seq.build_block().map_err(RpcError::internal)?;
        Ok("0x0".to_string())
    })?;

    Ok(m)
}

/// `debug_getRawBlock`: the block RLP (header, transactions, no ommers, empty withdrawals).
fn raw_block(block: &StoredBlock) -> RpcResult<Bytes> {
    use alloy::rlp::Encodable;
    let transactions = block.transactions.iter().map(|raw| decode_tx(raw)).collect::<RpcResult<Vec<_>>>()?;
    let body = alloy::consensus::BlockBody::<OpTxEnvelope> {
        transactions,
        ommers: vec![],
        withdrawals: Some(Default::default()),
    };
    let full = alloy::consensus::Block { header: block.header.clone(), body };
    let mut out = Vec::new();
    full.encode(&mut out);
    Ok(out.into())
}

/// `eth_sendRawTransaction` and `eth_sendRawTransactionSync` into this node's own pool.
fn register_local_submission(m: &mut RpcModule<RpcCtx>) -> anyhow::Result<()> {
    method(m, "eth_sendRawTransaction", |p, ctx| {
        params!(p; raw: Bytes;);
        ctx.submit_raw(raw)
    })?;
    m.register_async_method("eth_sendRawTransactionSync", |p, ctx, _| async move {
        let started = Instant::now();
        let result: RpcResult<OpTransactionReceipt> = async {
            params!(p; raw: Bytes; timeout_ms: u64);
            let mut blocks = ctx.seq.subscribe_blocks();
            let hash = ctx.submit_raw(raw)?;
            let timeout = Duration::from_millis(timeout_ms.unwrap_or(10_000).min(60_000));
            let deadline = tokio::time::Instant::now() + timeout;
            loop {
                if let Some(location) = ctx.store().tx_location(&hash)? {
                    let block = ctx.block(location.block_number)?;
                    return ctx
                        .rpc_receipts(&block)?
                        .into_iter()
                        .nth(location.index as usize)
                        .ok_or_else(|| RpcError::internal("receipt missing"));
                }
                match tokio::time::timeout_at(deadline, blocks.recv()).await {
                    Ok(_) => continue,
                    Err(_) => {
                        return Err(RpcError::ReceiptTimeout { hash, millis: timeout.as_millis() });
                    }
                }
            }
        }
        .await;
        finish("eth_sendRawTransactionSync", started, result)
    })?;
    Ok(())
}
