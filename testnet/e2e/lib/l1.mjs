// A local L1 for suites that need one: anvil (--hardfork prague, the standard test mnemonic) with the
// BalanceAI L1 contracts deployed by contracts/script/DeployL1.s.sol.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ethers } from 'ethers';
import { freePort, spawnTracked, TMP } from './node.mjs';

const ROOT = process.env.E2E_ROOT || new URL('../../..', import.meta.url).pathname;
const ANVIL_BIN = process.env.ANVIL_BIN || join(ROOT, '.tools/bin/anvil');
const FORGE_BIN = join(ROOT, '.tools/bin/forge');
const execFileP = promisify(execFile);
/** How long one forge script may take (a cold compile included) before it is killed and the suite fails naming it. */
const FORGE_SCRIPT_TIMEOUT_MS = 300_000;
/** Runs a forge script, bounded by FORGE_SCRIPT_TIMEOUT_MS; a failure or a timeout names the script and shows its output's tail. */
async function run(bin, args, opts) {
  const started = Date.now();
  try {
    return await execFileP(bin, args, { timeout: FORGE_SCRIPT_TIMEOUT_MS, killSignal: 'SIGKILL', ...opts });
  } catch (e) {
    const tail = (s) => String(s ?? '').split('\n').slice(-25).join('\n');
    const why = e.killed ? `killed after ${((Date.now() - started) / 1000).toFixed(0)} s` : `exit ${e.code}`;
    throw new Error(`${args[1] ?? bin} ${why}\n--- stdout (tail)\n${tail(e.stdout)}\n--- stderr (tail)\n${tail(e.stderr)}`);
  }
}

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
  'function l2BlockTimeMs() view returns (uint256)',
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
 * Deploys BAI governance next to an L1 deployment (DeployGovernance.s.sol: timelock + governor, every L1
 * admin role handed to the timelock); `env` sets its BAI_GOV_* parameters. Returns the script's JSON output.
 */
export async function deployGovernance(rpcUrl, l1Deployment, env = {}) {
  const stamp = Date.now();
  const l1Out = join(TMP, `l1-deploy-for-gov-${stamp}.json`);
  const out = join(TMP, `gov-deploy-${stamp}.json`);
  writeFileSync(l1Out, JSON.stringify(l1Deployment));
  await run(FORGE_BIN, ['script', 'script/DeployGovernance.s.sol:DeployGovernance', '--rpc-url', rpcUrl, '--broadcast', '--non-interactive'], {
    cwd: join(ROOT, 'contracts'),
    env: { ...process.env, ...env, BAI_L1_DEPLOY_OUT: l1Out, BAI_GOV_DEPLOY_OUT: out },
    maxBuffer: 64 << 20,
  });
  return JSON.parse(readFileSync(out, 'utf8'));
}

/**
 * Hands every L2 governance role to the L1 timelock's aliased address (L2HandOver.s.sol, broadcast to the L2
 * node by the genesis admin, dev #0); `governance` is deployGovernance's output. Returns the script's summary.
 */
export async function l2HandOver(l2Url, governance, env = {}) {
  const stamp = Date.now();
  const govOut = join(TMP, `gov-for-l2-${stamp}.json`);
  const out = join(TMP, `l2-handover-${stamp}.json`);
  writeFileSync(govOut, JSON.stringify(governance));
  await run(FORGE_BIN, ['script', 'script/L2HandOver.s.sol:L2HandOver', '--rpc-url', l2Url, '--broadcast', '--non-interactive', '--slow'], {
    cwd: join(ROOT, 'contracts'),
    env: { ...process.env, ...env, BAI_GOV_DEPLOY_OUT: govOut, BAI_L2_HANDOVER_OUT: out },
    maxBuffer: 64 << 20,
  });
  return JSON.parse(readFileSync(out, 'utf8'));
}
