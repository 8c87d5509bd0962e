/// Limits and rules of the pool (geth's defaults where geth has one).
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Most transactions one sender may have in the pool (pending and queued).
    pub max_account_slots: usize,
    /// Most transactions in the pool overall.
    pub max_transactions: usize,
    /// Furthest a nonce may run ahead of the sender's next nonce before it is refused.
    pub max_nonce_gap: u64,
    /// Minimum fee bump, in percent, for a replacement.
    pub price_bump_percent: u128,
    /// Minimum priority fee (geth's `--txpool.pricelimit`).
    pub min_priority_fee: u128,
    /// Largest accepted encoded transaction (geth: 128 KiB).
    pub max_tx_size: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_account_slots: 1024,
            max_transactions: 20_000,
            max_nonce_gap: 1024,
            price_bump_percent: 10,
            min_priority_fee: 1,
            max_tx_size: 128 * 1024,
        }
    }
}
