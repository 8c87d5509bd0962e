//! EIP-1186 account and storage proofs, at the head for any account and at past blocks for the
//! store's proof accounts (the L2ToL1MessagePasser: withdrawals are proven against outputs that are
//! already some blocks old).
//!
//! A past trie is read through its node history: the node at a path as of block `n` is the value
//! recorded by the first block after `n` that changed it, or the current node if none did. Every
//! read of one proof goes through a single RocksDB snapshot, so a block committed meanwhile cannot
//! mix two states into one proof.

use crate::{
    StorageError, Store,
    tables::{self, cf},
    trie::{self, NodeReader},
};
use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_rlp::Decodable;
use alloy_trie::{EMPTY_ROOT_HASH, TrieAccount};
use rocksdb::{DB, Direction, IteratorMode, Snapshot};

/// An account and some of its storage slots at one block, with the trie nodes that prove them
/// against that block's state root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountProof {
    /// The block whose state root the proof is against.
    pub block: u64,
    /// The account's trie leaf; `None` if it does not exist (then `account_proof` proves absence).
    pub account: Option<TrieAccount>,
    /// Trie nodes from the state root down to the account's leaf (or to where it would be).
    pub account_proof: Vec<Bytes>,
    /// Proofs of the requested storage slots, in request order.
    pub storage: Vec<SlotProof>,
}

impl AccountProof {
    /// The account's storage root (the empty root for an absent account).
    pub fn storage_root(&self) -> B256 {
        self.account.map(|a| a.storage_root).unwrap_or(EMPTY_ROOT_HASH)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
/// One storage slot's value with the trie nodes that prove it against the account's storage root.
pub struct SlotProof {
    /// The slot key, as requested (not hashed).
    pub slot: B256,
    /// The slot's value (zero if never set).
    pub value: U256,
    /// Trie nodes from the storage root down to the slot's leaf (or to where it would be).
    pub proof: Vec<Bytes>,
}

/// Trie nodes as of the end of `block`, through node history (`history`) or as they are now.
struct NodesAt<'a> {
    snapshot: &'a Snapshot<'a>,
    db: &'a DB,
    /// Zero for the account trie, keccak(address) for a storage trie.
    trie: B256,
    /// `None`: the head, read the current nodes directly.
    history: Option<u64>,
}

impl NodeReader for NodesAt<'_> {
    fn node(&self, path: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        if let Some(block) = self.history {
            let prefix = tables::trie_history_prefix(&self.trie, path);
            let start = [prefix.as_slice(), &(block + 1).to_be_bytes()].concat();
            let history = self.db.cf_handle(cf::TRIE_HISTORY).expect("cf");
            let mut iter = self.snapshot.iterator_cf(history, IteratorMode::From(&start, Direction::Forward));
            if let Some(item) = iter.next() {
                let (key, value) = item?;
                if key.len() == prefix.len() + 8 && key.starts_with(&prefix) {
                    return Ok((!value.is_empty()).then(|| value.to_vec()));
                }
            }
        }
        let (table, key) = if self.trie.is_zero() {
            (cf::TRIE_ACCOUNTS, path.to_vec())
        } else {
            (cf::TRIE_STORAGES, [self.trie.as_slice(), path].concat())
        };
        Ok(self.snapshot.get_cf(self.db.cf_handle(table).expect("cf"), key)?)
    }
}

fn as_bytes(nodes: Vec<Vec<u8>>) -> Vec<Bytes> {
    nodes.into_iter().map(Bytes::from).collect()
}

impl Store {
    /// Proves `address` and its `slots` at the end of `block`. Any account can be proven at the head;
    /// past blocks are served for proof accounts back to [`Store::oldest_proof_block`].
    pub fn proof(&self, address: &Address, slots: &[B256], block: u64) -> Result<AccountProof, StorageError> {
        let db = self.db();
        let snapshot = db.snapshot();
        let meta = db.cf_handle(cf::META).expect("cf");
        let head = snapshot
            .get_cf(meta, tables::HEAD_KEY)?
            .map(|raw| tables::decode_block_key(&raw))
            .ok_or(StorageError::UnknownBlock(block))?;
        if block > head {
            return Err(StorageError::UnknownBlock(block));
        }
        let history = if self.is_proof_account(address) {
            let oldest = self.oldest_proof_block();
            if block < oldest {
                return Err(StorageError::ProofUnavailable {
                    block,
                    reason: format!(
                        "proofs of {address} are kept back to block {oldest} ({} blocks); prove against a later output",
                        self.config().proof_history_blocks
                    ),
                });
            }
            // Through history even at the head: the snapshot makes that exact and race-free.
            Some(block)
        } else if block == head {
            None
        } else {
            return Err(StorageError::ProofUnavailable {
                block,
                reason: format!(
                    "past-block proofs are kept only for the withdrawal message passer; {address} can be proven at \
                     the latest block ({head})"
                ),
            });
        };

        let header_raw = snapshot
            .get_cf(db.cf_handle(cf::HEADERS).expect("cf"), tables::block_key(block))?
            .ok_or(StorageError::UnknownBlock(block))?;
        let header = alloy::consensus::Header::decode(&mut &header_raw[..])
            .map_err(|e| StorageError::Corrupt(format!("header {block}: {e}")))?;

        let accounts = NodesAt { snapshot: &snapshot, db, trie: B256::ZERO, history };
        let hashed_address = keccak256(address);
        let account_proof = trie::proof(&accounts, header.state_root, &hashed_address)?;
        let account = trie::get(&accounts, header.state_root, &hashed_address)?
            .map(|leaf| TrieAccount::decode(&mut &leaf[..]))
            .transpose()
            .map_err(|e| StorageError::Corrupt(format!("account leaf of {address}: {e}")))?;

        let storage_root = account.map(|a| a.storage_root).unwrap_or(EMPTY_ROOT_HASH);
        let storage = NodesAt { snapshot: &snapshot, db, trie: hashed_address, history };
        let mut proofs = Vec::with_capacity(slots.len());
        for slot in slots {
            let hashed_slot = keccak256(slot);
            let value = trie::get(&storage, storage_root, &hashed_slot)?
                .map(|leaf| U256::decode(&mut &leaf[..]))
                .transpose()
                .map_err(|e| StorageError::Corrupt(format!("storage leaf of {address}: {e}")))?
                .unwrap_or_default();
            let proof = as_bytes(trie::proof(&storage, storage_root, &hashed_slot)?);
            proofs.push(SlotProof { slot: *slot, value, proof });
        }
        Ok(AccountProof { block, account, account_proof: as_bytes(account_proof), storage: proofs })
    }
}
