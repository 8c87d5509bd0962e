//! The store: opening RocksDB, the atomic block commit, and block/receipt/lookup reads.

use crate::{
    StorageError,
    cache::{CacheUpdate, HeadCache, HeadCacheStats, NodeKey},
    tables::{self, cf},
    tables::{decode_account, encode_account},
    trie::{self, NodeReader, TrieUpdate},
};
use alloy::{
    consensus::Header,
    primitives::{Address, B256, Bytes, U256, keccak256},
};
use alloy_rlp::{Decodable, Encodable};
use alloy_trie::{EMPTY_ROOT_HASH, TrieAccount};
use parking_lot::{Mutex, RwLock};
use reth_primitives_traits::Account;
use revm::primitives::KECCAK_EMPTY;
use revm::{database::BundleState, state::Bytecode};
use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamilyDescriptor, DB, Direction, IteratorMode, Options, WriteBatch, WriteOptions,
};
use serde::{Deserialize, Serialize};
use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

/// Contracts whose analysed code stays in memory (a few MiB for typical contracts, 50 MiB at most).
const BYTECODE_CACHE_ENTRIES: std::num::NonZeroUsize = std::num::NonZeroUsize::new(2048).unwrap();

/// Every account with its storage slots, as [`Store::dump_state`] returns them.
pub type StateDump = Vec<(Address, Account, Vec<(B256, U256)>)>;

/// Storage settings.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Directory of the RocksDB database.
    pub path: PathBuf,
    /// Keep state history for every block (otherwise only the last `history_blocks`).
    pub archive: bool,
    /// How many recent blocks of state history to keep when not an archive.
    pub history_blocks: u64,
    /// fsync every block commit. Off by default: the WAL already survives a killed process;
    /// turn it on to survive power loss as well.
    pub sync_writes: bool,
    /// RocksDB block cache size in bytes.
    pub cache_bytes: usize,
    /// Accounts whose proofs (`eth_getProof`) are served at past blocks: their state history and the
    /// trie nodes on their paths are kept for `proof_history_blocks` (the node puts the
    /// L2ToL1MessagePasser here, so withdrawals can be proven against any output in the challenge
    /// window). Must be accounts that are never destroyed.
    pub proof_accounts: Vec<Address>,
    /// How many blocks back `proof_accounts` can be proven.
    pub proof_history_blocks: u64,
    /// Entries per table of the head cache (accounts, slots, storage roots, trie nodes) the block
    /// builder reads through; 0 turns it off. Memory grows with the entries actually cached: a warmed
    /// state of a million accounts is 1.0M account and 1.36M trie-node entries, roughly 0.5 GiB by
    /// their sizes (see [`Store::warm_head_cache`]).
    pub head_cache_entries: usize,
}

impl StoreConfig {
    /// Defaults for a store at `path`: 128 blocks of history and proofs, 1 GiB block cache (filled
    /// only as blocks are read; at a million accounts blocks were built slower with 256 MiB, see
    /// `bai-bench` (d) in docs/benchmarks.md), no fsync.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            archive: false,
            history_blocks: 128,
            sync_writes: false,
            cache_bytes: 1 << 30,
            proof_accounts: Vec::new(),
            proof_history_blocks: 128,
            head_cache_entries: 4 << 20,
        }
    }
}

/// L1 fee fields of one transaction, shown in its RPC receipt (zero for deposits).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TxMeta {
    /// The L1 data fee the transaction paid, in wei.
    pub l1_fee: U256,
    /// The L1 gas the fee was computed from (the compressed size estimate).
    pub l1_gas_used: U256,
}

/// Per-block extras stored next to the receipts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct BlockMeta {
    /// L1 base fee from the block's L1-attributes deposit.
    pub l1_base_fee: U256,
    /// L1 blob base fee from the block's L1-attributes deposit.
    pub l1_blob_base_fee: U256,
    /// Ecotone base fee scalar in effect for the block.
    pub l1_base_fee_scalar: U256,
    /// Ecotone blob base fee scalar in effect for the block.
    pub l1_blob_base_fee_scalar: U256,
    /// Isthmus operator fee scalar in effect for the block.
    pub operator_fee_scalar: U256,
    /// Isthmus operator fee constant in effect for the block.
    pub operator_fee_constant: U256,
    /// L1 fee fields of each transaction, in block order.
    pub txs: Vec<TxMeta>,
}

/// Where a transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxLocation {
    /// Number of the block that includes it.
    pub block_number: u64,
    /// Its index within that block.
    pub index: u32,
}

/// A sealed block as stored: header, hash, EIP-2718 transactions and their senders.
#[derive(Debug, Clone)]
pub struct StoredBlock {
    /// The sealed header.
    pub header: Header,
    /// Hash of the header.
    pub hash: B256,
    /// EIP-2718 encoded transactions, in block order.
    pub transactions: Vec<Bytes>,
    /// Recovered sender of each transaction, in the same order.
    pub senders: Vec<Address>,
}

/// Everything a block adds besides state.
#[derive(Debug, Clone)]
pub struct BlockCommit {
    /// The block itself.
    pub block: StoredBlock,
    /// EIP-2718 encoded receipts.
    pub receipts: Vec<Bytes>,
    /// Hash of each transaction, in block order (for the lookup table).
    pub tx_hashes: Vec<B256>,
    /// L1 fee fields of the block and its transactions.
    pub meta: BlockMeta,
    /// Address and topics of every log of the block, for the log index.
    pub logs: Vec<(Address, Vec<B256>)>,
}

/// State changes of one block turned into writes, with the roots they produce.
pub struct PreparedState {
    batch: WriteBatch,
    /// The state root after the block's changes.
    pub state_root: B256,
    /// New storage roots of the accounts this block changed.
    pub storage_roots: HashMap<Address, B256>,
    history_keys: Vec<u8>,
    /// History keys of proof accounts, kept for the proof window.
    proof_keys: Vec<u8>,
    /// What the head cache learns once the block is committed.
    cache: CacheUpdate,
    /// Bytecode the block deployed (the builder reads it from a staged block).
    bytecodes: Vec<(B256, Bytecode)>,
}

impl PreparedState {
    /// Whether the block wipes an account's storage (written synchronously, see `persist`).
    pub(crate) fn wipes_storage(&self) -> bool {
        !self.cache.wiped.is_empty()
    }
}

/// A block's whole write, ready to land ([`Store::land`]).
pub(crate) struct BlockWrite {
    batch: WriteBatch,
    pub(crate) number: u64,
    /// What the head cache learns; `None` once staging moved it into the overlay (see `persist`).
    pub(crate) cache: Option<CacheUpdate>,
    pub(crate) bytecodes: Vec<(B256, Bytecode)>,
    new_oldest: Option<u64>,
    new_oldest_proof: Option<u64>,
}

/// What the head cache does with a write ([`Store::write_head`]).
enum CacheAfter {
    /// Forget everything (a write the cache was not told about).
    Clear,
    /// Learn exactly what the write changed.
    Apply(CacheUpdate),
    /// Learn what the staged block's overlay holds, then drop the overlay (see `persist`).
    ApplyStaged,
}

struct Head {
    number: Option<u64>,
}

/// What `eth_getLogs` asks the log index: any of `addresses` (empty: any address) and, at each
/// topic position, any of its topics (empty: any topic).
#[derive(Debug, Clone, Copy, Default)]
pub struct LogQuery<'a> {
    /// Log addresses to match (any of them).
    pub addresses: &'a [Address],
    /// Topics to match at positions 0..4 (any of each).
    pub topics: &'a [Vec<B256>],
}

/// Splits a block's list of log-index entries (each: length byte ++ entry).
fn decode_index_entries(mut list: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let (&len, rest) = list.split_first()?;
        let (entry, rest) = rest.split_at_checked(len as usize)?;
        list = rest;
        Some(entry)
    })
}

/// The node's database.
pub struct Store {
    db: DB,
    config: StoreConfig,
    head: RwLock<Head>,
    oldest_state: RwLock<u64>,
    oldest_proof: RwLock<u64>,
    /// First block the log index covers.
    log_index_from: u64,
    /// Account-trie key paths (nibbles) of the proof accounts.
    proof_paths: Vec<Vec<u8>>,
    /// Seqlock over the plain state: odd while a block is being written. Lets reads at the head
    /// skip the history lookup when no commit overlapped them.
    version: AtomicU64,
    /// The head's state and trie nodes in memory for the block builder (see `cache`); `None` if off.
    pub(crate) head_cache: Mutex<Option<HeadCache>>,
    /// Where the builder's head-cache misses on accounts go while a prefetch runs (see `prefetch`).
    pub(crate) cold_accounts: Mutex<Option<std::sync::mpsc::Sender<Address>>>,
    /// Analysed bytecode by hash, for every reader: code is content-addressed and never rewritten,
    /// so an entry can never be stale, and each `eth_call` or block no longer re-reads and
    /// re-analyses (jump destinations) the contracts it runs.
    bytecodes: Mutex<lru::LruCache<B256, Bytecode>>,
    /// The sealed block whose write is in flight, for the builder's reads (see `persist`).
    pub(crate) staged: RwLock<Option<crate::persist::Staged>>,
    pub(crate) persisting: Arc<crate::persist::Persisting>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.config.path).finish()
    }
}

/// Reads trie nodes through the head cache (the block builder's reads).
struct CachedTrie<'a> {
    store: &'a Store,
    /// `None`: the account trie; otherwise the hashed address of the storage trie's account.
    storage_of: Option<B256>,
}

impl CachedTrie<'_> {
    fn key(&self, path: &[u8]) -> NodeKey {
        match self.storage_of {
            None => NodeKey::Account(path.to_vec()),
            Some(hashed_address) => NodeKey::Storage(hashed_address, path.to_vec()),
        }
    }

    fn stored(&self, path: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        match self.storage_of {
            None => AccountTrie(&self.store.db).node(path),
            Some(hashed_address) => StorageTrie { db: &self.store.db, hashed_address }.node(path),
        }
    }

    fn cached(&self, key: &NodeKey) -> Option<Option<Vec<u8>>> {
        self.store.head_cache.lock().as_mut().and_then(|cache| cache.node(key))
    }
}

impl NodeReader for CachedTrie<'_> {
    fn node(&self, path: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.trusted_node(path)?.map(|(raw, _)| raw))
    }

    /// The cache holds only nodes this store wrote or a trie update checked against their parent's
    /// hash, so a hit is trusted; a miss is read from RocksDB and cached only once checked
    /// ([`NodeReader::checked`]). A cached absence is kept from the read itself: there is nothing to hash.
    fn trusted_node(&self, path: &[u8]) -> Result<Option<(Vec<u8>, bool)>, StorageError> {
        let key = self.key(path);
        if let Some(hit) = self.store.staged_node(&key).or_else(|| self.cached(&key)) {
            return Ok(hit.map(|raw| (raw, true)));
        }
        let stored = self.stored(path)?;
        if stored.is_none()
            && let Some(cache) = self.store.head_cache.lock().as_mut()
        {
            cache.put_node(key, None);
        }
        Ok(stored.map(|raw| (raw, false)))
    }

    fn checked(&self, path: &[u8], raw: &[u8]) {
        if let Some(cache) = self.store.head_cache.lock().as_mut() {
            cache.put_node(self.key(path), Some(raw.to_vec()));
        }
    }
}

/// Reads account-trie nodes.
pub(crate) struct AccountTrie<'a>(pub(crate) &'a DB);
/// Reads the storage-trie nodes of one account.
struct StorageTrie<'a> {
    db: &'a DB,
    hashed_address: B256,
}

impl NodeReader for AccountTrie<'_> {
    fn node(&self, path: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.0.get_cf(self.0.cf_handle(cf::TRIE_ACCOUNTS).expect("cf"), path)?)
    }
}

impl NodeReader for StorageTrie<'_> {
    fn node(&self, path: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let key = [self.hashed_address.as_slice(), path].concat();
        Ok(self.db.get_cf(self.db.cf_handle(cf::TRIE_STORAGES).expect("cf"), key)?)
    }
}

impl Store {
    /// Opens (creating if needed) the database at `config.path`.
    pub fn open(config: StoreConfig) -> Result<Arc<Self>, StorageError> {
        let cache = Cache::new_lru_cache(config.cache_bytes);
        let mut table_options = BlockBasedOptions::default();
        table_options.set_block_cache(&cache);
        table_options.set_bloom_filter(10.0, false);
        table_options.set_cache_index_and_filter_blocks(true);
        let mut cf_options = Options::default();
        cf_options.set_block_based_table_factory(&table_options);
        cf_options.set_compression_type(rocksdb::DBCompressionType::Lz4);

        let mut options = Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        options.increase_parallelism(2);
        options.set_max_open_files(512);
        let descriptors = cf::ALL.iter().map(|name| ColumnFamilyDescriptor::new(*name, cf_options.clone()));
        let db = DB::open_cf_descriptors(&options, &config.path, descriptors)?;

        let meta = db.cf_handle(cf::META).expect("cf");
        let head = db.get_cf(meta, tables::HEAD_KEY)?.map(|raw| tables::decode_block_key(&raw));
        let oldest = db.get_cf(meta, tables::OLDEST_STATE_KEY)?.map(|raw| tables::decode_block_key(&raw));
        // Proof history is complete only from the block it started at: a store written before it
        // existed can prove past blocks from its head on.
        let oldest_proof = match db.get_cf(meta, tables::OLDEST_PROOF_KEY)? {
            Some(raw) => tables::decode_block_key(&raw),
            None => {
                let start = head.unwrap_or(0);
                db.put_cf(meta, tables::OLDEST_PROOF_KEY, tables::block_key(start))?;
                start
            }
        };
        // Likewise the log index covers the blocks written since it existed.
        let log_index_from = match db.get_cf(meta, tables::LOG_INDEX_FROM_KEY)? {
            Some(raw) => tables::decode_block_key(&raw),
            None => {
                let start = head.map_or(0, |h| h + 1);
                db.put_cf(meta, tables::LOG_INDEX_FROM_KEY, tables::block_key(start))?;
                start
            }
        };
        let proof_paths = config.proof_accounts.iter().map(|a| trie::key_nibbles(&keccak256(a))).collect();
        Ok(Arc::new(Self {
            db,
            head: RwLock::new(Head { number: head }),
            oldest_state: RwLock::new(oldest.unwrap_or(0)),
            oldest_proof: RwLock::new(oldest_proof),
            log_index_from,
            head_cache: Mutex::new(HeadCache::new(config.head_cache_entries)),
            cold_accounts: Mutex::new(None),
            bytecodes: Mutex::new(lru::LruCache::new(BYTECODE_CACHE_ENTRIES)),
            proof_paths,
            version: AtomicU64::new(0),
            staged: RwLock::new(None),
            persisting: Default::default(),
            config,
        }))
    }

    /// The settings the store was opened with.
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    pub(crate) fn cf(&self, name: &str) -> &rocksdb::ColumnFamily {
        self.db.cf_handle(name).expect("all column families are opened")
    }

    pub(crate) fn db(&self) -> &DB {
        &self.db
    }

    /// Number of the last committed block; `None` before genesis.
    pub fn head_number(&self) -> Option<u64> {
        self.head.read().number
    }

    /// Seqlock version of the plain state (even: stable).
    pub(crate) fn plain_version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    /// Oldest block whose state can still be read.
    pub fn oldest_state_block(&self) -> u64 {
        *self.oldest_state.read()
    }

    /// Oldest block at which the proof accounts can still be proven.
    pub fn oldest_proof_block(&self) -> u64 {
        *self.oldest_proof.read()
    }

    /// First block the log index covers; [`Self::log_blocks`] answers only from here on.
    pub fn log_index_from(&self) -> u64 {
        self.log_index_from
    }

    /// Puts block `number`'s log-index keys into `batch`, and the list of them for a rewind.
    fn index_logs(&self, batch: &mut WriteBatch, number: u64, logs: &[(Address, Vec<B256>)]) {
        let mut entries: std::collections::BTreeSet<Vec<u8>> = Default::default();
        for (address, topics) in logs {
            entries.insert(tables::log_index_entry(tables::LOG_INDEX_ADDRESS, address.as_slice()));
            for (position, topic) in topics.iter().enumerate().take(4) {
                entries.insert(tables::log_index_entry(tables::LOG_INDEX_TOPIC0 + position as u8, topic.as_slice()));
            }
        }
        if entries.is_empty() {
            return;
        }
        let key = tables::block_key(number);
        let mut list = Vec::new();
        for entry in &entries {
            batch.put_cf(self.cf(cf::LOG_INDEX), [entry.as_slice(), &key].concat(), []);
            list.push(entry.len() as u8);
            list.extend_from_slice(entry);
        }
        batch.put_cf(self.cf(cf::LOG_INDEX_BLOCKS), key, list);
    }

    /// The blocks in `from..=to` that may hold a log matching `query`, from the log index: for
    /// each constrained dimension (the addresses, each topic position) the blocks holding any of
    /// its values, intersected. `None` when the query constrains nothing (every block with logs
    /// can match) or `from` is below [`Self::log_index_from`]. The caller still matches each log:
    /// a block is listed when it holds a matching address in one log and a matching topic in another.
    pub fn log_blocks(&self, query: &LogQuery<'_>, from: u64, to: u64) -> Result<Option<Vec<u64>>, StorageError> {
        if from < self.log_index_from || from > to {
            return Ok(None);
        }
        let mut dimensions: Vec<Vec<Vec<u8>>> = Vec::new();
        if !query.addresses.is_empty() {
            dimensions.push(
                query
                    .addresses
                    .iter()
                    .map(|a| tables::log_index_entry(tables::LOG_INDEX_ADDRESS, a.as_slice()))
                    .collect(),
            );
        }
        for (position, topics) in query.topics.iter().enumerate().take(4) {
            if !topics.is_empty() {
                dimensions.push(
                    topics
                        .iter()
                        .map(|t| tables::log_index_entry(tables::LOG_INDEX_TOPIC0 + position as u8, t.as_slice()))
                        .collect(),
                );
            }
        }
        if dimensions.is_empty() {
            return Ok(None);
        }
        let index = self.cf(cf::LOG_INDEX);
        let mut result: Option<std::collections::BTreeSet<u64>> = None;
        // Narrowest first would be cheaper; the index has no counts, so in the query's order.
        for values in dimensions {
            let mut blocks = std::collections::BTreeSet::new();
            for entry in values {
                let start = [entry.as_slice(), &tables::block_key(from)].concat();
                let end = [entry.as_slice(), &tables::block_key(to)].concat();
                for item in self.db.iterator_cf(index, IteratorMode::From(&start, Direction::Forward)) {
                    let (key, _) = item?;
                    if key.as_ref() > end.as_slice() || !key.starts_with(&entry) {
                        break;
                    }
                    blocks.insert(tables::decode_block_key(&key[entry.len()..]));
                }
            }
            result = Some(match result {
                None => blocks,
                Some(previous) => previous.intersection(&blocks).copied().collect(),
            });
            if result.as_ref().is_some_and(|r| r.is_empty()) {
                break;
            }
        }
        Ok(result.map(|blocks| blocks.into_iter().collect()))
    }

    pub(crate) fn is_proof_account(&self, address: &Address) -> bool {
        self.config.proof_accounts.contains(address)
    }

    // ---- state ----------------------------------------------------------------------------

    /// The head's stored encoding of `address` from RocksDB (no cache).
    pub(crate) fn stored_account(&self, address: &Address) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.db.get_cf(self.cf(cf::ACCOUNTS), address)?)
    }

    /// Storage root of `address` at the head.
    pub fn storage_root(&self, address: &Address) -> Result<B256, StorageError> {
        Ok(self
            .db
            .get_cf(self.cf(cf::STORAGE_ROOTS), address)?
            .map(|raw| B256::from_slice(&raw))
            .unwrap_or(EMPTY_ROOT_HASH))
    }

    /// [`Self::storage_root`] through the head cache (block builder only).
    fn latest_storage_root(&self, address: &Address) -> Result<B256, StorageError> {
        if let Some(root) = self.staged_storage_root(address) {
            return Ok(root);
        }
        self.through_cache(
            |cache| cache.storage_root(address),
            || self.storage_root(address),
            |cache, root| cache.put_storage_root(*address, root),
        )
    }

    /// The head's stored encoding of `address` through the head cache (`StateAt::Latest`: the block
    /// builder only, which is also the only writer, so nothing changes the head under it). A miss is
    /// told to a running [`crate::Prefetch`]: a cold account's trie path is most likely cold too.
    pub(crate) fn latest_account_raw(&self, address: &Address) -> Result<Option<Vec<u8>>, StorageError> {
        if let Some(raw) = self.staged_account(address) {
            return Ok(raw);
        }
        self.through_cache(
            |cache| cache.account(address),
            || {
                if let Some(prefetch) = self.cold_accounts.lock().as_ref() {
                    let _ = prefetch.send(*address);
                }
                self.stored_account(address)
            },
            |cache, raw| cache.put_account(*address, raw),
        )
    }

    /// The head's value of a storage slot through the head cache (as [`Self::latest_account_raw`]).
    pub(crate) fn latest_storage(&self, address: &Address, slot: &B256) -> Result<U256, StorageError> {
        if let Some(value) = self.staged_storage(address, slot) {
            return Ok(value);
        }
        self.through_cache(
            |cache| cache.storage(address, slot),
            || {
                let raw = self.db.get_cf(self.cf(cf::STORAGE), tables::storage_key(address, slot))?;
                Ok(raw.map(|raw| U256::from_be_slice(&raw)).unwrap_or_default())
            },
            |cache, value| cache.put_storage(*address, *slot, value),
        )
    }

    /// A read answered by the head cache when it has the value, otherwise by `load` (whose answer
    /// the cache keeps).
    fn through_cache<T: Clone>(
        &self,
        get: impl FnOnce(&mut HeadCache) -> Option<T>,
        load: impl FnOnce() -> Result<T, StorageError>,
        put: impl FnOnce(&mut HeadCache, T),
    ) -> Result<T, StorageError> {
        if let Some(hit) = self.head_cache.lock().as_mut().and_then(get) {
            return Ok(hit);
        }
        let value = load()?;
        if let Some(cache) = self.head_cache.lock().as_mut() {
            put(cache, value.clone());
        }
        Ok(value)
    }

    /// Flushes the memtables and waits until RocksDB has no flush or compaction running or pending.
    /// For benchmarks: a store that has just taken a bulk load (a large genesis) holds it in a huge
    /// memtable (every later insert searches it) and compacts it for seconds on the same cores, which
    /// says nothing about a settled node of that size.
    pub fn settle(&self) -> Result<(), StorageError> {
        self.wait_persisted()?;
        for name in cf::ALL {
            self.db.flush_cf(self.cf(name))?;
        }
        loop {
            let mut busy = self.db.property_int_value("rocksdb.num-running-compactions")?.unwrap_or(0)
                + self.db.property_int_value("rocksdb.num-running-flushes")?.unwrap_or(0);
            for name in cf::ALL {
                let cf = self.cf(name);
                busy += self.db.property_int_value_cf(cf, "rocksdb.compaction-pending")?.unwrap_or(0)
                    + self.db.property_int_value_cf(cf, "rocksdb.mem-table-flush-pending")?.unwrap_or(0);
            }
            if busy == 0 {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Hits and misses of the head cache since the store opened (zero when it is off).
    pub fn head_cache_stats(&self) -> HeadCacheStats {
        self.head_cache.lock().as_ref().map(HeadCache::stats).unwrap_or_default()
    }

    /// Which tables of the head cache hold their whole RocksDB table (see [`Store::warm_head_cache`]).
    pub fn head_cache_completeness(&self) -> crate::Completeness {
        self.head_cache.lock().as_ref().map(HeadCache::completeness).unwrap_or_default()
    }

    /// State root at the head (from the stored header).
    pub fn head_state_root(&self) -> Result<B256, StorageError> {
        match self.head_number() {
            Some(n) => Ok(self.header(n)?.ok_or(StorageError::UnknownBlock(n))?.state_root),
            None => Ok(EMPTY_ROOT_HASH),
        }
    }

    /// EIP-1186 proof nodes for an account at the head.
    pub fn account_proof(&self, address: &Address) -> Result<Vec<Vec<u8>>, StorageError> {
        trie::proof(&AccountTrie(&self.db), self.head_state_root()?, &keccak256(address))
    }

    /// EIP-1186 proof nodes for a storage slot at the head.
    pub fn storage_proof(&self, address: &Address, slot: &B256) -> Result<Vec<Vec<u8>>, StorageError> {
        let reader = StorageTrie { db: &self.db, hashed_address: keccak256(address) };
        trie::proof(&reader, self.storage_root(address)?, &keccak256(slot))
    }

    /// Turns one block's state changes into writes and computes the new state root. Nothing is
    /// written until [`Self::commit_block`].
    /// Waits first for an in-flight write (see `persist`): the trie update reads the head as written.
    pub fn prepare_state(&self, bundle: &BundleState, block: u64) -> Result<PreparedState, StorageError> {
        self.wait_persisted()?;
        let mut batch = WriteBatch::default();
        let mut history_keys = Vec::new();
        let mut proof_keys = Vec::new();
        let mut storage_roots = HashMap::new();
        let mut cache = CacheUpdate::default();
        let account_reader = CachedTrie { store: self, storage_of: None };
        let mut account_trie = TrieUpdate::new(&account_reader, self.head_state_root()?);
        let record = |keys: &mut Vec<u8>, table: u8, key: &[u8]| {
            keys.push(table);
            keys.push(key.len() as u8);
            keys.extend_from_slice(key);
        };

        let mut accounts: Vec<_> = bundle.state.iter().collect();
        accounts.sort_unstable_by_key(|(address, _)| **address);
        for (address, account) in accounts {
            let wiped = account.was_destroyed();
            let info_changed = match (&account.info, &account.original_info) {
                (Some(a), Some(b)) => a.nonce != b.nonce || a.balance != b.balance || a.code_hash != b.code_hash,
                (None, None) => false,
                _ => true,
            };
            let storage_changed =
                account.storage.values().any(|slot| slot.present_value != slot.previous_or_original_value);
            if !wiped && !info_changed && !storage_changed {
                continue;
            }
            let hashed_address = keccak256(address);
            let proof_account = self.is_proof_account(address);
            let keys = if proof_account { &mut proof_keys } else { &mut history_keys };

            // Account history: the stored account before this block.
            if info_changed || wiped {
                let previous = self.latest_account_raw(address)?.unwrap_or_default();
                let key = tables::account_history_key(address, block);
                batch.put_cf(self.cf(cf::ACCOUNT_HISTORY), &key, previous);
                record(keys, 0, &key);
            }

            // Storage: plain slots, history and the account's storage trie.
            let mut storage_root = if wiped { EMPTY_ROOT_HASH } else { self.latest_storage_root(address)? };
            if wiped || storage_changed {
                let reader = CachedTrie { store: self, storage_of: Some(hashed_address) };
                let mut storage_trie = TrieUpdate::new(&reader, storage_root);
                if wiped {
                    cache.wiped.push((*address, hashed_address));
                    // Record every old slot in history, then drop the old slots and trie nodes.
                    let prefix = address.as_slice();
                    let iter =
                        self.db.iterator_cf(self.cf(cf::STORAGE), IteratorMode::From(prefix, Direction::Forward));
                    for item in iter {
                        let (key, value) = item?;
                        if !key.starts_with(prefix) {
                            break;
                        }
                        let slot = B256::from_slice(&key[20..52]);
                        let hkey = tables::storage_history_key(address, &slot, block);
                        batch.put_cf(self.cf(cf::STORAGE_HISTORY), &hkey, value);
                        record(keys, 1, &hkey);
                    }
                    batch.delete_range_cf(self.cf(cf::STORAGE), prefix, &tables::prefix_end(prefix)[..]);
                    let trie_prefix = hashed_address.as_slice();
                    batch.delete_range_cf(
                        self.cf(cf::TRIE_STORAGES),
                        trie_prefix,
                        &tables::prefix_end(trie_prefix)[..],
                    );
                }
                let mut slots: Vec<_> = account.storage.iter().collect();
                slots.sort_unstable_by_key(|(slot, _)| **slot);
                for (slot, value) in slots {
                    if !wiped && value.present_value == value.previous_or_original_value {
                        continue;
                    }
                    let slot = B256::from(*slot);
                    let key = tables::storage_key(address, &slot);
                    if !wiped {
                        let hkey = tables::storage_history_key(address, &slot, block);
                        batch.put_cf(
                            self.cf(cf::STORAGE_HISTORY),
                            &hkey,
                            value.previous_or_original_value.to_be_bytes::<32>(),
                        );
                        record(keys, 1, &hkey);
                    } else if self.db.get_cf(self.cf(cf::STORAGE), key)?.is_none() {
                        // A slot the old incarnation did not have: it was zero before.
                        let hkey = tables::storage_history_key(address, &slot, block);
                        batch.put_cf(self.cf(cf::STORAGE_HISTORY), &hkey, [0u8; 32]);
                        record(keys, 1, &hkey);
                    }
                    let hashed_slot = keccak256(slot);
                    cache.storage.push(((*address, slot), value.present_value));
                    if value.present_value.is_zero() {
                        batch.delete_cf(self.cf(cf::STORAGE), key);
                        storage_trie.remove(&hashed_slot)?;
                    } else {
                        batch.put_cf(self.cf(cf::STORAGE), key, value.present_value.to_be_bytes::<32>());
                        storage_trie.insert(&hashed_slot, alloy_rlp::encode(value.present_value))?;
                    }
                }
                let (root, writes) = storage_trie.commit();
                if proof_account {
                    self.record_trie_history(&mut batch, keys, &hashed_address, &writes, block, |_| true)?;
                }
                cache.nodes.extend(writes.cache_entries(|path| NodeKey::Storage(hashed_address, path)));
                cache.storage_roots.push((*address, root));
                self.write_storage_trie(&mut batch, address, &hashed_address, root, writes);
                storage_root = root;
                storage_roots.insert(*address, root);
            }

            // The account itself: plain state and its leaf in the account trie.
            match &account.info {
                Some(info) => {
                    let stored = Account {
                        nonce: info.nonce,
                        balance: info.balance,
                        bytecode_hash: (info.code_hash != KECCAK_EMPTY).then_some(info.code_hash),
                    };
                    let raw = encode_account(&stored);
                    batch.put_cf(self.cf(cf::ACCOUNTS), address, &raw);
                    cache.accounts.push((*address, Some(raw)));
                    let leaf = TrieAccount::new(info.nonce, info.balance, storage_root, info.code_hash);
                    account_trie.insert(&hashed_address, alloy_rlp::encode(leaf))?;
                }
                None => {
                    batch.delete_cf(self.cf(cf::ACCOUNTS), address);
                    batch.delete_cf(self.cf(cf::STORAGE_ROOTS), address);
                    cache.accounts.push((*address, None));
                    cache.storage_roots.push((*address, EMPTY_ROOT_HASH));
                    account_trie.remove(&hashed_address)?;
                }
            }
        }

        let mut bytecodes = Vec::with_capacity(bundle.contracts.len());
        for (hash, code) in &bundle.contracts {
            batch.put_cf(self.cf(cf::BYTECODE), hash, code.original_bytes());
            bytecodes.push((*hash, code.clone()));
        }
        let (state_root, writes) = account_trie.commit();
        if !self.proof_paths.is_empty() {
            // Only the account-trie nodes on the proof accounts' paths are kept.
            let on_path = |path: &[u8]| self.proof_paths.iter().any(|p| p.starts_with(path));
            self.record_trie_history(&mut batch, &mut proof_keys, &B256::ZERO, &writes, block, on_path)?;
        }
        cache.nodes.extend(writes.cache_entries(NodeKey::Account));
        for path in writes.deletes {
            batch.delete_cf(self.cf(cf::TRIE_ACCOUNTS), path);
        }
        for (path, node) in writes.puts {
            batch.put_cf(self.cf(cf::TRIE_ACCOUNTS), path, node);
        }
        Ok(PreparedState { batch, state_root, storage_roots, history_keys, proof_keys, cache, bytecodes })
    }

    /// Records in `batch` the nodes that `writes` is about to replace or delete (those whose path
    /// `keep` accepts), keyed by `trie` (zero: the account trie) and `block`.
    fn record_trie_history(
        &self,
        batch: &mut WriteBatch,
        keys: &mut Vec<u8>,
        trie: &B256,
        writes: &trie::TrieWrites,
        block: u64,
        keep: impl Fn(&[u8]) -> bool,
    ) -> Result<(), StorageError> {
        let (nodes, prefix): (_, &[u8]) =
            if trie.is_zero() { (cf::TRIE_ACCOUNTS, &[]) } else { (cf::TRIE_STORAGES, trie.as_slice()) };
        for path in writes.deletes.iter().chain(writes.puts.iter().map(|(path, _)| path)) {
            if !keep(path) {
                continue;
            }
            let previous = self.db.get_cf(self.cf(nodes), [prefix, path].concat())?.unwrap_or_default();
            let key = tables::trie_history_key(trie, path, block);
            batch.put_cf(self.cf(cf::TRIE_HISTORY), &key, previous);
            keys.push(2);
            keys.push(key.len() as u8);
            keys.extend_from_slice(&key);
        }
        Ok(())
    }

    /// Writes `batch` atomically and moves the in-memory head to `number`. The head lock is held
    /// across the write so readers never see a head without its block, and the seqlock version is
    /// odd while the plain state changes.
    /// The head cache learns `cache` (what the batch wrote) with the write; without one, or if the
    /// write fails, it forgets everything.
    fn write_head(&self, batch: WriteBatch, number: u64, cache: CacheAfter) -> Result<(), StorageError> {
        let mut options = WriteOptions::default();
        options.set_sync(self.config.sync_writes);
        let mut head = self.head.write();
        self.version.fetch_add(1, Ordering::SeqCst);
        let written = self.db.write_opt(batch, &options);
        if written.is_ok() {
            head.number = Some(number);
        }
        // A staged block's overlay goes while the cache lock is held, so a builder read that no
        // longer finds it (overlay, then cache, then RocksDB) waits for the cache to have it.
        let mut head_cache = self.head_cache.lock();
        let update = match cache {
            CacheAfter::Clear => None,
            CacheAfter::Apply(update) => Some((update, false)),
            CacheAfter::ApplyStaged => self.unstage().map(|staged| (staged.into_update(), true)),
        };
        if let Some(head_cache) = head_cache.as_mut() {
            match (&written, update) {
                (Ok(()), Some((update, staged))) => head_cache.apply(update, staged),
                _ => head_cache.clear(),
            }
        }
        drop(head_cache);
        self.version.fetch_add(1, Ordering::SeqCst);
        Ok(written?)
    }

    /// Puts an account's updated storage trie nodes and its new storage root into `batch`.
    fn write_storage_trie(
        &self,
        batch: &mut WriteBatch,
        address: &Address,
        hashed_address: &B256,
        root: B256,
        writes: trie::TrieWrites,
    ) {
        for path in writes.deletes {
            batch.delete_cf(self.cf(cf::TRIE_STORAGES), [hashed_address.as_slice(), &path].concat());
        }
        for (path, node) in writes.puts {
            batch.put_cf(self.cf(cf::TRIE_STORAGES), [hashed_address.as_slice(), &path].concat(), node);
        }
        if root == EMPTY_ROOT_HASH {
            batch.delete_cf(self.cf(cf::STORAGE_ROOTS), address);
        } else {
            batch.put_cf(self.cf(cf::STORAGE_ROOTS), address, root);
        }
    }

    /// Writes a block and its prepared state in one atomic batch and moves the head to it (after any
    /// in-flight pipelined write, see `persist`).
    pub fn commit_block(&self, commit: BlockCommit, prepared: PreparedState) -> Result<(), StorageError> {
        self.wait_persisted()?;
        let write = self.block_write(commit, prepared)?;
        self.land(write)
    }

    /// The whole atomic write of a block: its prepared state, the block, its receipts, lookups and
    /// log index, and the history that falls out of the retention windows. Reads the head as written.
    pub(crate) fn block_write(&self, commit: BlockCommit, prepared: PreparedState) -> Result<BlockWrite, StorageError> {
        let PreparedState { mut batch, history_keys, proof_keys, cache, bytecodes, .. } = prepared;
        let number = commit.block.header.number;
        let key = tables::block_key(number);

        let mut header = Vec::with_capacity(600);
        commit.block.header.encode(&mut header);
        batch.put_cf(self.cf(cf::HEADERS), key, header);
        batch.put_cf(self.cf(cf::CANONICAL), key, commit.block.hash);
        batch.put_cf(self.cf(cf::BLOCK_NUMBERS), commit.block.hash, key);
        batch.put_cf(self.cf(cf::BODIES), key, alloy_rlp::encode(&commit.block.transactions));
        let senders: Vec<u8> = commit.block.senders.iter().flat_map(|a| a.0.0).collect();
        batch.put_cf(self.cf(cf::SENDERS), key, senders);
        batch.put_cf(self.cf(cf::RECEIPTS), key, alloy_rlp::encode(&commit.receipts));
        batch.put_cf(self.cf(cf::TX_META), key, serde_json::to_vec(&commit.meta).expect("block meta serializes"));
        // Sorted by hash for the memtable's sequential insert (see `TrieUpdate::commit`).
        let mut lookups: Vec<(&B256, u32)> = commit.tx_hashes.iter().zip(0u32..).collect();
        lookups.sort_unstable();
        for (hash, index) in lookups {
            let mut location = [0u8; 12];
            location[..8].copy_from_slice(&key);
            location[8..].copy_from_slice(&index.to_be_bytes());
            batch.put_cf(self.cf(cf::TX_LOOKUP), hash, location);
        }
        if !history_keys.is_empty() {
            batch.put_cf(self.cf(cf::CHANGESETS), key, &history_keys);
        }
        self.index_logs(&mut batch, number, &commit.logs);
        if !proof_keys.is_empty() {
            batch.put_cf(self.cf(cf::PROOF_CHANGESETS), key, &proof_keys);
        }
        batch.put_cf(self.cf(cf::META), tables::HEAD_KEY, key);

        // Prune history that fell out of its retention window in the same batch: the state window,
        // and the longer one of the proof accounts.
        let new_oldest = self.prune_window(
            &mut batch,
            number,
            self.config.history_blocks,
            self.oldest_state_block(),
            cf::CHANGESETS,
            tables::OLDEST_STATE_KEY,
        )?;
        let new_oldest_proof = self.prune_window(
            &mut batch,
            number,
            self.config.proof_history_blocks,
            self.oldest_proof_block(),
            cf::PROOF_CHANGESETS,
            tables::OLDEST_PROOF_KEY,
        )?;

        Ok(BlockWrite { batch, number, cache: Some(cache), bytecodes, new_oldest, new_oldest_proof })
    }

    /// Writes `write` and moves the head (and the head cache) to its block.
    pub(crate) fn land(&self, write: BlockWrite) -> Result<(), StorageError> {
        let BlockWrite { batch, number, cache, new_oldest, new_oldest_proof, .. } = write;
        let cache = match cache {
            Some(update) => CacheAfter::Apply(update),
            None => CacheAfter::ApplyStaged,
        };
        self.write_head(batch, number, cache)?;
        if let Some(oldest) = new_oldest {
            *self.oldest_state.write() = oldest;
        }
        if let Some(oldest) = new_oldest_proof {
            *self.oldest_proof.write() = oldest;
        }
        Ok(())
    }

    /// Removes the head block and returns the state to the end of its parent, in one atomic write:
    /// the plain state and both tries are put back from the block's changeset (the history the commit
    /// recorded), and the block, its receipts and lookups are deleted. Used when L2 must reorg (the
    /// sequencer's unsafe blocks replaced by what L1 derives). Only blocks whose history is still kept
    /// can be removed. The recomputed state root is checked against the parent's header before
    /// anything is written.
    pub fn unwind_head(&self) -> Result<StoredBlock, StorageError> {
        self.wait_persisted()?;
        let number = self.head_number().ok_or(StorageError::UnknownBlock(0))?;
        if number == 0 {
            return Err(StorageError::Corrupt("cannot unwind genesis".into()));
        }
        let oldest = self.oldest_state_block();
        if number < oldest && !self.config.archive {
            return Err(StorageError::StatePruned { requested: number - 1, oldest });
        }
        let block = self.block(number)?.ok_or(StorageError::UnknownBlock(number))?;
        let parent = self.header(number - 1)?.ok_or(StorageError::UnknownBlock(number - 1))?;
        let key = tables::block_key(number);
        let mut changeset = self.db.get_cf(self.cf(cf::CHANGESETS), key)?.unwrap_or_default();
        changeset.extend(self.db.get_cf(self.cf(cf::PROOF_CHANGESETS), key)?.unwrap_or_default());

        let mut batch = WriteBatch::default();
        // Previous account encodings and slot values, per address; an empty account means "absent".
        let mut accounts: std::collections::BTreeMap<Address, Option<Vec<u8>>> = Default::default();
        let mut slots: std::collections::BTreeMap<Address, Vec<(B256, Vec<u8>)>> = Default::default();
        let mut rest = changeset.as_slice();
        while rest.len() >= 2 {
            let (table, len) = (rest[0], rest[1] as usize);
            let history_key = &rest[2..2 + len];
            rest = &rest[2 + len..];
            if table == 2 {
                // Trie node history needs no restoring: the tries are recomputed below.
                batch.delete_cf(self.cf(cf::TRIE_HISTORY), history_key);
                continue;
            }
            let address = Address::from_slice(&history_key[..20]);
            let (history_cf, previous) = if table == 0 {
                (cf::ACCOUNT_HISTORY, self.db.get_cf(self.cf(cf::ACCOUNT_HISTORY), history_key)?)
            } else {
                (cf::STORAGE_HISTORY, self.db.get_cf(self.cf(cf::STORAGE_HISTORY), history_key)?)
            };
            let previous = previous
                .ok_or_else(|| StorageError::Corrupt(format!("block {number}: history entry missing for {address}")))?;
            if table == 0 {
                accounts.insert(address, Some(previous));
            } else {
                accounts.entry(address).or_insert(None);
                slots.entry(address).or_default().push((B256::from_slice(&history_key[20..52]), previous));
            }
            batch.delete_cf(self.cf(history_cf), history_key);
        }

        let account_reader = AccountTrie(&self.db);
        let mut account_trie = TrieUpdate::new(&account_reader, self.head_state_root()?);
        for (address, previous) in &accounts {
            let hashed_address = keccak256(address);
            let mut storage_root = self.storage_root(address)?;
            if let Some(changed) = slots.get(address) {
                let reader = StorageTrie { db: &self.db, hashed_address };
                let mut storage_trie = TrieUpdate::new(&reader, storage_root);
                for (slot, value) in changed {
                    let value = U256::from_be_slice(value);
                    let plain = tables::storage_key(address, slot);
                    let hashed_slot = keccak256(slot);
                    if value.is_zero() {
                        batch.delete_cf(self.cf(cf::STORAGE), plain);
                        storage_trie.remove(&hashed_slot)?;
                    } else {
                        batch.put_cf(self.cf(cf::STORAGE), plain, value.to_be_bytes::<32>());
                        storage_trie.insert(&hashed_slot, alloy_rlp::encode(value))?;
                    }
                }
                let (root, writes) = storage_trie.commit();
                self.write_storage_trie(&mut batch, address, &hashed_address, root, writes);
                storage_root = root;
            }
            // The account as it was: from history when the block changed it, else as stored now.
            let restored = match previous {
                Some(raw) => {
                    if raw.is_empty() {
                        batch.delete_cf(self.cf(cf::ACCOUNTS), address);
                    } else {
                        batch.put_cf(self.cf(cf::ACCOUNTS), address, raw);
                    }
                    (!raw.is_empty()).then(|| decode_account(raw))
                }
                None => self.db.get_cf(self.cf(cf::ACCOUNTS), address)?.map(|raw| decode_account(&raw)),
            };
            match restored {
                Some(account) => {
                    let code_hash = account.bytecode_hash.unwrap_or(KECCAK_EMPTY);
                    let leaf = TrieAccount::new(account.nonce, account.balance, storage_root, code_hash);
                    account_trie.insert(&hashed_address, alloy_rlp::encode(leaf))?;
                }
                None => {
                    batch.delete_cf(self.cf(cf::STORAGE_ROOTS), address);
                    account_trie.remove(&hashed_address)?;
                }
            }
        }
        let (state_root, writes) = account_trie.commit();
        if state_root != parent.state_root {
            return Err(StorageError::Corrupt(format!(
                "unwinding block {number} gives state root {state_root}, but block {} has {}",
                number - 1,
                parent.state_root
            )));
        }
        for path in writes.deletes {
            batch.delete_cf(self.cf(cf::TRIE_ACCOUNTS), path);
        }
        for (path, node) in writes.puts {
            batch.put_cf(self.cf(cf::TRIE_ACCOUNTS), path, node);
        }

        for table in [
            cf::HEADERS,
            cf::CANONICAL,
            cf::BODIES,
            cf::SENDERS,
            cf::RECEIPTS,
            cf::TX_META,
            cf::CHANGESETS,
            cf::PROOF_CHANGESETS,
        ] {
            batch.delete_cf(self.cf(table), key);
        }
        batch.delete_cf(self.cf(cf::BLOCK_NUMBERS), block.hash);
        for tx in &block.transactions {
            batch.delete_cf(self.cf(cf::TX_LOOKUP), keccak256(tx));
        }
        if let Some(entries) = self.db.get_cf(self.cf(cf::LOG_INDEX_BLOCKS), key)? {
            for entry in decode_index_entries(&entries) {
                batch.delete_cf(self.cf(cf::LOG_INDEX), [entry, &key].concat());
            }
            batch.delete_cf(self.cf(cf::LOG_INDEX_BLOCKS), key);
        }
        batch.put_cf(self.cf(cf::META), tables::HEAD_KEY, tables::block_key(number - 1));

        self.write_head(batch, number - 1, CacheAfter::Clear)?;
        Ok(block)
    }

    /// Prunes, for head `number`, the history older than `window` blocks that the list `changesets`
    /// records and moves its oldest-block marker (`meta_key`, now `current`); returns the new oldest.
    fn prune_window(
        &self,
        batch: &mut WriteBatch,
        number: u64,
        window: u64,
        current: u64,
        changesets: &str,
        meta_key: &[u8],
    ) -> Result<Option<u64>, StorageError> {
        if self.config.archive || number <= window || number - window <= current {
            return Ok(None);
        }
        let oldest = number - window;
        for pruned in current..oldest {
            self.prune_history(batch, changesets, pruned)?;
        }
        batch.put_cf(self.cf(cf::META), meta_key, tables::block_key(oldest));
        Ok(Some(oldest))
    }

    /// History entries written by `block` are only needed to read state *before* it; `changesets`
    /// says which list of them (the state window's or the proof window's) is pruned.
    fn prune_history(&self, batch: &mut WriteBatch, changesets: &str, block: u64) -> Result<(), StorageError> {
        let key = tables::block_key(block);
        let Some(keys) = self.db.get_cf(self.cf(changesets), key)? else { return Ok(()) };
        let mut rest = keys.as_slice();
        while rest.len() >= 2 {
            let (table, len) = (rest[0], rest[1] as usize);
            let history_key = &rest[2..2 + len];
            let cf = match table {
                0 => cf::ACCOUNT_HISTORY,
                1 => cf::STORAGE_HISTORY,
                _ => cf::TRIE_HISTORY,
            };
            batch.delete_cf(self.cf(cf), history_key);
            rest = &rest[2 + len..];
        }
        batch.delete_cf(self.cf(changesets), key);
        Ok(())
    }

    // ---- blocks -----------------------------------------------------------------------------

    /// Header of canonical block `number`, if stored.
    pub fn header(&self, number: u64) -> Result<Option<Header>, StorageError> {
        self.db
            .get_cf(self.cf(cf::HEADERS), tables::block_key(number))?
            .map(|raw| {
                Header::decode(&mut raw.as_slice()).map_err(|e| StorageError::Corrupt(format!("header {number}: {e}")))
            })
            .transpose()
    }

    /// Hash of canonical block `number`, if stored.
    pub fn block_hash(&self, number: u64) -> Result<Option<B256>, StorageError> {
        Ok(self.db.get_cf(self.cf(cf::CANONICAL), tables::block_key(number))?.map(|raw| B256::from_slice(&raw)))
    }

    /// Number of the canonical block with hash `hash`, if any.
    pub fn block_number(&self, hash: &B256) -> Result<Option<u64>, StorageError> {
        Ok(self.db.get_cf(self.cf(cf::BLOCK_NUMBERS), hash)?.map(|raw| tables::decode_block_key(&raw)))
    }

    /// Canonical block `number` with its transactions and senders, if stored.
    pub fn block(&self, number: u64) -> Result<Option<StoredBlock>, StorageError> {
        let key = tables::block_key(number);
        let Some(header) = self.header(number)? else { return Ok(None) };
        let hash = self.block_hash(number)?.ok_or(StorageError::UnknownBlock(number))?;
        let body = self.db.get_cf(self.cf(cf::BODIES), key)?.unwrap_or_default();
        let transactions = Vec::<Bytes>::decode(&mut body.as_slice())
            .map_err(|e| StorageError::Corrupt(format!("body {number}: {e}")))?;
        let senders = self
            .db
            .get_cf(self.cf(cf::SENDERS), key)?
            .unwrap_or_default()
            .chunks_exact(20)
            .map(Address::from_slice)
            .collect();
        Ok(Some(StoredBlock { header, hash, transactions, senders }))
    }

    /// EIP-2718 receipts of block `number`.
    pub fn receipts(&self, number: u64) -> Result<Option<Vec<Bytes>>, StorageError> {
        self.db
            .get_cf(self.cf(cf::RECEIPTS), tables::block_key(number))?
            .map(|raw| {
                Vec::<Bytes>::decode(&mut raw.as_slice())
                    .map_err(|e| StorageError::Corrupt(format!("receipts {number}: {e}")))
            })
            .transpose()
    }

    /// L1 fee fields of block `number` and its transactions, if stored.
    pub fn block_meta(&self, number: u64) -> Result<Option<BlockMeta>, StorageError> {
        self.db
            .get_cf(self.cf(cf::TX_META), tables::block_key(number))?
            .map(|raw| {
                serde_json::from_slice(&raw).map_err(|e| StorageError::Corrupt(format!("tx meta {number}: {e}")))
            })
            .transpose()
    }

    /// Block and index of the canonical transaction with hash `hash`, if any.
    pub fn tx_location(&self, hash: &B256) -> Result<Option<TxLocation>, StorageError> {
        Ok(self.db.get_cf(self.cf(cf::TX_LOOKUP), hash)?.map(|raw| TxLocation {
            block_number: tables::decode_block_key(&raw),
            index: u32::from_be_bytes(raw[8..12].try_into().expect("12-byte location")),
        }))
    }

    pub(crate) fn bytecode(&self, hash: &B256) -> Result<Option<Bytecode>, StorageError> {
        if let Some(code) = self.bytecodes.lock().get(hash) {
            return Ok(Some(code.clone()));
        }
        if let Some(code) = self.staged_bytecode(hash) {
            return Ok(Some(code));
        }
        let code = self
            .db
            .get_cf(self.cf(cf::BYTECODE), hash)?
            .map(|raw| {
                Bytecode::new_raw_checked(raw.into())
                    .map_err(|e| StorageError::Corrupt(format!("bytecode {hash}: {e:?}")))
            })
            .transpose()?;
        if let Some(code) = &code {
            self.bytecodes.lock().put(*hash, code.clone());
        }
        Ok(code)
    }

    /// Every account in the plain state with its storage (for tests and state dumps).
    pub fn dump_state(&self) -> Result<StateDump, StorageError> {
        self.wait_persisted()?;
        let mut out = Vec::new();
        for item in self.db.iterator_cf(self.cf(cf::ACCOUNTS), IteratorMode::Start) {
            let (key, value) = item?;
            let address = Address::from_slice(&key);
            let mut slots = Vec::new();
            let iter = self.db.iterator_cf(self.cf(cf::STORAGE), IteratorMode::From(&key, Direction::Forward));
            for slot in iter {
                let (skey, svalue) = slot?;
                if !skey.starts_with(&key) {
                    break;
                }
                slots.push((B256::from_slice(&skey[20..]), U256::from_be_slice(&svalue)));
            }
            out.push((address, decode_account(&value), slots));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod log_index_tests {
    use super::*;

    const TOKEN: Address = Address::repeat_byte(0x70);
    const OTHER: Address = Address::repeat_byte(0x0f);
    const TRANSFER: B256 = B256::repeat_byte(0xdd);
    const APPROVAL: B256 = B256::repeat_byte(0x8c);

    /// Commits an empty-state block `number` whose logs are `logs`.
    fn commit(store: &Store, number: u64, logs: Vec<(Address, Vec<B256>)>) {
        let prepared = store.prepare_state(&BundleState::default(), number).unwrap();
        let header = Header { number, state_root: prepared.state_root, ..Default::default() };
        let block = StoredBlock { hash: header.hash_slow(), header, transactions: vec![], senders: vec![] };
        let commit = BlockCommit { block, receipts: vec![], tx_hashes: vec![], meta: Default::default(), logs };
        store.commit_block(commit, prepared).unwrap();
    }

    fn blocks(store: &Store, addresses: &[Address], topics: &[Vec<B256>], from: u64, to: u64) -> Option<Vec<u64>> {
        store.log_blocks(&LogQuery { addresses, topics }, from, to).unwrap()
    }

    #[test]
    fn lists_the_blocks_of_an_address_or_topic_and_forgets_a_rewound_block() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(StoreConfig::new(dir.path())).unwrap();
        assert_eq!(store.log_index_from(), 0, "a new store indexes from genesis");
        commit(&store, 0, vec![]);
        commit(&store, 1, vec![(TOKEN, vec![TRANSFER, B256::with_last_byte(1)])]);
        commit(&store, 2, vec![(OTHER, vec![TRANSFER])]);
        commit(&store, 3, vec![(TOKEN, vec![APPROVAL]), (OTHER, vec![TRANSFER])]);
        commit(&store, 4, vec![]);
        commit(&store, 5, vec![(TOKEN, vec![TRANSFER])]);

        assert_eq!(blocks(&store, &[TOKEN], &[], 0, 5), Some(vec![1, 3, 5]));
        assert_eq!(blocks(&store, &[TOKEN], &[], 2, 4), Some(vec![3]), "the range bounds both ends");
        assert_eq!(blocks(&store, &[TOKEN, OTHER], &[], 0, 5), Some(vec![1, 2, 3, 5]), "any of the addresses");
        assert_eq!(blocks(&store, &[], &[vec![TRANSFER]], 0, 5), Some(vec![1, 2, 3, 5]));
        // Address and topic: intersected per block (block 3 has TOKEN in one log and TRANSFER in
        // another: listed, the caller matches each log).
        assert_eq!(blocks(&store, &[TOKEN], &[vec![TRANSFER]], 0, 5), Some(vec![1, 3, 5]));
        assert_eq!(blocks(&store, &[TOKEN], &[vec![APPROVAL]], 0, 5), Some(vec![3]));
        // Topic positions are distinct: TRANSFER is never topic 1.
        assert_eq!(blocks(&store, &[], &[vec![], vec![TRANSFER]], 0, 5), Some(vec![]));
        assert_eq!(blocks(&store, &[], &[vec![], vec![B256::with_last_byte(1)]], 0, 5), Some(vec![1]));
        assert_eq!(blocks(&store, &[], &[], 0, 5), None, "no constraint: the caller scans");
        assert_eq!(blocks(&store, &[Address::repeat_byte(0x99)], &[], 0, 5), Some(vec![]));

        // An L2 reorg removes block 5, and its index entries with it; a new block 5 is indexed anew.
        store.unwind_head().unwrap();
        assert_eq!(blocks(&store, &[TOKEN], &[], 0, 10), Some(vec![1, 3]));
        commit(&store, 5, vec![(OTHER, vec![APPROVAL])]);
        assert_eq!(blocks(&store, &[TOKEN], &[], 0, 10), Some(vec![1, 3]));
        assert_eq!(blocks(&store, &[], &[vec![APPROVAL]], 0, 10), Some(vec![3, 5]));
        drop(store);

        // Reopened, the index and its start are kept.
        let store = Store::open(StoreConfig::new(dir.path())).unwrap();
        assert_eq!((store.log_index_from(), blocks(&store, &[TOKEN], &[], 0, 10)), (0, Some(vec![1, 3])));
    }

    #[test]
    fn a_store_written_before_the_index_is_indexed_from_its_next_block() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(StoreConfig::new(dir.path())).unwrap();
        commit(&store, 0, vec![]);
        commit(&store, 1, vec![(TOKEN, vec![TRANSFER])]);
        // As a store from before the index: no start recorded, and no entries.
        store.db.delete_cf(store.cf(cf::META), tables::LOG_INDEX_FROM_KEY).unwrap();
        let index = store.cf(cf::LOG_INDEX);
        let keys: Vec<_> = store.db.iterator_cf(index, IteratorMode::Start).map(|item| item.unwrap().0).collect();
        for key in keys {
            store.db.delete_cf(index, key).unwrap();
        }
        drop(store);
        let store = Store::open(StoreConfig::new(dir.path())).unwrap();
        assert_eq!(store.log_index_from(), 2);
        assert_eq!(blocks(&store, &[TOKEN], &[], 0, 5), None, "below the index: the caller scans blooms");
        commit(&store, 2, vec![(TOKEN, vec![TRANSFER])]);
        assert_eq!(blocks(&store, &[TOKEN], &[], 2, 5), Some(vec![2]));
    }
}

#[cfg(test)]
mod head_cache_trust_tests {
    use super::*;
    use crate::testing::{balances, commit};

    #[test]
    fn a_node_read_from_disk_is_checked_before_the_cache_trusts_it() {
        let dir = tempfile::tempdir().unwrap();
        let accounts: Vec<Address> = (1..=64u8).map(Address::with_last_byte).collect();
        {
            let store = Store::open(StoreConfig::new(dir.path())).unwrap();
            commit(&store, 0, &balances(&accounts, 1, None)).unwrap();
        }
        // Reopened: the cache is cold. Tamper with a stored node under the root (a branch child).
        let store = Store::open(StoreConfig::new(dir.path())).unwrap();
        let trie = store.cf(cf::TRIE_ACCOUNTS);
        let (path, node) = store
            .db
            .iterator_cf(trie, IteratorMode::Start)
            .map(Result::unwrap)
            .find(|(path, _)| path.len() == 1)
            .expect("the root branch has children");
        let mut tampered = node.to_vec();
        *tampered.last_mut().unwrap() ^= 1;
        store.db.put_cf(trie, &path, &tampered).unwrap();
        let err = commit(&store, 1, &balances(&accounts, 2, Some(1))).unwrap_err();
        assert!(matches!(err, StorageError::Corrupt(ref m) if m.contains("does not match its parent's hash")), "{err}");
        // A second attempt must not find it trusted in the cache either.
        let err = commit(&store, 1, &balances(&accounts, 2, Some(1))).unwrap_err();
        assert!(matches!(err, StorageError::Corrupt(_)), "the tampered node was cached as checked: {err}");

        // Repaired, the block commits; the next block finds the nodes it wrote or checked in the cache.
        store.db.put_cf(trie, &path, &node).unwrap();
        let root = commit(&store, 1, &balances(&accounts, 2, Some(1))).unwrap();
        let before = store.head_cache_stats();
        let next = commit(&store, 2, &balances(&accounts, 3, Some(2))).unwrap();
        let after = store.head_cache_stats();
        assert_ne!(root, next);
        assert_eq!(after.misses, before.misses, "every node and account of block 2 came from the cache");
        assert!(after.hits > before.hits);
    }
}
