// `bai devnet --sequencers 2` (issue 20): a sequencer cluster on etcd with the whole rollup around it — the
// batcher, proposer and L1 watcher on the leader only, resuming from L1 when a standby takes over.
//
// Checks:
//   - the devnet starts etcd and two sequencers; devnet.json and the banner list both and etcd; one leads
//     (`bai_conductorStatus`), the other stands by on the same chain; the replica follows both;
//   - kill -9 of the leader does not end the devnet (the cluster goes on); the standby takes over within 3 s;
//     a transfer sent through the replica gets a receipt from the new leader;
//   - the new leader's batcher resumed from L1 (after the safe head it derived, not from block 0 or from its
//     own empty record): the verifier, which reads L1 only, derives blocks the new leader built, with their
//     hashes; the new leader's proposer posts an output root for a block past the takeover that equals the
//     verifier's;
//   - `bai devnet down` stops everything, etcd included.
// Env: BAI_BIN, E2E_TMP, E2E_ROOT.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ethers, GWEI, rpc, waitFor, jsonRpc } from '../lib/common.mjs';
import { ORACLE_ABI } from '../lib/l1.mjs';
import { freePort, TMP } from '../lib/node.mjs';

const ROOT = process.env.E2E_ROOT || new URL('../../..', import.meta.url).pathname;
const BAI_BIN = process.env.BAI_BIN;
const DATADIR = join(TMP, 'devnet-cluster');
const run = promisify(execFile);

const ports = {};
for (const k of ['l2', 'l1', 'verifier', 'inference', 'dapp', 'replica', 'sequencer', 'etcd', 'metrics']) ports[k] = await freePort();
// etcd's peer port is the client port + 1, the metrics of member 2 are metrics + 2: both checked by the devnet.
const flags = ['--datadir', DATADIR, '--l2.port', ports.l2, '--l1.port', ports.l1, '--verifier.port', ports.verifier,
  '--inference.port', ports.inference, '--dapp.port', ports.dapp, '--metrics.port', ports.metrics,
  '--dapp-dir', join(TMP, 'no-dapp'), '--models-dir', join(ROOT, '.models'), '--contracts-dir', join(ROOT, 'contracts'),
  '--sequencers', 2, '--sequencer.port', ports.sequencer, '--etcd.port', ports.etcd,
  '--replicas', 1, '--replica.port', ports.replica, '--l1.block-time', 1].map(String);

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function devnet(...args) {
  const { stdout } = await run(BAI_BIN, ['devnet', ...args], { cwd: ROOT, timeout: 300_000, maxBuffer: 16 << 20 });
  return stdout;
}

after(async () => {
  if (existsSync(join(DATADIR, 'devnet.pid'))) await devnet('down', '--datadir', DATADIR).catch(() => {});
});

const status = (url) => rpc('bai_conductorStatus', [], url);

test('devnet --sequencers 2: the L1 services follow the leader and resume from L1 after a kill -9', { timeout: 600_000 }, async () => {
  const stdout = await devnet('--detach', '--fresh', ...flags);
  const m = JSON.parse(readFileSync(join(DATADIR, 'devnet.json'), 'utf8'));
  assert.equal(m.sequencers.length, 2);
  assert.equal(m.sequencers[0].rpc, m.l2.rpc, 'the first sequencer is the L2 endpoint');
  assert.ok(m.etcd, 'devnet.json names etcd');
  for (const member of m.sequencers.slice(1)) assert.ok(stdout.includes(member.rpc), `the banner lists ${member.rpc}`);
  assert.ok(stdout.includes(m.etcd), 'the banner lists etcd');
  const names = m.processes.map((p) => p.name);
  for (const name of ['etcd', 'sequencer', 'sequencer-2', 'replica-1']) assert.ok(names.includes(name), `${name} runs`);

  const [a, b] = m.sequencers.map((s) => s.rpc);
  const [sa, sb] = [await status(a), await status(b)];
  assert.equal(sa.role, 'leader', 'the first sequencer leads');
  assert.equal(sb.role, 'standby');
  assert.equal(sb.leader.id, 'sequencer-1');
  const l2 = jsonRpc(a);
  const replica = jsonRpc(m.replicas[0].rpc);
  const l1 = jsonRpc(m.l1.rpc);
  const oracle = new ethers.Contract(m.contracts.l1.L2OutputOracle, ORACLE_ABI, l1);

  // The leader's batcher and proposer work before the kill: the verifier derives, an output lands.
  await waitFor('the verifier deriving the leader\'s blocks', async () =>
    (await rpc('optimism_syncStatus', [], m.verifier.rpc)).safe_l2.number >= 3, { timeoutMs: 120_000, intervalMs: 1000 });
  await waitFor('an output proposed by the first leader', async () => (await oracle.nextOutputIndex()) >= 1n, { timeoutMs: 120_000, intervalMs: 1000 });

  const leader = m.processes.find((p) => p.name === 'sequencer');
  const killedAt = await l2.getBlockNumber();
  process.kill(leader.pid, 'SIGKILL');
  const t0 = Date.now();
  const next = await waitFor('the standby leading', async () => {
    const s = await status(b).catch(() => null);
    return s?.role === 'leader' ? s : null;
  }, { timeoutMs: 10_000, intervalMs: 50 });
  const took = Date.now() - t0;
  assert.ok(took < 3000, `takeover took ${took} ms`);
  const tookOfficeAt = next.tookOfficeAt;
  assert.ok(tookOfficeAt >= killedAt - 1, `the new term starts on the published head (${tookOfficeAt}, killed at ${killedAt})`);
  assert.ok(alive(JSON.parse(readFileSync(join(DATADIR, 'devnet.json'), 'utf8')).pid), 'the devnet goes on');
  assert.ok(!alive(leader.pid));

  // A transfer through the replica lands on the new leader's chain.
  const wallet = new ethers.Wallet(m.accounts[7].privateKey, replica);
  const tx = await wallet.sendTransaction({ to: '0x000000000000000000000000000000000000c1c2', value: 1n, maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 1n });
  const receipt = await tx.wait(1, 60_000);
  assert.equal(receipt.status, 1);
  assert.ok(receipt.blockNumber > tookOfficeAt, 'built by the new leader');

  // The new leader's batcher resumed from L1: the verifier (L1 only) derives the blocks it built.
  const target = receipt.blockNumber;
  await waitFor('the verifier deriving the new leader\'s blocks', async () =>
    (await rpc('optimism_syncStatus', [], m.verifier.rpc)).safe_l2.number >= target, { timeoutMs: 180_000, intervalMs: 1000 });
  for (const n of [tookOfficeAt, tookOfficeAt + 1, target]) {
    const tag = ethers.toQuantity(n);
    const [ours, theirs] = await Promise.all([rpc('eth_getBlockByNumber', [tag, false], b), rpc('eth_getBlockByNumber', [tag, false], m.verifier.rpc)]);
    assert.equal(theirs.hash, ours.hash, `block ${n}: the verifier derived the new leader's block from L1`);
  }
  const log = readFileSync(m.processes.find((p) => p.name === 'sequencer-2').log, 'utf8');
  assert.match(log, /resuming from L1/, 'the new leader\'s batcher says where it resumed');

  // The new leader's proposer: an output root past the takeover, equal to the verifier's.
  const output = await waitFor('an output past the takeover', async () => {
    const n = await oracle.nextOutputIndex();
    if (n === 0n) return null;
    const o = await oracle.getL2Output(n - 1n);
    return o.l2BlockNumber > BigInt(tookOfficeAt) ? o : null;
  }, { timeoutMs: 180_000, intervalMs: 1000 });
  const theirs = await rpc('optimism_outputAtBlock', [ethers.toQuantity(output.l2BlockNumber)], m.verifier.rpc);
  assert.equal(output.outputRoot, theirs.outputRoot, `the output of block ${output.l2BlockNumber} matches the verifier's`);

  // The replica followed the switch.
  await waitFor('the replica at the new head', async () => (await replica.getBlockNumber()) >= target, { timeoutMs: 30_000, intervalMs: 200 });
  assert.equal((await replica.getBlock(target)).hash, (await jsonRpc(b).getBlock(target)).hash);

  await devnet('down', '--datadir', DATADIR);
  const after = JSON.parse(JSON.stringify(m.processes));
  for (const p of after) assert.ok(!alive(p.pid), `${p.name} stopped`);
});
