// Sequencer failover on etcd (issue 20, "what it must show" 1), everything real: a 3-member etcd cluster
// (Debian's etcd-server), two `bai node` sequencers in one cluster (`--conductor.etcd`), two replicas that
// follow both (`--follow a,b`) and forward transactions to both.
//
// Under a stream of transfers sent through the replicas:
//   1. kill -9 the leader: the standby seals the next block within 3 s; every transaction that had a
//      receipt keeps it, in the same block; the replicas follow the new leader without a restart; every
//      transaction sent to a replica during the switch either lands or got a clear error — none vanishes;
//   2. the killed sequencer restarts on its datadir as a standby and catches up;
//   3. one etcd member of three is killed: nothing changes (the same leader, blocks keep coming);
//   4. the leader is paused (SIGSTOP) past its lease, as a partition would cut it off: the standby takes
//      over; resumed, the old leader publishes no block (fenced: its token is no longer the leader's), steps
//      down and follows; all nodes hold one chain.
// Env: BAI_BIN, E2E_TMP.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ethers, GWEI, CHAIN_ID, devWallet, waitFor, rpcAt, sleep } from '../lib/common.mjs';
import { startNode, freePort, spawnTracked, TMP } from '../lib/node.mjs';

const SENDERS = [1, 2, 3, 4, 5, 6].map((i) => devWallet(i));
const TO = '0x000000000000000000000000000000000000c1c1';
const LEASE = '1s';

const etcd = [];
let seqs = {};
const replicas = [];
let running = true;
after(async () => {
  running = false;
  for (const node of [...Object.values(seqs), ...replicas]) { try { node.proc.kill('SIGCONT'); } catch { /* gone */ } await node.stop(); }
  for (const member of etcd) await member.stop();
});

/** A 3-member etcd cluster on local ports, with a short election timeout (so a 1 s lease is valid). */
async function startEtcd() {
  const members = [];
  for (const name of ['e1', 'e2', 'e3']) members.push({ name, client: await freePort(), peer: await freePort() });
  const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  for (const m of members) {
    const dir = mkdtempSync(join(TMP, `cluster-etcd-${m.name}-`));
    const { proc, log, exited } = spawnTracked(`cluster-etcd-${m.name}`, 'etcd', ['--name', m.name, '--data-dir', dir,
      '--listen-client-urls', `http://127.0.0.1:${m.client}`, '--advertise-client-urls', `http://127.0.0.1:${m.client}`,
      '--listen-peer-urls', `http://127.0.0.1:${m.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
      '--initial-cluster', initial, '--initial-cluster-state', 'new', '--heartbeat-interval', '50', '--election-timeout', '500',
      '--auto-compaction-mode', 'revision', '--auto-compaction-retention', '1000']);
    etcd.push({ ...m, url: `http://127.0.0.1:${m.client}`, proc, log, exited,
      async stop() { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL'); return exited; } });
  }
  // Ready when every member answers its health endpoint (the cluster has a raft leader).
  for (const m of etcd) {
    await waitFor(`etcd ${m.name} healthy`, async () => {
      try { return (await (await fetch(`${m.url}/health`)).json()).health === 'true'; } catch { return false; }
    }, { timeoutMs: 30_000, intervalMs: 200 });
  }
  return etcd.map((m) => m.url).join(',');
}

async function startSequencer(id, endpoints, { port, datadir } = {}) {
  return startNode({ name: `cluster-${id}`, port, datadir, blockTime: '500ms',
    extraArgs: ['--conductor.etcd', endpoints, '--conductor.id', id, '--conductor.lease-ttl', LEASE, '--inference.disable'],
    env: { RUST_LOG: 'info,conductor=debug' } });
}

const status = (node) => rpcAt(node.url, 'bai_conductorStatus');
const head = async (node) => Number(await rpcAt(node.url, 'eth_blockNumber'));
const hashAt = async (node, n) => (await rpcAt(node.url, 'eth_getBlockByNumber', [ethers.toQuantity(n), false]))?.hash;

/** The leader as both members see it: waits until exactly one leads. */
async function leader() {
  let found;
  await waitFor('one leader', async () => {
    const roles = await Promise.all(Object.entries(seqs).map(async ([id, node]) => [id, await status(node).catch(() => null)]));
    const leading = roles.filter(([, s]) => s?.role === 'leader');
    if (leading.length !== 1) return false;
    found = { id: leading[0][0], node: seqs[leading[0][0]], token: leading[0][1].fencingToken };
    return true;
  }, { timeoutMs: 30_000, intervalMs: 50 });
  return found;
}

// Every transfer of the stream: { hash, error, receipt: { blockNumber, blockHash } }.
const sent = [];
let sendIndex = 0;

/** Transfers from `wallet`, one at a time, each sent to the next replica, each until it has a receipt. */
async function sendLoop(wallet) {
  const base = BigInt((await rpcAt(replicas[0].url, 'eth_getBlockByNumber', ['latest', false])).baseFeePerGas);
  let nonce = Number(await rpcAt(replicas[0].url, 'eth_getTransactionCount', [wallet.address, 'latest']));
  while (running) {
    const replica = replicas[sendIndex++ % replicas.length];
    const raw = await wallet.signTransaction({ type: 2, chainId: CHAIN_ID, nonce, to: TO, value: 1n, gasLimit: 21_000n,
      maxFeePerGas: base * 20n + GWEI, maxPriorityFeePerGas: GWEI });
    const entry = { hash: ethers.keccak256(raw), nonce, from: wallet.address, at: Date.now() };
    sent.push(entry);
    try {
      const hash = await rpcAt(replica.url, 'eth_sendRawTransaction', [raw]);
      assert.equal(hash, entry.hash);
    } catch (e) {
      // A clear error (the caller knows it was not taken): the same nonce is tried again.
      entry.error = e.message;
      await sleep(200);
      continue;
    }
    const receipt = await waitFor(`receipt of ${entry.hash}`, () => rpcAt(replica.url, 'eth_getTransactionReceipt', [entry.hash]), { timeoutMs: 30_000, intervalMs: 100 })
      .catch(() => null);
    if (!receipt) { entry.vanished = true; continue; }
    entry.receipt = { blockNumber: Number(receipt.blockNumber), blockHash: receipt.blockHash, status: receipt.status };
    nonce++;
  }
}

const receipted = () => sent.filter((e) => e.receipt);

/** Every receipted transaction still has its receipt, in the same block, on `node`. */
async function receiptsKept(node, entries) {
  for (const e of entries) {
    const r = await rpcAt(node.url, 'eth_getTransactionReceipt', [e.hash]);
    assert.ok(r, `${e.hash} (block ${e.receipt.blockNumber}) still has a receipt on ${node.url}`);
    assert.deepEqual([Number(r.blockNumber), r.blockHash], [e.receipt.blockNumber, e.receipt.blockHash], `${e.hash} in the same block`);
  }
}

/** Every node has the same block at every height from `from` to the lowest head. */
async function oneChain(nodes, from) {
  const top = Math.min(...await Promise.all(nodes.map(head)));
  for (let n = from; n <= top; n++) {
    const hashes = await Promise.all(nodes.map((node) => hashAt(node, n)));
    assert.equal(new Set(hashes).size, 1, `block ${n}: ${hashes.join(' ')}`);
  }
  return top;
}

test('sequencer failover on etcd: kill -9, etcd member loss, a paused leader fenced off', { timeout: 300_000 }, async (t) => {
  const endpoints = await startEtcd();
  const [portA, portB] = [await freePort(), await freePort()];
  seqs.a = await startSequencer('a', endpoints, { port: portA });
  const first = await leader();
  assert.equal(first.id, 'a', 'the only member leads');
  seqs.b = await startSequencer('b', endpoints, { port: portB });
  await waitFor('b stands by', async () => (await status(seqs.b)).role === 'standby' && (await status(seqs.b)).leader?.id === 'a', { timeoutMs: 30_000 });
  const sources = `${seqs.a.url},${seqs.b.url}`;
  for (const name of ['r1', 'r2']) replicas.push(await startNode({ name: `cluster-${name}`, extraArgs: ['--follow', sources] }));

  const loops = SENDERS.map((w) => sendLoop(w));
  await waitFor('30 transfers with receipts', () => receipted().length >= 30, { timeoutMs: 60_000, intervalMs: 100 });

  // --- 1. kill -9 the leader under load.
  const old = await leader();
  const standby = seqs[old.id === 'a' ? 'b' : 'a'];
  const before = receipted().slice();
  const killedAt = Date.now();
  await old.node.kill('SIGKILL');
  let takeover;
  await waitFor('the standby leads', async () => {
    const s = await status(standby);
    if (s.role !== 'leader') return false;
    takeover = s;
    return true;
  }, { timeoutMs: 10_000, intervalMs: 20 });
  const takeoverHead = takeover.tookOfficeAt;
  await waitFor('the new leader seals a block', async () => (await head(standby)) > takeoverHead, { timeoutMs: 10_000, intervalMs: 20 });
  const failover = Date.now() - killedAt;
  t.diagnostic(`leader ${old.id} killed at block ${takeoverHead}; ${standby === seqs.a ? 'a' : 'b'} leads (token ${takeover.fencingToken} > ${old.token}) and sealed block ${takeoverHead + 1} ${failover} ms later`);
  assert.ok(failover < 3000, `the next block within 3 s of the kill (took ${failover} ms)`);
  assert.ok(takeover.fencingToken > old.token);

  const afterKill = receipted().length;
  await waitFor('20 more transfers with receipts after the kill', () => receipted().length >= afterKill + 20, { timeoutMs: 60_000, intervalMs: 100 });
  await receiptsKept(standby, before);
  for (const replica of replicas) await receiptsKept(replica, before);
  // The replicas followed the new leader without a restart.
  for (const replica of replicas) {
    assert.equal(replica.proc.exitCode, null, 'the replica still runs (no restart)');
    await waitFor(`${replica.url} past the takeover`, async () => (await head(replica)) >= takeoverHead + 3, { timeoutMs: 15_000 });
  }
  await oneChain([standby, ...replicas], 1);
  // Sent during the switch: landed, or refused with an error; none vanished.
  const window = sent.filter((e) => e.at >= killedAt - 2000 && e.at <= killedAt + failover + 2000);
  assert.ok(window.length > 0, 'transfers were sent during the switch');
  assert.deepEqual(sent.filter((e) => e.vanished), [], 'no transaction got a hash and then no receipt');
  const refused = window.filter((e) => e.error);
  t.diagnostic(`${window.length} transfers sent around the switch: ${window.filter((e) => e.receipt).length} landed, ${refused.length} refused with an error${refused.length ? ` (${refused[0].error})` : ''}`);

  // --- 2. The killed sequencer restarts on its datadir and stands by.
  const oldId = old.id;
  seqs[oldId] = await startSequencer(oldId, endpoints, { port: old.node.port, datadir: old.node.datadir });
  await waitFor(`${oldId} stands by and catches up`, async () => {
    const s = await status(seqs[oldId]);
    return s.role === 'standby' && (await head(seqs[oldId])) >= (await head(standby)) - 1;
  }, { timeoutMs: 30_000, intervalMs: 100 });

  // --- 3. One etcd member of three killed: the same leader goes on.
  const current = await leader();
  const h0 = await head(current.node);
  const logBefore = readFileSync(current.node.log, 'utf8').length;
  await etcd[2].stop();
  await waitFor('10 more blocks with an etcd member down', async () => (await head(current.node)) >= h0 + 10, { timeoutMs: 20_000 });
  const still = await leader();
  assert.equal(still.id, current.id, 'no leader change');
  assert.equal(still.token, current.token, 'the same term');
  const during = readFileSync(current.node.log, 'utf8').slice(logBefore);
  assert.doesNotMatch(during, /sealed block not published/, 'no block was lost to the dead etcd member');
  t.diagnostic(`etcd member e3 killed: leader ${still.id} went on from block ${h0} to ${await head(current.node)}`);

  // --- 4. The leader paused past its lease (a partition): fenced off when it resumes.
  const paused = current;
  const other = seqs[paused.id === 'a' ? 'b' : 'a'];
  const pausedHead = await head(paused.node);
  paused.node.proc.kill('SIGSTOP');
  await waitFor('the other member takes over', async () => (await status(other)).role === 'leader', { timeoutMs: 15_000, intervalMs: 50 });
  await waitFor('the new leader builds on', async () => (await head(other)) >= pausedHead + 4, { timeoutMs: 15_000 });
  paused.node.proc.kill('SIGCONT');
  await waitFor('the old leader steps down and follows', async () => {
    const s = await status(paused.node);
    return s.role === 'standby' && s.leader?.id !== paused.id && (await head(paused.node)) >= (await head(other)) - 1;
  }, { timeoutMs: 20_000, intervalMs: 100 });
  const log = readFileSync(paused.node.log, 'utf8');
  assert.match(log, /stepped down: standing by/);
  const fenced = (log.match(/fenced: another leader holds the key/g) ?? []).length;
  t.diagnostic(`leader ${paused.id} paused at block ${pausedHead}; resumed, it stepped down (${fenced} sealed block(s) refused by the fence) and follows`);

  running = false;
  await Promise.all(loops);
  assert.deepEqual(sent.filter((e) => e.vanished), [], 'no transaction vanished');
  assert.ok(receipted().every((e) => e.receipt.status === '0x1'));
  await receiptsKept(paused.node, receipted());
  const top = await oneChain([seqs.a, seqs.b, ...replicas], 1);
  t.diagnostic(`${receipted().length} transfers with receipts, ${sent.filter((e) => e.error).length} refused with an error, 0 vanished; one chain up to block ${top} on both sequencers and both replicas`);
});
