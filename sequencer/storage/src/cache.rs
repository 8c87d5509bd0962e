//! The head cache: the head's plain state and trie nodes, kept warm in memory across blocks.
//!
//! A block of 1,000 transfers reads ~2,000 accounts while executing and then ~4,000 trie nodes, the
//! same accounts and their storage roots again while computing the state root. From RocksDB each read
//! is a lookup plus a copy (block cache at best); here it is a hash-map hit, and the entries a block
//! writes are put back after its commit, so the next block finds the hot ones (the upper trie levels,
//! busy senders and contracts) already there. The same idea as reth's cross-block execution and trie
//! caches, at the scale of this store.
//!
//! Only the block builder's reads use it (`StateAt::Latest` and [`crate::Store::prepare_state`]),
//! and the builder's prefetch thread fills it (`prefetch`): they read the head while nothing else writes. It is filled on a miss and updated by
//! [`crate::Store::commit_block`] with exactly what the block wrote (in the same critical section as
//! the RocksDB write); any other write (an unwind, a failed commit) clears it. Negative entries
//! (absent accounts, accounts without storage) are cached too: new recipients and EOAs are the common
//! case. Each table is an LRU bounded by entry count, so memory stays bounded at any state size.

use alloy::primitives::{Address, B256, U256, map::DefaultHashBuilder};
use lru::LruCache;
use std::num::NonZeroUsize;

/// One trie node key: the trie (the account trie, or one account's storage trie) and the node's path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum NodeKey {
    /// A node of the account trie at this nibble path.
    Account(Vec<u8>),
    /// A node of the storage trie of the account with this hashed address, at this nibble path.
    Storage(B256, Vec<u8>),
}

/// What one committed block changed, for the cache (built while its writes are prepared).
#[derive(Debug, Default)]
pub(crate) struct CacheUpdate {
    /// Accounts' new stored encodings (`None`: deleted).
    pub(crate) accounts: Vec<(Address, Option<Vec<u8>>)>,
    /// Storage slots' new values (zero: deleted).
    pub(crate) storage: Vec<((Address, B256), U256)>,
    /// Accounts whose storage was wiped before `storage` applies (destroyed, maybe re-created).
    pub(crate) wiped: Vec<(Address, B256)>,
    /// New storage roots (`EMPTY_ROOT_HASH` for none).
    pub(crate) storage_roots: Vec<(Address, B256)>,
    /// Trie nodes written (`Some`) or deleted (`None`).
    pub(crate) nodes: Vec<(NodeKey, Option<Vec<u8>>)>,
}

/// Counts of hits and misses since the store opened (for the bench and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeadCacheStats {
    /// Reads answered from memory.
    pub hits: u64,
    /// Reads that went to RocksDB.
    pub misses: u64,
}

#[derive(Debug)]
pub(crate) struct HeadCache {
    // alloy's map hasher (foldhash, randomly seeded): std's SipHash showed in the build profile.
    accounts: LruCache<Address, Option<Vec<u8>>, DefaultHashBuilder>,
    storage: LruCache<(Address, B256), U256, DefaultHashBuilder>,
    storage_roots: LruCache<Address, B256, DefaultHashBuilder>,
    nodes: LruCache<NodeKey, Option<Vec<u8>>, DefaultHashBuilder>,
    stats: HeadCacheStats,
    /// Changes with every write the cache learns of (or forgets after): a prefetch that started
    /// before one must not put what it read then (see `prefetch`).
    epoch: u64,
}

impl HeadCache {
    /// A cache of at most `entries` per table; `None` when `entries` is zero (caching off).
    pub(crate) fn new(entries: usize) -> Option<Self> {
        let cap = NonZeroUsize::new(entries)?;
        Some(Self {
            accounts: LruCache::with_hasher(cap, DefaultHashBuilder::default()),
            storage: LruCache::with_hasher(cap, DefaultHashBuilder::default()),
            storage_roots: LruCache::with_hasher(cap, DefaultHashBuilder::default()),
            nodes: LruCache::with_hasher(cap, DefaultHashBuilder::default()),
            stats: HeadCacheStats::default(),
            epoch: 0,
        })
    }

    pub(crate) fn stats(&self) -> HeadCacheStats {
        self.stats
    }

    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    fn count<T>(&mut self, found: Option<T>) -> Option<T> {
        match found.is_some() {
            true => self.stats.hits += 1,
            false => self.stats.misses += 1,
        }
        found
    }

    pub(crate) fn account(&mut self, address: &Address) -> Option<Option<Vec<u8>>> {
        let found = self.accounts.get(address).cloned();
        self.count(found)
    }

    pub(crate) fn put_account(&mut self, address: Address, raw: Option<Vec<u8>>) {
        self.accounts.put(address, raw);
    }

    pub(crate) fn storage(&mut self, address: &Address, slot: &B256) -> Option<U256> {
        let found = self.storage.get(&(*address, *slot)).copied();
        self.count(found)
    }

    pub(crate) fn put_storage(&mut self, address: Address, slot: B256, value: U256) {
        self.storage.put((address, slot), value);
    }

    pub(crate) fn storage_root(&mut self, address: &Address) -> Option<B256> {
        let found = self.storage_roots.get(address).copied();
        self.count(found)
    }

    pub(crate) fn put_storage_root(&mut self, address: Address, root: B256) {
        self.storage_roots.put(address, root);
    }

    pub(crate) fn node(&mut self, key: &NodeKey) -> Option<Option<Vec<u8>>> {
        let found = self.nodes.get(key).cloned();
        self.count(found)
    }

    /// Whether `address`'s storage root is cached, not counted as a hit or miss (prefetching).
    pub(crate) fn has_storage_root(&self, address: &Address) -> bool {
        self.storage_roots.contains(address)
    }

    /// Whether `address` is cached, not counted as a hit or miss (prefetching).
    pub(crate) fn has_account(&self, address: &Address) -> bool {
        self.accounts.contains(address)
    }

    /// As [`Self::node`], not counted as a hit or miss (prefetching).
    pub(crate) fn peek_node(&mut self, key: &NodeKey) -> Option<Option<Vec<u8>>> {
        self.nodes.get(key).cloned()
    }

    pub(crate) fn put_node(&mut self, key: NodeKey, node: Option<Vec<u8>>) {
        self.nodes.put(key, node);
    }

    /// Applies a committed block's writes. `staged`: the block was staged before its write (see
    /// `persist`), and a prefetch running now started after that and read through its overlay, so
    /// what it reads stays true and the epoch does not change.
    pub(crate) fn apply(&mut self, update: CacheUpdate, staged: bool) {
        if !staged {
            self.epoch += 1;
        }
        for (address, hashed) in update.wiped {
            // Wipes are rare (a contract destroyed in its creating transaction): a scan is fine.
            let slots: Vec<_> = self.storage.iter().filter(|((a, _), _)| *a == address).map(|(k, _)| *k).collect();
            for key in slots {
                self.storage.pop(&key);
            }
            let nodes: Vec<_> = self
                .nodes
                .iter()
                .filter(|(key, _)| matches!(key, NodeKey::Storage(h, _) if *h == hashed))
                .map(|(key, _)| key.clone())
                .collect();
            for key in nodes {
                self.nodes.pop(&key);
            }
        }
        for (address, raw) in update.accounts {
            self.accounts.put(address, raw);
        }
        for ((address, slot), value) in update.storage {
            self.storage.put((address, slot), value);
        }
        for (address, root) in update.storage_roots {
            self.storage_roots.put(address, root);
        }
        for (key, node) in update.nodes {
            self.nodes.put(key, node);
        }
    }

    /// Forgets everything (after a write the cache was not told about).
    pub(crate) fn clear(&mut self) {
        self.epoch += 1;
        self.accounts.clear();
        self.storage.clear();
        self.storage_roots.clear();
        self.nodes.clear();
    }
}
