//! `bai-conductor`: leadership of a sequencer cluster, kept in etcd.
//!
//! Two or more `bai node` sequencers share one etcd cluster. One of them holds the **leader key** under
//! an etcd lease and builds blocks; the others are **standbys**: they import every block the leader
//! publishes and campaign for the key when it disappears (the leader's lease expired: it died, hung, or
//! lost etcd). The key's create revision is the **fencing token**.
//!
//! **The commit rule.** A block the leader seals is published to etcd *before* it is committed to the
//! leader's own store or announced (no receipt exists before that): one etcd transaction writes the
//! block and moves the published head, and succeeds only if the leader key still has this leader's
//! token and the published head is the block's parent. So
//! - a block that got a receipt is in etcd, and a new leader imports every published block before it
//!   builds, so no such block is ever replaced after a failover;
//! - two leaders can never both extend the chain: once a lease expires, its key is deleted and the next
//!   leader's key has a new create revision; the old leader's transactions fail their compare, its block
//!   is discarded (nothing committed), and it steps down. This holds whatever the clocks say: a leader
//!   paused past its lease (GC, SIGSTOP, a partition) finds out at its next publish.
//!
//! **L1 derivation in a cluster.** Every member derives from L1 (SystemConfig) beside building or
//! importing, so each knows the safe head. When L1 decides a block other than the one published
//! (forced inclusion, batches past their window), each member replaces its unsafe blocks the same way;
//! the leader also publishes the derived block as the new head (dropping the replaced ones from etcd),
//! and a standby that has not derived it yet waits for its own deriver instead of importing.
//!
//! Keys (prefix `/bai/<chain id>/sequencer/`): `leader` (JSON: id and RPC URL, attached to the lease),
//! `head` (`<number>:<hash>` of the last published block), `blocks/<number, 20 digits>` (the block as
//! RLP of header and EIP-2718 transactions; the last [`ConductorConfig::keep_blocks`] are kept). A
//! standby further behind than that fetches the missing blocks from the leader's RPC.
//!
//! Owns: the etcd client, the election, the published-block log and the [`BlockGate`] that enforces
//! the commit rule. Must not touch: block building or what runs while leading (the node decides: the
//! sequencer loop), RPC.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

use alloy::{
    consensus::{Block, Header},
    eips::Encodable2718,
    providers::{Provider, ProviderBuilder},
};
use alloy_primitives::{B256, Bytes, U64};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use bai_sequencer::{BlockGate, GateError, Sequencer, SequencerError};
use bai_storage::StoredBlock;
use etcd_client::{Client, Compare, CompareOp, ConnectOptions, DeleteOptions, GetOptions, PutOptions, Txn, TxnOp};
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::{Notify, watch};

/// How often a standby reads the leader key and the published log.
const STANDBY_POLL: Duration = Duration::from_millis(100);
/// Wait before re-opening a broken lease keep-alive stream.
const KEEPALIVE_RETRY: Duration = Duration::from_millis(50);
/// Attempts of one publish when etcd members fail (each may reach another member).
const PUBLISH_ATTEMPTS: u32 = 6;
/// Most published blocks read from etcd in one range request.
const CATCH_UP_BATCH: i64 = 256;

/// Settings of one cluster member.
#[derive(Debug, Clone)]
pub struct ConductorConfig {
    /// etcd client URLs (`http://host:2379`), any member of the etcd cluster.
    pub endpoints: Vec<String>,
    /// This member's name, unique in the cluster (logs, the leader key, the status call).
    pub id: String,
    /// This member's JSON-RPC URL as the others and the replicas reach it.
    pub rpc_url: String,
    /// The chain (the etcd prefix), so clusters of two chains can share an etcd.
    pub chain_id: u64,
    /// The leader's lease: a dead leader is replaced after at most this long (whole seconds, ≥ 1;
    /// etcd raises a TTL below its own minimum, 1.5 × its election timeout).
    pub lease_ttl: Duration,
    /// Published blocks kept in etcd (older ones are deleted as new ones are published).
    pub keep_blocks: u64,
    /// Whether this member derives from L1 (SystemConfig): L1 may then replace unsafe blocks, and a
    /// published block that does not extend this member's unsafe head waits for its own derivation
    /// instead of stopping the node.
    pub derives_from_l1: bool,
}

/// Why the conductor stopped.
#[derive(Debug, thiserror::Error)]
pub enum ConductorError {
    /// etcd refused or failed a request.
    #[error("etcd ({endpoints})")]
    Etcd {
        /// The configured endpoints.
        endpoints: String,
        /// The client error.
        #[source]
        source: etcd_client::Error,
    },
    /// A published block in etcd does not decode.
    #[error("published block {number} in etcd does not decode")]
    Corrupt {
        /// Its number.
        number: u64,
        /// Why.
        #[source]
        source: alloy_rlp::Error,
    },
    /// A published block does not extend this node's chain or does not check out: this node's chain is
    /// not the published one, and it must not lead.
    #[error("published block {number} does not fit this node's chain")]
    Rejected {
        /// Its number.
        number: u64,
        /// Why.
        #[source]
        source: SequencerError,
    },
    /// Blocks this node lacks are neither in etcd any more nor served by a leader.
    #[error("blocks {from}..={to} are no longer in etcd and no leader serves them: {reason}")]
    Gap {
        /// First missing block.
        from: u64,
        /// Last published block.
        to: u64,
        /// What was tried.
        reason: String,
    },
    /// The blocking import task failed.
    #[error("block import task")]
    Join(#[from] tokio::task::JoinError),
}

/// The leader key's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderInfo {
    /// The leader's member id.
    pub id: String,
    /// Its JSON-RPC URL.
    pub rpc: String,
}

/// What this member is doing, for the status call, logs and metrics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// This member's id.
    pub id: String,
    /// `leader` or `standby`.
    pub role: &'static str,
    /// The leader as etcd last said (this member when leading); `None` while there is none.
    pub leader: Option<LeaderInfo>,
    /// The fencing token while leading.
    pub fencing_token: Option<i64>,
    /// How many times this member became leader.
    pub terms: u64,
    /// The published head as last read or written: `(number, hash)`.
    pub published_head: Option<(u64, B256)>,
    /// While leading: the head this term began on (its first block is the next one).
    pub took_office_at: Option<u64>,
    /// A standby whose unsafe blocks L1 derivation replaced on the leader, until it replaced them too.
    pub awaiting_derivation: bool,
    /// The etcd endpoints.
    pub etcd: Vec<String>,
    /// The lease TTL in seconds.
    pub lease_ttl_seconds: u64,
}

/// A block as published in etcd.
#[derive(Debug, RlpEncodable, RlpDecodable)]
struct PublishedBlock {
    header: Header,
    transactions: Vec<Bytes>,
}

#[derive(Debug, Clone, Copy)]
struct Leadership {
    token: i64,
    lease: i64,
}

struct Keys {
    leader: String,
    head: String,
    blocks: String,
}

impl Keys {
    fn new(chain_id: u64) -> Self {
        let prefix = format!("/bai/{chain_id}/sequencer/");
        Self { leader: format!("{prefix}leader"), head: format!("{prefix}head"), blocks: format!("{prefix}blocks/") }
    }

    fn block(&self, number: u64) -> String {
        format!("{}{number:020}", self.blocks)
    }

    fn number_of(&self, key: &[u8]) -> Option<u64> {
        std::str::from_utf8(key).ok()?.strip_prefix(&self.blocks)?.parse().ok()
    }
}

fn head_value(number: u64, hash: B256) -> String {
    format!("{number}:{hash}")
}

fn parse_head(value: &[u8]) -> Option<(u64, B256)> {
    let (number, hash) = std::str::from_utf8(value).ok()?.split_once(':')?;
    Some((number.parse().ok()?, hash.parse().ok()?))
}

/// One member of a sequencer cluster: campaigns, leads (publishing through [`BlockGate`]) or stands by.
pub struct Conductor {
    config: ConductorConfig,
    client: Client,
    keys: Keys,
    runtime: tokio::runtime::Handle,
    leadership: Mutex<Option<Leadership>>,
    leading: watch::Sender<Option<i64>>,
    /// Woken when a publish found this member fenced off.
    fenced: Notify,
    status: RwLock<Status>,
}

impl std::fmt::Debug for Conductor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conductor").field("id", &self.config.id).finish()
    }
}

impl Conductor {
    /// Connects to etcd. Must be called inside a Tokio runtime (publishing blocks on it).
    pub async fn connect(config: ConductorConfig) -> Result<Arc<Self>, ConductorError> {
        let ttl = config.lease_ttl.max(Duration::from_secs(1));
        // Every request is bounded: a leader must not wait on etcd longer than its lease lasts.
        let options = ConnectOptions::new().with_connect_timeout(ttl).with_timeout(ttl);
        let client = Client::connect(&config.endpoints, Some(options))
            .await
            .map_err(|source| ConductorError::Etcd { endpoints: config.endpoints.join(","), source })?;
        let status = Status {
            id: config.id.clone(),
            role: "standby",
            leader: None,
            fencing_token: None,
            terms: 0,
            published_head: None,
            took_office_at: None,
            awaiting_derivation: false,
            etcd: config.endpoints.clone(),
            lease_ttl_seconds: ttl.as_secs(),
        };
        metrics::gauge!("bai_conductor_leader").set(0.0);
        Ok(Arc::new(Self {
            keys: Keys::new(config.chain_id),
            config: ConductorConfig { lease_ttl: ttl, ..config },
            client,
            runtime: tokio::runtime::Handle::current(),
            leadership: Mutex::new(None),
            leading: watch::channel(None).0,
            fenced: Notify::new(),
            status: RwLock::new(status),
        }))
    }

    /// `Some(fencing token)` while this member leads, `None` while it stands by.
    pub fn leadership(&self) -> watch::Receiver<Option<i64>> {
        self.leading.subscribe()
    }

    /// What this member is doing now.
    pub fn status(&self) -> Status {
        self.status.read().clone()
    }

    fn etcd(&self) -> impl Fn(etcd_client::Error) -> ConductorError + '_ {
        |source| ConductorError::Etcd { endpoints: self.config.endpoints.join(","), source }
    }

    /// Runs the member until `shutdown`: stands by (importing published blocks), campaigns when there
    /// is no leader, leads until its lease is lost. Temporary etcd failures are retried; a published
    /// block that does not fit this node's chain ends it with an error (it must not lead).
    pub async fn run(
        self: Arc<Self>,
        sequencer: Arc<Sequencer>,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<(), ConductorError> {
        tracing::info!(target: "conductor", id = %self.config.id, etcd = %self.config.endpoints.join(","), "joining the sequencer cluster as a standby");
        let mut warned = false;
        loop {
            if *shutdown.borrow() {
                return Ok(());
            }
            match self.stand_by_step(&sequencer).await {
                Ok(true) => match self.campaign().await {
                    Ok(Some(won)) => self.lead(won, &sequencer, &mut shutdown).await?,
                    Ok(None) => {}
                    Err(error) => tracing::warn!(target: "conductor", error = %error_chain(&error), "campaign failed"),
                },
                Ok(false) => {}
                Err(error @ (ConductorError::Rejected { .. } | ConductorError::Corrupt { .. })) => return Err(error),
                Err(error) => {
                    if !warned {
                        tracing::warn!(target: "conductor", error = %error_chain(&error), "standby step failed; retrying");
                    }
                    warned = true;
                    metrics::counter!("bai_conductor_errors_total").increment(1);
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(STANDBY_POLL) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// One standby step: reads the leader key, imports what was published since this node's head.
    /// `true` when there is no leader (time to campaign).
    async fn stand_by_step(&self, sequencer: &Arc<Sequencer>) -> Result<bool, ConductorError> {
        let leader = self.current_leader().await?;
        {
            let mut status = self.status.write();
            if status.leader != leader {
                match &leader {
                    Some(l) => {
                        tracing::info!(target: "conductor", leader = %l.id, rpc = %l.rpc, "following the leader")
                    }
                    None => tracing::info!(target: "conductor", "no leader: campaigning"),
                }
                status.leader = leader.clone();
            }
        }
        self.catch_up(sequencer, leader.as_ref()).await?;
        Ok(leader.is_none())
    }

    async fn current_leader(&self) -> Result<Option<LeaderInfo>, ConductorError> {
        let response = self.client.clone().get(self.keys.leader.as_str(), None).await.map_err(self.etcd())?;
        Ok(response.kvs().first().and_then(|kv| serde_json::from_slice(kv.value()).ok()))
    }

    /// The published head in etcd.
    async fn published_head(&self) -> Result<Option<(u64, B256)>, ConductorError> {
        let response = self.client.clone().get(self.keys.head.as_str(), None).await.map_err(self.etcd())?;
        Ok(response.kvs().first().and_then(|kv| parse_head(kv.value())))
    }

    /// Imports every published block above this node's head, from etcd, or from the leader's RPC for
    /// blocks etcd no longer keeps.
    async fn catch_up(&self, sequencer: &Arc<Sequencer>, leader: Option<&LeaderInfo>) -> Result<(), ConductorError> {
        loop {
            let head = sequencer.head().0.number;
            // The head first: every block up to it is then in the range read below, unless etcd pruned it.
            let published = self.published_head().await?;
            self.status.write().published_head = published;
            let from = self.keys.block(head + 1);
            let options = GetOptions::new().with_range(format!("{}~", self.keys.blocks)).with_limit(CATCH_UP_BATCH);
            let response = self.client.clone().get(from, Some(options)).await.map_err(self.etcd())?;
            let kvs = response.kvs();
            let first = kvs.first().and_then(|kv| self.keys.number_of(kv.key()));
            if first != Some(head + 1) {
                // Nothing newer in the log, or the log starts above our next block.
                match published {
                    Some((top, _)) if top > head => {
                        self.fill_gap(sequencer, leader, head + 1, top).await?;
                        continue;
                    }
                    _ => return Ok(()),
                }
            }
            for kv in kvs {
                let Some(number) = self.keys.number_of(kv.key()) else { continue };
                let block = PublishedBlock::decode(&mut kv.value())
                    .map_err(|source| ConductorError::Corrupt { number, source })?;
                if self.awaits_derivation(sequencer, &block.header) {
                    return Ok(());
                }
                self.import(sequencer, number, block.header, block.transactions).await?;
            }
            if (kvs.len() as i64) < CATCH_UP_BATCH {
                return Ok(());
            }
        }
    }

    /// Whether `header` (published next) builds on another block than this member's head because L1
    /// derivation replaced unsafe blocks on the leader and not yet here: this member's own deriver
    /// replaces them the same way, then the import goes on. A safe head is never replaced, so a
    /// published block that contradicts one is imported and rejected as usual.
    fn awaits_derivation(&self, sequencer: &Sequencer, header: &Header) -> bool {
        let (head, hash) = sequencer.head();
        let diverged = header.parent_hash != hash && header.number == head.number + 1;
        if !(diverged && self.config.derives_from_l1 && sequencer.safe_head() < head.number) {
            return false;
        }
        let mut status = self.status.write();
        if !status.awaiting_derivation {
            tracing::warn!(target: "conductor", number = header.number, local_head = %hash, published_parent = %header.parent_hash, "the published chain replaced unsafe blocks this member has: waiting for L1 derivation to replace them here");
            status.awaiting_derivation = true;
        }
        metrics::counter!("bai_conductor_awaiting_derivation_total").increment(1);
        true
    }

    async fn import(
        &self,
        sequencer: &Arc<Sequencer>,
        number: u64,
        header: Header,
        transactions: Vec<Bytes>,
    ) -> Result<(), ConductorError> {
        let seq = sequencer.clone();
        let imported = tokio::task::spawn_blocking(move || seq.import_block(header, transactions)).await?;
        match imported {
            Ok(block) => {
                self.status.write().awaiting_derivation = false;
                metrics::counter!("bai_conductor_imported_blocks_total").increment(1);
                tracing::debug!(target: "conductor", number, hash = %block.block.hash, "imported a published block");
                Ok(())
            }
            Err(source) => {
                tracing::error!(target: "conductor", number, error = %source, "a published block does not fit this node's chain");
                Err(ConductorError::Rejected { number, source })
            }
        }
    }

    /// Blocks `from..=to` that etcd no longer keeps, from the leader's `debug_getRawBlock`.
    async fn fill_gap(
        &self,
        sequencer: &Arc<Sequencer>,
        leader: Option<&LeaderInfo>,
        from: u64,
        to: u64,
    ) -> Result<(), ConductorError> {
        let gap = |reason: String| ConductorError::Gap { from, to, reason };
        let Some(leader) = leader.filter(|l| l.id != self.config.id) else {
            return Err(gap("there is no other leader to ask".into()));
        };
        let url = leader.rpc.parse().map_err(|_| gap(format!("the leader's RPC URL {:?} is invalid", leader.rpc)))?;
        let provider = ProviderBuilder::new().connect_reqwest(bai_runtime::http::http_client(), url);
        tracing::info!(target: "conductor", from, to, leader = %leader.id, "fetching blocks etcd no longer keeps from the leader");
        for number in from..=to {
            let raw: Bytes = provider
                .raw_request("debug_getRawBlock".into(), (U64::from(number),))
                .await
                .map_err(|e| gap(format!("the leader at {} did not serve block {number}: {e}", leader.rpc)))?;
            let block = Block::<op_alloy::consensus::OpTxEnvelope>::decode(&mut raw.as_ref())
                .map_err(|source| ConductorError::Corrupt { number, source })?;
            let transactions = block.body.transactions.iter().map(|tx| tx.encoded_2718().into()).collect();
            self.import(sequencer, number, block.header, transactions).await?;
        }
        Ok(())
    }

    /// Tries to take the leader key with a fresh lease. `Some` when this member won.
    async fn campaign(&self) -> Result<Option<Leadership>, ConductorError> {
        let mut client = self.client.clone();
        let ttl = self.config.lease_ttl.as_secs() as i64;
        let lease = client.lease_grant(ttl, None).await.map_err(self.etcd())?.id();
        let info = LeaderInfo { id: self.config.id.clone(), rpc: self.config.rpc_url.clone() };
        let value = serde_json::to_vec(&info).expect("leader info serialises");
        let txn = Txn::new()
            .when([Compare::create_revision(self.keys.leader.as_str(), CompareOp::Equal, 0)])
            .and_then([TxnOp::put(self.keys.leader.as_str(), value, Some(PutOptions::new().with_lease(lease)))]);
        let response = client.txn(txn).await.map_err(self.etcd())?;
        if !response.succeeded() {
            let _ = client.lease_revoke(lease).await;
            return Ok(None);
        }
        // The key was created by this transaction: its create revision is the transaction's revision.
        let token = response.header().map(|h| h.revision()).unwrap_or_default();
        Ok(Some(Leadership { token, lease }))
    }

    /// Leads until the lease is lost, a publish finds this member fenced, or `shutdown`.
    async fn lead(
        &self,
        won: Leadership,
        sequencer: &Arc<Sequencer>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(), ConductorError> {
        let started = Instant::now();
        // Fenced now: whatever was published before this member won is final. Import it, then mark our
        // head as the published one (a fresh cluster has none yet).
        if let Err(error) = self.take_office(won, sequencer).await {
            tracing::warn!(target: "conductor", error = %error_chain(&error), "could not take office; resigning");
            let _ = self.client.clone().lease_revoke(won.lease).await;
            return match error {
                ConductorError::Etcd { .. } | ConductorError::Gap { .. } => Ok(()),
                other => Err(other),
            };
        }
        let (head, hash) = sequencer.head();
        *self.leadership.lock() = Some(won);
        {
            let mut status = self.status.write();
            status.role = "leader";
            status.fencing_token = Some(won.token);
            status.terms += 1;
            status.leader = Some(LeaderInfo { id: self.config.id.clone(), rpc: self.config.rpc_url.clone() });
            status.published_head = Some((head.number, hash));
            status.took_office_at = Some(head.number);
        }
        metrics::gauge!("bai_conductor_leader").set(1.0);
        metrics::counter!("bai_conductor_leader_changes_total").increment(1);
        tracing::info!(target: "conductor", id = %self.config.id, token = won.token, head = head.number, %hash, took_ms = started.elapsed().as_millis() as u64, "leading the sequencer cluster");
        let _ = self.leading.send(Some(won.token));

        let reason = self.keep_lease(won, shutdown).await;
        self.step_down(&reason);
        // Give the key up at once when we chose to (shutdown), so a standby need not wait for the lease.
        let _ = tokio::time::timeout(self.config.lease_ttl, self.client.clone().lease_revoke(won.lease)).await;
        Ok(())
    }

    async fn take_office(&self, won: Leadership, sequencer: &Arc<Sequencer>) -> Result<(), ConductorError> {
        self.catch_up(sequencer, None).await?;
        let (head, hash) = sequencer.head();
        let txn = Txn::new()
            .when([Compare::create_revision(self.keys.leader.as_str(), CompareOp::Equal, won.token)])
            .and_then([TxnOp::put(self.keys.head.as_str(), head_value(head.number, hash), None)]);
        let response = self.client.clone().txn(txn).await.map_err(self.etcd())?;
        if !response.succeeded() {
            return Err(ConductorError::Gap {
                from: 0,
                to: 0,
                reason: "the lease was lost while taking office".into(),
            });
        }
        Ok(())
    }

    /// Keeps the lease alive; returns why leadership ended. A keep-alive stream that breaks (its etcd member
    /// died) is replaced at once through another member, so losing one etcd member does not end the term.
    async fn keep_lease(&self, won: Leadership, shutdown: &mut watch::Receiver<bool>) -> String {
        let ttl = self.config.lease_ttl;
        let mut channel = None;
        let mut confirmed = Instant::now();
        let mut next = Instant::now() + ttl / 3;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(next.into()) => {}
                _ = self.fenced.notified() => return "a publish found another leader's token".into(),
                _ = shutdown.changed() => return "shutting down".into(),
            }
            if self.leadership.lock().is_none() {
                return "a publish found another leader's token".into();
            }
            let renewed = tokio::time::timeout(ttl / 4, async {
                if channel.is_none() {
                    channel = Some(self.client.clone().lease_keep_alive(won.lease).await?);
                }
                let (keeper, stream) = channel.as_mut().expect("opened above");
                keeper.keep_alive().await?;
                stream.message().await
            })
            .await;
            match renewed {
                Ok(Ok(Some(answer))) if answer.ttl() > 0 => {
                    confirmed = Instant::now();
                    next = confirmed + ttl / 3;
                }
                Ok(Ok(Some(_))) => return "the lease expired".into(),
                failed => {
                    let why = match failed {
                        Ok(Err(error)) => error.to_string(),
                        Ok(Ok(None)) => "the keep-alive stream ended".into(),
                        _ => "no answer in time".into(),
                    };
                    tracing::debug!(target: "conductor", why, "lease keep-alive failed; reconnecting");
                    metrics::counter!("bai_conductor_keepalive_failures_total").increment(1);
                    channel = None;
                    next = Instant::now() + KEEPALIVE_RETRY;
                }
            }
            // Not renewed for two TTLs: etcd has expired the lease (an etcd leader change extends leases, so a
            // short etcd election is no reason). Stop building; the fence would refuse the blocks anyway.
            if confirmed.elapsed() >= ttl * 2 {
                return format!("the lease was not renewed for {:?}", confirmed.elapsed());
            }
        }
    }

    fn step_down(&self, reason: &str) {
        let was = self.leadership.lock().take();
        if was.is_none() {
            return;
        }
        {
            let mut status = self.status.write();
            status.role = "standby";
            status.fencing_token = None;
            status.took_office_at = None;
            status.leader = None;
        }
        metrics::gauge!("bai_conductor_leader").set(0.0);
        tracing::warn!(target: "conductor", id = %self.config.id, reason, "stepped down: standing by");
        let _ = self.leading.send(None);
    }
}

impl BlockGate for Conductor {
    fn publish(&self, block: &StoredBlock) -> Result<(), GateError> {
        self.publish_block(block, false)
    }

    fn publish_derived(&self, block: &StoredBlock) -> Result<(), GateError> {
        self.publish_block(block, true)
    }
}

impl Conductor {
    /// Publishes `block` under this term's fencing token. A block this node built must extend the
    /// published head; a `derived` one (L1 decided it, every member derives it too) replaces the
    /// published blocks from its height on, so the leader's next block extends it.
    fn publish_block(&self, block: &StoredBlock, derived: bool) -> Result<(), GateError> {
        let Some(lead) = *self.leadership.lock() else {
            return Err(GateError::Fenced("this member is a standby".into()));
        };
        let number = block.header.number;
        let published = PublishedBlock { header: block.header.clone(), transactions: block.transactions.clone() };
        let mut raw = Vec::with_capacity(published.length());
        published.encode(&mut raw);
        let mut ops = vec![
            TxnOp::put(self.keys.block(number), raw, None),
            TxnOp::put(self.keys.head.as_str(), head_value(number, block.hash), None),
        ];
        if number > self.config.keep_blocks {
            ops.push(TxnOp::delete(self.keys.block(number - self.config.keep_blocks), None));
        }
        let mut compare = vec![Compare::create_revision(self.keys.leader.as_str(), CompareOp::Equal, lead.token)];
        if derived {
            // The replaced blocks above it go: a standby must never import one on top of the derived block.
            let above = DeleteOptions::new().with_range(format!("{}~", self.keys.blocks));
            ops.push(TxnOp::delete(self.keys.block(number + 1), Some(above)));
        } else {
            compare.push(Compare::value(
                self.keys.head.as_str(),
                CompareOp::Equal,
                head_value(number - 1, block.header.parent_hash),
            ));
        }
        let txn = Txn::new().when(compare).and_then(ops);
        let mut client = self.client.clone();
        // A dead etcd member refuses connections at once, and the client's balancer sends the next attempt to
        // another member; a dead raft leader stalls etcd's writes until it elects another (about its election
        // timeout). Retrying across both keeps the block, late rather than lost; a fenced or lost term still
        // cannot publish, so waiting is safe.
        let deadline = Instant::now() + self.config.lease_ttl * 2;
        let mut attempt = 0;
        let outcome = loop {
            attempt += 1;
            match self.runtime.block_on(client.txn(txn.clone())) {
                Err(error) if attempt < PUBLISH_ATTEMPTS && Instant::now() < deadline => {
                    tracing::debug!(target: "conductor", number, attempt, %error, "publish failed; trying another etcd member");
                }
                other => break other,
            }
        };
        match outcome {
            Ok(response) if response.succeeded() => self.published(number, block.hash),
            Ok(_)
                if attempt > 1
                    && self.runtime.block_on(self.published_head()).ok().flatten() == Some((number, block.hash)) =>
            {
                // An earlier attempt was applied but its answer was lost: the block is published.
                self.published(number, block.hash)
            }
            Ok(_) => {
                metrics::counter!("bai_conductor_fenced_blocks_total").increment(1);
                tracing::error!(target: "conductor", number, token = lead.token, "fenced: another leader holds the key (or the published head moved); block discarded");
                self.step_down("fenced off by another leader's token");
                // Not a stored permit: a later term must not see this one's fence.
                self.fenced.notify_waiters();
                Err(GateError::Fenced(format!("fencing token {} is no longer the leader's", lead.token)))
            }
            Err(error) => {
                metrics::counter!("bai_conductor_publish_errors_total").increment(1);
                Err(GateError::Unavailable(format!("etcd: {error}")))
            }
        }
    }

    fn published(&self, number: u64, hash: B256) -> Result<(), GateError> {
        self.status.write().published_head = Some((number, hash));
        metrics::counter!("bai_conductor_published_blocks_total").increment(1);
        Ok(())
    }
}

/// An error with its causes, one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
