//! RPC errors and their JSON-RPC codes, following geth (wallets and libraries parse them).

use alloy::primitives::Bytes;
use bai_pool::PoolError;
use bai_storage::StorageError;
use jsonrpsee::types::ErrorObjectOwned;

/// geth's code for transaction and execution errors.
pub const CODE_SERVER: i32 = -32000;
/// Reverted execution (geth and reth use 3 and put the revert bytes in `data`).
pub const CODE_REVERT: i32 = 3;
/// Malformed or out-of-range method parameters (JSON-RPC 2.0).
pub const CODE_INVALID_PARAMS: i32 = -32602;
/// A fault of the node rather than the request: undecodable stored data, unreadable chain state.
pub const CODE_INTERNAL: i32 = -32603;
/// Limit exceeded (EIP-1474).
pub const CODE_LIMIT: i32 = -32005;
/// `eth_sendRawTransactionSync` gave up waiting for the receipt (EIP-7966; the transaction stays
/// in the pool).
pub const CODE_RECEIPT_TIMEOUT: i32 = 4;

/// An error an RPC method returns.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// The request's parameters could not be parsed or make no sense (a bad block tag, hex, range).
    #[error("{0}")]
    InvalidParams(String),
    /// The pool refused a submitted transaction (nonce, fee, balance, size…).
    #[error("{0}")]
    Pool(#[from] PoolError),
    /// Execution reverted: `eth_call` and `eth_estimateGas` return the revert data to the caller.
    #[error("execution reverted{}", .reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default())]
    Revert {
        /// The decoded `Error(string)` or `Panic(uint256)` reason, when the data holds one.
        reason: Option<String>,
        /// The raw revert bytes.
        data: Bytes,
    },
    /// Execution failed for a reason other than a revert (out of gas, invalid opcode…).
    #[error("{0}")]
    Execution(String),
    /// The block, transaction or filter asked for does not exist (or not yet).
    #[error("{0}")]
    NotFound(String),
    /// The query exceeds a server limit: too wide an `eth_getLogs` range or too many results.
    #[error("{0}")]
    Limit(String),
    /// The node failed to serve the request: stored data would not decode, storage failed.
    #[error("{0}")]
    Internal(String),
    /// Internal: a call's first attempt on the RPC worker gave up (past its inline budget or at a
    /// model call) and runs again on the blocking pool. Never sent to a client.
    #[error("the call needs the blocking pool")]
    NeedsBlockingPool,
    /// The sequencer a replica forwarded a transaction to refused it: its error, passed on unchanged
    /// (code, message and data) so wallets read it as if they had asked the sequencer.
    #[error("{}", .0.message())]
    Sequencer(ErrorObjectOwned),
    /// The sequencer a replica forwards transactions to could not be reached or gave no valid answer;
    /// the transaction may not have arrived.
    #[error("the sequencer at {url} did not take the transaction: {reason}")]
    SequencerUnreachable {
        /// The sequencer's URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// A submitted transaction got no receipt within the caller's timeout (EIP-7966).
    #[error("transaction {hash} was added to the mempool but wasn't processed within {millis}ms")]
    ReceiptTimeout {
        /// The transaction.
        hash: alloy::primitives::B256,
        /// The timeout the caller gave.
        millis: u128,
    },
}

impl RpcError {
    /// An [`RpcError::InvalidParams`] carrying `message`.
    pub fn invalid(message: impl std::fmt::Display) -> Self {
        Self::InvalidParams(message.to_string())
    }

    /// An [`RpcError::Internal`] carrying `message`.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::Internal(message.to_string())
    }

    /// A revert with its ABI data; decodes `Error(string)` and `Panic(uint256)` reasons.
    pub fn revert(data: Bytes) -> Self {
        use alloy::sol_types::{GenericContractError, SolInterface};
        let reason = GenericContractError::abi_decode(&data).ok().and_then(|e| match e {
            GenericContractError::Revert(r) => Some(r.reason),
            GenericContractError::Panic(p) => Some(format!("panic: {}", p.code)),
            _ => None,
        });
        Self::Revert { reason, data }
    }
}

impl From<StorageError> for RpcError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::StatePruned { .. }
            | StorageError::UnknownBlock(_)
            | StorageError::ProofUnavailable { .. } => Self::Execution(error.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<crate::filters::TooManyFilters> for RpcError {
    fn from(error: crate::filters::TooManyFilters) -> Self {
        Self::Limit(error.to_string())
    }
}

impl From<RpcError> for ErrorObjectOwned {
    fn from(error: RpcError) -> Self {
        let message = error.to_string();
        match error {
            RpcError::InvalidParams(_) => ErrorObjectOwned::owned(CODE_INVALID_PARAMS, message, None::<()>),
            RpcError::Revert { data, .. } => ErrorObjectOwned::owned(CODE_REVERT, message, Some(data)),
            RpcError::Pool(PoolError::ChainState(_)) => ErrorObjectOwned::owned(CODE_INTERNAL, message, None::<()>),
            RpcError::Pool(_) | RpcError::Execution(_) | RpcError::NotFound(_) => {
                ErrorObjectOwned::owned(CODE_SERVER, message, None::<()>)
            }
            RpcError::Limit(_) => ErrorObjectOwned::owned(CODE_LIMIT, message, None::<()>),
            RpcError::Internal(_) | RpcError::NeedsBlockingPool => {
                ErrorObjectOwned::owned(CODE_INTERNAL, message, None::<()>)
            }
            RpcError::ReceiptTimeout { .. } => ErrorObjectOwned::owned(CODE_RECEIPT_TIMEOUT, message, None::<()>),
            RpcError::Sequencer(answer) => answer,
            RpcError::SequencerUnreachable { .. } => ErrorObjectOwned::owned(CODE_SERVER, message, None::<()>),
        }
    }
}

/// What every RPC method implementation returns.
pub type RpcResult<T> = Result<T, RpcError>;
