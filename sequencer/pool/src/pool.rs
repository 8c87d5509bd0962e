//! Pool state: per-sender nonce-ordered transactions split (by derivation, not storage) into
//! *pending* (contiguous from the sender's next nonce, executable now) and *queued* (behind a gap).

use crate::{PoolConfig, PoolError};
use alloy::primitives::{Address, B256, Bytes, U256};
use op_alloy::consensus::OpTxEnvelope;
use parking_lot::Mutex;
use std::{
    cmp::Reverse,
    collections::{BTreeMap, BinaryHeap, HashMap},
    sync::Arc,
};
use tokio::sync::broadcast;

/// A validated transaction in the pool.
#[derive(Debug, Clone)]
pub struct PooledTx {
    /// Transaction hash.
    pub hash: B256,
    /// Sender recovered from the signature.
    pub sender: Address,
    /// The transaction's nonce.
    pub nonce: u64,
    /// The transaction's gas limit.
    pub gas_limit: u64,
    /// Max fee per gas (the gas price for legacy and EIP-2930 transactions).
    pub max_fee: u128,
    /// Max priority fee per gas (the gas price for legacy and EIP-2930 transactions).
    pub max_priority_fee: u128,
    /// gas limit × max fee + value (the L1 fee is checked on admission, not stored).
    pub max_cost: U256,
    /// The EIP-2718 bytes as submitted, what the block builder includes.
    pub encoded: Bytes,
    /// The decoded transaction.
    pub tx: Arc<OpTxEnvelope>,
    /// Arrival order, the tie-breaker between equal tips.
    pub submission: u64,
}

impl PooledTx {
    /// Tip the sequencer earns per gas at `base_fee`; `None` if the fee cap is below it.
    pub fn effective_tip(&self, base_fee: u64) -> Option<u128> {
        let base_fee = base_fee as u128;
        (self.max_fee >= base_fee).then(|| (self.max_fee - base_fee).min(self.max_priority_fee))
    }
}

/// A sender's nonce and balance at the head.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccountState {
    /// The account's next nonce.
    pub nonce: u64,
    /// The account's balance, in wei.
    pub balance: U256,
}

/// Counts for `txpool_status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStatus {
    /// Transactions executable now (contiguous from their sender's next nonce).
    pub pending: usize,
    /// Transactions waiting behind a nonce gap.
    pub queued: usize,
}

#[derive(Debug, Default)]
struct SenderTxs {
    state_nonce: u64,
    txs: BTreeMap<u64, Arc<PooledTx>>,
}

impl SenderTxs {
    /// The executable run of nonces starting at the state nonce.
    fn pending(&self) -> impl Iterator<Item = &Arc<PooledTx>> {
        let mut expected = self.state_nonce;
        self.txs.range(self.state_nonce..).map_while(move |(nonce, tx)| {
            (*nonce == expected).then(|| {
                expected += 1;
                tx
            })
        })
    }

    fn pending_len(&self) -> usize {
        self.pending().count()
    }
}

#[derive(Debug, Default)]
struct Inner {
    senders: HashMap<Address, SenderTxs>,
    by_hash: HashMap<B256, Arc<PooledTx>>,
    next_submission: u64,
}

impl Inner {
    fn remove(&mut self, sender: &Address, nonce: u64) -> Option<Arc<PooledTx>> {
        let entry = self.senders.get_mut(sender)?;
        let tx = entry.txs.remove(&nonce)?;
        self.by_hash.remove(&tx.hash);
        if entry.txs.is_empty() {
            self.senders.remove(sender);
        }
        Some(tx)
    }

    /// The cheapest evictable transaction (the last nonce of some sender), other than `except`.
    fn eviction_candidate(&self, except: &Address) -> Option<Arc<PooledTx>> {
        self.senders
            .iter()
            .filter(|(sender, _)| *sender != except)
            .filter_map(|(_, txs)| txs.txs.values().next_back())
            .min_by_key(|tx| (tx.max_priority_fee, Reverse(tx.submission)))
            .cloned()
    }
}

/// The sequencer's transaction pool.
#[derive(Debug)]
pub struct TxPool {
    config: PoolConfig,
    inner: Mutex<Inner>,
    new_txs: broadcast::Sender<B256>,
}

impl TxPool {
    /// An empty pool with these limits.
    pub fn new(config: PoolConfig) -> Self {
        let (new_txs, _) = broadcast::channel(4096);
        Self { config, inner: Mutex::new(Inner::default()), new_txs }
    }

    /// The limits the pool was created with.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// Hashes of transactions as they enter the pool.
    pub fn subscribe(&self) -> broadcast::Receiver<B256> {
        self.new_txs.subscribe()
    }

    /// Admits a statelessly validated transaction given its sender's state and L1 data fee.
    pub fn add(&self, mut tx: PooledTx, account: AccountState, l1_cost: U256) -> Result<B256, PoolError> {
        let mut inner = self.inner.lock();
        if inner.by_hash.contains_key(&tx.hash) {
            return Err(PoolError::AlreadyKnown);
        }
        if tx.nonce < account.nonce {
            return Err(PoolError::NonceTooLow { tx: tx.nonce, state: account.nonce });
        }
        if tx.nonce > account.nonce + self.config.max_nonce_gap {
            return Err(PoolError::NonceTooHigh { tx: tx.nonce, state: account.nonce, gap: self.config.max_nonce_gap });
        }
        let cost = tx.max_cost + l1_cost;
        if account.balance < cost {
            return Err(PoolError::InsufficientFunds { balance: account.balance, cost });
        }

        // Bring the sender's view of its nonce up to date and drop what the chain already has. The
        // caller's state may be a block behind the pool's (a block committed meanwhile): never go back.
        let state_nonce = account.nonce.max(inner.senders.get(&tx.sender).map_or(0, |e| e.state_nonce));
        if tx.nonce < state_nonce {
            return Err(PoolError::NonceTooLow { tx: tx.nonce, state: state_nonce });
        }
        let stale: Vec<u64> = match inner.senders.get_mut(&tx.sender) {
            Some(entry) => {
                entry.state_nonce = state_nonce;
                entry.txs.range(..state_nonce).map(|(n, _)| *n).collect()
            }
            None => Vec::new(),
        };
        for nonce in stale {
            inner.remove(&tx.sender, nonce);
        }

        let existing = inner.senders.get(&tx.sender).and_then(|s| s.txs.get(&tx.nonce)).cloned();
        match &existing {
            Some(old) => {
                let bump = |old: u128| old.saturating_mul(100 + self.config.price_bump_percent).div_ceil(100);
                if tx.max_fee < bump(old.max_fee) || tx.max_priority_fee < bump(old.max_priority_fee) {
                    return Err(PoolError::ReplacementUnderpriced);
                }
            }
            None => {
                let count = inner.senders.get(&tx.sender).map_or(0, |s| s.txs.len());
                if count >= self.config.max_account_slots {
                    return Err(PoolError::AccountLimit(count));
                }
                if inner.by_hash.len() >= self.config.max_transactions {
                    let victim = inner.eviction_candidate(&tx.sender).ok_or(PoolError::PoolFull)?;
                    if victim.max_priority_fee >= tx.max_priority_fee {
                        return Err(PoolError::PoolFull);
                    }
                    tracing::debug!(target: "pool", hash = %victim.hash, "evicted for a better-paying transaction");
                    inner.remove(&victim.sender, victim.nonce);
                }
            }
        }
        if let Some(old) = existing {
            inner.remove(&old.sender, old.nonce);
        }

        tx.submission = inner.next_submission;
        inner.next_submission += 1;
        let tx = Arc::new(tx);
        let hash = tx.hash;
        inner.by_hash.insert(hash, tx.clone());
        let entry = inner.senders.entry(tx.sender).or_default();
        entry.state_nonce = entry.state_nonce.max(state_nonce);
        entry.txs.insert(tx.nonce, tx);
        drop(inner);
        let _ = self.new_txs.send(hash);
        Ok(hash)
    }

    /// The pooled transaction with hash `hash`, if any.
    pub fn get(&self, hash: &B256) -> Option<Arc<PooledTx>> {
        self.inner.lock().by_hash.get(hash).cloned()
    }

    /// Number of pooled transactions, pending and queued.
    pub fn len(&self) -> usize {
        self.inner.lock().by_hash.len()
    }

    /// Whether the pool holds no transaction.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Next nonce for `sender` counting its pending transactions (`eth_getTransactionCount` "pending").
    pub fn pending_nonce(&self, sender: &Address, state_nonce: u64) -> u64 {
        let inner = self.inner.lock();
        match inner.senders.get(sender) {
            Some(entry) => {
                let view = SenderTxs { state_nonce: state_nonce.max(entry.state_nonce), txs: entry.txs.clone() };
                view.state_nonce + view.pending_len() as u64
            }
            None => state_nonce,
        }
    }

    /// Pending and queued counts, for `txpool_status`.
    pub fn status(&self) -> PoolStatus {
        let inner = self.inner.lock();
        let pending: usize = inner.senders.values().map(SenderTxs::pending_len).sum();
        PoolStatus { pending, queued: inner.by_hash.len() - pending }
    }

    /// (pending, queued) transactions, each sorted by sender then nonce.
    pub fn content(&self) -> (Vec<Arc<PooledTx>>, Vec<Arc<PooledTx>>) {
        let inner = self.inner.lock();
        let (mut pending, mut queued) = (Vec::new(), Vec::new());
        for entry in inner.senders.values() {
            let run = entry.pending_len();
            for (i, tx) in entry.txs.values().enumerate() {
                if i < run && tx.nonce >= entry.state_nonce {
                    pending.push(tx.clone())
                } else {
                    queued.push(tx.clone())
                }
            }
        }
        let key = |tx: &Arc<PooledTx>| (tx.sender, tx.nonce);
        pending.sort_by_key(key);
        queued.sort_by_key(key);
        (pending, queued)
    }

    /// Executable transactions in priority order for a block with `base_fee`.
    ///
    /// Only each sender's next transaction is taken now; a sender's later ones are looked up as it
    /// advances (a short lock each), so a block no longer clones every pending transaction of a full
    /// pool (a tenth of block execution in the (b) bench profile) while admission waits on the lock.
    pub fn best(&self, base_fee: u64) -> BestTransactions<'_> {
        let inner = self.inner.lock();
        let mut next = HashMap::with_capacity(inner.senders.len());
        let mut heap = BinaryHeap::with_capacity(inner.senders.len());
        for (sender, entry) in &inner.senders {
            if let Some(first) = entry.txs.get(&entry.state_nonce)
                && let Some(tip) = first.effective_tip(base_fee)
            {
                heap.push((tip, Reverse(first.submission), *sender));
                next.insert(*sender, entry.state_nonce);
            }
        }
        BestTransactions { pool: self, base_fee, next, heap }
    }

    /// After a block: senders' new nonces drop what was mined (or replaced on chain).
    pub fn on_block(&self, nonces: impl IntoIterator<Item = (Address, u64)>) {
        let mut inner = self.inner.lock();
        for (sender, nonce) in nonces {
            let Some(entry) = inner.senders.get_mut(&sender) else { continue };
            entry.state_nonce = nonce;
            let mined: Vec<u64> = entry.txs.range(..nonce).map(|(n, _)| *n).collect();
            for n in mined {
                inner.remove(&sender, n);
            }
        }
    }

    /// Re-reads the on-chain nonce of every sender that has nothing executable, and drops or
    /// promotes accordingly. Catches admissions that raced a block commit with a stale nonce.
    pub fn reconcile(&self, mut nonce_of: impl FnMut(&Address) -> Option<u64>) {
        let mut inner = self.inner.lock();
        let stalled: Vec<Address> =
            inner.senders.iter().filter(|(_, e)| e.pending_len() == 0).map(|(sender, _)| *sender).collect();
        for sender in stalled {
            let Some(nonce) = nonce_of(&sender) else { continue };
            let Some(entry) = inner.senders.get_mut(&sender) else { continue };
            if nonce == entry.state_nonce {
                continue;
            }
            entry.state_nonce = nonce;
            let mined: Vec<u64> = entry.txs.range(..nonce).map(|(n, _)| *n).collect();
            for n in mined {
                inner.remove(&sender, n);
            }
        }
    }

    /// Drops a transaction that failed to execute (and so can never be included as it is).
    pub fn remove_invalid(&self, hash: &B256) -> Option<Arc<PooledTx>> {
        let mut inner = self.inner.lock();
        let tx = inner.by_hash.get(hash).cloned()?;
        inner.remove(&tx.sender, tx.nonce)
    }
}

/// Pending transactions by effective tip, each sender's in nonce order.
#[derive(Debug)]
pub struct BestTransactions<'a> {
    pool: &'a TxPool,
    base_fee: u64,
    /// The nonce of each sender's transaction now in the heap.
    next: HashMap<Address, u64>,
    heap: BinaryHeap<(u128, Reverse<u64>, Address)>,
}

impl BestTransactions<'_> {
    /// Stops yielding `sender`'s transactions (its next one failed, so later nonces cannot run).
    pub fn skip_sender(&mut self, sender: &Address) {
        self.next.remove(sender);
    }
}

impl Iterator for BestTransactions<'_> {
    type Item = Arc<PooledTx>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (_, _, sender) = self.heap.pop()?;
            let Some(&nonce) = self.next.get(&sender) else { continue };
            let (tx, following) = {
                let inner = self.pool.inner.lock();
                let Some(entry) = inner.senders.get(&sender) else {
                    self.next.remove(&sender);
                    continue;
                };
                (entry.txs.get(&nonce).cloned(), entry.txs.get(&(nonce + 1)).cloned())
            };
            // Gone since (mined, dropped): the sender's later nonces cannot run before it.
            let Some(tx) = tx else {
                self.next.remove(&sender);
                continue;
            };
            match following.and_then(|next| next.effective_tip(self.base_fee).map(|tip| (tip, next.submission))) {
                Some((tip, submission)) => {
                    self.heap.push((tip, Reverse(submission), sender));
                    self.next.insert(sender, nonce + 1);
                }
                None => {
                    self.next.remove(&sender);
                }
            }
            return Some(tx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{ChainRules, validate_raw};
    use alloy::{
        consensus::{SignableTransaction, TxEip1559, TxLegacy},
        eips::Encodable2718,
        network::TxSignerSync,
        primitives::TxKind,
        signers::local::PrivateKeySigner,
    };
    use revm::primitives::hardfork::SpecId;

    const RULES: ChainRules = ChainRules { chain_id: 2977, block_gas_limit: 30_000_000, spec: SpecId::PRAGUE };
    const RICH: AccountState = AccountState { nonce: 0, balance: U256::from_limbs([0, 1, 0, 0]) };

    fn signed(signer: &PrivateKeySigner, nonce: u64, max_fee: u128, tip: u128) -> Bytes {
        let mut tx = TxEip1559 {
            chain_id: 2977,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            to: TxKind::Call(Address::repeat_byte(7)),
            ..Default::default()
        };
        let sig = signer.sign_transaction_sync(&mut tx).unwrap();
        let envelope: OpTxEnvelope = tx.into_signed(sig).into();
        envelope.encoded_2718().into()
    }

    fn add(pool: &TxPool, raw: Bytes, account: AccountState) -> Result<B256, PoolError> {
        pool.add(validate_raw(raw, &RULES, pool.config()).unwrap(), account, U256::ZERO)
    }

    #[test]
    fn queued_transactions_become_pending_when_the_gap_fills() {
        let pool = TxPool::new(PoolConfig::default());
        let alice = PrivateKeySigner::random();
        add(&pool, signed(&alice, 1, 100, 10), RICH).unwrap();
        assert_eq!(pool.status(), PoolStatus { pending: 0, queued: 1 });
        add(&pool, signed(&alice, 0, 100, 10), RICH).unwrap();
        assert_eq!(pool.status(), PoolStatus { pending: 2, queued: 0 });
        assert_eq!(pool.pending_nonce(&alice.address(), 0), 2);
        let order: Vec<u64> = pool.best(1).map(|tx| tx.nonce).collect();
        assert_eq!(order, vec![0, 1]);
        pool.on_block([(alice.address(), 1)]);
        assert_eq!(pool.len(), 1);
    }

    #[test]
    fn admission_with_a_stale_nonce_never_strands_a_transaction() {
        let pool = TxPool::new(PoolConfig::default());
        let alice = PrivateKeySigner::random();
        add(&pool, signed(&alice, 0, 100, 10), RICH).unwrap();
        // Block mines nonce 0; the pool learns the new nonce and forgets the sender.
        pool.on_block([(alice.address(), 1)]);
        assert!(pool.is_empty());
        // Nonce 1 arrives validated against the state *before* that block (nonce 0).
        add(&pool, signed(&alice, 1, 100, 10), RICH).unwrap();
        assert_eq!(pool.status(), PoolStatus { pending: 0, queued: 1 }, "stranded until reconciled");
        pool.reconcile(|_| Some(1));
        assert_eq!(pool.status(), PoolStatus { pending: 1, queued: 0 });
        assert_eq!(pool.best(1).map(|tx| tx.nonce).collect::<Vec<_>>(), vec![1]);
        // A known sender's nonce never goes backwards on a stale admission.
        add(&pool, signed(&alice, 2, 100, 10), RICH).unwrap();
        assert_eq!(pool.status(), PoolStatus { pending: 2, queued: 0 });
    }

    #[test]
    fn best_orders_by_tip_across_senders_and_nonce_within() {
        let pool = TxPool::new(PoolConfig::default());
        let (a, b) = (PrivateKeySigner::random(), PrivateKeySigner::random());
        add(&pool, signed(&a, 0, 100, 5), RICH).unwrap();
        add(&pool, signed(&a, 1, 100, 50), RICH).unwrap();
        add(&pool, signed(&b, 0, 100, 20), RICH).unwrap();
        let order: Vec<(Address, u64)> = pool.best(1).map(|tx| (tx.sender, tx.nonce)).collect();
        assert_eq!(order, vec![(b.address(), 0), (a.address(), 0), (a.address(), 1)]);
        // A fee cap below the base fee keeps a transaction out of the block.
        assert_eq!(pool.best(101).count(), 0);
    }

    #[test]
    fn the_block_iterator_holds_no_lock_and_reads_each_senders_next_nonce_as_it_goes() {
        let pool = TxPool::new(PoolConfig::default());
        let alice = PrivateKeySigner::random();
        add(&pool, signed(&alice, 0, 100, 10), RICH).unwrap();
        let second = add(&pool, signed(&alice, 1, 100, 10), RICH).unwrap();
        add(&pool, signed(&alice, 2, 100, 10), RICH).unwrap();
        let mut best = pool.best(1);
        assert_eq!(best.next().map(|tx| tx.nonce), Some(0));
        // Admission goes on while the builder iterates (a held lock would deadlock here)...
        let bob = PrivateKeySigner::random();
        add(&pool, signed(&bob, 0, 100, 1), RICH).unwrap();
        // ...and a transaction dropped meanwhile is not yielded, nor are the nonces behind it.
        pool.remove_invalid(&second);
        assert_eq!(best.next().map(|tx| tx.nonce), None);
    }

    #[test]
    fn replacement_needs_a_ten_percent_bump_of_both_fees() {
        let pool = TxPool::new(PoolConfig::default());
        let alice = PrivateKeySigner::random();
        add(&pool, signed(&alice, 0, 100, 10), RICH).unwrap();
        assert_eq!(add(&pool, signed(&alice, 0, 109, 11), RICH), Err(PoolError::ReplacementUnderpriced));
        assert_eq!(add(&pool, signed(&alice, 0, 110, 10), RICH), Err(PoolError::ReplacementUnderpriced));
        let hash = add(&pool, signed(&alice, 0, 110, 11), RICH).unwrap();
        assert_eq!(pool.len(), 1);
        assert!(pool.get(&hash).is_some());
        assert_eq!(add(&pool, signed(&alice, 0, 110, 11), RICH), Err(PoolError::AlreadyKnown));
    }

    #[test]
    fn nonce_and_balance_rules() {
        let pool = TxPool::new(PoolConfig { max_nonce_gap: 4, ..Default::default() });
        let alice = PrivateKeySigner::random();
        let state = AccountState { nonce: 3, balance: U256::from(21_000u64 * 100) };
        assert_eq!(add(&pool, signed(&alice, 2, 100, 1), state), Err(PoolError::NonceTooLow { tx: 2, state: 3 }));
        assert!(matches!(add(&pool, signed(&alice, 8, 100, 1), state), Err(PoolError::NonceTooHigh { .. })));
        assert!(matches!(add(&pool, signed(&alice, 3, 101, 1), state), Err(PoolError::InsufficientFunds { .. })));
        add(&pool, signed(&alice, 3, 100, 1), state).unwrap();
    }

    #[test]
    fn full_pool_evicts_the_cheapest_other_sender_or_refuses() {
        let pool = TxPool::new(PoolConfig { max_transactions: 2, ..Default::default() });
        let (a, b, c) = (PrivateKeySigner::random(), PrivateKeySigner::random(), PrivateKeySigner::random());
        add(&pool, signed(&a, 0, 100, 5), RICH).unwrap();
        add(&pool, signed(&b, 0, 100, 9), RICH).unwrap();
        assert_eq!(add(&pool, signed(&c, 0, 100, 5), RICH), Err(PoolError::PoolFull));
        add(&pool, signed(&c, 0, 100, 6), RICH).unwrap();
        let senders: Vec<_> = pool.best(1).map(|tx| tx.sender).collect();
        assert_eq!(senders, vec![b.address(), c.address()]);
    }

    #[test]
    fn stateless_validation_errors() {
        let config = PoolConfig::default();
        let alice = PrivateKeySigner::random();
        // Wrong chain id.
        let mut tx = TxEip1559 {
            chain_id: 1,
            gas_limit: 21_000,
            max_fee_per_gas: 10,
            max_priority_fee_per_gas: 1,
            to: TxKind::Call(Address::ZERO),
            ..Default::default()
        };
        let sig = alice.sign_transaction_sync(&mut tx).unwrap();
        let raw: Bytes = OpTxEnvelope::from(tx.into_signed(sig)).encoded_2718().into();
        assert!(matches!(validate_raw(raw, &RULES, &config), Err(PoolError::InvalidChainId { have: 1, want: 2977 })));
        // Legacy without EIP-155.
        let mut legacy = TxLegacy {
            chain_id: None,
            gas_limit: 21_000,
            gas_price: 10,
            to: TxKind::Call(Address::ZERO),
            ..Default::default()
        };
        let sig = alice.sign_transaction_sync(&mut legacy).unwrap();
        let raw: Bytes = OpTxEnvelope::from(legacy.into_signed(sig)).encoded_2718().into();
        assert_eq!(validate_raw(raw, &RULES, &config).unwrap_err(), PoolError::UnprotectedTransaction);
        // Intrinsic gas and block gas limit.
        let mut low = TxEip1559 {
            chain_id: 2977,
            gas_limit: 20_000,
            max_fee_per_gas: 10,
            max_priority_fee_per_gas: 1,
            to: TxKind::Call(Address::ZERO),
            ..Default::default()
        };
        let sig = alice.sign_transaction_sync(&mut low).unwrap();
        let raw: Bytes = OpTxEnvelope::from(low.into_signed(sig)).encoded_2718().into();
        assert!(matches!(validate_raw(raw, &RULES, &config), Err(PoolError::IntrinsicGasTooLow { .. })));
        let mut high = TxEip1559 {
            chain_id: 2977,
            gas_limit: 30_000_001,
            max_fee_per_gas: 10,
            max_priority_fee_per_gas: 1,
            to: TxKind::Call(Address::ZERO),
            ..Default::default()
        };
        let sig = alice.sign_transaction_sync(&mut high).unwrap();
        let raw: Bytes = OpTxEnvelope::from(high.into_signed(sig)).encoded_2718().into();
        assert_eq!(validate_raw(raw, &RULES, &config).unwrap_err(), PoolError::ExceedsBlockGasLimit);
        // Garbage and oversized input.
        assert!(matches!(validate_raw(Bytes::from_static(&[0x02, 0xc0]), &RULES, &config), Err(PoolError::Decode(_))));
        let huge = Bytes::from(vec![0u8; config.max_tx_size + 1]);
        assert!(matches!(validate_raw(huge, &RULES, &config), Err(PoolError::OversizedData { .. })));
    }
}
