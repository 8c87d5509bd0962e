//! Persistence after sealing: a sealed block's RocksDB write runs on a second thread while the
//! builder goes on to execute the next block (reth's persistence task, at a depth of one block).
//!
//! The write is still the one atomic `WriteBatch` of [`Store::commit_block`]; only *when* it happens
//! moves. Until it lands, the block is **staged**: its changes (accounts, slots, storage roots, trie
//! nodes, new bytecode, its hash) sit in an overlay that the builder's head reads (`StateAt::Latest`,
//! the prefetcher, the trie update) consult before the head cache and RocksDB, so the next block
//! executes on the sealed block's state. Everything else (RPC, admission, history, proofs) reads the
//! store as written: the store's head stays on the parent until the write lands, so nobody outside the
//! builder sees a block that a crash could still take away.
//!
//! Crash safety: the caller announces the block (receipts, subscriptions) only from the callback that
//! runs after the write has landed, so `kill -9` can lose a staged block but never one that was
//! announced; on restart the store opens on its last written block with that block's state root. A
//! failed write poisons the store: every later commit, prepare and wait fails, the builder stops, and a
//! restart resumes from the last written block.
//!
//! Only one block is in flight: staging, preparing the next block's state root, an unwind or a
//! synchronous commit first waits for the write before them ([`Store::wait_persisted`]), which also
//! means that the trie update, pruning and history reads never see a half-written head. Blocks that
//! wipe an account's storage (rare) are written synchronously: the overlay does not model a wipe.

use crate::{
    StorageError, Store,
    cache::{CacheUpdate, NodeKey},
    store::BlockWrite,
};
use alloy::primitives::{Address, B256, U256, map::HashMap};
use revm::state::Bytecode;
use std::sync::Arc;

/// What a staged block changed, for the builder's reads until its write lands.
#[derive(Debug, Default)]
pub(crate) struct Staged {
    number: u64,
    hash: B256,
    accounts: HashMap<Address, Option<Vec<u8>>>,
    storage: HashMap<(Address, B256), U256>,
    storage_roots: HashMap<Address, B256>,
    nodes: HashMap<NodeKey, Option<Vec<u8>>>,
    bytecodes: HashMap<B256, Bytecode>,
}

impl Staged {
    /// Takes the block's cache update over (moved, not copied: this is on the sequencer's critical
    /// path); the head cache gets it back when the write lands ([`Staged::into_update`]).
    fn new(number: u64, hash: B256, update: CacheUpdate, bytecodes: Vec<(B256, Bytecode)>) -> Self {
        debug_assert!(update.wiped.is_empty(), "blocks that wipe storage are not staged");
        Self {
            number,
            hash,
            accounts: update.accounts.into_iter().collect(),
            storage: update.storage.into_iter().collect(),
            storage_roots: update.storage_roots.into_iter().collect(),
            nodes: update.nodes.into_iter().collect(),
            bytecodes: bytecodes.into_iter().collect(),
        }
    }

    /// What the head cache learns once the block is written.
    pub(crate) fn into_update(self) -> CacheUpdate {
        CacheUpdate {
            accounts: self.accounts.into_iter().collect(),
            storage: self.storage.into_iter().collect(),
            wiped: Vec::new(),
            storage_roots: self.storage_roots.into_iter().collect(),
            nodes: self.nodes.into_iter().collect(),
        }
    }
}

/// Whether a write is in flight, and whether one failed.
#[derive(Debug, Default)]
struct PersistStatus {
    in_flight: bool,
    failed: Option<String>,
}

/// The in-flight write's status, shared with the thread writing it. Not inside the store's own
/// lifetime: the thread lets go of the store before it says the write landed, so whoever waited
/// can drop (and reopen) the store at once.
#[derive(Debug, Default)]
pub(crate) struct Persisting {
    status: parking_lot::Mutex<PersistStatus>,
    landed: parking_lot::Condvar,
}

impl Persisting {
    /// Ends the in-flight write; a failure (its message) poisons the store.
    fn landed(&self, failure: Option<String>) {
        let mut status = self.status.lock();
        status.in_flight = false;
        if let Some(failure) = failure {
            status.failed.get_or_insert(failure);
        }
        self.landed.notify_all();
    }
}

/// Called once a pipelined block's write has landed (or failed): where the caller announces it.
pub type OnWritten = Box<dyn FnOnce(Result<(), &StorageError>) + Send>;

impl Store {
    /// Commits a sealed block like [`Store::commit_block`], but returns once the block is staged:
    /// the builder's head reads see it at once, the RocksDB write runs on another thread, and
    /// `on_written` runs on that thread after it lands (announce the block there, not before).
    /// Waits first for the previous block's write; fails if an earlier write failed.
    pub fn commit_block_pipelined(
        self: &Arc<Self>,
        commit: crate::BlockCommit,
        prepared: crate::PreparedState,
        on_written: OnWritten,
    ) -> Result<(), StorageError> {
        if prepared.wipes_storage() {
            let result = self.commit_block(commit, prepared);
            on_written(result.as_ref().map(|_| ()));
            return result;
        }
        let write = self.stage(commit, prepared)?;
        let (store, persisting) = (self.clone(), self.persisting.clone());
        let land = move || {
            let number = write.number;
            let result = store.land(write);
            drop(store);
            if let Err(error) = &result {
                tracing::error!(target: "storage", number, %error, "writing a sealed block failed: the store takes no more blocks");
            }
            on_written(result.as_ref().map(|_| ()));
            persisting.landed(result.err().map(|error| error.to_string()));
        };
        // The write lands on its own thread: a spawn per block (tens of µs, at block times of 100 ms
        // and more) keeps no thread, and so no reference to the store, alive between blocks.
        if let Err(error) = std::thread::Builder::new().name("bai-persist".into()).spawn(land) {
            let message = format!("could not start the persistence thread: {error}");
            self.unstage();
            self.persisting.landed(Some(message.clone()));
            return Err(StorageError::WriteFailed(message));
        }
        Ok(())
    }

    /// Stages a sealed block (its overlay in place, its write marked in flight) and returns the write.
    pub(crate) fn stage(
        &self,
        commit: crate::BlockCommit,
        prepared: crate::PreparedState,
    ) -> Result<BlockWrite, StorageError> {
        self.wait_persisted()?;
        let (number, hash) = (commit.block.header.number, commit.block.hash);
        let mut write = self.block_write(commit, prepared)?;
        // The overlay holds the cache update until the write lands (`None`: see `Store::land`).
        let update = write.cache.take().unwrap_or_default();
        let bytecodes = std::mem::take(&mut write.bytecodes);
        *self.staged.write() = Some(Staged::new(number, hash, update, bytecodes));
        self.persisting.status.lock().in_flight = true;
        Ok(write)
    }

    /// Waits until no block write is in flight. Fails (every time, from then on) if one failed.
    pub fn wait_persisted(&self) -> Result<(), StorageError> {
        let mut status = self.persisting.status.lock();
        while status.in_flight {
            self.persisting.landed.wait(&mut status);
        }
        match &status.failed {
            Some(error) => Err(StorageError::WriteFailed(error.clone())),
            None => Ok(()),
        }
    }

    /// Whether a staged block's write has not landed yet.
    #[cfg(test)]
    fn write_in_flight(&self) -> bool {
        self.persisting.status.lock().in_flight
    }

    /// The staged block's value for `read`, if a block is staged and changed it.
    pub(crate) fn staged<T>(&self, read: impl FnOnce(&Staged) -> Option<T>) -> Option<T> {
        self.staged.read().as_ref().and_then(read)
    }

    pub(crate) fn staged_account(&self, address: &Address) -> Option<Option<Vec<u8>>> {
        self.staged(|s| s.accounts.get(address).cloned())
    }

    /// `address` as the sealed block whose write is in flight left it, if that block changed it
    /// (`Some(None)`: it no longer exists); `None` when no block is staged or it left the account
    /// alone. For admission, which checks against the written head: a nonce the sealed block
    /// already used must be refused as too low, not admitted to be dropped when the next block runs.
    pub fn sealed_account(&self, address: &Address) -> Option<Option<reth_primitives_traits::Account>> {
        self.staged_account(address).map(|raw| raw.map(|raw| crate::tables::decode_account(&raw)))
    }

    pub(crate) fn staged_storage(&self, address: &Address, slot: &B256) -> Option<U256> {
        self.staged(|s| s.storage.get(&(*address, *slot)).copied())
    }

    pub(crate) fn staged_storage_root(&self, address: &Address) -> Option<B256> {
        self.staged(|s| s.storage_roots.get(address).copied())
    }

    pub(crate) fn staged_node(&self, key: &NodeKey) -> Option<Option<Vec<u8>>> {
        self.staged(|s| s.nodes.get(key).cloned())
    }

    pub(crate) fn staged_bytecode(&self, hash: &B256) -> Option<Bytecode> {
        self.staged(|s| s.bytecodes.get(hash).cloned())
    }

    /// The hash of block `number` as the builder sees it: the staged block's, or the stored one.
    pub(crate) fn latest_block_hash(&self, number: u64) -> Result<Option<B256>, StorageError> {
        match self.staged(|s| (s.number == number).then_some(s.hash)) {
            Some(hash) => Ok(Some(hash)),
            None => self.block_hash(number),
        }
    }

    /// Takes the overlay away (its block written, or its write abandoned).
    pub(crate) fn unstage(&self) -> Option<Staged> {
        self.staged.write().take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        BlockCommit, StateAt, StoreConfig, StoredBlock,
        testing::{balances, commit},
    };
    use alloy::{consensus::Header, primitives::Bytes};
    use revm::{
        database::{BundleState, DatabaseRef},
        state::AccountInfo,
    };

    fn block(number: u64, root: B256) -> StoredBlock {
        let header = Header { number, state_root: root, ..Default::default() };
        StoredBlock { hash: header.hash_slow(), header, transactions: vec![], senders: vec![] }
    }

    fn empty_commit(block: StoredBlock) -> BlockCommit {
        BlockCommit { block, receipts: vec![], tx_hashes: vec![], meta: Default::default(), logs: vec![] }
    }

    /// Block 1 of the test chain: `accounts` go from 1 to 2 wei and a contract is deployed.
    fn block_one(accounts: &[Address], code: &Bytecode) -> BundleState {
        let contract = Address::repeat_byte(0xc0);
        let info =
            AccountInfo { code_hash: code.hash_slow(), nonce: 1, code: Some(code.clone()), ..Default::default() };
        let mut bundle = balances(accounts, 2, Some(1));
        bundle.extend(BundleState::new(
            [(contract, None, Some(info), Default::default())],
            Vec::<Vec<(Address, Option<Option<AccountInfo>>, Vec<(U256, U256)>)>>::new(),
            vec![(code.hash_slow(), code.clone())],
        ));
        bundle
    }

    #[test]
    fn a_staged_block_is_the_builders_head_and_nobody_elses_until_its_write_lands() {
        let accounts: Vec<Address> = (1..=40u8).map(Address::repeat_byte).collect();
        let code = Bytecode::new_raw(Bytes::from_static(&[0x60, 0x01, 0x60, 0x00, 0x55, 0x00]));
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(StoreConfig::new(dir.path())).unwrap();
        commit(&store, 0, &balances(&accounts, 1, None)).unwrap();

        // The same two blocks committed synchronously elsewhere give the expected roots.
        let reference_dir = tempfile::tempdir().unwrap();
        let reference = Store::open(StoreConfig::new(reference_dir.path())).unwrap();
        commit(&reference, 0, &balances(&accounts, 1, None)).unwrap();
        let root_one = commit(&reference, 1, &block_one(&accounts, &code)).unwrap();
        let root_two = commit(&reference, 2, &balances(&accounts[..10], 3, Some(2))).unwrap();

        let prepared = store.prepare_state(&block_one(&accounts, &code), 1).unwrap();
        assert_eq!(prepared.state_root, root_one);
        let one = block(1, root_one);
        let write = store.stage(empty_commit(one.clone()), prepared).unwrap();
        assert!(store.write_in_flight());

        // The builder's head is block 1: balances, the new code, BLOCKHASH(1).
        let latest = store.state(StateAt::Latest).unwrap();
        assert_eq!(latest.account(&accounts[0]).unwrap().unwrap().balance, U256::from(2));
        assert!(latest.code_by_hash_ref(code.hash_slow()).is_ok(), "the staged block's code is readable");
        assert_eq!(latest.block_hash_ref(1).unwrap(), one.hash);
        // Everyone else still reads block 0: the store's head, its state, its blocks.
        assert_eq!(store.head_number(), Some(0));
        assert_eq!(store.block_hash(1).unwrap(), None);
        let at_zero = store.state(StateAt::Block(0)).unwrap();
        assert_eq!(at_zero.account(&accounts[0]).unwrap().unwrap().balance, U256::from(1));
        assert!(matches!(store.state(StateAt::Block(1)), Err(StorageError::UnknownBlock(1))));

        // The next block's state root waits for the write: started now, it finishes only after it.
        std::thread::scope(|scope| {
            let next = scope.spawn(|| store.prepare_state(&balances(&accounts[..10], 3, Some(2)), 2));
            std::thread::sleep(std::time::Duration::from_millis(200));
            assert!(!next.is_finished(), "the trie update did not wait for the write in flight");
            let result = store.land(write);
            store.persisting.landed(result.err().map(|error| error.to_string()));
            let prepared = next.join().unwrap().unwrap();
            assert_eq!(prepared.state_root, root_two);
        });
        assert!(!store.write_in_flight());
        assert_eq!(store.head_number(), Some(1));
        assert_eq!(store.head_state_root().unwrap(), root_one);
        let at_one = store.state(StateAt::Block(1)).unwrap();
        assert_eq!(at_one.account(&accounts[39]).unwrap().unwrap().balance, U256::from(2));
        assert!(at_one.code_by_hash_ref(code.hash_slow()).is_ok());

        // Reopened (as after a restart), the store is on block 1 with its root.
        drop(at_one);
        drop(at_zero);
        drop(latest);
        drop(store);
        let store = Store::open(StoreConfig::new(dir.path())).unwrap();
        assert_eq!(store.head_number(), Some(1));
        assert_eq!(store.head_state_root().unwrap(), root_one);
    }

    #[test]
    fn pipelined_blocks_land_in_order_and_are_announced_after_their_write() {
        let accounts: Vec<Address> = (1..=20u8).map(Address::repeat_byte).collect();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(StoreConfig::new(dir.path())).unwrap();
        commit(&store, 0, &balances(&accounts, 1, None)).unwrap();
        let (announced, heard) = std::sync::mpsc::channel();
        for number in 1..=5u64 {
            let bundle = balances(&accounts, number + 1, Some(number));
            let prepared = store.prepare_state(&bundle, number).unwrap();
            let block = block(number, prepared.state_root);
            let announced = announced.clone();
            let observer = store.clone();
            let on_written: OnWritten = Box::new(move |written| {
                // Announced only once readable by everyone.
                let readable = observer.block_hash(number).unwrap().is_some();
                announced.send((number, written.is_ok(), readable)).unwrap();
            });
            store.commit_block_pipelined(empty_commit(block), prepared, on_written).unwrap();
            // Executing the next block reads this one at once.
            let latest = store.state(StateAt::Latest).unwrap();
            assert_eq!(latest.account(&accounts[7]).unwrap().unwrap().balance, U256::from(number + 1));
        }
        store.wait_persisted().unwrap();
        let heard: Vec<_> = heard.try_iter().collect();
        assert_eq!(heard, (1..=5).map(|n| (n, true, true)).collect::<Vec<_>>());
        assert_eq!(store.head_number(), Some(5));
    }
}
