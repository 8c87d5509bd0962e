//! Warming the head cache: the head's accounts, storage roots and account-trie nodes loaded into
//! memory in one sequential pass, so a block never reads them from RocksDB.
//!
//! Without it the head cache holds what recent blocks touched, and a block whose recipients no
//! recent block touched reads each one's account, storage root and trie path from RocksDB (a point
//! lookup each, ~3 µs from the block cache): at a million accounts that made blocks twice as slow
//! as at ten thousand (`bai-bench` (d)). Scanning the tables in key order costs a fraction of a
//! point lookup per entry, and once a table is loaded whole the cache knows that a key it lacks is
//! absent ([`crate::cache::Completeness`]), so even a new account costs no disk read.
//!
//! Safety, with blocks being built and written meanwhile: the pass reads one RocksDB snapshot (the
//! head at its start), checks every trie node against its parent's hash down from that head's state
//! root (the cache holds only checked nodes, as a trie update's own loads), and only adds keys the
//! cache does not hold. A key that a later block changed was put in the cache by that block's write
//! (`HeadCache::apply`), so the snapshot's older value is never put over it; the pass gives up if
//! the cache was cleared or made to evict since it began, the two ways the cache forgets a newer value.
//!
//! Must not touch: anything but the head cache (it writes nothing to RocksDB).

use crate::{
    StorageError, Store,
    cache::{Completeness, HeadCache, WarmMark},
    tables::{self, cf},
    trie::step_towards,
};
use alloy::{
    consensus::Header,
    primitives::{Address, B256, keccak256},
};
use alloy_rlp::Decodable;
use alloy_trie::{EMPTY_ROOT_HASH, nodes::TrieNode};
use rocksdb::{IteratorMode, ReadOptions};
use std::time::{Duration, Instant};

/// Entries put into the cache per lock: long enough to amortise the lock, short enough that the
/// block builder, which takes the same lock on every read, never waits long.
const CHUNK: usize = 2_048;

/// How a warm-up went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarmReport {
    /// The block whose state was loaded (`None`: an empty store, nothing to load).
    pub block: Option<u64>,
    /// Accounts, storage roots and account-trie nodes the pass read.
    pub accounts: usize,
    /// See [`Self::accounts`].
    pub storage_roots: usize,
    /// See [`Self::accounts`].
    pub trie_nodes: usize,
    /// Which tables the cache holds whole once it ended (this warm-up's or an earlier one's).
    pub complete: Completeness,
    /// Why it stopped early, if it did.
    pub stopped: Option<WarmStop>,
    /// How long it took.
    pub elapsed: Duration,
}

/// Why a warm-up stopped before loading everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarmStop {
    /// The head cache is off (`head_cache_entries = 0`).
    NoCache,
    /// A table filled up: the state is larger than the cache (what was loaded stays).
    Full,
    /// The cache forgot entries meanwhile (an unwind, a failed write, an eviction).
    Forgotten,
    /// The caller's `progress` asked it to stop (the node is shutting down).
    Cancelled,
    /// A trie node did not match its parent's hash or could not be decoded (it is not cached; a
    /// block that reads it reports the corruption).
    Corrupt,
}

/// Puts what a warm-up reads into the head cache, a chunk per lock.
struct Loader<'a, P> {
    store: &'a Store,
    mark: WarmMark,
    chunk: Vec<Entry>,
    loaded: usize,
    progress: P,
}

impl<P: FnMut(usize) -> bool> Loader<'_, P> {
    /// Caches `entries` (`None`: one to skip); `Err(stop)` inside when it must stop early.
    fn load(
        &mut self,
        entries: impl Iterator<Item = Result<Option<Entry>, StorageError>>,
    ) -> Result<Result<(), WarmStop>, StorageError> {
        for entry in entries {
            if let Some(entry) = entry? {
                self.chunk.push(entry);
            }
            if self.chunk.len() == CHUNK
                && let Err(stop) = self.flush()
            {
                return Ok(Err(stop));
            }
        }
        Ok(self.flush())
    }

    fn flush(&mut self) -> Result<(), WarmStop> {
        let mut guard = self.store.head_cache.lock();
        let Some(cache) = guard.as_mut() else { return Err(WarmStop::NoCache) };
        if cache.warm_mark() != self.mark {
            return Err(WarmStop::Forgotten);
        }
        let (n, mut room) = (self.chunk.len(), true);
        for entry in self.chunk.drain(..) {
            room &= match entry {
                Entry::Account(address, raw) => cache.warm_account(address, raw),
                Entry::StorageRoot(address, root) => cache.warm_storage_root(address, root),
                Entry::Node(path, raw) => cache.warm_node(path, raw),
            };
        }
        drop(guard);
        self.loaded += n;
        if !(self.progress)(self.loaded) {
            return Err(WarmStop::Cancelled);
        }
        if room { Ok(()) } else { Err(WarmStop::Full) }
    }
}

impl Store {
    /// Loads the head's accounts, storage roots and account-trie nodes into the head cache (see the
    /// module docs); safe to run on its own thread while blocks are built. `progress` is told the
    /// entries loaded so far after each chunk, and returns whether to go on.
    pub fn warm_head_cache(&self, progress: impl FnMut(usize) -> bool) -> Result<WarmReport, StorageError> {
        let started = Instant::now();
        let mut report = WarmReport::default();
        let Some(mark) = self.head_cache.lock().as_ref().map(HeadCache::warm_mark) else {
            report.stopped = Some(WarmStop::NoCache);
            return Ok(report);
        };
        let snapshot = self.db().snapshot();
        let Some(number) =
            snapshot.get_cf(self.cf(cf::META), tables::HEAD_KEY)?.map(|raw| tables::decode_block_key(&raw))
        else {
            return Ok(report);
        };
        report.block = Some(number);
        let header = snapshot
            .get_cf(self.cf(cf::HEADERS), tables::block_key(number))?
            .ok_or_else(|| StorageError::Corrupt(format!("head block {number} has no header")))?;
        let state_root = Header::decode(&mut header.as_slice())
            .map_err(|e| StorageError::Corrupt(format!("header {number}: {e}")))?
            .state_root;

        let mut loader = Loader { store: self, mark, chunk: Vec::with_capacity(CHUNK), loaded: 0, progress };
        let mut complete = Completeness::default();
        let scan = |table| snapshot.iterator_cf_opt(self.cf(table), scan_options(), IteratorMode::Start);

        // Accounts, then storage roots: cached as they are stored.
        let accounts = scan(cf::ACCOUNTS).map(|item| {
            let (address, raw) = item?;
            report.accounts += 1;
            Ok(Some(Entry::Account(Address::from_slice(&address), raw.into_vec())))
        });
        let mut outcome = loader.load(accounts)?;
        complete.accounts = outcome.is_ok();
        if outcome.is_ok() {
            let roots = scan(cf::STORAGE_ROOTS).map(|item| {
                let (address, root) = item?;
                report.storage_roots += 1;
                Ok(Some(Entry::StorageRoot(Address::from_slice(&address), B256::from_slice(&root))))
            });
            outcome = loader.load(roots)?;
            complete.storage_roots = outcome.is_ok();
        }

        // Account-trie nodes, in path order, which visits every node after its parent: each is
        // checked against the reference its parent (already checked) holds for it, down from the
        // state root. `ancestors` are the checked nodes on the path to the current one.
        let mut ancestors: Vec<(Vec<u8>, TrieNode)> = Vec::new();
        let mut sound = true;
        if outcome.is_ok() && state_root != EMPTY_ROOT_HASH {
            let nodes = scan(cf::TRIE_ACCOUNTS).map(|item| {
                let (path, raw) = item?;
                report.trie_nodes += 1;
                while ancestors
                    .last()
                    .is_some_and(|(parent, _)| !path.starts_with(parent) || path.len() == parent.len())
                {
                    ancestors.pop();
                }
                let matches = match ancestors.last() {
                    None => path.is_empty() && keccak256(&raw) == state_root,
                    Some((parent, node)) => match step_towards(node, &path[parent.len()..]) {
                        Some((step, child)) if parent.len() + step.len() == path.len() => {
                            child.as_hash().is_some_and(|hash| keccak256(&raw) == hash)
                        }
                        _ => false,
                    },
                };
                let Some(node) = matches.then(|| TrieNode::decode(&mut &raw[..]).ok()).flatten() else {
                    // A node no checked parent vouches for (corrupt, or left unreachable): not cached,
                    // and the table is then not known whole.
                    sound = false;
                    return Ok(None);
                };
                ancestors.push((path.to_vec(), node));
                Ok(Some(Entry::Node(path.into_vec(), raw.into_vec())))
            });
            outcome = loader.load(nodes)?;
        }
        match outcome {
            Ok(()) if sound => complete.account_nodes = true,
            Ok(()) => report.stopped = Some(WarmStop::Corrupt),
            Err(stop) => report.stopped = Some(stop),
        }
        if let Some(cache) = self.head_cache.lock().as_mut() {
            if cache.set_complete(mark, complete) {
                report.complete = cache.completeness();
            } else {
                report.stopped = Some(WarmStop::Forgotten);
            }
        }
        report.elapsed = started.elapsed();
        Ok(report)
    }
}

/// A one-off scan: its blocks would only push the block cache's hot ones out (reads the head cache
/// answers never reach it), so it does not fill it.
fn scan_options() -> ReadOptions {
    let mut options = ReadOptions::default();
    options.fill_cache(false);
    options
}

/// One entry read by a warm-up, waiting for the cache lock.
enum Entry {
    Account(Address, Vec<u8>),
    StorageRoot(Address, B256),
    Node(Vec<u8>, Vec<u8>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        StoreConfig,
        cache::NodeKey,
        store::AccountTrie,
        testing::{balances, commit},
        trie::NodeReader,
    };
    use rocksdb::IteratorMode;
    use std::sync::Arc;

    fn addresses(range: std::ops::Range<u64>) -> Vec<Address> {
        range.map(|i| Address::from_word(keccak256(i.to_be_bytes()))).collect()
    }

    /// A store holding `accounts` at genesis, reopened so its head cache is cold.
    fn cold_store(dir: &std::path::Path, accounts: &[Address], entries: usize) -> Arc<Store> {
        commit(&Store::open(StoreConfig::new(dir)).unwrap(), 0, &balances(accounts, 1, None)).unwrap();
        Store::open(StoreConfig { head_cache_entries: entries, ..StoreConfig::new(dir) }).unwrap()
    }

    /// A cold store of `n` genesis accounts (a head cache of `entries` per table), the accounts its
    /// block 1 creates, and the directory it lives in.
    struct Fixture {
        dir: tempfile::TempDir,
        accounts: Vec<Address>,
        new: Vec<Address>,
        store: Arc<Store>,
    }

    fn fixture(n: u64, entries: usize) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let accounts = addresses(0..n);
        let store = cold_store(dir.path(), &accounts, entries);
        Fixture { dir, accounts, new: addresses(10_000..10_100), store }
    }

    /// The node's head cache size.
    fn default_entries() -> usize {
        StoreConfig::new("").head_cache_entries
    }

    /// Block 1 of these tests: half the accounts change, and accounts that never existed get some BAI.
    fn block_one(accounts: &[Address], new: &[Address]) -> revm::database::BundleState {
        let mut bundle = balances(&accounts[..accounts.len() / 2], 2, Some(1));
        bundle.extend(balances(new, 7, None));
        bundle
    }

    /// The state root block 1 gets on a store without any head cache.
    fn reference_root(accounts: &[Address], new: &[Address]) -> B256 {
        let dir = tempfile::tempdir().unwrap();
        let store = cold_store(dir.path(), accounts, 0);
        commit(&store, 1, &block_one(accounts, new)).unwrap()
    }

    /// Every entry the head cache holds equals what RocksDB holds at the head; returns how many.
    fn assert_cache_matches_disk(store: &Store) -> usize {
        let (accounts, nodes) = match store.head_cache.lock().as_ref() {
            Some(cache) => (cache.cached_accounts(), cache.cached_account_nodes()),
            None => unreachable!("these tests run with the head cache on"),
        };
        let entries = accounts.len() + nodes.len();
        for (address, raw) in accounts {
            assert_eq!(raw, store.stored_account(&address).unwrap(), "cached account {address} is stale");
        }
        for (path, node) in nodes {
            assert_eq!(node, AccountTrie(store.db()).node(&path).unwrap(), "cached node {path:?} is stale");
        }
        entries
    }

    #[test]
    fn a_warmed_cache_answers_every_read_of_a_block_from_memory_including_absent_accounts() {
        let Fixture { dir: _dir, accounts, new, store } = fixture(3_000, default_entries());
        let report = store.warm_head_cache(|_| true).unwrap();
        assert_eq!(report.stopped, None);
        assert_eq!(report.accounts, 3_000);
        assert!(report.trie_nodes > 3_000, "{report:?}");
        assert_eq!(report.complete, Completeness { accounts: true, storage_roots: true, account_nodes: true });
        // A later warm-up stopped at once leaves what this one completed.
        let again = store.warm_head_cache(|_| false).unwrap();
        assert_eq!((again.stopped, again.complete), (Some(WarmStop::Cancelled), report.complete));

        let before = store.head_cache_stats();
        let root = commit(&store, 1, &block_one(&accounts, &new)).unwrap();
        let after = store.head_cache_stats();
        assert_eq!(after.misses, before.misses, "a read of block 1 went to RocksDB");
        assert!(after.hits > before.hits);
        assert_eq!(root, reference_root(&accounts, &new));
        // The block's writes kept the cache whole and true.
        assert_eq!(store.head_cache_completeness(), report.complete);
        assert!(assert_cache_matches_disk(&store) > 3_100);
    }

    #[test]
    fn a_block_written_during_the_warm_up_is_never_overwritten_by_the_older_snapshot() {
        let Fixture { dir: _dir, accounts, new, store } = fixture(6_000, default_entries());
        // Block 1 lands after the warm-up's first chunk: the rest of its snapshot is older than the head.
        let mut written = None;
        let report = store
            .warm_head_cache(|_| {
                if written.is_none() {
                    written = Some(commit(&store, 1, &block_one(&accounts, &new)).unwrap());
                }
                true
            })
            .unwrap();
        assert_eq!(report.block, Some(0), "the warm-up reads the head as it began");
        assert_eq!(report.stopped, None);
        assert_eq!(written, Some(reference_root(&accounts, &new)));
        assert!(assert_cache_matches_disk(&store) > 6_100);

        // Block 2 reads only memory and gets the root a cacheless store gets.
        let other = tempfile::tempdir().unwrap();
        let cacheless = cold_store(other.path(), &accounts, 0);
        commit(&cacheless, 1, &block_one(&accounts, &new)).unwrap();
        let bundle = balances(&accounts[1_000..4_000], 3, None);
        let before = store.head_cache_stats();
        let root = commit(&store, 2, &bundle).unwrap();
        assert_eq!(store.head_cache_stats().misses, before.misses);
        assert_eq!(root, commit(&cacheless, 2, &bundle).unwrap());
    }

    #[test]
    fn a_warm_up_gives_up_when_the_cache_forgets_and_a_full_cache_is_never_taken_as_whole() {
        let Fixture { dir: _dir, accounts, new, store } = fixture(6_000, default_entries());
        commit(&store, 1, &block_one(&accounts, &new)).unwrap();
        // An unwind mid-way clears the cache: what the warm-up read before it may be newer than the head.
        let mut unwound = false;
        let report = store
            .warm_head_cache(|_| {
                if !unwound {
                    store.unwind_head().unwrap();
                    unwound = true;
                }
                true
            })
            .unwrap();
        assert_eq!(report.stopped, Some(WarmStop::Forgotten));
        assert_eq!(store.head_cache_completeness(), Completeness::default());
        assert_cache_matches_disk(&store);
        assert_eq!(commit(&store, 1, &block_one(&accounts, &new)).unwrap(), reference_root(&accounts, &new));

        // A cache smaller than the state fills up and stays partial: a miss still goes to RocksDB.
        let small = tempfile::tempdir().unwrap();
        let store = cold_store(small.path(), &accounts, 4_000);
        let report = store.warm_head_cache(|_| true).unwrap();
        assert_eq!(report.stopped, Some(WarmStop::Full));
        assert_eq!(store.head_cache_completeness(), Completeness::default());
        let before = store.head_cache_stats();
        assert_eq!(commit(&store, 1, &block_one(&accounts, &new)).unwrap(), reference_root(&accounts, &new));
        assert!(store.head_cache_stats().misses > before.misses);
        assert_cache_matches_disk(&store);
    }

    #[test]
    fn a_tampered_trie_node_is_not_warmed_and_the_block_that_reads_it_reports_it() {
        let Fixture { dir: _dir, accounts, store, .. } = fixture(500, default_entries());
        let trie = store.cf(cf::TRIE_ACCOUNTS);
        let (path, node) = store
            .db()
            .iterator_cf(trie, IteratorMode::Start)
            .map(Result::unwrap)
            .find(|(path, _)| path.len() == 1)
            .expect("the root branch has children");
        let mut tampered = node.to_vec();
        *tampered.last_mut().unwrap() ^= 1;
        store.db().put_cf(trie, &path, &tampered).unwrap();

        let report = store.warm_head_cache(|_| true).unwrap();
        assert_eq!(report.stopped, Some(WarmStop::Corrupt));
        assert!(!report.complete.account_nodes && report.complete.accounts);
        assert!(store.head_cache.lock().as_mut().unwrap().peek_node(&NodeKey::Account(path.to_vec())).is_none());
        let err = commit(&store, 1, &balances(&accounts, 2, Some(1))).unwrap_err();
        assert!(matches!(err, StorageError::Corrupt(ref m) if m.contains("does not match its parent's hash")), "{err}");
    }

    #[test]
    fn a_complete_table_that_evicts_is_no_longer_taken_as_whole() {
        // The trie's node count, then a store whose node table holds exactly that many.
        let nodes = fixture(3_000, default_entries()).store.warm_head_cache(|_| true).unwrap().trie_nodes;
        let Fixture { dir: _dir, accounts, new, store } = fixture(3_000, nodes);
        let report = store.warm_head_cache(|_| true).unwrap();
        assert_eq!((report.stopped, report.trie_nodes), (None, nodes));
        assert!(report.complete.account_nodes);
        // Block 1's new accounts add trie nodes: the full node table evicts its oldest ones.
        assert_eq!(commit(&store, 1, &block_one(&accounts, &new)).unwrap(), reference_root(&accounts, &new));
        assert!(!store.head_cache_completeness().account_nodes);
        assert!(store.head_cache_completeness().accounts, "the account table did not evict");

        // Block 2 changes every account: the evicted nodes are read from RocksDB, not taken as absent.
        let other = tempfile::tempdir().unwrap();
        let cacheless = cold_store(other.path(), &accounts, 0);
        commit(&cacheless, 1, &block_one(&accounts, &new)).unwrap();
        let every = balances(&accounts, 9, None);
        let before = store.head_cache_stats();
        assert_eq!(commit(&store, 2, &every).unwrap(), commit(&cacheless, 2, &every).unwrap());
        assert!(store.head_cache_stats().misses > before.misses);
    }
}
