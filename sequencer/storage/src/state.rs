//! State reads for execution and RPC, at the head or at any retained block.

use crate::{
    StorageError, Store,
    tables::decode_account,
    tables::{self, cf},
};
use alloy::primitives::{Address, B256, U256};
use revm::primitives::KECCAK_EMPTY;
use revm::{
    database::DatabaseRef,
    state::{AccountInfo, Bytecode},
};
use rocksdb::{Direction, IteratorMode};
use std::sync::Arc;

/// Which state to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateAt {
    /// The plain state as it is now, read through the head cache. Only for the block builder (the
    /// sole writer).
    Latest,
    /// The state after block `n`, consistent even while newer blocks are committed.
    Block(u64),
}

/// A revm database over the store.
#[derive(Debug, Clone)]
pub struct StateDb {
    store: Arc<Store>,
    at: StateAt,
}

impl StateDb {
    pub(crate) fn new(store: Arc<Store>, at: StateAt) -> Self {
        Self { store, at }
    }

    /// The block whose state this view reads.
    pub fn at(&self) -> StateAt {
        self.at
    }

    /// The value a history table holds for the first change after block `n` of the entry keyed by
    /// `prefix`, i.e. the value as of block `n`; `None` if nothing changed it since.
    fn historical(&self, table: &str, prefix: &[u8], n: u64) -> Result<Option<Vec<u8>>, StorageError> {
        let db = self.store.db();
        let cf = db.cf_handle(table).expect("cf");
        let start = [prefix, &(n + 1).to_be_bytes()].concat();
        let mut iter = db.iterator_cf(cf, IteratorMode::From(&start, Direction::Forward));
        match iter.next() {
            Some(item) => {
                let (key, value) = item?;
                Ok((key.len() == prefix.len() + 8 && key.starts_with(prefix)).then(|| value.to_vec()))
            }
            None => Ok(None),
        }
    }

    /// Reads `key` from the plain table when that is the state at block `n` for certain: `n` is the
    /// head and no commit overlapped the read (seqlock). `None` means "use the history lookup".
    fn plain_if_head(&self, table: &str, key: &[u8], n: u64) -> Result<Option<Option<Vec<u8>>>, StorageError> {
        let before = self.store.plain_version();
        if before % 2 == 1 || self.store.head_number() != Some(n) {
            return Ok(None);
        }
        let db = self.store.db();
        let value = db.get_cf(db.cf_handle(table).expect("cf"), key)?;
        Ok((self.store.plain_version() == before).then_some(value))
    }

    /// A plain-state value as of `self.at`, given the history table that records its changes.
    fn read(&self, table: &str, history: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        if let StateAt::Block(n) = self.at {
            if let Some(value) = self.plain_if_head(table, key, n)? {
                return Ok(value);
            }
            if let Some(previous) = self.historical(history, key, n)? {
                return Ok(Some(previous));
            }
        }
        let db = self.store.db();
        Ok(db.get_cf(db.cf_handle(table).expect("cf"), key)?)
    }

    fn account_raw(&self, address: &Address) -> Result<Option<Vec<u8>>, StorageError> {
        if self.at == StateAt::Latest {
            return self.store.latest_account_raw(address);
        }
        // An empty history value records that the account did not exist.
        Ok(self.read(cf::ACCOUNTS, cf::ACCOUNT_HISTORY, address.as_slice())?.filter(|raw| !raw.is_empty()))
    }

    /// The account (nonce, balance, code hash) or `None` if it does not exist.
    pub fn account(&self, address: &Address) -> Result<Option<reth_primitives_traits::Account>, StorageError> {
        Ok(self.account_raw(address)?.map(|raw| decode_account(&raw)))
    }

    /// The value of storage `slot` of `address` (zero if unset or the account does not exist).
    pub fn storage_value(&self, address: &Address, slot: &B256) -> Result<U256, StorageError> {
        if self.at == StateAt::Latest {
            return self.store.latest_storage(address, slot);
        }
        let key = tables::storage_key(address, slot);
        Ok(self.read(cf::STORAGE, cf::STORAGE_HISTORY, &key)?.map(|raw| U256::from_be_slice(&raw)).unwrap_or_default())
    }

    /// The deployed code of `address`, or `None` for an account without code or no account.
    pub fn code(&self, address: &Address) -> Result<Option<Bytecode>, StorageError> {
        match self.account(address)?.and_then(|a| a.bytecode_hash) {
            Some(hash) => self.store.bytecode(&hash),
            None => Ok(None),
        }
    }
}

impl DatabaseRef for StateDb {
    type Error = StorageError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.account(&address)?.map(|account| AccountInfo {
            balance: account.balance,
            nonce: account.nonce,
            code_hash: account.bytecode_hash.unwrap_or(KECCAK_EMPTY),
            code: None,
            ..Default::default()
        }))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        if code_hash == KECCAK_EMPTY {
            return Ok(Bytecode::default());
        }
        self.store.bytecode(&code_hash)?.ok_or_else(|| StorageError::Corrupt(format!("missing bytecode {code_hash}")))
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        self.storage_value(&address, &B256::from(index))
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        let hash = match self.at {
            // The builder's parent may be a staged block not yet written (see `persist`).
            StateAt::Latest => self.store.latest_block_hash(number)?,
            StateAt::Block(_) => self.store.block_hash(number)?,
        };
        Ok(hash.unwrap_or_default())
    }
}

impl Store {
    /// State as of the end of block `number` (`Latest` reads the plain state directly: only the
    /// block builder, which is the sole writer, should use it).
    pub fn state(self: &Arc<Self>, at: StateAt) -> Result<StateDb, StorageError> {
        if let StateAt::Block(number) = at {
            let oldest = self.oldest_state_block();
            if number < oldest && !self.config().archive {
                return Err(StorageError::StatePruned { requested: number, oldest });
            }
            if self.head_number().is_none_or(|head| number > head) {
                return Err(StorageError::UnknownBlock(number));
            }
        }
        Ok(StateDb::new(self.clone(), at))
    }
}
