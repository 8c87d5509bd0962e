//! The rollup's L1 configuration, read from the SystemConfig contract: the one place every node
//! (sequencer, batcher, verifier) takes the batcher, the batch inbox, the portal, the fee scalars and
//! the L1 start block from, so they cannot disagree.

use alloy::{
    primitives::{Address, B256},
    providers::DynProvider,
    sol,
};

sol! {
    /// The getters of contracts/src/L1/SystemConfig.sol the nodes read.
    #[sol(rpc)]
    interface ISystemConfig {
        function batcherHash() external view returns (bytes32);
        function basefeeScalar() external view returns (uint32);
        function blobbasefeeScalar() external view returns (uint32);
        function batchInbox() external view returns (address);
        function startBlock() external view returns (uint256);
        function optimismPortal() external view returns (address);
        function l2OutputOracle() external view returns (address);
    }
}

/// What the L2 needs to know about its L1 contracts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupConfig {
    /// The SystemConfig contract everything else is read from.
    pub system_config: Address,
    /// The portal whose `TransactionDeposited` events are deposits.
    pub portal: Address,
    /// Where output roots are proposed.
    pub output_oracle: Address,
    /// The address batcher transactions are sent to.
    pub batch_inbox: Address,
    /// The only account whose inbox transactions count.
    pub batcher: Address,
    /// SystemConfig's `batcherHash` (the batcher address as a word), as the L1-attributes transaction carries it.
    pub batcher_hash: B256,
    /// L1 base fee scalar of the L2 data fee, carried into L1-attributes transactions.
    pub base_fee_scalar: u32,
    /// L1 blob base fee scalar of the L2 data fee, carried into L1-attributes transactions.
    pub blob_base_fee_scalar: u32,
    /// L1 block the rollup starts at: the first L2 block's origin, where derivation starts reading.
    pub start_block: u64,
    /// Sequencing window in L1 blocks: a batch for L1 origin `n` counts only if it lands on L1 by
    /// block `n + seq_window_size`, and once the window of the safe head's origin has passed,
    /// derivation moves L2 on by itself with deposit-only blocks, so deposits cannot be withheld.
    /// Not in SystemConfig: a chain constant every node must agree on.
    pub seq_window_size: u64,
}

/// OP mainnet's sequencing window: 3600 L1 blocks (12 hours of 12 s blocks).
pub const DEFAULT_SEQ_WINDOW_SIZE: u64 = 3600;

impl RollupConfig {
    /// Reads the configuration from the SystemConfig at `address`.
    pub async fn load(provider: &DynProvider, address: Address) -> Result<Self, String> {
        let contract = ISystemConfig::new(address, provider);
        let err = |what: &str, e: alloy::contract::Error| format!("SystemConfig {address}.{what}(): {e}");
        let batcher_hash = contract.batcherHash().call().await.map_err(|e| err("batcherHash", e))?;
        let portal = contract.optimismPortal().call().await.map_err(|e| err("optimismPortal", e))?;
        if portal == Address::ZERO {
            return Err(format!("SystemConfig {address} has no portal set (setAddresses was not called)"));
        }
        Ok(Self {
            system_config: address,
            portal,
            output_oracle: contract.l2OutputOracle().call().await.map_err(|e| err("l2OutputOracle", e))?,
            batch_inbox: contract.batchInbox().call().await.map_err(|e| err("batchInbox", e))?,
            batcher: Address::from_word(batcher_hash),
            batcher_hash,
            base_fee_scalar: contract.basefeeScalar().call().await.map_err(|e| err("basefeeScalar", e))?,
            blob_base_fee_scalar: contract.blobbasefeeScalar().call().await.map_err(|e| err("blobbasefeeScalar", e))?,
            start_block: contract.startBlock().call().await.map_err(|e| err("startBlock", e))?.to(),
            seq_window_size: DEFAULT_SEQ_WINDOW_SIZE,
        })
    }
}
