//! `bai gov`: BAI token governance from the command line, against the L1 Governor (OpenZeppelin
//! Governor with a TimelockController; see docs/governance.md). `delegate` votes, `propose` L1 and
//! L2 actions in one proposal, `vote`, `queue`, `execute`, and `status` / `list` with the time left
//! in each stage.
//!
//! An L2 action is an L1 call from the timelock to the portal's `depositTransaction`: on L2 it runs
//! as a deposit whose sender is the timelock's aliased address, which holds the L2 admin roles.
//! Every proposal's actions are read back from its `ProposalCreated` event, so `queue` and
//! `execute` need only the proposal id.

use crate::bridge::{KeyArgs, connect, load_signer, manifest_address, mined};
use alloy::{
    dyn_abi::{DynSolType, DynSolValue, JsonAbiExt},
    eips::BlockNumberOrTag,
    json_abi::Function,
    primitives::{Address, Bytes, U256, keccak256},
    providers::{DynProvider, Provider},
    rpc::types::Filter,
    signers::local::PrivateKeySigner,
    sol_types::{SolCall, SolEvent},
};
use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

// The generated `ProposalCreated` constructor takes its nine event fields.
#[allow(clippy::too_many_arguments)]
mod abi {
    use alloy::sol;

    sol! {
        #[sol(rpc)]
        interface IGovernor {
            function propose(address[] targets, uint256[] values, bytes[] calldatas, string description) external returns (uint256);
            function castVoteWithReason(uint256 proposalId, uint8 support, string reason) external returns (uint256);
            function queue(address[] targets, uint256[] values, bytes[] calldatas, bytes32 descriptionHash) external returns (uint256);
            function execute(address[] targets, uint256[] values, bytes[] calldatas, bytes32 descriptionHash) external payable returns (uint256);
            function hashProposal(address[] targets, uint256[] values, bytes[] calldatas, bytes32 descriptionHash) external pure returns (uint256);
            function state(uint256 proposalId) external view returns (uint8);
            function proposalSnapshot(uint256 proposalId) external view returns (uint256);
            function proposalDeadline(uint256 proposalId) external view returns (uint256);
            function proposalEta(uint256 proposalId) external view returns (uint256);
            function proposalVotes(uint256 proposalId) external view returns (uint256 againstVotes, uint256 forVotes, uint256 abstainVotes);
            function proposalThreshold() external view returns (uint256);
            function quorum(uint256 timepoint) external view returns (uint256);
            function hasVoted(uint256 proposalId, address account) external view returns (bool);
            function clock() external view returns (uint48);
            function token() external view returns (address);
            function timelock() external view returns (address);
            event ProposalCreated(uint256 proposalId, address proposer, address[] targets, uint256[] values, string[] signatures, bytes[] calldatas, uint256 voteStart, uint256 voteEnd, string description);
        }

        #[sol(rpc)]
        interface IVotesToken {
            function delegate(address delegatee) external;
            function delegates(address account) external view returns (address);
            function getVotes(address account) external view returns (uint256);
            function balanceOf(address account) external view returns (uint256);
        }

        #[sol(rpc)]
        interface IDepositPortal {
            function depositTransaction(address to, uint256 value, uint64 gasLimit, bool isCreation, bytes data) external payable;
        }
    }
}
use abi::{IDepositPortal, IGovernor, IVotesToken};

/// Arguments of `bai gov`.
#[derive(Debug, Args)]
pub struct GovArgs {
    /// L1 RPC URL.
    #[arg(long = "l1.rpc-url", env = "BAI_L1_RPC_URL", default_value = "http://127.0.0.1:8546", global = true)]
    l1_rpc_url: String,
    /// The Governor on L1. Default: the devnet's, from `--devnet`'s devnet.json.
    #[arg(long, env = "BAI_GOVERNOR", global = true)]
    governor: Option<Address>,
    /// The portal L2 actions are sent through. Default: the devnet's, from devnet.json.
    #[arg(long, env = "BAI_PORTAL", global = true)]
    portal: Option<Address>,
    /// Devnet data directory whose devnet.json names the contracts.
    #[arg(long, default_value = "testnet/data/devnet", global = true)]
    devnet: PathBuf,
    #[command(flatten)]
    key: KeyArgs,
    #[command(subcommand)]
    command: GovCommand,
}

#[derive(Debug, Subcommand)]
enum GovCommand {
    /// Delegate your BAI votes (to yourself by default: undelegated tokens do not vote).
    Delegate {
        /// The delegatee (default: the sender).
        #[arg(long)]
        to: Option<Address>,
    },
    /// Propose L1 and L2 actions; prints the proposal id.
    Propose {
        /// What the proposal does and why (its hash is part of the proposal id).
        #[arg(long)]
        description: String,
        /// An L1 call the timelock makes: `"<target> <signature> [args…]"`, e.g.
        /// `"0x… setGasLimit(uint64) 30000000"`. Repeatable; actions run in the order given, L1 first.
        #[arg(long = "l1", value_name = "CALL")]
        l1: Vec<String>,
        /// An L2 call, sent as a portal deposit from the timelock (its aliased address is the L2
        /// admin): `"<target> <signature> [args…]"`. Repeatable.
        #[arg(long = "l2", value_name = "CALL")]
        l2: Vec<String>,
        /// L2 gas limit of each L2 action's deposit.
        #[arg(long = "l2-gas", default_value_t = 300_000)]
        l2_gas: u64,
    },
    /// Vote on an active proposal.
    Vote {
        proposal: U256,
        support: Support,
        /// Reason recorded with the vote.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Queue a succeeded proposal in the timelock.
    Queue { proposal: U256 },
    /// Execute a queued proposal once the timelock delay has passed.
    Execute { proposal: U256 },
    /// One proposal: state, votes, quorum, actions and the time left in its stage.
    Status { proposal: U256 },
    /// Every proposal with its state.
    List,
}

/// A vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Support {
    Against,
    For,
    Abstain,
}

impl Support {
    /// GovernorCountingSimple's encoding.
    fn code(self) -> u8 {
        match self {
            Self::Against => 0,
            Self::For => 1,
            Self::Abstain => 2,
        }
    }
}

/// `IGovernor.ProposalState`.
const STATES: [&str; 8] = ["pending", "active", "canceled", "defeated", "succeeded", "queued", "expired", "executed"];

/// One action of a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Action {
    target: Address,
    value: U256,
    calldata: Bytes,
}

/// Encodes `"<target> <signature> [args…]"` (arguments as `cast` takes them: numbers, addresses,
/// hex bytes, `true`/`false`, `[a,b]` arrays).
fn parse_call(spec: &str) -> anyhow::Result<(Address, Bytes)> {
    let mut words = spec.split_whitespace();
    let target: Address = words
        .next()
        .with_context(|| format!("{spec:?}: expected `<target> <signature> [args…]`"))?
        .parse()
        .with_context(|| format!("{spec:?}: the target is not an address"))?;
    let signature = words.next().with_context(|| format!("{spec:?}: no function signature"))?;
    let function = Function::parse(signature).with_context(|| format!("{signature:?} is not a function signature"))?;
    let args: Vec<&str> = words.collect();
    if args.len() != function.inputs.len() {
        bail!("{signature} takes {} arguments, {} given", function.inputs.len(), args.len());
    }
    let values = function
        .inputs
        .iter()
        .zip(&args)
        .map(|(input, arg)| {
            let ty: DynSolType = input.ty.parse().with_context(|| format!("unsupported type {}", input.ty))?;
            ty.coerce_str(arg).with_context(|| format!("{arg:?} is not a {}", input.ty))
        })
        .collect::<anyhow::Result<Vec<DynSolValue>>>()?;
    let calldata = function.abi_encode_input(&values).map_err(|e| anyhow!("encoding {signature}: {e}"))?;
    Ok((target, calldata.into()))
}

/// The proposal's actions: L1 calls as given, each L2 call wrapped in a portal deposit.
fn actions(l1: &[String], l2: &[String], portal: Option<Address>, l2_gas: u64) -> anyhow::Result<Vec<Action>> {
    let mut actions = Vec::new();
    for spec in l1 {
        let (target, calldata) = parse_call(spec)?;
        actions.push(Action { target, value: U256::ZERO, calldata });
    }
    for spec in l2 {
        let (target, calldata) = parse_call(spec)?;
        let portal = portal.context("an L2 action needs the portal: give --portal or a devnet.json")?;
        let deposit = IDepositPortal::depositTransactionCall {
            to: target,
            value: U256::ZERO,
            gasLimit: l2_gas,
            isCreation: false,
            data: calldata,
        };
        actions.push(Action { target: portal, value: U256::ZERO, calldata: deposit.abi_encode().into() });
    }
    if actions.is_empty() {
        bail!("a proposal needs at least one --l1 or --l2 action");
    }
    Ok(actions)
}

/// How an action reads in `status`: an L2 deposit is shown as the L2 call it carries.
fn describe(action: &Action, portal: Option<Address>) -> String {
    let selector = |data: &[u8]| data.get(..4).map(alloy::primitives::hex::encode_prefixed).unwrap_or_default();
    if Some(action.target) == portal
        && let Ok(deposit) = IDepositPortal::depositTransactionCall::abi_decode(&action.calldata)
    {
        return format!(
            "L2 {} call {} ({} bytes, gas {}) via a portal deposit",
            deposit.to,
            selector(&deposit.data),
            deposit.data.len(),
            deposit.gasLimit
        );
    }
    format!("L1 {} call {} ({} bytes)", action.target, selector(&action.calldata), action.calldata.len())
}

struct Gov {
    l1: DynProvider,
    governor: Address,
    portal: Option<Address>,
    signer: Option<PrivateKeySigner>,
}

/// A proposal as its `ProposalCreated` event recorded it.
struct Proposal {
    id: U256,
    actions: Vec<Action>,
    description: String,
}

impl Proposal {
    fn description_hash(&self) -> alloy::primitives::B256 {
        keccak256(self.description.as_bytes())
    }

    fn columns(&self) -> (Vec<Address>, Vec<U256>, Vec<Bytes>) {
        (
            self.actions.iter().map(|a| a.target).collect(),
            self.actions.iter().map(|a| a.value).collect(),
            self.actions.iter().map(|a| a.calldata.clone()).collect(),
        )
    }
}

impl Gov {
    async fn connect(args: &GovArgs) -> anyhow::Result<Self> {
        let signer = load_signer(&args.key)?;
        let l1 = connect(&args.l1_rpc_url, signer.as_ref())?;
        let governor = match args.governor {
            Some(address) => address,
            None => manifest_address(&args.devnet, "BaiGovernor")?.with_context(|| {
                format!("no --governor given and no contracts.l1.BaiGovernor in {}/devnet.json", args.devnet.display())
            })?,
        };
        let portal = match args.portal {
            Some(address) => Some(address),
            None => manifest_address(&args.devnet, "OptimismPortal")?,
        };
        Ok(Self { l1, governor, portal, signer })
    }

    fn governor(&self) -> IGovernor::IGovernorInstance<&DynProvider> {
        IGovernor::new(self.governor, &self.l1)
    }

    fn me(&self) -> anyhow::Result<Address> {
        self.signer.as_ref().map(|s| s.address()).context(
            "this command sends a transaction: give --keystore, -i (prompt) or BAI_PRIVATE_KEY in the environment",
        )
    }

    async fn delegate(&self, to: Option<Address>) -> anyhow::Result<()> {
        let me = self.me()?;
        let to = to.unwrap_or(me);
        let token = IVotesToken::new(self.governor().token().call().await?, &self.l1);
        mined("L1", token.delegate(to).send().await?, "delegate").await?;
        let votes = token.getVotes(to).call().await?;
        println!("{me} delegates to {to}, who now has {} votes", crate::bridge::bai(votes));
        Ok(())
    }

    async fn propose(&self, actions: Vec<Action>, description: String) -> anyhow::Result<()> {
        self.me()?;
        let (targets, values, calldatas) =
            Proposal { id: U256::ZERO, actions: actions.clone(), description: description.clone() }.columns();
        let governor = self.governor();
        let call = governor.propose(targets, values, calldatas, description);
        // The id first, from a simulation: the Governor refuses (e.g. below the proposal threshold)
        // with a decodable error before anything is sent.
        let id = call.call().await.map_err(|e| anyhow!("the Governor refuses the proposal: {e}"))?;
        mined("L1", call.send().await?, "propose").await?;
        println!("proposal {id}");
        for action in &actions {
            println!("  {}", describe(action, self.portal));
        }
        Ok(())
    }

    async fn vote(&self, id: U256, support: Support, reason: String) -> anyhow::Result<()> {
        let me = self.me()?;
        let governor = self.governor();
        let call = governor.castVoteWithReason(id, support.code(), reason);
        let weight = call.call().await.map_err(|e| anyhow!("the Governor refuses the vote: {e}"))?;
        mined("L1", call.send().await?, "vote").await?;
        println!("{me} voted {support:?} on proposal {id} with {} votes", crate::bridge::bai(weight));
        Ok(())
    }

    /// The proposal with id `id`, from the Governor's `ProposalCreated` events.
    async fn proposal(&self, id: U256) -> anyhow::Result<Proposal> {
        self.proposals()
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .with_context(|| format!("the Governor at {} has no proposal {id}", self.governor))
    }

    async fn proposals(&self) -> anyhow::Result<Vec<Proposal>> {
        let filter = Filter::new()
            .address(self.governor)
            .event_signature(IGovernor::ProposalCreated::SIGNATURE_HASH)
            .from_block(0);
        let mut proposals = Vec::new();
        for log in self.l1.get_logs(&filter).await? {
            let event = log.log_decode::<IGovernor::ProposalCreated>()?.inner.data;
            let actions = event
                .targets
                .iter()
                .zip(&event.values)
                .zip(&event.calldatas)
                .map(|((target, value), calldata)| Action {
                    target: *target,
                    value: *value,
                    calldata: calldata.clone(),
                })
                .collect();
            proposals.push(Proposal { id: event.proposalId, actions, description: event.description });
        }
        Ok(proposals)
    }

    async fn queue(&self, id: U256) -> anyhow::Result<()> {
        let proposal = self.proposal(id).await?;
        let (targets, values, calldatas) = proposal.columns();
        let governor = self.governor();
        let call = governor.queue(targets, values, calldatas, proposal.description_hash());
        call.call().await.map_err(|e| anyhow!("the Governor refuses to queue proposal {id}: {e}"))?;
        mined("L1", call.send().await?, "queue").await?;
        let eta = self.governor().proposalEta(id).call().await?;
        println!("proposal {id} queued; executable from L1 time {eta} ({} s from now)", self.seconds_until(eta).await?);
        Ok(())
    }

    async fn execute(&self, id: U256) -> anyhow::Result<()> {
        let proposal = self.proposal(id).await?;
        let (targets, values, calldatas) = proposal.columns();
        let total: U256 = values.iter().copied().sum();
        let governor = self.governor();
        let call = governor.execute(targets, values, calldatas, proposal.description_hash()).value(total);
        call.call().await.map_err(|e| anyhow!("executing proposal {id} fails: {e}"))?;
        let receipt = mined("L1", call.send().await?, "execute").await?;
        println!("proposal {id} executed in L1 block {}", receipt.block_number.unwrap_or_default());
        if proposal.actions.iter().any(|a| Some(a.target) == self.portal) {
            println!("its L2 actions arrive as deposits once the sequencer includes that L1 block");
        }
        Ok(())
    }

    async fn seconds_until(&self, timestamp: U256) -> anyhow::Result<u64> {
        let now = self.l1.get_block_by_number(BlockNumberOrTag::Latest).await?.context("no L1 block")?.header.timestamp;
        Ok(timestamp.saturating_to::<u64>().saturating_sub(now))
    }

    async fn state(&self, id: U256) -> anyhow::Result<&'static str> {
        let state = self.governor().state(id).call().await?;
        Ok(STATES.get(state as usize).copied().unwrap_or("unknown"))
    }

    async fn status(&self, id: U256) -> anyhow::Result<()> {
        let proposal = self.proposal(id).await?;
        let governor = self.governor();
        let state = self.state(id).await?;
        let (snapshot, deadline) =
            (governor.proposalSnapshot(id).call().await?, governor.proposalDeadline(id).call().await?);
        let clock = U256::from(governor.clock().call().await?);
        let votes = governor.proposalVotes(id).call().await?;
        println!("proposal {id}: {state}");
        println!("  {}", proposal.description.lines().next().unwrap_or_default());
        match state {
            "pending" => {
                println!("  voting opens after block {snapshot} ({} blocks from now)", snapshot.saturating_sub(clock))
            }
            "active" => {
                println!("  voting closes at block {deadline} ({} blocks from now)", deadline.saturating_sub(clock))
            }
            "queued" => {
                let eta = governor.proposalEta(id).call().await?;
                println!("  executable from L1 time {eta} ({} s from now)", self.seconds_until(eta).await?)
            }
            _ => {}
        }
        // Quorum is taken at the snapshot, which must be in the past to be read.
        let quorum = if snapshot < clock { Some(governor.quorum(snapshot).call().await?) } else { None };
        let bai = crate::bridge::bai;
        println!(
            "  votes: for {}, against {}, abstain {}; quorum {}",
            bai(votes.forVotes),
            bai(votes.againstVotes),
            bai(votes.abstainVotes),
            quorum.map_or_else(|| "(set when voting opens)".to_string(), bai)
        );
        for action in &proposal.actions {
            println!("  action: {}", describe(action, self.portal));
        }
        Ok(())
    }

    async fn list(&self) -> anyhow::Result<()> {
        let proposals = self.proposals().await?;
        if proposals.is_empty() {
            println!("no proposals");
        }
        for proposal in proposals {
            let title = proposal.description.lines().next().unwrap_or_default().to_string();
            println!("{} {:<9} {title}", proposal.id, self.state(proposal.id).await?);
        }
        Ok(())
    }
}

/// Runs a `bai gov` subcommand.
pub async fn run(args: GovArgs) -> anyhow::Result<()> {
    let gov = Gov::connect(&args).await?;
    match args.command {
        GovCommand::Delegate { to } => gov.delegate(to).await,
        GovCommand::Propose { description, l1, l2, l2_gas } => {
            gov.propose(actions(&l1, &l2, gov.portal, l2_gas)?, description).await
        }
        GovCommand::Vote { proposal, support, reason } => gov.vote(proposal, support, reason).await,
        GovCommand::Queue { proposal } => gov.queue(proposal).await,
        GovCommand::Execute { proposal } => gov.execute(proposal).await,
        GovCommand::Status { proposal } => gov.status(proposal).await,
        GovCommand::List => gov.list().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_encode_like_cast_and_l2_calls_become_portal_deposits() {
        // `cast calldata "setGasLimit(uint64)" 30000000`
        let (target, data) =
            parse_call("0x00000000000000000000000000000000000000aa setGasLimit(uint64) 30000000").unwrap();
        assert_eq!(target, Address::with_last_byte(0xaa));
        assert_eq!(data.to_string(), "0xb40a817c0000000000000000000000000000000000000000000000000000000001c9c380");
        assert!(parse_call("0xaa setGasLimit(uint64) 1").is_err(), "a short address is refused");
        assert!(
            parse_call("0x00000000000000000000000000000000000000aa setGasLimit(uint64)").is_err(),
            "missing argument"
        );
        assert!(parse_call("0x00000000000000000000000000000000000000aa setGasLimit(uint64) -1").is_err());

        let portal = Address::with_last_byte(0x90);
        let l2 = vec!["0x4200000000000000000000000000000000000b00 setPriceIncreaseDelay(uint64) 3600".to_string()];
        let all = actions(&[], &l2, Some(portal), 250_000).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].target, portal, "an L2 action is a call to the portal");
        let deposit = IDepositPortal::depositTransactionCall::abi_decode(&all[0].calldata).unwrap();
        assert_eq!(deposit.to, "0x4200000000000000000000000000000000000b00".parse::<Address>().unwrap());
        assert_eq!((deposit.value, deposit.gasLimit, deposit.isCreation), (U256::ZERO, 250_000, false));
        assert_eq!(&deposit.data[..4], &keccak256("setPriceIncreaseDelay(uint64)")[..4]);
        assert!(describe(&all[0], Some(portal)).starts_with("L2 0x4200000000000000000000000000000000000B00"));
        assert!(actions(&[], &l2, None, 1).is_err(), "no portal, no L2 action");
        assert!(actions(&[], &[], Some(portal), 1).is_err(), "no action");
    }
}
