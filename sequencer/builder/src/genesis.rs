//! The genesis block: the chain spec's allocation committed as block 0.

use crate::SequencerError;
use alloy::{
    consensus::{EMPTY_OMMER_ROOT_HASH, Header},
    eips::eip7685::EMPTY_REQUESTS_HASH,
    primitives::{B256, Bytes, U256, keccak256},
};
use alloy_trie::EMPTY_ROOT_HASH;
use bai_chainspec::{ChainSpec, predeploys::L2_TO_L1_MESSAGE_PASSER};
use bai_storage::{BlockCommit, PreparedState, Store, StoredBlock};
use revm::{
    database::BundleState,
    state::{AccountInfo, Bytecode},
};

/// Holocene `extraData`: version 0, then the EIP-1559 denominator and elasticity (u32 each).
pub(crate) fn holocene_extra_data(chain: &ChainSpec) -> Bytes {
    let mut data = vec![0u8];
    data.extend_from_slice(&(chain.base_fee_params.max_change_denominator as u32).to_be_bytes());
    data.extend_from_slice(&(chain.base_fee_params.elasticity_multiplier as u32).to_be_bytes());
    data.into()
}

/// The state changes that create the genesis allocation.
pub(crate) fn genesis_bundle(chain: &ChainSpec) -> BundleState {
    let mut contracts = Vec::new();
    let state: Vec<_> = chain
        .alloc
        .iter()
        .map(|(address, account)| {
            let code = account.code.clone().filter(|c| !c.is_empty()).map(Bytecode::new_raw);
            let code_hash = code.as_ref().map_or(revm::primitives::KECCAK_EMPTY, |c| keccak256(c.original_bytes()));
            if let Some(code) = &code {
                contracts.push((code_hash, code.clone()));
            }
            let info = AccountInfo {
                balance: account.balance,
                nonce: account.nonce.unwrap_or_default(),
                code_hash,
                code,
                ..Default::default()
            };
            let storage: revm::primitives::HashMap<U256, (U256, U256)> = account
                .storage
                .iter()
                .flatten()
                .map(|(slot, value)| (U256::from_be_bytes(slot.0), (U256::ZERO, U256::from_be_bytes(value.0))))
                .collect();
            (*address, None, Some(info), storage)
        })
        .collect();
    BundleState::new(state, Vec::<Vec<(_, _, Vec<(U256, U256)>)>>::new(), contracts)
}

/// The genesis header for `chain` given its state root and message passer storage root.
pub fn genesis_header(chain: &ChainSpec, state_root: B256, message_passer_root: B256) -> Header {
    Header {
        parent_hash: B256::ZERO,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: bai_chainspec::predeploys::SEQUENCER_FEE_VAULT,
        state_root,
        transactions_root: EMPTY_ROOT_HASH,
        receipts_root: EMPTY_ROOT_HASH,
        number: 0,
        gas_limit: chain.gas_limit,
        gas_used: 0,
        timestamp: chain.genesis_timestamp,
        extra_data: holocene_extra_data(chain),
        base_fee_per_gas: Some(chain.genesis_base_fee),
        withdrawals_root: Some(if chain.is_isthmus() { message_passer_root } else { EMPTY_ROOT_HASH }),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(B256::ZERO),
        requests_hash: chain.is_isthmus().then_some(EMPTY_REQUESTS_HASH),
        ..Default::default()
    }
}

/// Writes block 0 if the store is empty; checks the stored genesis matches otherwise.
pub(crate) fn init_genesis(store: &Store, chain: &ChainSpec) -> Result<(), SequencerError> {
    let bundle = genesis_bundle(chain);
    if store.head_number().is_some() {
        // Compare against the genesis this chain spec would produce, without writing anything.
        let stored = store.block_hash(0)?.unwrap_or_default();
        let fresh = tempdir_genesis_hash(chain)?;
        if stored != fresh {
            return Err(bai_storage::StorageError::GenesisMismatch {
                stored: stored.to_string(),
                expected: fresh.to_string(),
            }
            .into());
        }
        return Ok(());
    }
    let prepared: PreparedState = store.prepare_state(&bundle, 0)?;
    let message_passer_root = prepared.storage_roots.get(&L2_TO_L1_MESSAGE_PASSER).copied().unwrap_or(EMPTY_ROOT_HASH);
    let header = genesis_header(chain, prepared.state_root, message_passer_root);
    let hash = header.hash_slow();
    let block = StoredBlock { header, hash, transactions: vec![], senders: vec![] };
    store.commit_block(
        BlockCommit { block, receipts: vec![], tx_hashes: vec![], meta: Default::default(), logs: vec![] },
        prepared,
    )?;
    tracing::info!(target: "sequencer", %hash, "wrote genesis block");
    Ok(())
}

/// The genesis hash `chain` yields, computed in a scratch store.
fn tempdir_genesis_hash(chain: &ChainSpec) -> Result<B256, SequencerError> {
    let dir = std::env::temp_dir().join(format!("bai-genesis-check-{}", std::process::id()));
    let store = Store::open(bai_storage::StoreConfig::new(&dir))?;
    init_genesis(&store, chain)?;
    let hash = store.block_hash(0)?.unwrap_or_default();
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(hash)
}
