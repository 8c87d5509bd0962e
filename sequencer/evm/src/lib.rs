//! EVM configuration of a BalanceAI L2 on top of op-revm / alloy-op-evm: the block environment,
//! the L1-attributes deposit that opens every block, and transaction environments for calls.
//!
//! Owns: how a header maps to an `EvmEnv`, the L1-attributes deposit format (OP Isthmus), the
//! executor factory (stock `OpBlockExecutor`: deposits, L1 data fee, operator fee, receipts), and
//! the proof verifier the AI precompile checks zk models with ([`zk`], over `bai-zk`).
//! Must not touch: storage or the mempool; callers hand it a database and transactions.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod l1info;
pub mod zk;

use alloy::{consensus::Header, primitives::Bytes, rpc::types::TransactionRequest};
use alloy_evm::{Database, Evm, EvmEnv, EvmFactory, rpc::TryIntoTxEnv};
use alloy_op_evm::{OpBlockExecutorFactory, OpEvmFactory, OpTx, block::OpAlloyReceiptBuilder, evm_env_for_op_block};
use alloy_op_hardforks::OpChainHardforks;
use bai_chainspec::ChainSpec;
use op_revm::{OpSpecId, OpTransaction, transaction::deposit::DepositTransactionParts};
use std::sync::Arc;

pub use bai_precompiles::InferenceMode;
pub use l1info::L1Info;
pub use zk::ZkProofs;

/// A genesis allocation as an in-memory revm database (code, storage, balances, nonces): for
/// benchmarks and tests that execute against a chain's genesis without opening a store.
pub fn in_memory_db(
    alloc: impl IntoIterator<Item = (alloy::primitives::Address, alloy::genesis::GenesisAccount)>,
) -> revm::database::CacheDB<revm::database::EmptyDB> {
    use revm::{bytecode::Bytecode, state::AccountInfo};
    let mut db = revm::database::CacheDB::new(revm::database::EmptyDB::default());
    for (address, account) in alloc {
        let code = account.code.map(Bytecode::new_raw);
        let info = AccountInfo {
            balance: account.balance,
            nonce: account.nonce.unwrap_or_default(),
            code_hash: code.as_ref().map_or(revm::primitives::KECCAK_EMPTY, |c| c.hash_slow()),
            code,
            ..Default::default()
        };
        db.insert_account_info(address, info);
        for (slot, value) in account.storage.unwrap_or_default() {
            db.insert_account_storage(address, slot.into(), value.into()).expect("an in-memory database");
        }
    }
    db
}

/// The EVM a BalanceAI node runs: op-revm with the AI precompile installed.
pub type BaiEvm<DB, I> = <OpEvmFactory as EvmFactory>::Evm<DB, I>;

/// The executor factory every BalanceAI node uses.
pub type BaiExecutorFactory = OpBlockExecutorFactory<OpAlloyReceiptBuilder, OpChainHardforks, OpEvmFactory>;

/// Errors turning an RPC call request into an EVM transaction.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{0}")]
    /// The call request cannot become a transaction environment (e.g. conflicting fee fields); carries the reason.
    InvalidRequest(String),
}

/// EVM configuration derived from a chain spec.
#[derive(Debug, Clone)]
pub struct BaiEvmConfig {
    chain: Arc<ChainSpec>,
    hardforks: OpChainHardforks,
    factory: BaiExecutorFactory,
    proofs: Arc<dyn bai_precompiles::ProofVerifier>,
}

impl BaiEvmConfig {
    /// The configuration for `chain`, with its hardfork schedule, the stock OP executor factory and
    /// an in-memory [`ZkProofs`] verifier.
    pub fn new(chain: Arc<ChainSpec>) -> Self {
        let hardforks = chain.hardforks();
        let factory =
            OpBlockExecutorFactory::new(OpAlloyReceiptBuilder::default(), hardforks.clone(), OpEvmFactory::default());
        Self { chain, hardforks, factory, proofs: Arc::new(ZkProofs::default()) }
    }

    /// This configuration checking zk models' proofs with `proofs`.
    pub fn with_proof_verifier(mut self, proofs: Arc<dyn bai_precompiles::ProofVerifier>) -> Self {
        self.proofs = proofs;
        self
    }

    /// The chain spec this configuration was built from.
    pub fn chain(&self) -> &Arc<ChainSpec> {
        &self.chain
    }

    /// The factory of block executors (deposits, L1 data fee, operator fee, receipts).
    pub fn executor_factory(&self) -> &BaiExecutorFactory {
        &self.factory
    }

    /// An EVM over `db` whose AI precompile answers according to `inference`.
    pub fn evm<DB: Database>(
        &self,
        db: DB,
        env: EvmEnv<OpSpecId>,
        inference: InferenceMode,
    ) -> BaiEvm<DB, revm::inspector::NoOpInspector> {
        let mut evm = self.factory.evm_factory().create_evm(db, env);
        bai_precompiles::install(evm.precompiles_mut(), inference, self.proofs.clone());
        evm
    }

    /// [`Self::evm`] with an inspector (tracing, access lists).
    pub fn evm_with_inspector<DB, I>(
        &self,
        db: DB,
        env: EvmEnv<OpSpecId>,
        inspector: I,
        inference: InferenceMode,
    ) -> BaiEvm<DB, I>
    where
        DB: Database,
        I: revm::Inspector<alloy_op_evm::OpEvmContext<DB>>,
    {
        let mut evm = self.factory.evm_factory().create_evm_with_inspector(db, env, inspector);
        bai_precompiles::install(evm.precompiles_mut(), inference, self.proofs.clone());
        evm
    }

    /// The EVM environment for executing the block with this header.
    pub fn evm_env(&self, header: &Header) -> EvmEnv<OpSpecId> {
        evm_env_for_op_block(header, &self.hardforks, self.chain.chain_id)
    }

    /// The revm spec for a block at `timestamp` (see [`ChainSpec::spec_at`]).
    pub fn spec_at(&self, timestamp: u64) -> OpSpecId {
        self.chain.spec_at(timestamp)
    }

    /// A transaction environment for `eth_call`/`eth_estimateGas`/tracing. The empty envelope
    /// means no L1 data fee is charged, as op-geth and op-reth do for calls.
    pub fn call_tx_env(&self, request: TransactionRequest, env: &EvmEnv<OpSpecId>) -> Result<OpTx, CallError> {
        let base: revm::context::TxEnv =
            request.try_into_tx_env(env).map_err(|e| CallError::InvalidRequest(e.to_string()))?;
        Ok(OpTx(OpTransaction { base, enveloped_tx: Some(Bytes::new()), deposit: DepositTransactionParts::default() }))
    }
}
