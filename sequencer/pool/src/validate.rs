//! Stateless checks: size, decoding, type, chain id, signature, gas limits and fee fields.

use crate::{PoolConfig, PoolError, pool::PooledTx};
use alloy::{
    consensus::{Transaction, transaction::SignerRecoverable},
    eips::{Decodable2718, Typed2718},
    primitives::{Bytes, U256},
};
use op_alloy::consensus::OpTxEnvelope;
use revm::{context_interface::cfg::gas::calculate_initial_tx_gas, primitives::hardfork::SpecId};
use std::sync::Arc;

/// Chain facts the stateless checks need.
#[derive(Debug, Clone, Copy)]
pub struct ChainRules {
    /// The chain's EIP-155 id; transactions for another chain are refused.
    pub chain_id: u64,
    /// Gas limit of a block; a transaction above it is refused.
    pub block_gas_limit: u64,
    /// The EVM spec at the head, for intrinsic and floor gas.
    pub spec: SpecId,
}

/// Decodes, recovers and checks a raw transaction without looking at state.
pub fn validate_raw(raw: Bytes, rules: &ChainRules, config: &PoolConfig) -> Result<PooledTx, PoolError> {
    if raw.len() > config.max_tx_size {
        return Err(PoolError::OversizedData { size: raw.len(), limit: config.max_tx_size });
    }
    let tx = OpTxEnvelope::decode_2718_exact(&raw).map_err(|e| PoolError::Decode(e.to_string()))?;
    if tx.is_deposit() {
        return Err(PoolError::TxTypeNotSupported);
    }
    match tx.chain_id() {
        None => return Err(PoolError::UnprotectedTransaction),
        Some(id) if id != rules.chain_id => {
            return Err(PoolError::InvalidChainId { have: id, want: rules.chain_id });
        }
        Some(_) => {}
    }
    let sender = tx.recover_signer().map_err(|e| PoolError::InvalidSender(e.to_string()))?;
    if tx.gas_limit() > rules.block_gas_limit {
        return Err(PoolError::ExceedsBlockGasLimit);
    }
    let (accounts, slots) = tx
        .access_list()
        .map(|list| (list.len() as u64, list.iter().map(|item| item.storage_keys.len() as u64).sum()))
        .unwrap_or_default();
    let auth = tx.authorization_list().map_or(0, |list| list.len() as u64);
    let gas = calculate_initial_tx_gas(rules.spec, tx.input(), tx.kind().is_create(), accounts, slots, auth);
    if tx.gas_limit() < gas.initial_total_gas {
        return Err(PoolError::IntrinsicGasTooLow { gas: tx.gas_limit(), needed: gas.initial_total_gas });
    }
    if tx.gas_limit() < gas.floor_gas {
        return Err(PoolError::FloorDataGas { gas: tx.gas_limit(), needed: gas.floor_gas });
    }
    let max_fee = tx.max_fee_per_gas();
    let tip = tx.max_priority_fee_per_gas().unwrap_or(max_fee);
    if tip > max_fee {
        return Err(PoolError::TipAboveFeeCap);
    }
    if tip < config.min_priority_fee {
        return Err(PoolError::Underpriced { tip, minimum: config.min_priority_fee });
    }
    if tx.ty() == 4 && auth == 0 {
        return Err(PoolError::Decode("EIP-7702 transaction with empty authorization list".into()));
    }
    let max_cost = U256::from(tx.gas_limit()) * U256::from(max_fee) + tx.value();
    Ok(PooledTx {
        hash: tx.tx_hash(),
        sender,
        nonce: tx.nonce(),
        gas_limit: tx.gas_limit(),
        max_fee,
        max_priority_fee: tip,
        max_cost,
        encoded: raw,
        tx: Arc::new(tx),
        submission: 0,
    })
}
