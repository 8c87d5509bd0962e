//! Installed filters (`eth_newFilter`, `eth_newBlockFilter`, `eth_newPendingTransactionFilter`),
//! polled with `eth_getFilterChanges`; idle filters expire after five minutes, as in geth.

use alloy::{
    primitives::{B256, U256},
    rpc::types::Filter,
};
use parking_lot::Mutex;
use std::{
    collections::HashMap,
    time::{Duration, Instant},
};
use tokio::sync::broadcast;

const FILTER_TIMEOUT: Duration = Duration::from_secs(300);

pub enum FilterKind {
    Logs(Box<Filter>),
    Blocks,
    PendingTransactions(broadcast::Receiver<B256>),
}

pub struct ActiveFilter {
    pub kind: FilterKind,
    /// First block not yet reported.
    pub next_block: u64,
    last_poll: Instant,
}

pub struct Filters {
    active: Mutex<HashMap<U256, ActiveFilter>>,
    next_id: Mutex<u64>,
    /// Most filters installed at once: each holds a filter and, for pending transactions, a
    /// broadcast receiver whose backlog the pool keeps for it.
    max: usize,
}

/// `eth_newFilter` and friends refused: `max` filters are installed and none has expired.
#[derive(Debug, thiserror::Error)]
#[error(
    "too many filters: {max} are installed (uninstall some with eth_uninstallFilter, or let idle ones expire after 5 minutes)"
)]
pub struct TooManyFilters {
    max: usize,
}

impl Filters {
    pub fn new(max: usize) -> Self {
        Self { active: Mutex::default(), next_id: Mutex::default(), max }
    }

    pub fn install(&self, kind: FilterKind, next_block: u64) -> Result<U256, TooManyFilters> {
        let mut active = self.active.lock();
        active.retain(|_, f| f.last_poll.elapsed() < FILTER_TIMEOUT);
        if active.len() >= self.max {
            return Err(TooManyFilters { max: self.max });
        }
        let mut next = self.next_id.lock();
        *next += 1;
        // Ids look random enough to not be guessed across clients, like geth's.
        let id = U256::from_be_bytes(
            alloy::primitives::keccak256([&next.to_be_bytes()[..], &std::process::id().to_be_bytes()].concat()).0,
        ) >> 128;
        active.insert(id, ActiveFilter { kind, next_block, last_poll: Instant::now() });
        Ok(id)
    }

    pub fn uninstall(&self, id: &U256) -> bool {
        self.active.lock().remove(id).is_some()
    }

    /// Runs `f` on the filter (refreshing its timeout); `None` if unknown or expired.
    pub fn with<R>(&self, id: &U256, f: impl FnOnce(&mut ActiveFilter) -> R) -> Option<R> {
        let mut active = self.active.lock();
        let filter = active.get_mut(id)?;
        if filter.last_poll.elapsed() >= FILTER_TIMEOUT {
            active.remove(id);
            return None;
        }
        filter.last_poll = Instant::now();
        Some(f(filter))
    }
}
