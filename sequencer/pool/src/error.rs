use alloy::primitives::U256;

/// Why a transaction was refused. Messages follow geth's wording, which wallets parse.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PoolError {
    #[error("oversized data: transaction size {size}, limit {limit}")]
    OversizedData { size: usize, limit: usize },
    #[error("transaction decoding failed: {0}")]
    Decode(String),
    #[error("transaction type not supported")]
    TxTypeNotSupported,
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    UnprotectedTransaction,
    #[error("invalid chain id for signer: have {have} want {want}")]
    InvalidChainId { have: u64, want: u64 },
    #[error("invalid sender: {0}")]
    InvalidSender(String),
    #[error("exceeds block gas limit")]
    ExceedsBlockGasLimit,
    #[error("intrinsic gas too low: gas {gas}, minimum needed {needed}")]
    IntrinsicGasTooLow { gas: u64, needed: u64 },
    #[error("insufficient gas for floor data gas cost: gas {gas}, minimum needed {needed}")]
    FloorDataGas { gas: u64, needed: u64 },
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
    #[error("transaction underpriced: gas tip cap {tip}, minimum needed {minimum}")]
    Underpriced { tip: u128, minimum: u128 },
    #[error("nonce too low: next nonce {state}, tx nonce {tx}")]
    NonceTooLow { tx: u64, state: u64 },
    #[error("nonce too high: next nonce {state}, tx nonce {tx}, max gap {gap}")]
    NonceTooHigh { tx: u64, state: u64, gap: u64 },
    #[error("insufficient funds for gas * price + value: balance {balance}, tx cost {cost}, overshot {}", cost - balance)]
    InsufficientFunds { balance: U256, cost: U256 },
    #[error("already known")]
    AlreadyKnown,
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    #[error("txpool is full")]
    PoolFull,
    #[error("account limit exceeded: sender already has {0} transactions in the pool")]
    AccountLimit(usize),
}
