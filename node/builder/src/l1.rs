//! The L1 side of a node's setup: the L1 it follows (RPC, rollup addresses from SystemConfig or flags) and
//! the roles that post to it (batcher, proposer, challenger), built from the configuration. Shared by the
//! node's startup and a cluster member's leader-only services, which build them afresh for each term.

use crate::config::NodeConfig;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy_primitives::Address;
use anyhow::Context;
use bai_sequencer::Sequencer;
use std::{sync::Arc, time::Duration};

/// The L1 a node follows: its RPC, and the rollup addresses from SystemConfig or flags.
pub(crate) struct L1Setup {
    pub(crate) rpc_url: String,
    pub(crate) provider: DynProvider,
    pub(crate) portal: Address,
    pub(crate) batch_inbox: Option<Address>,
    pub(crate) start_block: Option<u64>,
    pub(crate) rollup: Option<bai_bridge::RollupConfig>,
}

impl L1Setup {
    pub(crate) async fn resolve(config: &NodeConfig) -> anyhow::Result<Option<Self>> {
        let Some(url) = &config.l1_rpc_url else { return Ok(None) };
        let provider = ProviderBuilder::new()
            .connect_client(bai_runtime::http::retrying_client(url.parse().context("invalid --l1.rpc-url")?))
            .erased();
        let rollup = match config.l1_system_config {
            Some(address) => Some(
                bai_bridge::RollupConfig::load(&provider, address)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot read the rollup configuration from L1: {e}"))?,
            ),
            None => None,
        };
        let agree = |flag: &str, given: Option<Address>, read: Option<Address>| match (given, read) {
            (Some(given), Some(read)) if given != read => {
                anyhow::bail!("{flag} {given} disagrees with SystemConfig, which says {read}")
            }
            _ => Ok(given.or(read)),
        };
        let portal = agree("--l1.portal", config.l1_portal, rollup.as_ref().map(|r| r.portal))?
            .context("--l1.rpc-url needs --l1.system-config or --l1.portal")?;
        let batch_inbox = agree("--batcher.inbox", config.batcher_inbox, rollup.as_ref().map(|r| r.batch_inbox))?;
        let start_block = config.l1_start_block.or(rollup.as_ref().map(|r| r.start_block));
        Ok(Some(Self { rpc_url: url.clone(), provider, portal, batch_inbox, start_block, rollup }))
    }
}

/// The batcher, when a batcher key is configured.
pub(crate) fn batcher(
    config: &NodeConfig,
    l1: Option<&L1Setup>,
    sequencer: &Arc<Sequencer>,
) -> anyhow::Result<Option<bai_bridge::Batcher>> {
    let (Some(key), Some(l1)) = (&config.batcher_key, l1) else { return Ok(None) };
    let inbox = l1.batch_inbox.context("the batcher needs --l1.system-config or --batcher.inbox")?;
    let signer: alloy::signers::local::PrivateKeySigner =
        key.expose().trim().parse().map_err(|_| anyhow::anyhow!("the batcher key is not a valid private key"))?;
    if let Some(rollup) = &l1.rollup
        && rollup.batcher != signer.address()
    {
        anyhow::bail!(
            "the batcher key is for {}, but SystemConfig authorises {}: verifiers would ignore its batches",
            signer.address(),
            rollup.batcher
        );
    }
    let batcher = bai_bridge::Batcher::new(
        bai_bridge::BatcherConfig {
            l1_rpc_url: l1.rpc_url.clone(),
            signer,
            inbox,
            max_blocks: config.batcher_max_blocks,
            max_delay: config.batcher_max_delay,
            max_frame_size: config.batcher_max_frame_size,
            da: config.batcher_da,
            resubmit_after: config.batcher_resubmit_after,
            throttle_blocks: config.batcher_throttle_blocks,
            state_file: config.datadir.join("batcher.progress"),
            poll_interval: Duration::from_millis(500),
        },
        sequencer.clone(),
    )?;
    Ok(Some(batcher))
}

/// Where and as whom the proposer or the challenger acts, when its key is configured: the oracle that
/// SystemConfig names, on the node's L1.
pub(crate) fn role_config(
    key: Option<&crate::config::Secret>,
    role: bai_prover::OracleRole,
    l1: Option<&L1Setup>,
) -> anyhow::Result<Option<bai_prover::RoleConfig>> {
    let Some(key) = key else { return Ok(None) };
    let (l1, rollup) = l1
        .and_then(|l1| Some((l1, l1.rollup.as_ref()?)))
        .with_context(|| format!("the {role} needs --l1.rpc-url and --l1.system-config"))?;
    let signer =
        key.expose().trim().parse().map_err(|_| anyhow::anyhow!("the {role} key is not a valid private key"))?;
    Ok(Some(bai_prover::RoleConfig {
        l1_rpc_url: l1.rpc_url.clone(),
        oracle: rollup.output_oracle,
        signer,
        poll_interval: Duration::from_secs(1),
        // Two L1 slots: a proposal or deletion not in either is replaced with higher fees.
        resubmit_after: Duration::from_secs(24),
    }))
}
