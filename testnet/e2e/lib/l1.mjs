// A local L1 for suites that need one: anvil (--hardfork prague, the standard test mnemonic) with the
// BalanceAI L1 contracts deployed by contracts/script/DeployL1.s.sol.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ethers } from 'ethers';
import { freePort, spawnTracked, TMP } from './node.mjs';

const ROOT = process.env.E2E_ROOT || new URL('../../..', import.meta.url).pathname;
const ANVIL_BIN = process.env.ANVIL_BIN || join(ROOT, '.tools/bin/anvil');
const FORGE_BIN = join(ROOT, '.tools/bin/forge');
const run = promisify(execFile);

// Human-readable ABIs (ethers) of the L1 contracts, for every suite that talks to them.
export const WITHDRAWAL_TUPLE = 'tuple(uint256 nonce, address sender, address target, uint256 value, uint256 gasLimit, bytes data)';
export const OUTPUT_ROOT_PROOF = 'tuple(bytes32 version, bytes32 stateRoot, bytes32 messagePasserStorageRoot, bytes32 latestBlockhash)';
export const PORTAL_ABI = [
  'function depositERC20Transaction(address to, uint256 mint, uint256 value, uint64 gasLimit, bool isCreation, bytes data)',
  'function depositTransaction(address to, uint256 value, uint64 gasLimit, bool isCreation, bytes data) payable',
  `function proveWithdrawalTransaction(${WITHDRAWAL_TUPLE} tx, uint256 l2OutputIndex, ${OUTPUT_ROOT_PROOF} outputRootProof, bytes[] withdrawalProof)`,
  `function finalizeWithdrawalTransaction(${WITHDRAWAL_TUPLE} tx)`,
  'function provenWithdrawals(bytes32) view returns (bytes32 outputRoot, uint128 timestamp, uint128 l2OutputIndex)',
  'function finalizedWithdrawals(bytes32) view returns (bool)',
  'function totalWithdrawn() view returns (uint256)',
  'function version() view returns (string)',
  'event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData)',
  'event WithdrawalProven(bytes32 indexed withdrawalHash, address indexed from, address indexed to)',
  'event WithdrawalFinalized(bytes32 indexed withdrawalHash, bool success)',
];
export const ORACLE_ABI = [
  'function getL2Output(uint256) view returns (tuple(bytes32 outputRoot, uint128 timestamp, uint128 l2BlockNumber))',
  'function getL2OutputIndexAfter(uint256) view returns (uint256)',
  'function nextOutputIndex() view returns (uint256)',
  'function nextBlockNumber() view returns (uint256)',
  'function latestBlockNumber() view returns (uint256)',
  'function startingBlockNumber() view returns (uint256)',
  'function computeL2Timestamp(uint256) view returns (uint256)',
  'function FINALIZATION_PERIOD_SECONDS() view returns (uint256)',
  'function finalizationPeriodSeconds() view returns (uint256)',
  'function proposeL2Output(bytes32 outputRoot, uint256 l2BlockNumber, bytes32 l1BlockHash, uint256 l1BlockNumber)',
  'event OutputsDeleted(uint256 indexed prevNextOutputIndex, uint256 indexed newNextOutputIndex)',
];
/** Hashing.hashWithdrawal: keccak256(abi.encode(nonce, sender, target, value, gasLimit, data)). */
export function hashWithdrawal(w) {
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(['uint256', 'address', 'address', 'uint256', 'uint256', 'bytes'],
    [w.nonce, w.sender, w.target, w.value, w.gasLimit, w.data]));
}
/** The message passer's storage slot of `sentMessages[hash]`. */
export const passerSlot = (hash) => ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(['bytes32', 'uint256'], [hash, 0]));
/**
 * The source hash of a user deposit (OP spec): keccak256(0 ‖ keccak256(L1 block hash ‖ log index)), the
 * L2 deposit transaction's `sourceHash`; it names one TransactionDeposited event on L1.
 */
export function depositSourceHash(l1BlockHash, logIndex) {
  const inner = ethers.keccak256(ethers.concat([l1BlockHash, ethers.zeroPadValue(ethers.toBeHex(logIndex), 32)]));
  return ethers.keccak256(ethers.concat([ethers.ZeroHash, inner]));
}
/** Output root v0 of an OutputRootProof. */
export const outputRootOf = (p) => ethers.keccak256(ethers.concat([p.version, p.stateRoot, p.messagePasserStorageRoot, p.latestBlockhash]));

export const ERC20_ABI = ['function approve(address, uint256) returns (bool)', 'function transfer(address, uint256) returns (bool)',
  'function balanceOf(address) view returns (uint256)'];

/**
 * Starts anvil on a free port and waits until it answers. Automine (a block per transaction) unless
 * blockTime (seconds) is given. Returns { proc, url, log, stop() }.
 */
export async function startAnvil({ name = 'l1', blockTime } = {}) {
  const port = await freePort();
  const args = ['--host', '127.0.0.1', '--port', String(port), '--hardfork', 'prague'];
  if (blockTime) args.push('--block-time', String(blockTime));
  const { proc, log, exited } = spawnTracked(name, ANVIL_BIN, args);
  const url = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`anvil exited during startup; see ${log}`);
    try {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' });
      if ((await r.json()).result) break;
    } catch { /* not yet */ }
    if (Date.now() - t0 > 30000) { proc.kill('SIGKILL'); throw new Error(`anvil not ready within 30 s; see ${log}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    proc, url, log, exited,
    async stop() { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM'); return exited; },
  };
}

/**
 * Deploys BaiToken, L2OutputOracle, BaiPortal and SystemConfig with the repo's forge script (signer: dev
 * key 0, which also receives the whole BAI supply as treasury). Returns the script's JSON output
 * ({ BaiToken, L2OutputOracle, OptimismPortal, SystemConfig, batchInbox, batcher, l1ChainId, … }).
 */
export async function deployL1(rpcUrl, env = {}) {
  const out = join(TMP, `l1-deploy-${Date.now()}.json`);
  await run(FORGE_BIN, ['script', 'script/DeployL1.s.sol:DeployL1', '--rpc-url', rpcUrl, '--broadcast', '--non-interactive'], {
    cwd: join(ROOT, 'contracts'),
    env: { ...process.env, ...env, BAI_L1_DEPLOY_OUT: out },
    maxBuffer: 64 << 20,
  });
  return JSON.parse(readFileSync(out, 'utf8'));
}

/**
 * Deploys governance (TimelockController + BaiGovernor) next to a DeployL1 deployment with the repo's forge script
 * contracts/script/DeployGovernance.s.sol (signer: dev key 0, which must still own SystemConfig), which hands every L1
 * admin role to the timelock: SystemConfig's owner becomes the timelock, the portal's guardian the timelock unless
 * BAI_GOV_GUARDIAN names another. `l1` is deployL1's output; `env` sets BAI_GOV_VOTING_DELAY, BAI_GOV_VOTING_PERIOD
 * (blocks), BAI_GOV_PROPOSAL_THRESHOLD (wei), BAI_GOV_QUORUM_PERCENT, BAI_GOV_TIMELOCK_DELAY (s), BAI_GOV_GUARDIAN.
 * Returns the script's JSON output ({ BaiGovernor, TimelockController, timelockL2Alias, guardian, votingDelay, … }).
 */
export async function deployGovernance(rpcUrl, l1, env = {}) {
  const out = join(TMP, `governance-deploy-${Date.now()}.json`);
  const addresses = { BaiToken: l1.BaiToken, L2OutputOracle: l1.L2OutputOracle, OptimismPortal: l1.OptimismPortal, SystemConfig: l1.SystemConfig };
  await run(FORGE_BIN, ['script', 'script/DeployGovernance.s.sol:DeployGovernance', '--rpc-url', rpcUrl, '--broadcast', '--non-interactive'], {
    cwd: join(ROOT, 'contracts'),
    env: { ...process.env, ...addresses, ...env, BAI_GOV_DEPLOY_OUT: out },
    maxBuffer: 64 << 20,
  });
  return JSON.parse(readFileSync(out, 'utf8'));
}
