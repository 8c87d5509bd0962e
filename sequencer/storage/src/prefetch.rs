//! Prefetching for the block builder: while a block executes, a second thread loads the account-trie
//! paths and storage roots of the cold accounts execution meets into the head cache, so the state
//! root that follows finds them in memory instead of reading RocksDB on the critical path.
//!
//! This is the loading half of reth's state-root task (proofs fetched for state as transactions
//! produce it), at the scale of this store. What to load comes from execution itself: every account
//! the builder's reads miss in the head cache is sent here (`Store::latest_account_raw`; a cold
//! account's trie path is most likely cold too), so a block of warm accounts sends the prefetcher
//! nothing and it never contends with the executor for the cache. The hashing still happens once,
//! after execution.
//!
//! Safety: the prefetcher only adds what the head state holds. Every node it reads from RocksDB is
//! checked against its parent's hash before it is cached (as a trie update would), and nothing is
//! cached once the head cache has learnt of a later write (its epoch moved): a read made before a
//! commit can never land in the cache after it. [`Prefetch`] joins its thread when dropped.

use crate::{
    StorageError, Store,
    cache::{HeadCache, NodeKey},
    store::AccountTrie,
    trie::{NodeReader, key_nibbles, step_towards},
};
use alloy::primitives::{Address, B256, keccak256};
use alloy_rlp::Decodable;
use alloy_trie::{EMPTY_ROOT_HASH, nodes::TrieNode};
use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    thread::JoinHandle,
};

/// A running prefetch for one block; stops (and joins its thread) when dropped.
pub struct Prefetch {
    store: Arc<Store>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Prefetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prefetch").finish_non_exhaustive()
    }
}

impl Prefetch {
    /// Starts prefetching for a block built on the head whose state root is `state_root`: from now
    /// until it is dropped, the store sends it every account its head reads miss. `None` when the
    /// store has no head cache (there is nowhere to put what it would load).
    pub fn start(store: Arc<Store>, state_root: B256) -> Option<Self> {
        let epoch = store.head_cache.lock().as_ref()?.epoch();
        let (sender, receiver) = mpsc::channel::<Address>();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread_store = store.clone();
        let thread = std::thread::Builder::new()
            .name("bai-prefetch".into())
            .spawn(move || {
                let mut walker = Walker { store: &thread_store, epoch, root: state_root, decoded: HashMap::new() };
                while let Ok(address) = receiver.recv() {
                    if stopped.load(Ordering::Relaxed) {
                        break;
                    }
                    if let Err(error) = walker.account(&address) {
                        // The builder's own read meets the same fault and reports it.
                        tracing::debug!(target: "storage", %address, %error, "prefetch stopped");
                        break;
                    }
                }
            })
            .ok()?;
        *store.cold_accounts.lock() = Some(sender);
        Some(Self { store, stop, thread: Some(thread) })
    }

    /// Stops taking accounts, then waits until those sent so far are loaded (tests; the builder
    /// drops the prefetch instead, which abandons what is left once execution ends).
    pub fn finish(mut self) {
        self.store.cold_accounts.lock().take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Dropping the store's sender closes the channel, so the thread ends.
        self.store.cold_accounts.lock().take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Walks account-trie paths from the root, caching what it checks.
struct Walker<'a> {
    store: &'a Store,
    /// The head cache's epoch when the prefetch started.
    epoch: u64,
    root: B256,
    /// Nodes decoded this block, by path (`None`: absent or failing its check): the upper levels are
    /// shared by every path.
    decoded: HashMap<Vec<u8>, Option<TrieNode>>,
}

impl Walker<'_> {
    /// Caches `address`'s stored account, its storage root (the state root reads it for every
    /// changed account) and the trie nodes on its path.
    fn account(&mut self, address: &Address) -> Result<(), StorageError> {
        let (account, storage_root) = match self.store.head_cache.lock().as_ref() {
            Some(cache) => (cache.has_account(address), cache.has_storage_root(address)),
            None => return Ok(()),
        };
        // A staged block (see `persist`) is read before RocksDB, whose write of it may not have landed.
        if !account {
            let raw = match self.store.staged_account(address) {
                Some(raw) => raw,
                None => self.store.stored_account(address)?,
            };
            self.put(|cache| cache.put_account(*address, raw));
        }
        if !storage_root {
            let root = match self.store.staged_storage_root(address) {
                Some(root) => root,
                None => self.store.storage_root(address)?,
            };
            self.put(|cache| cache.put_storage_root(*address, root));
        }
        self.path(&keccak256(address))
    }

    /// Puts into the head cache unless it has changed since the prefetch began.
    fn put(&self, put: impl FnOnce(&mut HeadCache)) {
        if let Some(cache) = self.store.head_cache.lock().as_mut()
            && cache.epoch() == self.epoch
        {
            put(cache);
        }
    }

    fn path(&mut self, hashed: &B256) -> Result<(), StorageError> {
        if self.root == EMPTY_ROOT_HASH {
            return Ok(());
        }
        let key = key_nibbles(hashed);
        let mut path = Vec::with_capacity(64);
        let mut expected = self.root;
        loop {
            if !self.decoded.contains_key(&path) {
                let node = self.load(&path, expected)?;
                self.decoded.insert(path.clone(), node);
            }
            let Some(node) = &self.decoded[&path] else { return Ok(()) };
            let Some((step, child)) = step_towards(node, &key[path.len()..]) else { return Ok(()) };
            // An inlined child is inside its parent's RLP: nothing more is stored below.
            let Some(hash) = child.as_hash() else { return Ok(()) };
            path.extend_from_slice(&step);
            expected = hash;
        }
    }

    /// The node at `path` from the cache, or from RocksDB checked against `expected` and cached.
    /// `None`: absent, undecodable or not matching (the trie update will report it).
    fn load(&self, path: &[u8], expected: B256) -> Result<Option<TrieNode>, StorageError> {
        let key = NodeKey::Account(path.to_vec());
        let cached = self
            .store
            .staged_node(&key)
            .or_else(|| self.store.head_cache.lock().as_mut().and_then(|cache| cache.peek_node(&key)));
        let raw = match cached {
            Some(Some(raw)) => raw,
            Some(None) => return Ok(None),
            None => {
                let Some(raw) = AccountTrie(self.store.db()).node(path)? else { return Ok(None) };
                if keccak256(&raw) != expected {
                    return Ok(None);
                }
                self.put(|cache| cache.put_node(key, Some(raw.clone())));
                raw
            }
        };
        Ok(TrieNode::decode(&mut raw.as_slice()).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        StoreConfig,
        testing::{balances, commit},
    };

    /// A store holding `accounts` at genesis, reopened so its head cache is cold.
    fn cold_store(dir: &std::path::Path, accounts: &[Address]) -> Arc<Store> {
        commit(&Store::open(StoreConfig::new(dir)).unwrap(), 0, &balances(accounts, 1, None)).unwrap();
        Store::open(StoreConfig::new(dir)).unwrap()
    }

    #[test]
    fn after_a_prefetch_the_state_root_reads_nothing_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let accounts: Vec<Address> = (0..500u64).map(|i| Address::from_word(keccak256(i.to_be_bytes()))).collect();
        let store = cold_store(dir.path(), &accounts);
        let changed = &accounts[..200];

        // Execution reads each account; the cold ones are sent to the prefetch.
        let prefetch = Prefetch::start(store.clone(), store.head_state_root().unwrap()).unwrap();
        for address in changed {
            store.latest_account_raw(address).unwrap();
        }
        prefetch.finish();
        let before = store.head_cache_stats();
        let root = commit(&store, 1, &balances(changed, 2, Some(1))).unwrap();
        let after = store.head_cache_stats();
        assert!(after.hits > before.hits);
        assert_eq!(after.misses, before.misses, "the block read an account or a trie node the prefetch did not load");

        // The same block on a store that was not prefetched reads them from disk, and gets the same root.
        let other = tempfile::tempdir().unwrap();
        let cold = cold_store(other.path(), &accounts);
        let before = cold.head_cache_stats();
        assert_eq!(commit(&cold, 1, &balances(changed, 2, Some(1))).unwrap(), root);
        assert!(cold.head_cache_stats().misses > before.misses);
    }

    #[test]
    fn a_read_made_before_a_commit_is_never_cached_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let accounts: Vec<Address> = (1..=64u8).map(Address::with_last_byte).collect();
        let store = cold_store(dir.path(), &accounts);
        let root = store.head_state_root().unwrap();
        let epoch = store.head_cache.lock().as_ref().unwrap().epoch();
        // Block 1 changes the first half while a prefetch that began before it is still running.
        commit(&store, 1, &balances(&accounts[..32], 2, Some(1))).unwrap();
        let mut walker = Walker { store: &store, epoch, root, decoded: HashMap::new() };
        for address in &accounts[32..] {
            walker.account(address).unwrap();
        }
        let cache = store.head_cache.lock();
        let cache = cache.as_ref().unwrap();
        assert!(accounts[32..].iter().all(|a| !cache.has_storage_root(a)), "a stale prefetch filled the cache");
    }
}
