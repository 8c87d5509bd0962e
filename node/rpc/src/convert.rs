//! Stored blocks, transactions and receipts turned into the RPC types op-reth serves
//! (alloy / op-alloy types, so OP-aware clients see the fields they expect).

use super::error::{RpcError, RpcResult};
use alloy::{
    consensus::{Transaction as _, TxReceipt, transaction::Recovered},
    eips::Decodable2718,
    primitives::{B256, U256},
    rpc::types::{Block, BlockTransactions, Header as RpcHeader, Log, TransactionReceipt},
};
use bai_storage::{BlockMeta, Store, StoredBlock};
use op_alloy::{
    consensus::{OpReceipt, OpReceiptEnvelope, OpTxEnvelope},
    rpc_types::{L1BlockInfo, OpTransactionReceipt, Transaction},
};

pub(crate) type RpcBlock = Block<Transaction, RpcHeader>;

pub(crate) fn decode_tx(raw: &[u8]) -> RpcResult<OpTxEnvelope> {
    OpTxEnvelope::decode_2718_exact(raw).map_err(|e| RpcError::internal(format!("stored transaction: {e}")))
}

pub(crate) fn decode_receipt(raw: &[u8]) -> RpcResult<OpReceiptEnvelope> {
    OpReceiptEnvelope::decode_2718_exact(raw).map_err(|e| RpcError::internal(format!("stored receipt: {e}")))
}

pub(crate) fn rpc_header(block: &StoredBlock) -> RpcHeader {
    let size = alloy_rlp::Encodable::length(&block.header) + block.transactions.iter().map(|t| t.len()).sum::<usize>();
    RpcHeader {
        hash: block.hash,
        inner: block.header.clone(),
        total_difficulty: Some(U256::ZERO),
        size: Some(U256::from(size)),
    }
}

/// A transaction as `eth_getTransactionBy*` returns it.
pub(crate) fn rpc_transaction(
    block: &StoredBlock,
    index: usize,
    tx: OpTxEnvelope,
    receipt: Option<&OpReceiptEnvelope>,
) -> Transaction {
    let base_fee = block.header.base_fee_per_gas;
    let effective_gas_price = if tx.is_deposit() { 0 } else { tx.effective_gas_price(base_fee) };
    let (deposit_nonce, deposit_receipt_version) = match receipt {
        Some(OpReceiptEnvelope::Deposit(r)) => (r.receipt.deposit_nonce, r.receipt.deposit_receipt_version),
        _ => (None, None),
    };
    Transaction {
        inner: alloy::rpc::types::Transaction {
            inner: Recovered::new_unchecked(tx, block.senders[index]),
            block_hash: Some(block.hash),
            block_number: Some(block.header.number),
            transaction_index: Some(index as u64),
            effective_gas_price: Some(effective_gas_price),
            block_timestamp: Some(block.header.timestamp),
        },
        deposit_nonce,
        deposit_receipt_version,
    }
}

pub(crate) fn rpc_block(store: &Store, block: StoredBlock, full: bool) -> RpcResult<RpcBlock> {
    let header = rpc_header(&block);
    let transactions = if full {
        let receipts = store.receipts(block.header.number)?.unwrap_or_default();
        let mut txs = Vec::with_capacity(block.transactions.len());
        for (index, raw) in block.transactions.iter().enumerate() {
            let receipt = receipts.get(index).map(|r| decode_receipt(r)).transpose()?;
            txs.push(rpc_transaction(&block, index, decode_tx(raw)?, receipt.as_ref()));
        }
        BlockTransactions::Full(txs)
    } else {
        let mut hashes = Vec::with_capacity(block.transactions.len());
        for raw in &block.transactions {
            hashes.push(alloy::primitives::keccak256(raw));
        }
        BlockTransactions::Hashes(hashes)
    };
    Ok(Block { header, uncles: vec![], transactions, withdrawals: Some(Default::default()) })
}

/// Receipts of a block in RPC form, with per-log positions and the OP L1 fee fields.
pub(crate) fn rpc_receipts(
    block: &StoredBlock,
    receipts: &[OpReceiptEnvelope],
    meta: &BlockMeta,
) -> RpcResult<Vec<OpTransactionReceipt>> {
    let mut out = Vec::with_capacity(receipts.len());
    let mut first_log_index = 0u64;
    for index in 0..receipts.len().min(block.transactions.len()) {
        out.push(rpc_receipt_at(block, receipts, meta, index, first_log_index)?);
        first_log_index += receipts[index].logs().len() as u64;
    }
    Ok(out)
}

/// The RPC receipt of transaction `index` alone (`eth_getTransactionReceipt`): a block's other
/// transactions are not converted, only its earlier receipts' logs counted.
pub(crate) fn rpc_receipt(
    block: &StoredBlock,
    receipts: &[OpReceiptEnvelope],
    meta: &BlockMeta,
    index: usize,
) -> RpcResult<Option<OpTransactionReceipt>> {
    if index >= receipts.len().min(block.transactions.len()) {
        return Ok(None);
    }
    let first_log_index = receipts[..index].iter().map(|r| r.logs().len() as u64).sum();
    rpc_receipt_at(block, receipts, meta, index, first_log_index).map(Some)
}

/// The RPC receipt of transaction `index`, whose first log has block-wide index `first_log_index`.
fn rpc_receipt_at(
    block: &StoredBlock,
    receipts: &[OpReceiptEnvelope],
    meta: &BlockMeta,
    index: usize,
    first_log_index: u64,
) -> RpcResult<OpTransactionReceipt> {
    let base_fee = block.header.base_fee_per_gas;
    let raw_tx = &block.transactions[index];
    let receipt = &receipts[index];
    let previous_cumulative = index.checked_sub(1).map_or(0, |i| receipts[i].cumulative_gas_used());
    let mut log_index = first_log_index;
    let tx = decode_tx(raw_tx)?;
    let tx_hash = alloy::primitives::keccak256(raw_tx);
    let sender = block.senders[index];
    let cumulative = receipt.cumulative_gas_used();
    let gas_used = cumulative - previous_cumulative;
    let bloom = receipt.bloom();
    let op_receipt: OpReceipt = receipt.clone().into();
    let op_receipt = op_receipt.map_logs(|inner| {
        log_index += 1;
        positioned_log(inner, block, tx_hash, index, log_index - 1)
    });
    let contract_address = if tx.kind().is_create() {
        let nonce = match receipt {
            OpReceiptEnvelope::Deposit(r) => r.receipt.deposit_nonce.unwrap_or_default(),
            _ => tx.nonce(),
        };
        Some(sender.create(nonce))
    } else {
        None
    };
    let is_deposit = tx.is_deposit();
    let tx_meta = meta.txs.get(index).cloned().unwrap_or_default();
    let l1_block_info = if is_deposit {
        L1BlockInfo::default()
    } else {
        L1BlockInfo {
            l1_gas_price: Some(meta.l1_base_fee.saturating_to()),
            l1_gas_used: Some(tx_meta.l1_gas_used.saturating_to()),
            l1_fee: Some(tx_meta.l1_fee.saturating_to()),
            l1_fee_scalar: None,
            l1_base_fee_scalar: Some(meta.l1_base_fee_scalar.saturating_to()),
            l1_blob_base_fee: Some(meta.l1_blob_base_fee.saturating_to()),
            l1_blob_base_fee_scalar: Some(meta.l1_blob_base_fee_scalar.saturating_to()),
            operator_fee_scalar: None,
            operator_fee_constant: None,
            ..Default::default()
        }
    };
    Ok(OpTransactionReceipt {
        inner: TransactionReceipt {
            inner: alloy::consensus::ReceiptWithBloom { receipt: op_receipt, logs_bloom: bloom },
            transaction_hash: tx_hash,
            transaction_index: Some(index as u64),
            block_hash: Some(block.hash),
            block_number: Some(block.header.number),
            gas_used,
            effective_gas_price: if is_deposit { 0 } else { tx.effective_gas_price(base_fee) },
            blob_gas_used: None,
            blob_gas_price: None,
            from: sender,
            to: tx.to(),
            contract_address,
        },
        l1_block_info,
        op_gas_refund: None,
    })
}

/// All logs of a block, positioned, for `eth_getLogs`, filters and subscriptions.
pub(crate) fn block_logs(block: &StoredBlock, receipts: &[OpReceiptEnvelope]) -> Vec<Log> {
    let mut logs = Vec::new();
    let mut log_index = 0u64;
    for (index, (raw_tx, receipt)) in block.transactions.iter().zip(receipts).enumerate() {
        let tx_hash = alloy::primitives::keccak256(raw_tx);
        for inner in receipt.logs() {
            logs.push(positioned_log(inner.clone(), block, tx_hash, index, log_index));
            log_index += 1;
        }
    }
    logs
}

/// A log with its position in the chain.
fn positioned_log(
    inner: alloy::primitives::Log,
    block: &StoredBlock,
    tx_hash: B256,
    index: usize,
    log_index: u64,
) -> Log {
    Log {
        inner,
        block_hash: Some(block.hash),
        block_number: Some(block.header.number),
        block_timestamp: Some(block.header.timestamp),
        transaction_hash: Some(tx_hash),
        transaction_index: Some(index as u64),
        log_index: Some(log_index),
        removed: false,
    }
}

/// A transaction still in the pool (no block yet).
pub(crate) fn pending_transaction(pooled: &bai_pool::PooledTx) -> Transaction {
    Transaction {
        inner: alloy::rpc::types::Transaction {
            inner: Recovered::new_unchecked((*pooled.tx).clone(), pooled.sender),
            block_hash: None,
            block_number: None,
            transaction_index: None,
            effective_gas_price: None,
            block_timestamp: None,
        },
        deposit_nonce: None,
        deposit_receipt_version: None,
    }
}
