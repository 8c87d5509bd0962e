//! Helpers shared by this crate's unit tests.

use crate::{BlockCommit, StorageError, Store, StoredBlock};
use alloy::{
    consensus::Header,
    primitives::{Address, B256, U256},
};
use revm::{database::BundleState, state::AccountInfo};

/// A bundle that sets the balance of each of `accounts` to `balance` (from `previous`, if they existed).
pub(crate) fn balances(accounts: &[Address], balance: u64, previous: Option<u64>) -> BundleState {
    let info = |b: u64| AccountInfo { balance: U256::from(b), ..Default::default() };
    BundleState::new(
        accounts.iter().map(|a| (*a, previous.map(info), Some(info(balance)), Default::default())),
        Vec::<Vec<(Address, Option<Option<AccountInfo>>, Vec<(U256, U256)>)>>::new(),
        Vec::new(),
    )
}

/// Commits `bundle` as block `number` (an otherwise empty block); returns its state root.
pub(crate) fn commit(store: &Store, number: u64, bundle: &BundleState) -> Result<B256, StorageError> {
    let prepared = store.prepare_state(bundle, number)?;
    let root = prepared.state_root;
    let header = Header { number, state_root: root, ..Default::default() };
    let block = StoredBlock { hash: header.hash_slow(), header, transactions: vec![], senders: vec![] };
    let commit = BlockCommit { block, receipts: vec![], tx_hashes: vec![], meta: Default::default(), logs: vec![] };
    store.commit_block(commit, prepared)?;
    Ok(root)
}
