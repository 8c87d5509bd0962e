//! `bai bridge`: move BAI between L1 and L2 from the command line. `deposit` (ERC-20 BAI in, native
//! BAI out on L2), `withdraw` (native BAI out through the L2ToL1MessagePasser), `status`, `prove` and
//! `finalize` of a withdrawal, each step read from the contracts themselves so it can be resumed from
//! any machine with only the L2 transaction hash.
//!
//! Keys come from an encrypted keystore (password prompted or from a file), `BAI_PRIVATE_KEY`, or an
//! interactive prompt; none is ever echoed or printed.

use alloy::{
    eips::BlockNumberOrTag,
    network::EthereumWallet,
    primitives::{Address, B256, Bytes, U256, keccak256, utils::format_units, utils::parse_units},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
    sol,
    sol_types::SolValue,
};
use anyhow::{Context, anyhow, bail};
use bai_chainspec::predeploys::L2_TO_L1_MESSAGE_PASSER;
use bai_prover::IL2OutputOracle;
use clap::{Args, Subcommand};
use std::{io::Write, path::PathBuf, time::Duration};

sol! {
    #[sol(rpc)]
    interface IERC20 {
        function approve(address spender, uint256 amount) external returns (bool);
        function allowance(address owner, address spender) external view returns (uint256);
        function balanceOf(address account) external view returns (uint256);
    }

    struct WithdrawalTransaction {
        uint256 nonce;
        address sender;
        address target;
        uint256 value;
        uint256 gasLimit;
        bytes data;
    }

    struct OutputRootProof {
        bytes32 version;
        bytes32 stateRoot;
        bytes32 messagePasserStorageRoot;
        bytes32 latestBlockhash;
    }

    #[sol(rpc)]
    interface IPortal {
        function gasPayingToken() external view returns (address addr, uint8 decimals);
        function depositERC20Transaction(address to, uint256 mint, uint256 value, uint64 gasLimit, bool isCreation, bytes data) external;
        function proveWithdrawalTransaction(WithdrawalTransaction tx, uint256 l2OutputIndex, OutputRootProof outputRootProof, bytes[] withdrawalProof) external;
        function finalizeWithdrawalTransaction(WithdrawalTransaction tx) external;
        function finalizedWithdrawals(bytes32 hash) external view returns (bool);
        function provenWithdrawals(bytes32 hash) external view returns (bytes32 outputRoot, uint128 timestamp, uint128 l2OutputIndex);
    }

    #[sol(rpc)]
    interface IMessagePasser {
        function initiateWithdrawal(address target, uint256 gasLimit, bytes data) external payable;
        event MessagePassed(uint256 indexed nonce, address indexed sender, address indexed target, uint256 value, uint256 gasLimit, bytes data, bytes32 withdrawalHash);
    }
}

/// Arguments of `bai bridge`.
#[derive(Debug, Args)]
pub struct BridgeArgs {
    /// L1 RPC URL.
    #[arg(long = "l1.rpc-url", env = "BAI_L1_RPC_URL", default_value = "http://127.0.0.1:8546", global = true)]
    l1_rpc_url: String,
    /// L2 RPC URL.
    #[arg(long = "l2.rpc-url", env = "ETH_RPC_URL", default_value = "http://127.0.0.1:8545", global = true)]
    l2_rpc_url: String,
    /// SystemConfig on L1 (the portal and the oracle are read from it). Default: the devnet's, from
    /// `--devnet`'s devnet.json.
    #[arg(long = "l1.system-config", env = "BAI_SYSTEM_CONFIG", global = true)]
    system_config: Option<Address>,
    /// Devnet data directory whose devnet.json names the SystemConfig.
    #[arg(long, default_value = "testnet/data/devnet", global = true)]
    devnet: PathBuf,
    #[command(flatten)]
    key: KeyArgs,
    #[command(subcommand)]
    command: BridgeCommand,
}

#[derive(Debug, Args)]
pub(crate) struct KeyArgs {
    /// Encrypted JSON keystore (geth/foundry format); the password is prompted for unless
    /// `--password-file` is given.
    #[arg(long, global = true, conflicts_with = "interactive")]
    keystore: Option<PathBuf>,
    /// File holding the keystore password.
    #[arg(long = "password-file", global = true, requires = "keystore")]
    password_file: Option<PathBuf>,
    /// Prompt for the private key (input hidden).
    #[arg(long, short = 'i', global = true)]
    interactive: bool,
    /// Private key (hex). Only from the environment: a key on the command line ends up in shell history.
    #[arg(long = "private-key", env = "BAI_PRIVATE_KEY", hide = true, hide_env_values = true, global = true)]
    private_key: Option<String>,
}

#[derive(Debug, Subcommand)]
enum BridgeCommand {
    /// Deposit ERC-20 BAI from L1 (approve + depositERC20Transaction) and wait for the native BAI on L2.
    Deposit {
        /// Amount in BAI (decimals allowed, e.g. 2.5).
        amount: String,
        /// L2 recipient (default: the sender).
        #[arg(long)]
        to: Option<Address>,
        /// Return once the L1 transaction is mined instead of waiting for the L2 credit.
        #[arg(long)]
        no_wait: bool,
    },
    /// Withdraw native BAI from L2 (L2ToL1MessagePasser.initiateWithdrawal); prints the transaction
    /// hash that `status`, `prove` and `finalize` take.
    Withdraw {
        /// Amount in BAI.
        amount: String,
        /// L1 recipient of the ERC-20 BAI (default: the sender).
        #[arg(long)]
        to: Option<Address>,
    },
    /// Where a withdrawal is: waiting for an output, ready to prove, in the challenge window, ready to
    /// finalize, or finalized.
    Status {
        /// The L2 withdrawal transaction hash.
        tx: B256,
    },
    /// Prove a withdrawal on L1 against the first output root that covers it.
    Prove {
        tx: B256,
        /// Wait (with progress) until an output covers the withdrawal instead of failing.
        #[arg(long)]
        wait: bool,
    },
    /// Finalize a proven withdrawal on L1 once the challenge window has passed (pays out ERC-20 BAI).
    Finalize {
        tx: B256,
        /// Wait (with progress) for the end of the challenge window instead of failing.
        #[arg(long)]
        wait: bool,
    },
}

/// The L1 side: providers and the contract addresses.
struct Bridge {
    l1: DynProvider,
    l2: DynProvider,
    portal: Address,
    oracle: Address,
    token: Address,
    signer: Option<PrivateKeySigner>,
}

/// A withdrawal as the L2 transaction that started it records it.
struct Withdrawal {
    tx: WithdrawalTransaction,
    hash: B256,
    l2_block: u64,
}

/// Where a withdrawal stands, as `status` prints it.
#[derive(Debug, PartialEq, Eq)]
enum Stage {
    WaitingForOutput { latest_output_block: u64 },
    ReadyToProve { output_index: u64 },
    InChallengeWindow { seconds_left: u64 },
    ReadyToFinalize,
    Finalized,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::WaitingForOutput { latest_output_block } => {
                write!(f, "waiting for an output (the latest output root on L1 covers L2 block {latest_output_block})")
            }
            Self::ReadyToProve { output_index } => write!(f, "ready to prove (against output {output_index})"),
            Self::InChallengeWindow { seconds_left } => {
                write!(f, "proven; in the challenge window, {seconds_left} s left")
            }
            Self::ReadyToFinalize => f.write_str("ready to finalize"),
            Self::Finalized => f.write_str("finalized"),
        }
    }
}

/// `Hashing.hashWithdrawal`: keccak256(abi.encode(nonce, sender, target, value, gasLimit, data)).
fn withdrawal_hash(tx: &WithdrawalTransaction) -> B256 {
    keccak256(tx.abi_encode_params())
}

pub(crate) fn bai(amount: U256) -> String {
    format_units(amount, 18).map(|s| s.trim_end_matches('0').trim_end_matches('.').to_string()).unwrap_or_default()
}

fn parse_bai(amount: &str) -> anyhow::Result<U256> {
    let value: U256 = parse_units(amount, 18).with_context(|| format!("{amount:?} is not an amount of BAI"))?.into();
    if value.is_zero() {
        bail!("the amount must be more than zero");
    }
    Ok(value)
}

pub(crate) fn load_signer(key: &KeyArgs) -> anyhow::Result<Option<PrivateKeySigner>> {
    if let Some(path) = &key.keystore {
        let password = match &key.password_file {
            Some(file) => std::fs::read_to_string(file)
                .with_context(|| format!("cannot read the password file {}", file.display()))?
                .trim_end_matches(['\n', '\r'])
                .to_string(),
            None => rpassword::prompt_password(format!("Password for {}: ", path.display()))?,
        };
        // ethers and some wallets write the v3 keystore's `crypto` as `Crypto` (geth reads both; the
        // decrypting crate only the former): normalise into a temporary copy (still encrypted).
        let raw = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut json: serde_json::Value =
            serde_json::from_str(&raw).with_context(|| format!("{} is not a JSON keystore", path.display()))?;
        let normalised = match json.as_object_mut() {
            Some(map) if !map.contains_key("crypto") => match map.remove("Crypto") {
                Some(crypto) => {
                    map.insert("crypto".into(), crypto);
                    let copy = std::env::temp_dir().join(format!("bai-keystore-{}.json", std::process::id()));
                    std::fs::write(&copy, json.to_string())?;
                    Some(copy)
                }
                None => None,
            },
            _ => None,
        };
        let decrypted = PrivateKeySigner::decrypt_keystore(normalised.as_ref().unwrap_or(path), password);
        if let Some(copy) = &normalised {
            let _ = std::fs::remove_file(copy);
        }
        let signer = decrypted.map_err(|e| anyhow!("cannot decrypt the keystore {}: {e}", path.display()))?;
        return Ok(Some(signer));
    }
    let raw = if key.interactive {
        Some(rpassword::prompt_password("Private key (hex): ")?)
    } else {
        key.private_key.clone()
    };
    raw.map(|k| k.trim().parse().map_err(|_| anyhow!("the private key is not a valid hex key"))).transpose()
}

fn progress(line: &str) {
    eprint!("\r\x1b[2K{line}");
    let _ = std::io::stderr().flush();
}

/// A provider for `url`, signing with `signer` when there is one.
pub(crate) fn connect(url: &str, signer: Option<&PrivateKeySigner>) -> anyhow::Result<DynProvider> {
    let url = url.parse().with_context(|| format!("bad RPC URL {url}"))?;
    Ok(match signer {
        Some(s) => ProviderBuilder::new()
            .wallet(EthereumWallet::from(s.clone()))
            .connect_reqwest(bai_runtime::http::http_client(), url)
            .erased(),
        None => ProviderBuilder::new().connect_reqwest(bai_runtime::http::http_client(), url).erased(),
    })
}

/// `contracts.l1.<name>` of the devnet manifest in `devnet` (`None`: no manifest, or it names no such contract).
pub(crate) fn manifest_address(devnet: &std::path::Path, name: &str) -> anyhow::Result<Option<Address>> {
    let manifest = devnet.join("devnet.json");
    let Ok(raw) = std::fs::read_to_string(&manifest) else { return Ok(None) };
    let json: serde_json::Value =
        serde_json::from_str(&raw).with_context(|| format!("{} is not JSON", manifest.display()))?;
    Ok(json["contracts"]["l1"][name].as_str().and_then(|s| s.parse().ok()))
}

/// Waits for a sent transaction (`chain` names it in the progress line) and fails if it reverted.
pub(crate) async fn mined(
    chain: &str,
    pending: alloy::providers::PendingTransactionBuilder<alloy::network::Ethereum>,
    what: &str,
) -> anyhow::Result<TransactionReceipt> {
    let hash = *pending.tx_hash();
    eprintln!("{what}: {chain} transaction {hash}");
    let receipt = pending.get_receipt().await?;
    if !receipt.status() {
        bail!("{what} reverted ({hash})");
    }
    Ok(receipt)
}

impl Bridge {
    async fn connect(args: &BridgeArgs) -> anyhow::Result<Self> {
        let signer = load_signer(&args.key)?;
        let (l1, l2) = (connect(&args.l1_rpc_url, signer.as_ref())?, connect(&args.l2_rpc_url, signer.as_ref())?);
        let system_config = match args.system_config {
            Some(address) => address,
            None => manifest_address(&args.devnet, "SystemConfig")?.with_context(|| {
                format!(
                    "no --l1.system-config given and no contracts.l1.SystemConfig in {}/devnet.json",
                    args.devnet.display()
                )
            })?,
        };
        let rollup = bai_bridge::RollupConfig::load(&l1, system_config)
            .await
            .map_err(|e| anyhow!("cannot read the rollup configuration from L1: {e}"))?;
        let (token, _) =
            IPortal::new(rollup.portal, &l1).gasPayingToken().call().await.map(|r| (r.addr, r.decimals))?;
        Ok(Self { l1, l2, portal: rollup.portal, oracle: rollup.output_oracle, token, signer })
    }

    fn me(&self) -> anyhow::Result<Address> {
        self.signer.as_ref().map(|s| s.address()).context(
            "this command sends a transaction: give --keystore, -i (prompt) or BAI_PRIVATE_KEY in the environment",
        )
    }

    async fn mined(
        &self,
        l1: bool,
        pending: alloy::providers::PendingTransactionBuilder<alloy::network::Ethereum>,
        what: &str,
    ) -> anyhow::Result<TransactionReceipt> {
        mined(if l1 { "L1" } else { "L2" }, pending, what).await
    }

    async fn deposit(&self, amount: U256, to: Option<Address>, wait: bool) -> anyhow::Result<()> {
        let me = self.me()?;
        let to = to.unwrap_or(me);
        let token = IERC20::new(self.token, &self.l1);
        let balance = token.balanceOf(me).call().await?;
        if balance < amount {
            bail!("{me} holds {} BAI on L1, less than the {} to deposit", bai(balance), bai(amount));
        }
        if token.allowance(me, self.portal).call().await? < amount {
            self.mined(true, token.approve(self.portal, amount).send().await?, "approve").await?;
        }
        let l2_before = self.l2.get_balance(to).await?;
        let portal = IPortal::new(self.portal, &self.l1);
        let call = portal.depositERC20Transaction(to, amount, amount, 100_000, false, Bytes::new());
        let receipt = self.mined(true, call.send().await?, "deposit").await?;
        let log = receipt
            .inner
            .logs()
            .iter()
            .find(|l| l.address() == self.portal)
            .context("the deposit emitted no TransactionDeposited")?;
        let block_hash = receipt.block_hash.context("receipt without block hash")?;
        let deposit = bai_bridge::deposit::deposit_from_log(log, block_hash)?;
        let l2_hash = deposit.tx_hash();
        println!("deposit {} BAI to {to}: L1 {} → L2 {l2_hash}", bai(amount), receipt.transaction_hash);
        if !wait {
            return Ok(());
        }
        let started = std::time::Instant::now();
        loop {
            // Raw: an Ethereum-typed provider cannot decode a deposit (0x7e) receipt.
            let receipt: Option<serde_json::Value> =
                self.l2.raw_request("eth_getTransactionReceipt".into(), (l2_hash,)).await?;
            if let Some(r) = receipt {
                eprintln!();
                let after = self.l2.get_balance(to).await?;
                let block =
                    r["blockNumber"].as_str().and_then(|n| u64::from_str_radix(n.trim_start_matches("0x"), 16).ok());
                println!(
                    "credited on L2 in block {} after {:.0} s: {to} now holds {} BAI (+{})",
                    block.unwrap_or_default(),
                    started.elapsed().as_secs_f64(),
                    bai(after),
                    bai(after.saturating_sub(l2_before))
                );
                return Ok(());
            }
            progress(&format!(
                "waiting for the sequencer to include the deposit on L2… {:.0} s",
                started.elapsed().as_secs_f64()
            ));
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn withdraw(&self, amount: U256, to: Option<Address>) -> anyhow::Result<()> {
        let me = self.me()?;
        let to = to.unwrap_or(me);
        let passer = IMessagePasser::new(L2_TO_L1_MESSAGE_PASSER, &self.l2);
        let call = passer.initiateWithdrawal(to, U256::ZERO, Bytes::new()).value(amount);
        let receipt = self.mined(false, call.send().await?, "withdraw").await?;
        let w = self.withdrawal(receipt.transaction_hash).await?;
        println!(
            "withdrawal of {} BAI to {to} in L2 block {}: tx {} (withdrawal hash {})",
            bai(amount),
            w.l2_block,
            receipt.transaction_hash,
            w.hash
        );
        println!("next: `bai bridge prove {}` once an output covers block {}", receipt.transaction_hash, w.l2_block);
        Ok(())
    }

    /// The withdrawal that L2 transaction `tx` started, from its MessagePassed log.
    async fn withdrawal(&self, tx: B256) -> anyhow::Result<Withdrawal> {
        let receipt = self.l2.get_transaction_receipt(tx).await?.with_context(|| format!("no L2 transaction {tx}"))?;
        let log = receipt
            .inner
            .logs()
            .iter()
            .find(|l| l.address() == L2_TO_L1_MESSAGE_PASSER)
            .and_then(|l| l.log_decode::<IMessagePasser::MessagePassed>().ok())
            .with_context(|| format!("L2 transaction {tx} started no withdrawal (no MessagePassed event)"))?;
        let e = log.inner.data;
        let tx = WithdrawalTransaction {
            nonce: e.nonce,
            sender: e.sender,
            target: e.target,
            value: e.value,
            gasLimit: e.gasLimit,
            data: e.data,
        };
        let hash = withdrawal_hash(&tx);
        if hash != e.withdrawalHash {
            bail!("the MessagePassed event's hash {} does not match the withdrawal it describes", e.withdrawalHash);
        }
        Ok(Withdrawal { tx, hash, l2_block: receipt.block_number.context("pending receipt")? })
    }

    async fn l1_now(&self) -> anyhow::Result<u64> {
        Ok(self.l1.get_block_by_number(BlockNumberOrTag::Latest).await?.context("no L1 block")?.header.timestamp)
    }

    async fn stage(&self, w: &Withdrawal) -> anyhow::Result<Stage> {
        let portal = IPortal::new(self.portal, &self.l1);
        if portal.finalizedWithdrawals(w.hash).call().await? {
            return Ok(Stage::Finalized);
        }
        let oracle = IL2OutputOracle::new(self.oracle, &self.l1);
        let proven = portal.provenWithdrawals(w.hash).call().await?;
        let index = proven.l2OutputIndex as u64;
        // The output it was proven against, unless it has been deleted (or replaced) since.
        let output = if proven.timestamp != 0 && oracle.nextOutputIndex().call().await?.saturating_to::<u64>() > index {
            Some(oracle.getL2Output(U256::from(index)).call().await?).filter(|o| o.outputRoot == proven.outputRoot)
        } else {
            None
        };
        if let Some(output) = output {
            let period: u64 = oracle.FINALIZATION_PERIOD_SECONDS().call().await?.saturating_to();
            let ready_at = (proven.timestamp as u64).max(output.timestamp as u64) + period;
            let now = self.l1_now().await?;
            return Ok(if now > ready_at {
                Stage::ReadyToFinalize
            } else {
                Stage::InChallengeWindow { seconds_left: ready_at - now + 1 }
            });
        }
        // Not proven, or proven against an output that was deleted since: (re)prove.
        let latest: u64 = oracle.latestBlockNumber().call().await?.saturating_to();
        if latest < w.l2_block {
            return Ok(Stage::WaitingForOutput { latest_output_block: latest });
        }
        let output_index = oracle.getL2OutputIndexAfter(U256::from(w.l2_block)).call().await?.saturating_to();
        Ok(Stage::ReadyToProve { output_index })
    }

    async fn status(&self, tx: B256) -> anyhow::Result<()> {
        let w = self.withdrawal(tx).await?;
        println!(
            "withdrawal {} of {} BAI {} → {} (L2 block {})",
            w.hash,
            bai(w.tx.value),
            w.tx.sender,
            w.tx.target,
            w.l2_block
        );
        println!("status: {}", self.stage(&w).await?);
        Ok(())
    }

    async fn prove(&self, tx: B256, wait: bool) -> anyhow::Result<()> {
        self.me()?;
        let w = self.withdrawal(tx).await?;
        let started = std::time::Instant::now();
        let output_index = loop {
            match self.stage(&w).await? {
                Stage::ReadyToProve { output_index } => break output_index,
                Stage::WaitingForOutput { latest_output_block } if wait => progress(&format!(
                    "waiting for an output covering L2 block {} (latest: {latest_output_block})… {:.0} s",
                    w.l2_block,
                    started.elapsed().as_secs_f64()
                )),
                stage => bail!("withdrawal {} cannot be proven now: {stage}", w.hash),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        };
        if wait {
            eprintln!();
        }
        let oracle = IL2OutputOracle::new(self.oracle, &self.l1);
        let output = oracle.getL2Output(U256::from(output_index)).call().await?;
        let block = output.l2BlockNumber as u64;
        let slot = keccak256((w.hash, U256::ZERO).abi_encode());
        let proof = self
            .l2
            .get_proof(L2_TO_L1_MESSAGE_PASSER, vec![slot])
            .block_id(block.into())
            .await
            .with_context(|| format!("eth_getProof of the message passer at L2 block {block}"))?;
        let header =
            self.l2.get_block_by_number(block.into()).await?.with_context(|| format!("no L2 block {block}"))?.header;
        let root_proof = OutputRootProof {
            version: B256::ZERO,
            stateRoot: header.state_root,
            messagePasserStorageRoot: proof.storage_hash,
            latestBlockhash: header.hash,
        };
        let computed = bai_prover::output_root(header.state_root, proof.storage_hash, header.hash);
        if computed != output.outputRoot {
            bail!(
                "output {output_index} on L1 ({}) is not what this L2 node computes for block {block} ({computed}): \
                 not proving against it (a challenger should delete it; try again after)",
                output.outputRoot
            );
        }
        let storage = proof.storage_proof.first().context("eth_getProof returned no storage proof")?;
        if storage.value != U256::from(1) {
            bail!("the message passer does not hold withdrawal {} at L2 block {block}", w.hash);
        }
        let portal = IPortal::new(self.portal, &self.l1);
        let call = portal.proveWithdrawalTransaction(
            w.tx.clone(),
            U256::from(output_index),
            root_proof,
            storage.proof.clone(),
        );
        let receipt = self.mined(true, call.send().await?, "prove").await?;
        let period: u64 = oracle.FINALIZATION_PERIOD_SECONDS().call().await?.saturating_to();
        println!(
            "proven against output {output_index} (L2 block {block}) in L1 block {}; finalize in {period} s: `bai bridge finalize {tx}`",
            receipt.block_number.unwrap_or_default()
        );
        Ok(())
    }

    async fn finalize(&self, tx: B256, wait: bool) -> anyhow::Result<()> {
        self.me()?;
        let w = self.withdrawal(tx).await?;
        loop {
            match self.stage(&w).await? {
                Stage::ReadyToFinalize => break,
                Stage::InChallengeWindow { seconds_left } if wait => {
                    progress(&format!("in the challenge window: {seconds_left} s left…"))
                }
                stage => bail!("withdrawal {} cannot be finalized now: {stage}", w.hash),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        if wait {
            eprintln!();
        }
        let token = IERC20::new(self.token, &self.l1);
        let before = token.balanceOf(w.tx.target).call().await?;
        let portal = IPortal::new(self.portal, &self.l1);
        // Enough gas for the target call the withdrawal asked for, which eth_estimateGas may undershoot.
        let mut call = portal.finalizeWithdrawalTransaction(w.tx.clone());
        let estimate = call.estimate_gas().await?;
        call = call.gas(estimate.max(w.tx.gasLimit.saturating_to::<u64>() * 64 / 63 + 100_000));
        let receipt = self.mined(true, call.send().await?, "finalize").await?;
        let after = token.balanceOf(w.tx.target).call().await?;
        println!(
            "finalized in L1 block {}: {} received {} BAI (now {})",
            receipt.block_number.unwrap_or_default(),
            w.tx.target,
            bai(after.saturating_sub(before)),
            bai(after)
        );
        Ok(())
    }
}

/// Runs a `bai bridge` subcommand against the L1 and L2 RPCs it names.
pub async fn run(args: BridgeArgs) -> anyhow::Result<()> {
    let bridge = Bridge::connect(&args).await?;
    match args.command {
        BridgeCommand::Deposit { amount, to, no_wait } => bridge.deposit(parse_bai(&amount)?, to, !no_wait).await,
        BridgeCommand::Withdraw { amount, to } => bridge.withdraw(parse_bai(&amount)?, to).await,
        BridgeCommand::Status { tx } => bridge.status(tx).await,
        BridgeCommand::Prove { tx, wait } => bridge.prove(tx, wait).await,
        BridgeCommand::Finalize { tx, wait } => bridge.finalize(tx, wait).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_and_print_in_bai() {
        assert_eq!(parse_bai("2.5").unwrap(), U256::from(2_500_000_000_000_000_000u128));
        assert_eq!(bai(U256::from(2_500_000_000_000_000_000u128)), "2.5");
        assert_eq!(bai(U256::from(3u128) * U256::from(10u128).pow(U256::from(18))), "3");
        assert!(parse_bai("0").is_err());
        assert!(parse_bai("abc").is_err());
    }

    #[test]
    fn the_withdrawal_hash_is_the_portals() {
        // Expected value from Foundry, independent of alloy: `cast keccak $(cast abi-encode
        // "f(uint256,address,address,uint256,uint256,bytes)" 1 0x01…01 0x02…02 3 100000 0xdeadbeef)`.
        let tx = WithdrawalTransaction {
            nonce: U256::from(1),
            sender: Address::repeat_byte(1),
            target: Address::repeat_byte(2),
            value: U256::from(3),
            gasLimit: U256::from(100_000),
            data: Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef]),
        };
        let expected: B256 = "0x128e6376b39428e7cc0f35cb5b1fbdc44c97afb51d02279169150965f396b324".parse().unwrap();
        assert_eq!(withdrawal_hash(&tx), expected);
    }
}
