// `bai devnet`, the one-command testnet, driven the way a script would: `--detach` from a clean data dir,
// then only what it prints and writes to devnet.json.
//
// Checks:
//   - --detach returns once everything answers, after printing progress and the banner; the banner names
//     every URL devnet.json lists;
//   - every URL answers: L1, L2 sequencer and verifier over HTTP and WebSocket (chain ids), the inference
//     server (both models loaded), both metrics endpoints, the dApp with a config.json for this devnet;
//   - the L1 contracts and L2 predeploys it lists have code, the account keys match their addresses, the
//     models are the marketplace's, dev accounts hold L1 BAI;
//   - it is a working rollup: BAI deposited on L1 is credited on L2, the verifier (L1 only) derives the
//     sequencer's blocks with the same hashes, and the proposer's first output root equals the verifier's;
//   - governance holds every L1 and L2 admin role (the L2 hand-over ran at startup), the L2 guardian may pause,
//     and the genesis refuses withdrawals to this deployment's portal and token;
//   - governance works on it: dev #0 delegates with `bai gov --devnet`, proposes an L1 SystemConfig change and an
//     L2 marketplace change, votes, queues and executes after the timelock; both values are read back (the L2
//     one after the timelock's portal deposit lands);
//   - `bai devnet down` stops every process it started (no strays, ports closed, devnet.json gone);
//   - a second `bai devnet --detach` without --fresh resumes: same L1 deployment, same L2 chain, the
//     deposit still there; stopped again cleanly.
// Env: BAI_BIN, E2E_TMP, E2E_ROOT.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ethers, ETHER, rpc, waitFor, jsonRpc } from '../lib/common.mjs';
import { PORTAL_ABI, ERC20_ABI, ORACLE_ABI } from '../lib/l1.mjs';
import { freePort, TMP } from '../lib/node.mjs';
import { WsRpc } from '../lib/ws.mjs';
import { ensureDappBuilt } from '../lib/dapp.mjs';

const ROOT = process.env.E2E_ROOT || new URL('../../..', import.meta.url).pathname;
const BAI_BIN = process.env.BAI_BIN;
const DATADIR = join(TMP, 'devnet');
const run = promisify(execFile);

const ports = {};
for (const k of ['l2', 'l1', 'verifier', 'inference', 'dapp', 'replica']) ports[k] = await freePort();
// metrics uses two consecutive ports: pick one whose successor is free too
for (;;) {
  const p = await freePort();
  if (p < 65535 && (await portFree(p + 1))) { ports.metrics = p; break; }
}
const dappDir = ensureDappBuilt((m) => console.log(`[devnet] ${m}`));
const flags = ['--datadir', DATADIR, '--l2.port', ports.l2, '--l1.port', ports.l1, '--verifier.port', ports.verifier,
  '--inference.port', ports.inference, '--dapp.port', ports.dapp, '--metrics.port', ports.metrics, '--dapp-dir', dappDir,
  '--models-dir', join(ROOT, '.models'), '--contracts-dir', join(ROOT, 'contracts'), '--replicas', 1, '--replica.port', ports.replica].map(String);

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function devnet(...args) {
  const t0 = Date.now();
  const { stdout } = await run(BAI_BIN, ['devnet', ...args], { cwd: ROOT, timeout: 300_000, maxBuffer: 16 << 20 });
  return { stdout, seconds: (Date.now() - t0) / 1000 };
}

const manifest = () => JSON.parse(readFileSync(join(DATADIR, 'devnet.json'), 'utf8'));

// If a check fails midway, do not leave a devnet behind.
after(async () => {
  if (existsSync(join(DATADIR, 'devnet.pid'))) await devnet('down', '--datadir', DATADIR).catch(() => {});
});

let first; // devnet.json of the first run
let deposit; // { account, l2Before, amount }

test('--detach from a clean data dir prints progress and the banner, and writes devnet.json', async () => {
  const { stdout, seconds } = await devnet('--detach', '--fresh', ...flags);
  console.log(`[devnet] --detach returned after ${seconds.toFixed(1)} s`);
  // Seven steps, and one more per read replica (--replicas 1).
  for (let i = 1; i <= 8; i++) assert.match(stdout, new RegExp(`\\[${i}/8\\] .*ready`), `progress step ${i}`);
  assert.match(stdout, /\[5\/8\] L2 governance: L2HandOver.s.sol .*: ready/, "the L2 hand-over ran");
  assert.match(stdout, /\[7\/8\] read replica 1 on .*: ready/, 'the replica follows');
  assert.match(stdout, /BalanceAI devnet/);
  first = manifest();
  console.log(`[devnet] first L2 block ${first.startup.firstL2BlockSeconds.toFixed(1)} s after start (debug build)`);
  assert.ok(alive(first.pid), 'the devnet process runs in the background');
  const urls = [first.l1.rpc, first.l1.ws, first.l2.rpc, first.l2.ws, first.verifier.rpc, first.verifier.ws,
    first.inference.url, first.metrics.sequencer, first.metrics.verifier, first.dapp, first.replicas[0].rpc, first.replicas[0].ws];
  for (const url of urls) assert.ok(stdout.includes(url), `banner lists ${url}`);
  for (const address of Object.values(first.contracts.l1)) assert.ok(stdout.includes(address), `banner lists ${address}`);
  for (const a of first.accounts) assert.ok(stdout.includes(a.privateKey), 'banner lists the dev keys');
  for (const m of first.models) assert.ok(stdout.includes(m.id), `banner lists model ${m.name}`);
  assert.deepEqual(first.processes.map((p) => p.name).sort(), ['anvil', 'inference', 'replica-1', 'sequencer', 'verifier']);
  for (const p of first.processes) assert.ok(alive(p.pid), `${p.name} runs`);
  // The verifier doubles as the challenger, with the oracle's CHALLENGER key (dev account 1).
  assert.equal(first.roles.challenger, '0x70997970C51812dc3A010C7d01b50e0d17dc79C8');
  const verifierLog = first.processes.find((p) => p.name === 'verifier').log;
  const verifierSays = (re) => re.test(readFileSync(verifierLog, 'utf8').replace(/\x1b\[[0-9;]*m/g, ''));
  await waitFor('the challenger in the verifier', async () => verifierSays(/INFO challenger: challenger started.*0x70997970C51812dc3A010C7d01b50e0d17dc79C8/), { timeoutMs: 30_000, intervalMs: 250 });
  // It also re-runs inference witnesses on its CPU models and files evidence with the sequencer.
  await waitFor('the inference challenger in the verifier', async () => verifierSays(/inference challenger started.*0x70997970C51812dc3A010C7d01b50e0d17dc79C8/), { timeoutMs: 30_000, intervalMs: 250 });
  assert.ok(verifierSays(new RegExp(`Inference checks +0x70997970C51812dc3A010C7d01b50e0d17dc79C8 → InferenceDisputes 0x4200000000000000000000000000000000000B05 via ${first.l2.rpc}`)), 'its banner names the evidence contract and the sequencer');
});

test('every URL answers', async () => {
  const m = first;
  assert.equal(BigInt(await rpc('eth_chainId', [], m.l1.rpc)), BigInt(m.l1.chainId));
  assert.equal(m.l1.chainId, 31337);
  assert.equal(m.l2.chainId, 2977);
  for (const [http, ws, chainId] of [[m.l1.rpc, m.l1.ws, m.l1.chainId], [m.l2.rpc, m.l2.ws, m.l2.chainId], [m.verifier.rpc, m.verifier.ws, m.l2.chainId],
    [m.replicas[0].rpc, m.replicas[0].ws, m.l2.chainId]]) {
    assert.equal(BigInt(await rpc('eth_chainId', [], http)), BigInt(chainId), http);
    const c = await WsRpc.connect(ws);
    try { assert.equal(BigInt(await c.request('eth_chainId', [])), BigInt(chainId), ws); } finally { c.close(); }
  }
  // The read replica follows the sequencer block for block.
  const seqHead = Number(await rpc('eth_blockNumber', [], m.l2.rpc));
  await waitFor('the replica has the sequencer head', async () => Number(await rpc('eth_blockNumber', [], m.replicas[0].rpc)) >= seqHead, { timeoutMs: 30_000, intervalMs: 200 });
  const at = ethers.toQuantity(seqHead);
  assert.equal((await rpc('eth_getBlockByNumber', [at, false], m.replicas[0].rpc)).hash, (await rpc('eth_getBlockByNumber', [at, false], m.l2.rpc)).hash, 'the same block');
  assert.equal(await rpc('bai_health', [], m.inference.url), 'ok');
  const served = (await rpc('bai_models', [], m.inference.url)).map((x) => x.kind).sort();
  assert.ok(served.includes('embedding') && served.includes('generation'), `both models loaded: ${served}`);
  for (const url of [m.metrics.sequencer, m.metrics.verifier]) {
    const r = await fetch(url);
    assert.equal(r.status, 200, url);
    assert.match(await r.text(), /^bai_/m, `${url} serves Prometheus metrics`);
  }
  const page = await fetch(m.dapp);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
  const config = await (await fetch(new URL('config.json', m.dapp))).json();
  assert.equal(config.l2.rpcUrl, m.l2.rpc);
  assert.equal(config.l2.chainId, m.l2.chainId);
  assert.equal(config.l1.rpcUrl, m.l1.rpc);
  for (const k of ['BaiToken', 'OptimismPortal', 'L2OutputOracle', 'SystemConfig']) assert.equal(config.l1.contracts[k], m.contracts.l1[k], k);
});

test('governance holds the L1 admin roles, and `bai gov` finds it through devnet.json', async () => {
  const m = first;
  const l1 = jsonRpc(m.l1.rpc);
  const owner = new ethers.Contract(m.contracts.l1.SystemConfig, ['function owner() view returns (address)'], l1);
  assert.equal(await owner.owner(), m.contracts.l1.TimelockController, 'the timelock owns SystemConfig');
  assert.equal(m.roles.l1Admin, m.contracts.l1.TimelockController);
  assert.equal(m.roles.guardian, m.accounts[4].address, 'the guardian is dev account 4, not the deployer');
  assert.equal(m.governance.governor, m.contracts.l1.BaiGovernor);
  const { stdout } = await promisify(execFile)(BAI_BIN, ['gov', 'list', '--devnet', DATADIR, '--l1.rpc-url', m.l1.rpc]);
  assert.equal(stdout.trim(), 'no proposals');
  const config = await (await fetch(new URL('config.json', m.dapp))).json();
  assert.equal(config.l1.contracts.BaiGovernor, m.contracts.l1.BaiGovernor, 'the dApp is configured with the Governor');
});

test('governance holds the L2 admin roles too, the guardian can pause, and the genesis knows the L1 portal', async () => {
  const m = first;
  const l2 = jsonRpc(m.l2.rpc);
  const alias = m.governance.timelockL2Alias;
  assert.equal(m.roles.l2Admin, alias);
  assert.equal(m.roles.l2Guardian, m.accounts[4].address);
  const roles = ['function DEFAULT_ADMIN_ROLE() view returns (bytes32)', 'function GOVERNOR_ROLE() view returns (bytes32)',
    'function hasRole(bytes32, address) view returns (bool)'];
  const market = new ethers.Contract(m.contracts.l2.ModelMarketplace,
    [...roles, 'function MODERATOR_ROLE() view returns (bytes32)', 'function GUARDIAN_ROLE() view returns (bytes32)'], l2);
  for (const role of ['DEFAULT_ADMIN_ROLE', 'GOVERNOR_ROLE', 'MODERATOR_ROLE']) {
    assert.ok(await market.hasRole(await market[role](), alias), `the timelock's alias holds the marketplace's ${role}`);
    assert.equal(await market.hasRole(await market[role](), m.accounts[0].address), false, `the genesis admin no longer holds ${role}`);
  }
  for (const name of ['Staking', 'Curation']) {
    const c = new ethers.Contract(m.contracts.l2[name], roles, l2);
    assert.ok(await c.hasRole(await c.GOVERNOR_ROLE(), alias), `${name}: governed by the alias`);
    assert.equal(await c.hasRole(await c.DEFAULT_ADMIN_ROLE(), m.accounts[0].address), false, `${name}: the genesis admin is out`);
  }
  assert.ok(await market.hasRole(await market.GUARDIAN_ROLE(), m.roles.l2Guardian), 'the guardian may pause at once');
  const guarded = new ethers.Contract(m.contracts.l2.ModelMarketplace, ['function pause()'], new ethers.Wallet(m.accounts[4].privateKey, l2));
  await guarded.pause.staticCall(); // would succeed; not sent, the devnet stays open
  const passer = new ethers.Contract(m.contracts.l2.L2ToL1MessagePasser, ['function l1Portal() view returns (address)',
    'function l1Token() view returns (address)'], l2);
  assert.equal(await passer.l1Portal(), m.contracts.l1.OptimismPortal, 'withdrawals may not target the portal');
  assert.equal(await passer.l1Token(), m.contracts.l1.BaiToken, 'nor the L1 token');
});

test('contracts, accounts and models are what it says', async () => {
  const m = first;
  for (const [name, address] of Object.entries(m.contracts.l1)) {
    if (name === 'batchInbox') continue; // an EOA-like address by design
    assert.notEqual(await rpc('eth_getCode', [address, 'latest'], m.l1.rpc), '0x', `${name} deployed on L1`);
  }
  for (const [name, address] of Object.entries(m.contracts.l2)) {
    if (name === 'AiPrecompile') continue; // a precompile has no code
    assert.notEqual(await rpc('eth_getCode', [address, 'latest'], m.l2.rpc), '0x', `${name} predeployed on L2`);
  }
  assert.equal(m.accounts.length, 10);
  for (const a of m.accounts) assert.equal(new ethers.Wallet(a.privateKey).address, a.address);
  const l1 = jsonRpc(m.l1.rpc);
  const token = new ethers.Contract(m.contracts.l1.BaiToken, ERC20_ABI, l1);
  assert.equal(await token.balanceOf(m.accounts[1].address), 500n * ETHER, 'dev account 1 holds L1 BAI to deposit');
  const listed = (await rpc('bai_listModels', [], m.l2.rpc)).models;
  assert.deepEqual(m.models.map((x) => x.id), listed.map((x) => x.id));
  assert.ok(m.models.some((x) => x.kind === 'embedding') && m.models.some((x) => x.kind === 'generation'));
});

test('it is a working rollup: a deposit is credited and the verifier derives the same blocks', async () => {
  const m = first;
  const l1 = jsonRpc(m.l1.rpc);
  const l2 = jsonRpc(m.l2.rpc);
  const wallet = new ethers.Wallet(m.accounts[1].privateKey, l1);
  const amount = 7n * ETHER;
  const l2Before = await l2.getBalance(wallet.address);
  const token = new ethers.Contract(m.contracts.l1.BaiToken, ERC20_ABI, wallet);
  await (await token.approve(m.contracts.l1.OptimismPortal, amount)).wait();
  const portal = new ethers.Contract(m.contracts.l1.OptimismPortal, PORTAL_ABI, wallet);
  await (await portal.depositERC20Transaction(wallet.address, amount, 0n, 100000n, false, '0x')).wait();
  await waitFor('the deposit credited on L2', async () => (await l2.getBalance(wallet.address)) === l2Before + amount, { timeoutMs: 90_000, intervalMs: 500 });
  const target = await l2.getBlockNumber();
  deposit = { account: wallet.address, l2Before, amount, block: target, hash: (await l2.getBlock(target)).hash };
  const safe = await waitFor('the verifier deriving past the deposit', async () => {
    const s = await rpc('optimism_syncStatus', [], m.verifier.rpc);
    return s.safe_l2.number >= target ? s.safe_l2.number : null;
  }, { timeoutMs: 120_000, intervalMs: 1000 });
  for (const n of [1, target, safe]) {
    const tag = ethers.toQuantity(n);
    const [a, b] = await Promise.all([rpc('eth_getBlockByNumber', [tag, false], m.l2.rpc), rpc('eth_getBlockByNumber', [tag, false], m.verifier.rpc)]);
    assert.equal(b.hash, a.hash, `block ${n}: verifier and sequencer agree`);
    assert.equal(b.stateRoot, a.stateRoot);
  }
  assert.equal(await jsonRpc(m.verifier.rpc).getBalance(wallet.address, target), l2Before + amount);

  // The proposer (in the sequencer) posts output roots that a verifier computes the same from L1 alone.
  const oracle = new ethers.Contract(m.contracts.l1.L2OutputOracle, ORACLE_ABI, l1);
  await waitFor('an output proposed to L1', async () => (await oracle.nextOutputIndex()) >= 1n, { timeoutMs: 90_000, intervalMs: 1000 });
  const output = await oracle.getL2Output(0);
  const theirs = await rpc('optimism_outputAtBlock', [ethers.toQuantity(output.l2BlockNumber)], m.verifier.rpc);
  assert.equal(output.outputRoot, theirs.outputRoot, `the output of block ${output.l2BlockNumber} matches the verifier's`);
  // 200 ms blocks by default, and the oracle knows it: its bound on an output's L2 timestamp (start + n × block
  // time) must not run ahead of the real chain, or outputs fall further and further behind (a whole-second
  // block time of 1 would put block n at start + n s, five times ahead).
  assert.equal(m.l2.blockTime, '200ms', 'the devnet defaults to 200 ms blocks');
  assert.equal(await oracle.l2BlockTimeMs(), 200n, 'the oracle was deployed with the devnet block time');
  const head = await rpc('eth_getBlockByNumber', ['latest', false], m.l2.rpc);
  const bound = await oracle.computeL2Timestamp(BigInt(head.number));
  assert.ok(bound <= BigInt(head.timestamp) + 2n, `oracle bound ${bound} for block ${Number(head.number)} is not ahead of its timestamp ${Number(head.timestamp)}`);
});

test('governance on the devnet: a holder delegates, one proposal changes an L1 and an L2 value', { timeout: 300_000 }, async () => {
  const m = first;
  const gov = async (args) => (await run(BAI_BIN, ['gov', ...args, '--devnet', DATADIR, '--l1.rpc-url', m.l1.rpc], {
    env: { ...process.env, BAI_PRIVATE_KEY: m.accounts[0].privateKey, RUST_LOG: 'warn' },
  })).stdout;
  const l1 = jsonRpc(m.l1.rpc);
  const l2 = jsonRpc(m.l2.rpc);
  const waitBlocks = async (n) => {
    const target = (await l1.getBlockNumber()) + n;
    await waitFor(`L1 block ${target}`, async () => (await l1.getBlockNumber()) >= target, { timeoutMs: 10_000 + n * 3000, intervalMs: 250 });
  };
  const systemConfig = new ethers.Contract(m.contracts.l1.SystemConfig, ['function basefeeScalar() view returns (uint32)'], l1);
  const market = new ethers.Contract(m.contracts.l2.ModelMarketplace, ['function priceIncreaseDelay() view returns (uint256)'], l2);
  assert.notEqual(await systemConfig.basefeeScalar(), 1000n);
  assert.notEqual(await market.priceIncreaseDelay(), 5400n);

  // The treasury (dev #0, the deployer) holds enough BAI for the quorum once it delegates to itself.
  assert.match(await gov(['delegate']), /delegates to 0x[0-9a-fA-F]{40}, who now has \d/);
  await waitBlocks(1);
  const proposed = await gov(['propose', '--description', 'devnet: cheaper L1 data, a 90-minute price notice',
    '--l1', `${m.contracts.l1.SystemConfig} setGasConfigEcotone(uint32,uint32) 1000 600000`,
    '--l2', `${m.contracts.l2.ModelMarketplace} setPriceIncreaseDelay(uint256) 5400`]);
  const id = proposed.match(/^proposal (\d+)$/m)?.[1];
  assert.ok(id, proposed);
  await waitBlocks(m.governance.votingDelayBlocks + 1);
  assert.match(await gov(['vote', id, 'for']), /voted For on proposal \d+/);
  await waitBlocks(m.governance.votingPeriodBlocks + 1);
  assert.match(await gov(['status', id]), /: succeeded\n/);
  assert.match(await gov(['queue', id]), /queued; executable from L1 time \d+/);
  await new Promise((r) => setTimeout(r, (m.governance.timelockDelaySeconds + 4) * 1000));
  assert.match(await gov(['execute', id]), /executed in L1 block \d+/);
  assert.equal(await systemConfig.basefeeScalar(), 1000n, 'the L1 value changed');
  await waitFor('the L2 action arriving as a deposit from the timelock', async () => (await market.priceIncreaseDelay()) === 5400n,
    { timeoutMs: 90_000, intervalMs: 500 });
});

async function downAndCheck(m) {
  const { stdout } = await devnet('down', '--datadir', DATADIR);
  assert.match(stdout, /devnet stopped/);
  assert.ok(!alive(m.pid), 'the devnet process is gone');
  for (const p of m.processes) assert.ok(!alive(p.pid), `${p.name} (pid ${p.pid}) is gone`);
  for (const port of [ports.l1, ports.l2, ports.verifier, ports.inference, ports.dapp, ports.metrics, ports.metrics + 1]) {
    assert.ok(await portFree(port), `port ${port} released`);
  }
  assert.ok(!existsSync(join(DATADIR, 'devnet.json')), 'devnet.json removed: nothing claims to be running');
  assert.match(readFileSync(join(DATADIR, 'devnet.log'), 'utf8'), /\[stop\] anvil stopped/);
}

test('`bai devnet down` stops everything it started', async () => {
  await downAndCheck(first);
  const again = await devnet('down', '--datadir', DATADIR);
  assert.match(again.stdout, /no devnet running/, 'down is idempotent');
});

test('a restart without --fresh resumes the same L1 deployment and L2 chain', async () => {
  const before = first;
  const { stdout } = await devnet('--detach', ...flags);
  assert.match(stdout, /resumed/);
  assert.match(readFileSync(join(DATADIR, 'devnet.log'), 'utf8'), /resumed: .*l2-handover\.json records the hand-over/,
    'the L2 hand-over is not run twice');
  const m = manifest();
  assert.deepEqual(m.contracts.l1, before.contracts.l1, 'the L1 deployment is reused, not redeployed');
  const l2 = jsonRpc(m.l2.rpc);
  assert.equal((await l2.getBlock(deposit.block)).hash, deposit.hash, 'the L2 chain is the same one');
  assert.ok((await l2.getBlockNumber()) > deposit.block, 'and it goes on from where it stopped');
  assert.equal(await l2.getBalance(deposit.account), deposit.l2Before + deposit.amount, 'the deposit is still credited');
  const l1 = jsonRpc(m.l1.rpc);
  assert.notEqual(await l1.getCode(m.contracts.l1.SystemConfig), '0x');
  await downAndCheck(m);
});
