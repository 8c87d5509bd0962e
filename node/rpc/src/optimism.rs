//! The `optimism_*` namespace op-node serves, so OP tooling (viem's OP Stack actions, proposers,
//! dashboards) can ask a BalanceAI node where it stands: `optimism_syncStatus`,
//! `optimism_outputAtBlock` and `optimism_version`.

use super::{
    ctx::{RpcCtx, method},
    error::{RpcError, RpcResult},
};
use alloy::{eips::BlockNumberOrTag, primitives::B256};
use bai_bridge::{L1BlockRef, SyncStatus};
use bai_evm::L1Info;
use jsonrpsee::RpcModule;
use serde::Serialize;

/// Where the RPC reads the node's sync status from (the verifier's derivation, or the sequencer's
/// L1 watcher and batcher).
#[derive(Clone)]
pub struct SyncView(pub std::sync::Arc<dyn Fn() -> SyncStatus + Send + Sync>);

impl std::fmt::Debug for SyncView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncView")
    }
}

/// An L2 block as op-node reports it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct L2BlockRef {
    hash: B256,
    number: u64,
    parent_hash: B256,
    timestamp: u64,
    #[serde(rename = "l1origin")]
    l1_origin: BlockId,
    sequence_number: u64,
}

#[derive(Debug, Clone, Serialize)]
struct BlockId {
    hash: B256,
    number: u64,
}

#[derive(Debug, Clone, Serialize)]
struct SyncStatusJson {
    current_l1: L1BlockRef,
    head_l1: L1BlockRef,
    safe_l1: L1BlockRef,
    finalized_l1: L1BlockRef,
    unsafe_l2: L2BlockRef,
    safe_l2: L2BlockRef,
    finalized_l2: L2BlockRef,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct OutputResponse {
    version: B256,
    output_root: B256,
    block_ref: L2BlockRef,
    withdrawal_storage_root: B256,
    state_root: B256,
    sync_status: SyncStatusJson,
}

impl RpcCtx {
    /// The node's sync status from its [`SyncView`]; without one (no L1), every block up to the
    /// head counts as safe and finalized.
    pub fn sync_status(&self) -> SyncStatus {
        match &self.config.sync {
            Some(view) => (view.0)(),
            None => {
                let head = self.head();
                SyncStatus { safe_l2: head, finalized_l2: head, ..Default::default() }
            }
        }
    }

    fn l2_ref(&self, number: u64) -> RpcResult<L2BlockRef> {
        let block =
            self.store().block(number)?.ok_or_else(|| RpcError::NotFound(format!("block {number} not found")))?;
        let origin = L1Info::from_block_transactions(&block.transactions);
        Ok(L2BlockRef {
            hash: block.hash,
            number,
            parent_hash: block.header.parent_hash,
            timestamp: block.header.timestamp,
            l1_origin: BlockId {
                hash: origin.as_ref().map(|o| o.hash).unwrap_or_default(),
                number: origin.as_ref().map(|o| o.number).unwrap_or_default(),
            },
            sequence_number: origin.map(|o| o.sequence_number).unwrap_or_default(),
        })
    }

    fn sync_status_json(&self) -> RpcResult<SyncStatusJson> {
        let status = self.sync_status();
        let head = self.head();
        Ok(SyncStatusJson {
            current_l1: status.current_l1,
            head_l1: status.head_l1,
            safe_l1: status.current_l1,
            finalized_l1: status.finalized_l1,
            unsafe_l2: self.l2_ref(head)?,
            safe_l2: self.l2_ref(status.safe_l2.min(head))?,
            finalized_l2: self.l2_ref(status.finalized_l2.min(head))?,
        })
    }

    fn output_at(&self, number: u64) -> RpcResult<OutputResponse> {
        let header =
            self.store().header(number)?.ok_or_else(|| RpcError::NotFound(format!("block {number} not found")))?;
        let block_ref = self.l2_ref(number)?;
        let withdrawal_storage_root = header.withdrawals_root.unwrap_or_default();
        Ok(OutputResponse {
            version: B256::ZERO,
            output_root: bai_prover::output_root(header.state_root, withdrawal_storage_root, block_ref.hash),
            block_ref,
            withdrawal_storage_root,
            state_root: header.state_root,
            sync_status: self.sync_status_json()?,
        })
    }
}

pub(crate) fn register(m: &mut RpcModule<RpcCtx>) -> anyhow::Result<()> {
    method(m, "optimism_syncStatus", |_, ctx| ctx.sync_status_json())?;
    method(m, "optimism_outputAtBlock", |p, ctx| {
        let tag: BlockNumberOrTag = p.one().map_err(|e| RpcError::invalid(e.message()))?;
        let number = ctx.resolve(Some(tag.into()))?;
        ctx.output_at(number)
    })?;
    method(m, "optimism_version", |_, _| Ok(bai_runtime::client_version()))?;
    Ok(())
}
