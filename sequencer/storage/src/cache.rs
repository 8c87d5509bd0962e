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
//!
//! When the head state fits, a warm-up (`warm`) loads all of its accounts, storage roots and
//! account-trie nodes at startup; a table loaded whole is marked complete, and a miss there then
//! means "absent" without asking RocksDB, until the table evicts or the cache is cleared.

use alloy::primitives::{Address, B256, U256, map::DefaultHashBuilder};
use alloy_trie::EMPTY_ROOT_HASH;
use lru::LruCache;

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

/// One table of the head cache: an LRU bounded by entry count, allocated as it fills (the `lru`
/// crate's bounded constructor reserves the whole capacity up front, hundreds of MiB at the sizes
/// a warmed cache needs), counting what it evicts.
#[derive(Debug)]
struct Table<K: std::hash::Hash + Eq, V> {
    map: LruCache<K, V, DefaultHashBuilder>,
    cap: usize,
    evictions: u64,
    /// It holds every entry of its RocksDB table (see [`Completeness`]); an eviction or a clear ends it.
    complete: bool,
}

impl<K: std::hash::Hash + Eq, V> Table<K, V> {
    fn new(cap: usize) -> Self {
        // alloy's map hasher (foldhash, randomly seeded): std's SipHash showed in the build profile.
        Self { map: LruCache::unbounded_with_hasher(DefaultHashBuilder::default()), cap, evictions: 0, complete: false }
    }

    fn get(&mut self, key: &K) -> Option<&V> {
        self.map.get(key)
    }

    fn contains(&self, key: &K) -> bool {
        self.map.contains(key)
    }

    fn put(&mut self, key: K, value: V) {
        self.map.put(key, value);
        if self.map.len() > self.cap {
            self.map.pop_lru();
            self.evictions += 1;
            self.complete = false;
        }
    }

    fn clear(&mut self) {
        self.map.clear();
        self.complete = false;
    }

    /// Puts `value` unless `key` is cached or the table is full (warming); whether it did.
    fn put_absent(&mut self, key: K, value: V) -> bool {
        if self.map.len() >= self.cap || self.map.contains(&key) {
            return false;
        }
        self.map.put(key, value);
        true
    }

    fn is_full(&self) -> bool {
        self.map.len() >= self.cap
    }
}

/// Which tables hold every entry of the head's RocksDB table (a warm-up loaded them all and nothing
/// was evicted or forgotten since), so that a miss there *is* the answer: absent, no storage, no
/// node. Without it a warm cache would still send every never-seen key to RocksDB.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Completeness {
    /// Every stored account is cached.
    pub accounts: bool,
    /// Every stored storage root is cached (an uncached account has none).
    pub storage_roots: bool,
    /// Every stored account-trie node is cached.
    pub account_nodes: bool,
}

/// What a warm-up checks to know that nothing it cached can have gone stale: the cache was neither
/// cleared nor made to evict since it began (see `warm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WarmMark {
    clears: u64,
    evictions: u64,
}

#[derive(Debug)]
pub(crate) struct HeadCache {
    accounts: Table<Address, Option<Vec<u8>>>,
    storage: Table<(Address, B256), U256>,
    storage_roots: Table<Address, B256>,
    nodes: Table<NodeKey, Option<Vec<u8>>>,
    stats: HeadCacheStats,
    /// Changes with every write the cache learns of (or forgets after): a prefetch that started
    /// before one must not put what it read then (see `prefetch`).
    epoch: u64,
    /// How often the cache forgot everything.
    clears: u64,
}

impl HeadCache {
    /// A cache of at most `entries` per table; `None` when `entries` is zero (caching off).
    pub(crate) fn new(entries: usize) -> Option<Self> {
        if entries == 0 {
            return None;
        }
        Some(Self {
            accounts: Table::new(entries),
            storage: Table::new(entries),
            storage_roots: Table::new(entries),
            nodes: Table::new(entries),
            stats: HeadCacheStats::default(),
            epoch: 0,
            clears: 0,
        })
    }

    pub(crate) fn stats(&self) -> HeadCacheStats {
        self.stats
    }

    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    pub(crate) fn completeness(&self) -> Completeness {
        Completeness {
            accounts: self.accounts.complete,
            storage_roots: self.storage_roots.complete,
            account_nodes: self.nodes.complete,
        }
    }

    fn count<T>(&mut self, found: Option<T>) -> Option<T> {
        match found.is_some() {
            true => self.stats.hits += 1,
            false => self.stats.misses += 1,
        }
        found
    }

    pub(crate) fn account(&mut self, address: &Address) -> Option<Option<Vec<u8>>> {
        let found = self.accounts.get(address).cloned().or(self.accounts.complete.then_some(None));
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
        let found = self.storage_roots.get(address).copied().or(self.storage_roots.complete.then_some(EMPTY_ROOT_HASH));
        self.count(found)
    }

    pub(crate) fn put_storage_root(&mut self, address: Address, root: B256) {
        self.storage_roots.put(address, root);
    }

    pub(crate) fn node(&mut self, key: &NodeKey) -> Option<Option<Vec<u8>>> {
        let found = self.peek_node(key);
        self.count(found)
    }

    /// Whether `address`'s storage root is cached, not counted as a hit or miss (prefetching).
    pub(crate) fn has_storage_root(&self, address: &Address) -> bool {
        self.storage_roots.complete || self.storage_roots.contains(address)
    }

    /// Whether `address` is cached, not counted as a hit or miss (prefetching).
    pub(crate) fn has_account(&self, address: &Address) -> bool {
        self.accounts.complete || self.accounts.contains(address)
    }

    /// As [`Self::node`], not counted as a hit or miss (prefetching).
    pub(crate) fn peek_node(&mut self, key: &NodeKey) -> Option<Option<Vec<u8>>> {
        // The node table is complete for the account trie only (storage tries are not warmed).
        let complete = self.nodes.complete && matches!(key, NodeKey::Account(_));
        self.nodes.get(key).cloned().or(complete.then_some(None))
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
            let slots: Vec<_> = self.storage.map.iter().filter(|((a, _), _)| *a == address).map(|(k, _)| *k).collect();
            for key in slots {
                self.storage.map.pop(&key);
            }
            let nodes: Vec<_> = self
                .nodes
                .map
                .iter()
                .filter(|(key, _)| matches!(key, NodeKey::Storage(h, _) if *h == hashed))
                .map(|(key, _)| key.clone())
                .collect();
            for key in nodes {
                self.nodes.map.pop(&key);
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
        self.clears += 1;
        self.accounts.clear();
        self.storage.clear();
        self.storage_roots.clear();
        self.nodes.clear();
    }

    // ---- warming (see `warm`) ----------------------------------------------------------------

    pub(crate) fn warm_mark(&self) -> WarmMark {
        let evictions =
            self.accounts.evictions + self.storage.evictions + self.storage_roots.evictions + self.nodes.evictions;
        WarmMark { clears: self.clears, evictions }
    }

    /// Caches a stored account read by a warm-up, unless the cache already knows it (a later write
    /// or read put it there, and it is newer); `false` once the table is full.
    pub(crate) fn warm_account(&mut self, address: Address, raw: Vec<u8>) -> bool {
        self.accounts.put_absent(address, Some(raw)) || !self.accounts.is_full()
    }

    /// As [`Self::warm_account`], for a storage root.
    pub(crate) fn warm_storage_root(&mut self, address: Address, root: B256) -> bool {
        self.storage_roots.put_absent(address, root) || !self.storage_roots.is_full()
    }

    /// As [`Self::warm_account`], for an account-trie node already checked against its parent.
    pub(crate) fn warm_node(&mut self, path: Vec<u8>, raw: Vec<u8>) -> bool {
        self.nodes.put_absent(NodeKey::Account(path), Some(raw)) || !self.nodes.is_full()
    }

    /// The cached accounts (tests compare them with RocksDB).
    #[cfg(test)]
    pub(crate) fn cached_accounts(&self) -> Vec<(Address, Option<Vec<u8>>)> {
        self.accounts.map.iter().map(|(a, raw)| (*a, raw.clone())).collect()
    }

    /// The cached account-trie nodes by path (tests compare them with RocksDB).
    #[cfg(test)]
    pub(crate) fn cached_account_nodes(&self) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        let nodes = self.nodes.map.iter();
        nodes
            .filter_map(|(key, node)| match key {
                NodeKey::Account(path) => Some((path.clone(), node.clone())),
                NodeKey::Storage(..) => None,
            })
            .collect()
    }

    /// Declares tables complete, if nothing was cleared or evicted since `mark`. A table an earlier
    /// warm-up completed stays so (its flag drops by itself on an eviction or a clear).
    pub(crate) fn set_complete(&mut self, mark: WarmMark, complete: Completeness) -> bool {
        if self.warm_mark() != mark {
            return false;
        }
        self.accounts.complete |= complete.accounts;
        self.storage_roots.complete |= complete.storage_roots;
        self.nodes.complete |= complete.account_nodes;
        true
    }
}
