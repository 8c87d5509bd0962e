// Sequencer cluster benchmark (issue 20, "what it must show" 3), everything real: a 3-member etcd cluster,
// two `bai node --conductor.etcd` sequencers at 200 ms blocks with a 1 s lease, replicas following both.
//
//   failover   kill -9 the leader CLUSTER_KILLS times [20]; each time: ms from the kill until the survivor has
//              sealed a block above the takeover head; the killed one restarts and catches up before the next kill
//   lag        replica lag: per block, ms between the leader's newHeads announcement and the replica's, over
//              CLUSTER_LAG_BLOCKS blocks [150] under a light transfer load
//   reads      eth_getBalance throughput over CLUSTER_READ_MS [5000] with CLUSTER_READ_CONCURRENCY [32] clients, sent to
//              one replica, then spread over two (both on this machine: they share its cores; per-core figures given)
//
// BAI_BIN=…/release/bai node testnet/bench/cluster.mjs   (make bench-cluster); results in CLUSTER_OUT [testnet/bench/cluster.json]
import { writeFileSync, mkdtempSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ethers, GWEI, CHAIN_ID, devWallet, waitFor, rpcAt, sleep } from '../e2e/lib/common.mjs';
import { startNode, freePort, spawnTracked, TMP } from '../e2e/lib/node.mjs';
import { createRequire } from 'node:module';

const { WebSocket } = createRequire(new URL('../e2e/package.json', import.meta.url))('undici');

const HERE = dirname(fileURLToPath(import.meta.url));
const KILLS = Number(process.env.CLUSTER_KILLS ?? 20);
const LAG_BLOCKS = Number(process.env.CLUSTER_LAG_BLOCKS ?? 150);
const READ_MS = Number(process.env.CLUSTER_READ_MS ?? 5000);
const READ_CONCURRENCY = Number(process.env.CLUSTER_READ_CONCURRENCY ?? 32);
const OUT = process.env.CLUSTER_OUT ?? join(HERE, 'cluster.json');
const BLOCK_TIME = '200ms';

const procs = [];
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
const summary = (xs) => ({ n: xs.length, p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: Math.max(...xs) });
const log = (...a) => console.log('[cluster-bench]', ...a);

async function startEtcd() {
  const members = [];
  for (const name of ['e1', 'e2', 'e3']) members.push({ name, client: await freePort(), peer: await freePort() });
  const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  for (const m of members) {
    const { proc } = spawnTracked(`bench-etcd-${m.name}`, 'etcd', ['--name', m.name, '--data-dir', mkdtempSync(join(TMP, `bench-etcd-${m.name}-`)),
      '--listen-client-urls', `http://127.0.0.1:${m.client}`, '--advertise-client-urls', `http://127.0.0.1:${m.client}`,
      '--listen-peer-urls', `http://127.0.0.1:${m.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
      '--initial-cluster', initial, '--heartbeat-interval', '50', '--election-timeout', '500',
      '--auto-compaction-mode', 'revision', '--auto-compaction-retention', '1000']);
    procs.push({ stop: async () => proc.kill('SIGKILL') });
  }
  for (const m of members) {
    await waitFor(`etcd ${m.name}`, async () => {
      try { return (await (await fetch(`http://127.0.0.1:${m.client}/health`)).json()).health === 'true'; } catch { return false; }
    }, { timeoutMs: 30_000, intervalMs: 200 });
  }
  return members.map((m) => `http://127.0.0.1:${m.client}`).join(',');
}

const sequencer = (id, endpoints, opts = {}) => startNode({ name: `bench-${id}`, blockTime: BLOCK_TIME, ...opts,
  extraArgs: ['--conductor.etcd', endpoints, '--conductor.id', id, '--conductor.lease-ttl', '1s', '--inference.disable'] });
const status = (node) => rpcAt(node.url, 'bai_conductorStatus');
const head = async (node) => Number(await rpcAt(node.url, 'eth_blockNumber'));

async function leaderOf(seqs) {
  let found;
  await waitFor('one leader', async () => {
    const ss = await Promise.all(Object.entries(seqs).map(async ([id, n]) => [id, await status(n).catch(() => null)]));
    const l = ss.filter(([, s]) => s?.role === 'leader');
    if (l.length === 1) found = l[0][0];
    return l.length === 1;
  }, { timeoutMs: 30_000, intervalMs: 20 });
  return found;
}

/** newHeads arrival times on `url`: a Map number → ms. */
function heads(url) {
  const seen = new Map();
  const ws = new WebSocket(url.replace(/^http/, 'ws'));
  ws.addEventListener('open', () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] })));
  ws.addEventListener('message', (ev) => {
    const msg = JSON.parse(ev.data);
    const number = msg.params?.result?.number;
    if (number && !seen.has(Number(number))) seen.set(Number(number), performance.now());
  });
  return { seen, close: () => ws.close() };
}

async function main() {
  const machine = { cpus: cpus().length, model: cpus()[0]?.model, bin: process.env.BAI_BIN };
  log('machine', machine);
  const endpoints = await startEtcd();
  const seqs = {};
  seqs.a = await sequencer('a', endpoints);
  await leaderOf(seqs);
  seqs.b = await sequencer('b', endpoints);
  await waitFor('b stands by', async () => (await status(seqs.b)).role === 'standby', { timeoutMs: 30_000 });

  // --- failover
  const failovers = [];
  for (let i = 0; i < KILLS; i++) {
    const leader = await leaderOf(seqs);
    const other = leader === 'a' ? 'b' : 'a';
    await waitFor('standby caught up', async () => (await head(seqs[other])) >= (await head(seqs[leader])) - 1, { timeoutMs: 30_000, intervalMs: 20 });
    const { port, datadir } = seqs[leader];
    const killed = performance.now();
    await seqs[leader].kill('SIGKILL');
    let takeoverHead;
    await waitFor('takeover', async () => { const s = await status(seqs[other]); if (s.role === 'leader') takeoverHead = s.tookOfficeAt; return s.role === 'leader'; }, { timeoutMs: 15_000, intervalMs: 10 });
    await waitFor('next block', async () => (await head(seqs[other])) > takeoverHead, { timeoutMs: 15_000, intervalMs: 10 });
    failovers.push(performance.now() - killed);
    log(`kill ${i + 1}/${KILLS}: ${leader} → ${other} in ${failovers.at(-1).toFixed(0)} ms`);
    seqs[leader] = await sequencer(leader, endpoints, { port, datadir });
  }

  // --- replica lag at 200 ms blocks, with a light load
  const leader = seqs[await leaderOf(seqs)];
  const r1 = await startNode({ name: 'bench-r1', extraArgs: ['--follow', `${seqs.a.url},${seqs.b.url}`] });
  const r2 = await startNode({ name: 'bench-r2', extraArgs: ['--follow', `${seqs.a.url},${seqs.b.url}`] });
  procs.push(r1, r2, ...Object.values(seqs));
  await waitFor('replicas caught up', async () => (await head(r1)) >= (await head(leader)) - 1 && (await head(r2)) >= (await head(leader)) - 1, { timeoutMs: 60_000 });
  const onLeader = heads(leader.url), onReplica = heads(r1.url);
  let loading = true;
  const load = (async () => {
    const w = devWallet(7);
    let nonce = Number(await rpcAt(r1.url, 'eth_getTransactionCount', [w.address, 'latest']));
    while (loading) {
      const raw = await w.signTransaction({ type: 2, chainId: CHAIN_ID, nonce: nonce++, to: w.address, value: 1n, gasLimit: 21_000n, maxFeePerGas: 100n * GWEI, maxPriorityFeePerGas: GWEI });
      await rpcAt(r1.url, 'eth_sendRawTransaction', [raw]).catch(() => { nonce--; });
      await sleep(50);
    }
  })();
  await sleep(1000);
  const start = await head(leader);
  await waitFor('lag blocks', () => [...onLeader.seen.keys()].filter((n) => n > start && onReplica.seen.has(n)).length >= LAG_BLOCKS, { timeoutMs: LAG_BLOCKS * 1000, intervalMs: 200 });
  loading = false;
  await load;
  const lags = [...onLeader.seen.entries()].filter(([n]) => n > start && onReplica.seen.has(n)).map(([n, t]) => onReplica.seen.get(n) - t);
  onLeader.close(); onReplica.close();

  // --- read throughput: one replica vs two
  const probe = devWallet(1).address;
  async function reads(urls) {
    let done = 0, i = 0;
    const until = performance.now() + READ_MS;
    await Promise.all(Array.from({ length: READ_CONCURRENCY }, async () => {
      while (performance.now() < until) { await rpcAt(urls[i++ % urls.length], 'eth_getBalance', [probe, 'latest']); done++; }
    }));
    return done / (READ_MS / 1000);
  }
  await reads([r1.url]); // warm-up
  const one = await reads([r1.url]);
  const two = await reads([r1.url, r2.url]);

  const result = {
    date: new Date().toISOString(), machine, blockTime: BLOCK_TIME, leaseTtl: '1s',
    failoverMs: summary(failovers),
    replicaLagMs: summary(lags),
    reads: { oneReplica: Math.round(one), twoReplicas: Math.round(two), ratio: +(two / one).toFixed(2), perCoreOne: Math.round(one / machine.cpus), perCoreTwo: Math.round(two / machine.cpus), concurrency: READ_CONCURRENCY },
  };
  log(JSON.stringify(result, null, 2));
  writeFileSync(OUT, JSON.stringify(result, null, 2));
}

main().then(async () => { for (const p of procs) await p.stop(); process.exit(0); },
  async (e) => { console.error(e); for (const p of procs) await p.stop().catch(() => {}); process.exit(1); });
