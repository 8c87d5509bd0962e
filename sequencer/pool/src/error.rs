use alloy::primitives::U256;

/// Why a transaction was refused. Messages follow geth's wording, which wallets parse.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PoolError {
    #[error("oversized data: transaction size {size}, limit {limit}")]
    /// The raw transaction is larger than the pool's `max_tx_size`.
    OversizedData {
        /// Size of the raw transaction, in bytes.
        size: usize,
        /// The pool's limit, in bytes.
        limit: usize,
    },
    #[error("transaction decoding failed: {0}")]
    /// The bytes are not a valid EIP-2718 transaction (or an EIP-7702 one lacks authorizations).
    Decode(String),
    #[error("transaction type not supported")]
    /// A deposit transaction was submitted; deposits come only from L1.
    TxTypeNotSupported,
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    /// The transaction carries no chain id (pre-EIP-155 signature).
    UnprotectedTransaction,
    #[error("invalid chain id for signer: have {have} want {want}")]
    /// The transaction was signed for another chain.
    InvalidChainId {
        /// The chain id the transaction carries.
        have: u64,
        /// This chain's id.
        want: u64,
    },
    #[error("invalid sender: {0}")]
    /// The signature does not recover to a sender.
    InvalidSender(String),
    #[error("exceeds block gas limit")]
    /// The transaction's gas limit is above the block gas limit, so no block could include it.
    ExceedsBlockGasLimit,
    #[error("intrinsic gas too low: gas {gas}, minimum needed {needed}")]
    /// The gas limit does not cover the intrinsic gas (base cost, calldata, access list, authorizations).
    IntrinsicGasTooLow {
        /// The transaction's gas limit.
        gas: u64,
        /// The intrinsic gas it needs.
        needed: u64,
    },
    #[error("insufficient gas for floor data gas cost: gas {gas}, minimum needed {needed}")]
    /// The gas limit is below the EIP-7623 calldata floor.
    FloorDataGas {
        /// The transaction's gas limit.
        gas: u64,
        /// The floor gas its calldata needs.
        needed: u64,
    },
    #[error("max priority fee per gas higher than max fee per gas")]
    /// The max priority fee is above the max fee per gas.
    TipAboveFeeCap,
    #[error("transaction underpriced: gas tip cap {tip}, minimum needed {minimum}")]
    /// The priority fee is below the pool's `min_priority_fee`.
    Underpriced {
        /// The transaction's max priority fee per gas, in wei.
        tip: u128,
        /// The pool's minimum, in wei.
        minimum: u128,
    },
    #[error("nonce too low: next nonce {state}, tx nonce {tx}")]
    /// The nonce was already used by a transaction on chain.
    NonceTooLow {
        /// The transaction's nonce.
        tx: u64,
        /// The sender's next nonce at the head.
        state: u64,
    },
    #[error("nonce too high: next nonce {state}, tx nonce {tx}, max gap {gap}")]
    /// The nonce is further ahead of the sender's next nonce than the pool's `max_nonce_gap`.
    NonceTooHigh {
        /// The transaction's nonce.
        tx: u64,
        /// The sender's next nonce at the head.
        state: u64,
        /// The largest gap the pool accepts.
        gap: u64,
    },
    #[error("insufficient funds for gas * price + value: balance {balance}, tx cost {cost}, overshot {}", cost - balance)]
    /// The sender's balance does not cover gas limit × max fee + value + L1 data fee.
    InsufficientFunds {
        /// The sender's balance at the head, in wei.
        balance: U256,
        /// The transaction's maximum cost, L1 data fee included, in wei.
        cost: U256,
    },
    #[error("already known")]
    /// A transaction with the same hash is already in the pool.
    AlreadyKnown,
    #[error("replacement transaction underpriced")]
    /// Replaces a pooled transaction (same sender and nonce) without raising both fees by `price_bump_percent`.
    ReplacementUnderpriced,
    #[error("txpool is full")]
    /// The pool holds `max_transactions` and nothing pooled pays a lower tip to evict.
    PoolFull,
    #[error("account limit exceeded: sender already has {0} transactions in the pool")]
    /// The sender already has `max_account_slots` transactions pooled; carries that count.
    AccountLimit(usize),
    /// The chain's state at the head could not be read (a storage failure, not the sender's fault).
    #[error("cannot read the chain state: {0}")]
    ChainState(String),
}
