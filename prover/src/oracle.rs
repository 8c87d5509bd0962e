//! What the proposer and the challengers share: the L2OutputOracle's interface, one error type, a
//! signing account (a key, a provider that signs with it, whether it still has a transaction in
//! flight) and the L1 account that holds one of the oracle's roles (with the startup check that the
//! oracle accepts it), which sends through the L1 transaction manager ([`bai_txmgr`]).

use alloy::{
    eips::BlockNumberOrTag,
    network::EthereumWallet,
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    sol,
};
use bai_runtime::{Classify, ErrorClass};
use std::fmt::Display;

sol! {
    /// The L2OutputOracle (legacy OP Stack) as the proposer, the challenger and `bai bridge` use it.
    #[sol(rpc)]
    interface IL2OutputOracle {
        struct OutputProposal {
            bytes32 outputRoot;
            uint128 timestamp;
            uint128 l2BlockNumber;
        }
        function PROPOSER() external view returns (address);
        function CHALLENGER() external view returns (address);
        function FINALIZATION_PERIOD_SECONDS() external view returns (uint256);
        function nextBlockNumber() external view returns (uint256);
        function latestBlockNumber() external view returns (uint256);
        function nextOutputIndex() external view returns (uint256);
        function computeL2Timestamp(uint256 l2BlockNumber) external view returns (uint256);
        function getL2Output(uint256 l2OutputIndex) external view returns (OutputProposal memory);
        function getL2OutputIndexAfter(uint256 l2BlockNumber) external view returns (uint256);
        function proposeL2Output(bytes32 outputRoot, uint256 l2BlockNumber, bytes32 l1BlockHash, uint256 l1BlockNumber) external payable;
        function deleteL2Outputs(uint256 l2OutputIndex) external;
    }
}

/// Errors of the proposer and the challenger.
#[derive(Debug, thiserror::Error)]
pub enum SettlementError {
    /// The L1 node failed or refused a call (the transport or contract error is the source).
    #[error("L1 RPC")]
    Rpc(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The configured key is not the account the oracle gives the role to (checked at startup).
    #[error("the oracle's {role} is {expected}, but the {role} key is for {actual}")]
    WrongKey {
        /// The role the key was given for.
        role: OracleRole,
        /// The account the oracle holds for the role.
        expected: Address,
        /// The account of the configured key.
        actual: Address,
    },
    /// The local chain does not (yet) have the L2 block whose output root is needed.
    #[error("L2 block {0} is missing")]
    MissingBlock(u64),
    /// A transaction we sent to L1 was mined but reverted (the string names it).
    #[error("{0} reverted on L1")]
    Reverted(String),
    /// The transaction manager could not get a transaction included (the string names it).
    #[error("{what}")]
    Send {
        /// The transaction.
        what: String,
        /// Why.
        #[source]
        source: bai_txmgr::TxError,
    },
}

pub(crate) fn rpc<E: std::error::Error + Send + Sync + 'static>(e: E) -> SettlementError {
    SettlementError::Rpc(Box::new(e))
}

impl Classify for SettlementError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::Rpc(_) | Self::MissingBlock(_) | Self::Reverted(_) | Self::Send { .. } => ErrorClass::Temporary,
            Self::WrongKey { .. } => ErrorClass::Critical,
        }
    }
}

/// The oracle roles a node can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OracleRole {
    /// `PROPOSER`: posts output roots.
    Proposer,
    /// `CHALLENGER`: deletes wrong output roots while their window is open.
    Challenger,
}

impl Display for OracleRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Proposer => "proposer",
            Self::Challenger => "challenger",
        })
    }
}

/// Where and as whom the proposer or the challenger acts on L1.
#[derive(Debug, Clone)]
pub struct RoleConfig {
    /// L1 JSON-RPC URL the role's transactions and reads go through.
    pub l1_rpc_url: String,
    /// The L2OutputOracle on L1.
    pub oracle: Address,
    /// The key of the account holding the role.
    pub signer: PrivateKeySigner,
    /// How often L1 and the oracle are polled.
    pub poll_interval: std::time::Duration,
    /// A transaction not included after this long is replaced with higher fees.
    pub resubmit_after: std::time::Duration,
}

/// An account that signs and sends transactions through one RPC endpoint (L1 for the oracle roles,
/// L2 for inference evidence).
pub(crate) struct Account {
    pub address: Address,
    pub provider: DynProvider,
}

impl Account {
    /// `chain` names the endpoint in the error ("L1", "L2").
    pub(crate) fn connect(url: &str, signer: PrivateKeySigner, chain: &str) -> Result<Self, String> {
        let url = url.parse().map_err(|e| format!("bad {chain} URL: {e}"))?;
        let address = signer.address();
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_client(bai_runtime::http::retrying_client(url))
            .erased();
        Ok(Self { address, provider })
    }
}

/// An L1 account acting for `role` on the oracle at `oracle`.
pub(crate) struct RoleAccount {
    pub role: OracleRole,
    pub oracle: Address,
    pub account: Account,
    pub poll_interval: std::time::Duration,
    txs: bai_txmgr::TxManager,
}

impl std::ops::Deref for RoleAccount {
    type Target = Account;

    fn deref(&self) -> &Account {
        &self.account
    }
}

impl RoleAccount {
    pub(crate) fn connect(config: RoleConfig, role: OracleRole) -> Result<Self, SettlementError> {
        let account =
            Account::connect(&config.l1_rpc_url, config.signer, "L1").map_err(|e| SettlementError::Rpc(e.into()))?;
        let manager = bai_txmgr::TxManagerConfig {
            resubmit_after: config.resubmit_after,
            max_attempts: 5,
            poll_interval: config.poll_interval,
        };
        let service = match role {
            OracleRole::Proposer => "proposer",
            OracleRole::Challenger => "challenger",
        };
        let txs = bai_txmgr::TxManager::new(account.provider.clone(), account.address, manager, service);
        Ok(Self { role, oracle: config.oracle, account, poll_interval: config.poll_interval, txs })
    }

    pub(crate) fn oracle(&self) -> IL2OutputOracle::IL2OutputOracleInstance<&DynProvider> {
        IL2OutputOracle::new(self.oracle, &self.provider)
    }

    /// Fails when the oracle does not give this account the role (its transactions would revert).
    pub(crate) async fn check_role(&self) -> Result<(), SettlementError> {
        let oracle = self.oracle();
        let expected = match self.role {
            OracleRole::Proposer => oracle.PROPOSER().call().await,
            OracleRole::Challenger => oracle.CHALLENGER().call().await,
        }
        .map_err(rpc)?;
        if expected != self.address {
            return Err(SettlementError::WrongKey { role: self.role, expected, actual: self.address });
        }
        Ok(())
    }

    /// The latest L1 block's header.
    pub(crate) async fn l1_head(&self) -> Result<alloy::rpc::types::Header, SettlementError> {
        let block = self.provider.get_block_by_number(BlockNumberOrTag::Latest).await.map_err(rpc)?;
        Ok(block.ok_or_else(|| SettlementError::Rpc("no latest L1 block".into()))?.header)
    }

    /// Sends `request` through the transaction manager and waits for it to be included; fails if
    /// it reverted (`what` names it in the error). A transaction of ours stuck in the mempool is
    /// replaced, not waited for.
    pub(crate) async fn send(
        &self,
        request: alloy::rpc::types::TransactionRequest,
        what: impl FnOnce() -> String,
    ) -> Result<alloy::rpc::types::TransactionReceipt, SettlementError> {
        match self.txs.send(request).await {
            Ok(included) => Ok(included.receipt),
            Err(bai_txmgr::TxError::Reverted { .. }) => Err(SettlementError::Reverted(what())),
            Err(source) => Err(SettlementError::Send { what: what(), source }),
        }
    }
}
