// bai vs anvil benchmark (called by testnet/bench/run.sh; see docs/testing.md):
//  (a) sustained native-transfer and ERC-20-transfer throughput, eth_sendRawTransaction -> receipt;
//  (c) eth_getBalance and eth_call(balanceOf) throughput and p50/p99 latency at fixed concurrency;
// plus the load generator's own ceiling against a trivial JSON-RPC sink, and client/node CPU use.
// The same pre-signed transactions (deterministic keys, nonces, fees) are replayed on both nodes.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const require = createRequire(new URL('../e2e/package.json', import.meta.url));
const { ethers } = require('ethers');
const { Pool } = require('undici');

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const env = (k, d) => (process.env[k] !== undefined && process.env[k] !== '' ? process.env[k] : d);
const quick = env('BENCH_QUICK', '0') === '1';
const CFG = {
  targets: env('BENCH_TARGETS', 'anvil bai').split(/\s+/).filter(Boolean),
  baiBin: env('BAI_BIN', `${os.homedir()}/.cache/bai/target/release/bai`),
  anvilBin: env('ANVIL_BIN', join(ROOT, '.tools/bin/anvil')),
  // Like for like by default: both nodes mine on the same interval (anvil's interval mining; its
  // automine mode is far slower and not a fair peer). BAI_BLOCK_TIME / ANVIL_BLOCK_TIME split them.
  blockTimeSec: Number(env('BENCH_BLOCK_TIME', '0.2')),
  baiBlockTime: env('BAI_BLOCK_TIME', `${Math.round(Number(env('BENCH_BLOCK_TIME', '0.2')) * 1000)}ms`),
  baiArgs: env('BAI_BENCH_ARGS', '').split(/\s+/).filter(Boolean),
  anvilBlockTime: Number(env('ANVIL_BLOCK_TIME', env('BENCH_BLOCK_TIME', '0.2'))),
  anvilArgs: env('ANVIL_BENCH_ARGS', '--silent').split(/\s+/).filter(Boolean),
  // Block gas limit for both (bai --dev.gas-limit, anvil --gas-limit); empty: each node's default (30M both).
  gasLimit: env('BENCH_GAS_LIMIT', ''),
  senders: Number(env('BENCH_SENDERS', quick ? 100 : 500)), // per phase (ETH and ERC-20 use separate senders)
  // the same transactions for both nodes
  ethTxs: { anvil: Number(env('BENCH_ETH_TXS_ANVIL', quick ? 4000 : 40000)), bai: Number(env('BENCH_ETH_TXS_BAI', quick ? 4000 : 40000)) },
  ercTxs: { anvil: Number(env('BENCH_ERC_TXS_ANVIL', quick ? 2000 : 20000)), bai: Number(env('BENCH_ERC_TXS_BAI', quick ? 2000 : 20000)) },
  batch: Number(env('BENCH_BATCH', 200)), // txs per eth_sendRawTransaction batch request
  submitConcurrency: Number(env('BENCH_SUBMIT_CONCURRENCY', 8)), // batch requests in flight
  window: Number(env('BENCH_WINDOW', 8000)), // submitted-but-not-included txs at most
  readConcurrency: Number(env('BENCH_READ_CONCURRENCY', 16)),
  readMs: Number(env('BENCH_READ_MS', quick ? 2000 : 5000)),
  readWarmupMs: Number(env('BENCH_READ_WARMUP_MS', 1000)),
  maxFeeGwei: BigInt(env('BENCH_MAX_FEE_GWEI', 2000)),
  tipGwei: BigInt(env('BENCH_TIP_GWEI', 1)),
  stallMs: Number(env('BENCH_STALL_MS', 30000)),
  out: env('BENCH_OUT', join(HERE, 'results.json')),
  cacheDir: env('BENCH_CACHE_DIR', `${os.homedir()}/.cache/bai/bench`),
};
const CHAIN_ID = 2977;
const GWEI = 10n ** 9n;
const ETHER = 10n ** 18n;
const MNEMONIC = 'test test test test test test test test test test test junk';
const log = (...a) => console.log('[bench]', ...a);

// ---------------------------------------------------------------- deterministic accounts and txs
const dev = (i) => ethers.HDNodeWallet.fromMnemonic(ethers.Mnemonic.fromPhrase(MNEMONIC), `m/44'/60'/0'/0/${i}`);
const DEV = Array.from({ length: 10 }, (_, i) => dev(i));
const keyOf = (tag, i) => ethers.keccak256(ethers.toUtf8Bytes(`bai-bench/${tag}/${i}`));
const ethKeys = Array.from({ length: CFG.senders }, (_, i) => keyOf('eth', i));
const ercKeys = Array.from({ length: CFG.senders }, (_, i) => keyOf('erc', i));
const addrOf = (k) => ethers.computeAddress(k);
const ethAddrs = ethKeys.map(addrOf);
const ercAddrs = ercKeys.map(addrOf);
const ethSinks = Array.from({ length: 64 }, (_, i) => addrOf(keyOf('eth-to', i))); // 64 fixed recipients
const DISPERSE = ethers.getCreateAddress({ from: DEV[0].address, nonce: 0 });
const TOKEN = ethers.getCreateAddress({ from: DEV[0].address, nonce: 1 });
const erc20 = new ethers.Interface(['function transfer(address,uint256) returns (bool)', 'function balanceOf(address) view returns (uint256)']);
const art = (file, name) => JSON.parse(readFileSync(join(ROOT, 'testnet/e2e/forge/out', file, `${name}.json`), 'utf8')).bytecode.object;

/** Round-major job list: round r holds nonce r of every sender, so any prefix is nonce-contiguous per sender. */
function jobs(kind, n) {
  const out = [];
  const rounds = Math.ceil(n / CFG.senders);
  for (let r = 0; r < rounds; r++) {
    for (let s = 0; s < CFG.senders && out.length < n; s++) {
      if (kind === 'eth') out.push({ key: ethKeys[s], nonce: r, to: ethSinks[(s + r) % ethSinks.length], value: '1', gasLimit: 21000, data: '0x' });
      else out.push({ key: ercKeys[s], nonce: r, to: TOKEN, value: '0', gasLimit: 60000, data: erc20.encodeFunctionData('transfer', [ercAddrs[(s + 1) % CFG.senders], 1n]) });
    }
  }
  return out;
}

async function presign(kind, n) {
  const fee = { maxFeePerGas: (CFG.maxFeeGwei * GWEI).toString(), maxPriorityFeePerGas: (CFG.tipGwei * GWEI).toString() };
  const id = createHash('sha256').update(JSON.stringify({ v: 2, kind, n, senders: CFG.senders, fee, TOKEN, CHAIN_ID })).digest('hex').slice(0, 16);
  const file = join(CFG.cacheDir, `presigned-${kind}-${id}.json`);
  if (existsSync(file)) {
    try { return JSON.parse(readFileSync(file, 'utf8')); } catch { /* re-sign */ }
  }
  const all = jobs(kind, n);
  const workers = Math.max(1, Math.min(os.cpus().length, 4));
  const t0 = performance.now();
  const parts = await Promise.all(Array.from({ length: workers }, (_, w) => new Promise((resolve, reject) => {
    const slice = all.filter((_, i) => i % workers === w);
    const wk = new Worker(new URL('./sign-worker.mjs', import.meta.url), { workerData: { jobs: slice, chainId: CHAIN_ID, ...fee } });
    wk.once('message', resolve);
    wk.once('error', reject);
  })));
  const txs = all.map((_, i) => parts[i % workers][Math.floor(i / workers)]);
  log(`signed ${n} ${kind} txs in ${((performance.now() - t0) / 1000).toFixed(1)} s (${workers} threads); cached in ${file}`);
  mkdirSync(CFG.cacheDir, { recursive: true });
  writeFileSync(file, JSON.stringify(txs));
  return txs;
}

// ---------------------------------------------------------------- JSON-RPC over keep-alive HTTP (undici)
class Rpc {
  constructor(url, connections) {
    this.url = url;
    this.pool = new Pool(url, { connections, keepAliveTimeout: 60000, pipelining: 1 });
    this.id = 1;
  }
  async raw(body) {
    const r = await this.pool.request({ path: '/', method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await r.body.text();
    return { status: r.statusCode, text };
  }
  async call(method, params = []) {
    const { text } = await this.raw(JSON.stringify({ jsonrpc: '2.0', id: this.id++, method, params }));
    const j = JSON.parse(text);
    if (j.error) throw Object.assign(new Error(`${method}: ${j.error.code} ${j.error.message}`), { rpcError: j.error });
    return j.result;
  }
  async batch(calls) {
    const { text } = await this.raw(JSON.stringify(calls.map(([method, params], i) => ({ jsonrpc: '2.0', id: i, method, params }))));
    const j = JSON.parse(text);
    if (!Array.isArray(j)) throw new Error(`batch answered with ${text.slice(0, 200)}`);
    const out = new Array(calls.length);
    for (const x of j) out[x.id] = x;
    return out;
  }
  close() { return this.pool.close(); }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cpuTicks = (pid) => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, seconds (CLK_TCK 100)
  } catch { return NaN; }
};
const clientCpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

// ---------------------------------------------------------------- nodes
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}
const children = new Set();
const killAll = () => { for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } } };
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { killAll(); process.exit(130); });

async function startNode(target, tmp) {
  const port = await freePort();
  const logFile = join(tmp, `${target}.log`);
  const fd = openSync(logFile, 'a');
  let cmd, args, blockTime;
  if (target === 'bai') {
    const datadir = mkdtempSync(join(tmp, 'bai-data-'));
    cmd = CFG.baiBin;
    blockTime = CFG.baiBlockTime;
    args = ['node', '--dev', '--datadir', datadir, '--http.addr', '127.0.0.1', '--http.port', String(port), '--block-time', blockTime,
      ...(CFG.gasLimit ? ['--dev.gas-limit', CFG.gasLimit] : []), ...CFG.baiArgs];
  } else {
    cmd = CFG.anvilBin;
    blockTime = `${CFG.anvilBlockTime}s`;
    args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(CHAIN_ID), '--mnemonic', MNEMONIC, '--accounts', '10',
      '--balance', '10000', '--block-time', String(CFG.anvilBlockTime), ...(CFG.gasLimit ? ['--gas-limit', CFG.gasLimit] : []), ...CFG.anvilArgs];
  }
  // bai logs one `sealed block` line per non-empty block with its phase timings (read back by blockBuildTimes)
  const logLevel = env('RUST_LOG', target === 'bai' ? 'warn,sequencer=info' : 'warn');
  const proc = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: { ...process.env, RUST_LOG: logLevel } });
  children.add(proc);
  writeFileSync(join(tmp, `${target}.pid`), String(proc.pid));
  proc.once('exit', () => children.delete(proc));
  const url = `http://127.0.0.1:${port}`;
  const rpc = new Rpc(url, Math.max(CFG.readConcurrency, CFG.submitConcurrency) + 4);
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${target} exited during startup; see ${logFile}`);
    try { if ((await rpc.call('eth_chainId')) === '0xba1') break; } catch { /* not yet */ }
    if (Date.now() - t0 > 60000) throw new Error(`${target} not ready in 60 s; see ${logFile}`);
    await sleep(100);
  }
  const version = await rpc.call('web3_clientVersion').catch(() => '?');
  return {
    target, proc, url, rpc, logFile, blockTime, args: [cmd, ...args].join(' '), version,
    async stop() {
      await rpc.close().catch(() => {});
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
      await new Promise((r) => proc.once('exit', r));
      clearTimeout(t);
    },
  };
}

// ---------------------------------------------------------------- setup on a fresh node
async function sendAndWait(rpc, wallet, nonce, tx) {
  const base = BigInt((await rpc.call('eth_getBlockByNumber', ['latest', false])).baseFeePerGas ?? 1n);
  const raw = await wallet.signTransaction({ type: 2, chainId: CHAIN_ID, nonce, maxFeePerGas: base * 3n + GWEI, maxPriorityFeePerGas: GWEI, value: 0n, ...tx });
  const hash = await rpc.call('eth_sendRawTransaction', [raw]);
  return hash;
}
async function waitReceipts(rpc, hashes, timeoutMs = 60000) {
  const t0 = Date.now();
  for (;;) {
    const rs = await rpc.batch(hashes.map((h) => ['eth_getTransactionReceipt', [h]]));
    if (rs.every((r) => r.result)) {
      const bad = rs.filter((r) => r.result.status !== '0x1');
      if (bad.length) throw new Error(`setup tx failed: ${JSON.stringify(bad[0].result).slice(0, 300)}`);
      return rs.map((r) => r.result);
    }
    if (Date.now() - t0 > timeoutMs) throw new Error('setup receipts timed out');
    await sleep(100);
  }
}

async function setup(node) {
  const { rpc } = node;
  const t0 = performance.now();
  const h1 = await sendAndWait(rpc, DEV[0], 0, { data: art('BenchKit.sol', 'Disperse'), gasLimit: 1_000_000n });
  const tokenInit = ethers.concat([art('BenchKit.sol', 'BenchToken'), ethers.AbiCoder.defaultAbiCoder().encode(['address[]', 'uint256'], [ercAddrs, 10n ** 24n])]);
  const h2 = await sendAndWait(rpc, DEV[0], 1, { data: tokenInit, gasLimit: BigInt(2_000_000 + 30_000 * CFG.senders) });
  await waitReceipts(rpc, [h1, h2]);
  // fund every sender with 20 BAI through the disperser, spread over dev accounts 1..9
  const everyone = [...ethAddrs, ...ercAddrs];
  const each = 20n * ETHER;
  const perTx = 100;
  const hashes = [];
  const nonces = new Map();
  const disperse = new ethers.Interface(['function disperse(address[] to, uint256 each) payable']);
  for (let i = 0, k = 0; i < everyone.length; i += perTx, k++) {
    const chunk = everyone.slice(i, i + perTx);
    const w = DEV[1 + (k % 9)];
    const n = nonces.get(w.address) ?? 0;
    nonces.set(w.address, n + 1);
    hashes.push(await sendAndWait(rpc, w, n, { to: DISPERSE, value: each * BigInt(chunk.length), data: disperse.encodeFunctionData('disperse', [chunk, each]), gasLimit: BigInt(60_000 + 40_000 * chunk.length) }));
  }
  await waitReceipts(rpc, hashes);
  const probe = await rpc.batch([['eth_getBalance', [ethAddrs.at(-1), 'latest']], ['eth_call', [{ to: TOKEN, data: erc20.encodeFunctionData('balanceOf', [ercAddrs.at(-1)]) }, 'latest']]]);
  if (BigInt(probe[0].result) !== each || BigInt(probe[1].result) !== 10n ** 24n) throw new Error(`setup check failed: ${JSON.stringify(probe)}`);
  return { ms: Math.round(performance.now() - t0) };
}

// ---------------------------------------------------------------- (a) throughput: sendRawTransaction -> receipt
async function throughput(node, txs, label) {
  const { rpc } = node;
  const N = txs.length;
  const want = new Map(txs.map(([, h], i) => [h, i]));
  let included = 0;
  let failed = 0;
  let sent = 0;
  let accepted = 0;
  const errors = {};
  const blocks = [];
  let done = false;
  let useBlockReceipts = true;
  let lastProgress = Date.now();
  const start = Number(await rpc.call('eth_blockNumber'));
  const logFrom = statSync(node.logFile).size;
  const cpu0 = { client: clientCpu(), node: cpuTicks(node.proc.pid) };
  const t0 = performance.now();
  let tEnd = null;
  let trackerError = null;

  const tracker = (async () => {
    let next = start + 1;
    while (!done) {
      const head = Number(await rpc.call('eth_blockNumber'));
      for (; next <= head; next++) {
        let ours = 0;
        let total = 0;
        let ok = 0;
        let blk;
        if (useBlockReceipts) {
          const r = await rpc.call('eth_getBlockReceipts', [ethers.toQuantity(next)]).catch((e) => { useBlockReceipts = false; return null; });
          if (r) {
            total = r.length;
            for (const x of r) if (want.has(x.transactionHash)) { ours++; if (x.status === '0x1') ok++; }
          }
        }
        if (!useBlockReceipts) {
          blk = await rpc.call('eth_getBlockByNumber', [ethers.toQuantity(next), false]);
          total = blk.transactions.length;
          for (const h of blk.transactions) if (want.has(h)) { ours++; ok++; }
        }
        const at = performance.now() - t0;
        blocks.push({ number: next, at, ours, total });
        included += ours;
        failed += ours - ok;
        if (ours) lastProgress = Date.now();
        if (included >= N) { tEnd = at; done = true; break; }
      }
      if (!done && Date.now() - lastProgress > CFG.stallMs) { done = true; break; }
      await sleep(15);
    }
  })().catch((e) => { trackerError = e; done = true; });

  // submitter: bounded concurrency, batched, at most `window` txs outstanding
  let nextIdx = 0;
  const retry = [];
  const submitter = async () => {
    while (!done) {
      if (sent - included >= CFG.window) { await sleep(5); continue; }
      const items = [];
      while (items.length < CFG.batch && retry.length) items.push(retry.shift());
      while (items.length < CFG.batch && nextIdx < N) items.push(nextIdx++);
      if (!items.length) { if (accepted >= N) return; await sleep(20); continue; }
      sent += items.length;
      let res;
      try {
        res = await rpc.batch(items.map((i) => ['eth_sendRawTransaction', [txs[i][0]]]));
      } catch (e) {
        errors[`transport: ${e.message}`] = (errors[`transport: ${e.message}`] ?? 0) + 1;
        sent -= items.length;
        retry.push(...items);
        await sleep(100);
        continue;
      }
      res.forEach((r, k) => {
        if (r?.result || /already known|already imported/i.test(r?.error?.message ?? '')) { accepted++; return; }
        const m = (r?.error?.message ?? 'missing response').replace(/0x[0-9a-f]+/gi, '0x…').replace(/\d{3,}/g, 'N').slice(0, 120);
        errors[m] = (errors[m] ?? 0) + 1;
        sent--;
        retry.push(items[k]);
      });
      if (retry.length) await sleep(50);
    }
  };
  const tSubmit0 = performance.now();
  await Promise.all(Array.from({ length: CFG.submitConcurrency }, submitter));
  const submitMs = performance.now() - tSubmit0;
  await tracker;
  if (trackerError) throw trackerError;
  const cpu1 = { client: clientCpu(), node: cpuTicks(node.proc.pid) };
  const wall = (tEnd ?? performance.now() - t0) / 1000;
  const withOurs = blocks.filter((b) => b.ours > 0);
  let steady = null;
  if (withOurs.length >= 3) {
    const first = withOurs[0];
    const last = withOurs.at(-1);
    const mid = withOurs.slice(1).reduce((a, b) => a + b.ours, 0);
    steady = mid / ((last.at - first.at) / 1000);
  }
  const r = {
    label, txs: N, included, failedReceipts: failed, complete: included >= N,
    seconds: +wall.toFixed(3), tps: +(included / wall).toFixed(1), steadyTps: steady && +steady.toFixed(1),
    submitSeconds: +(submitMs / 1000).toFixed(3),
    blocks: withOurs.length, maxTxsPerBlock: Math.max(0, ...withOurs.map((b) => b.ours)),
    receiptsVia: useBlockReceipts ? 'eth_getBlockReceipts' : 'eth_getBlockByNumber',
    clientCpuPct: +(((cpu1.client - cpu0.client) / wall) * 100).toFixed(0),
    nodeCpuPct: +(((cpu1.node - cpu0.node) / wall) * 100).toFixed(0),
    rejected: errors,
  };
  if (node.target === 'bai') {
    r.blockBuild = blockBuildTimes(node.logFile, logFrom);
    const b = r.blockBuild;
    if (b) log(`bai ${label}: ${b.blocks} non-empty blocks built in p50 ${b.p50ms} ms, p99 ${b.p99ms} ms, max ${b.maxMs} ms (p50 execution ${b.executionP50ms}, state root ${b.stateRootP50ms}, commit ${b.commitP50ms} ms)`);
  }
  const lastBlk = await rpc.call('eth_getBlockByNumber', ['latest', false]);
  r.baseFeeGweiAfter = +(Number(BigInt(lastBlk.baseFeePerGas ?? 0)) / 1e9).toFixed(3);
  log(`${node.target} ${label}: ${r.included}/${N} in ${r.seconds} s = ${r.tps} tx/s (steady ${r.steadyTps ?? '-'}), ${r.blocks} blocks, max ${r.maxTxsPerBlock}/block, client cpu ${r.clientCpuPct}%, node cpu ${r.nodeCpuPct}%${Object.keys(errors).length ? `, rejections ${JSON.stringify(errors)}` : ''}`);
  if (!r.complete) {
    log(`WARNING: ${node.target} ${label} stalled: ${N - included} txs never got a receipt (base fee now ${r.baseFeeGweiAfter} gwei, max fee ${CFG.maxFeeGwei} gwei)`);
    r.missing = await diagnoseMissing(rpc, txs, blocks, start);
    for (const m of r.missing) log(`  missing ${JSON.stringify(m)}`);
  }
  if (failed) log(`WARNING: ${failed} receipts with status != 1`);
  return r;
}

/** A Rust `Duration` as Debug prints it (`11.2ms`, `980.1µs`, `1.2s`, `35ns`) in milliseconds. */
function durationMs(text) {
  const m = /^([\d.]+)(ns|µs|us|ms|s)$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * { ns: 1e-6, µs: 1e-3, us: 1e-3, ms: 1, s: 1000 }[m[2]];
}

/**
 * Build times of the blocks bai sealed since byte `from` of its log (its `sealed block` lines: execution, state
 * root and commit of every non-empty block): count, p50/p99/max of the total and the p50 of each phase.
 */
function blockBuildTimes(logFile, from) {
  const text = readFileSync(logFile).subarray(from).toString('utf8').replace(/\x1b\[[0-9;]*m/g, '');
  const rows = [];
  for (const line of text.split('\n')) {
    if (!line.includes('sealed block')) continue;
    const field = (name) => durationMs(new RegExp(`\\b${name}=(\\S+)`).exec(line)?.[1] ?? '');
    const [execution, stateRoot, commit] = ['execution', 'state_root', 'commit'].map(field);
    if (execution == null || stateRoot == null || commit == null) continue;
    rows.push({ execution, stateRoot, commit, total: execution + stateRoot + commit });
  }
  if (!rows.length) return null;
  const pct = (key, p) => {
    const v = rows.map((x) => x[key]).sort((a, b) => a - b);
    return +v[Math.min(v.length - 1, Math.ceil((p / 100) * v.length) - 1)].toFixed(2);
  };
  return {
    blocks: rows.length, p50ms: pct('total', 50), p99ms: pct('total', 99), maxMs: pct('total', 100),
    executionP50ms: pct('execution', 50), stateRootP50ms: pct('stateRoot', 50), commitP50ms: pct('commit', 50),
  };
}

/** For txs that never got a receipt: what the node knows about them (first 5). */
async function diagnoseMissing(rpc, txs, blocks, start) {
  const seen = new Set();
  const head = Number(await rpc.call('eth_blockNumber'));
  for (let n = start + 1; n <= head; n += 100) {
    const rs = await rpc.batch(Array.from({ length: Math.min(100, head - n + 1) }, (_, k) => ['eth_getBlockReceipts', [ethers.toQuantity(n + k)]]));
    for (const r of rs) for (const x of r.result ?? []) seen.add(x.transactionHash);
  }
  const out = [];
  const pool = await rpc.call('txpool_content').catch(() => null);
  for (const [raw, hash] of txs) {
    if (seen.has(hash)) continue;
    const tx = ethers.Transaction.from(raw);
    const [byHash, rcpt, latest, pending] = (await rpc.batch([
      ['eth_getTransactionByHash', [hash]], ['eth_getTransactionReceipt', [hash]],
      ['eth_getTransactionCount', [tx.from, 'latest']], ['eth_getTransactionCount', [tx.from, 'pending']],
    ])).map((x) => x.result ?? x.error);
    const find = (sec) => Object.entries(pool?.[sec] ?? {}).find(([a]) => a.toLowerCase() === tx.from.toLowerCase())?.[1];
    out.push({
      hash, from: tx.from, nonce: tx.nonce, senderNonceLatest: Number(latest), senderNoncePending: Number(pending),
      knownByHash: !!byHash, blockNumber: byHash?.blockNumber ?? null, receipt: !!rcpt,
      poolPending: Object.keys(find('pending') ?? {}), poolQueued: Object.keys(find('queued') ?? {}),
    });
    if (out.length >= 5) break;
  }
  return out;
}

// ---------------------------------------------------------------- (c) read throughput and latency
/**
 * Minimal keep-alive HTTP/1.1 client on a raw socket: one request at a time per connection, pre-built
 * request bytes, response framed by Content-Length (or chunked). Far cheaper per request than a general
 * client, so the load generator stays off the critical path for fast read methods.
 */
class RawConn {
  constructor(host, port) {
    this.sock = net.connect({ host, port });
    this.sock.setNoDelay(true);
    this.buf = Buffer.alloc(0);
    this.waiter = null;
    this.sock.on('data', (d) => { this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d; this.#drain(); });
    this.sock.on('error', (e) => { const w = this.waiter; this.waiter = null; w?.reject(e); });
    this.sock.on('close', () => { const w = this.waiter; this.waiter = null; w?.reject(new Error('connection closed')); });
    this.ready = new Promise((resolve, reject) => { this.sock.once('connect', resolve); this.sock.once('error', reject); });
  }
  #drain() {
    if (!this.waiter) return;
    const hdrEnd = this.buf.indexOf('\r\n\r\n');
    if (hdrEnd < 0) return;
    const head = this.buf.subarray(0, hdrEnd).toString('latin1');
    const m = /content-length:\s*(\d+)/i.exec(head);
    let body;
    let rest;
    if (m) {
      const len = Number(m[1]);
      if (this.buf.length < hdrEnd + 4 + len) return;
      body = this.buf.subarray(hdrEnd + 4, hdrEnd + 4 + len);
      rest = this.buf.subarray(hdrEnd + 4 + len);
    } else if (/transfer-encoding:\s*chunked/i.test(head)) {
      const term = this.buf.indexOf('\r\n0\r\n\r\n', hdrEnd);
      if (term < 0) return;
      body = this.buf.subarray(hdrEnd + 4, term); // chunk framing left in; callers only look for "result"
      rest = this.buf.subarray(term + 7);
    } else {
      return;
    }
    this.buf = rest.length ? Buffer.from(rest) : Buffer.alloc(0);
    const w = this.waiter;
    this.waiter = null;
    w.resolve({ ok: head.startsWith('HTTP/1.1 200'), body });
  }
  send(reqBytes) {
    return new Promise((resolve, reject) => { this.waiter = { resolve, reject }; this.sock.write(reqBytes); });
  }
  close() { this.sock.destroy(); }
}

function httpRequestBytes(url, body) {
  const u = new URL(url);
  const b = Buffer.from(body);
  return Buffer.concat([Buffer.from(`POST / HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: ${b.length}\r\nConnection: keep-alive\r\n\r\n`), b]);
}

async function reads(url, bodies, label, pidForCpu) {
  const C = CFG.readConcurrency;
  const u = new URL(url);
  const reqs = bodies.map((b) => httpRequestBytes(url, b));
  const conns = Array.from({ length: C }, () => new RawConn(u.hostname, Number(u.port)));
  await Promise.all(conns.map((c) => c.ready));
  const RESULT = Buffer.from('"result"');
  let i = 0;
  const run = async (ms, record) => {
    const lat = [];
    let errs = 0;
    const end = performance.now() + ms;
    await Promise.all(conns.map(async (c) => {
      while (performance.now() < end) {
        const req = reqs[i++ % reqs.length];
        const t = performance.now();
        const r = await c.send(req).catch(() => null);
        if (record) lat.push(performance.now() - t);
        if (!r || !r.ok || r.body.indexOf(RESULT) < 0) errs++;
        if (!r) return;
      }
    }));
    return { lat, errs };
  };
  await run(CFG.readWarmupMs, false);
  const c0 = clientCpu();
  const n0 = pidForCpu ? cpuTicks(pidForCpu) : NaN;
  const t0 = performance.now();
  const { lat, errs } = await run(CFG.readMs, true);
  const secs = (performance.now() - t0) / 1000;
  const c1 = clientCpu();
  const n1 = pidForCpu ? cpuTicks(pidForCpu) : NaN;
  conns.forEach((c) => c.close());
  lat.sort((a, b) => a - b);
  const q = (p) => +lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(3);
  const out = {
    label, concurrency: C, requests: lat.length, errors: errs, rps: +(lat.length / secs).toFixed(0),
    p50ms: q(0.5), p90ms: q(0.9), p99ms: q(0.99), maxMs: +lat.at(-1).toFixed(3),
    clientCpuPct: +(((c1 - c0) / secs) * 100).toFixed(0), nodeCpuPct: Number.isNaN(n1 - n0) ? null : +(((n1 - n0) / secs) * 100).toFixed(0),
  };
  out.clientBound = out.clientCpuPct >= 85; // the load generator (one JS thread) is near a full core
  return out;
}

function readBodies(kind) {
  const addrs = [...ethAddrs, ...ercAddrs];
  return addrs.map((a, i) => JSON.stringify(kind === 'balance'
    ? { jsonrpc: '2.0', id: i, method: 'eth_getBalance', params: [a, 'latest'] }
    : { jsonrpc: '2.0', id: i, method: 'eth_call', params: [{ to: TOKEN, data: erc20.encodeFunctionData('balanceOf', [ercAddrs[i % ercAddrs.length]]) }, 'latest'] }));
}

// ---------------------------------------------------------------- client ceiling against a trivial sink
async function clientCeiling(tmp, ethTxs) {
  const sink = spawn(process.execPath, [join(HERE, 'sink.mjs'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(sink);
  writeFileSync(join(tmp, 'sink.pid'), String(sink.pid));
  const port = await new Promise((resolve) => sink.stdout.on('data', (d) => { const m = /SINK (\d+)/.exec(String(d)); if (m) resolve(Number(m[1])); }));
  const url = `http://127.0.0.1:${port}`;
  const rpc = new Rpc(url, CFG.submitConcurrency + 2);
  const txs = ethTxs.slice(0, Math.min(ethTxs.length, 20000));
  let idx = 0;
  const c0 = clientCpu();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CFG.submitConcurrency }, async () => {
    while (idx < txs.length) {
      const items = txs.slice(idx, idx + CFG.batch);
      idx += items.length;
      await rpc.batch(items.map(([raw]) => ['eth_sendRawTransaction', [raw]]));
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  const submitTps = txs.length / secs;
  const submitCpu = ((clientCpu() - c0) / secs) * 100;
  await rpc.close();
  const rd = await reads(url, readBodies('balance'), 'sink', sink.pid);
  sink.kill('SIGTERM');
  children.delete(sink);
  const r = { submitTps: Math.round(submitTps), submitClientCpuPct: Math.round(submitCpu), readRps: rd.rps, readP50ms: rd.p50ms, readP99ms: rd.p99ms, readClientCpuPct: rd.clientCpuPct };
  log(`client ceiling vs trivial sink: submit ${r.submitTps} tx/s (batches of ${CFG.batch}, ${CFG.submitConcurrency} in flight, client cpu ${r.submitClientCpuPct}%); reads ${r.readRps} req/s at concurrency ${CFG.readConcurrency} (client cpu ${r.readClientCpuPct}%)`);
  return r;
}

// ---------------------------------------------------------------- report
function table(res) {
  const T = CFG.targets;
  const rows = [];
  const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}x` : '-');
  const both = T.includes('anvil') && T.includes('bai');
  const line = (name, get, fmt = (v) => (v == null ? '-' : String(v)), better = 'high') => {
    const vals = T.map((t) => (res.targets[t] ? get(res.targets[t]) : null));
    let rr = '';
    if (both) {
      const a = res.targets.anvil && get(res.targets.anvil);
      const b = res.targets.bai && get(res.targets.bai);
      if (better === 'high') rr = ratio(b, a);
      else if (better === 'low') rr = ratio(a, b);
    }
    rows.push([name, ...vals.map(fmt), rr]);
  };
  line('block time / gas limit', (r) => `${r.blockTime} / ${r.gasLimit}`, undefined, 'none');
  line('native transfers tx/s (send->receipt)', (r) => r.eth?.tps);
  line('  client send time s (all batches answered)', (r) => r.eth?.submitSeconds, undefined, 'none');
  line('  steady-state tx/s (block to block)', (r) => r.eth?.steadyTps);
  line('  txs / max per block / blocks', (r) => r.eth && `${r.eth.included}/${r.eth.maxTxsPerBlock}/${r.eth.blocks}`, undefined, 'none');
  line('  node cpu % / client cpu %', (r) => r.eth && `${r.eth.nodeCpuPct}/${r.eth.clientCpuPct}`, undefined, 'none');
  line('  block build ms p50/p99/max (bai)', (r) => r.eth?.blockBuild && `${r.eth.blockBuild.p50ms}/${r.eth.blockBuild.p99ms}/${r.eth.blockBuild.maxMs}`, undefined, 'none');
  line('ERC-20 transfers tx/s (send->receipt)', (r) => r.erc?.tps);
  line('  client send time s (all batches answered)', (r) => r.erc?.submitSeconds, undefined, 'none');
  line('  steady-state tx/s (block to block)', (r) => r.erc?.steadyTps);
  line('  txs / max per block / blocks', (r) => r.erc && `${r.erc.included}/${r.erc.maxTxsPerBlock}/${r.erc.blocks}`, undefined, 'none');
  line('  block build ms p50/p99/max (bai)', (r) => r.erc?.blockBuild && `${r.erc.blockBuild.p50ms}/${r.erc.blockBuild.p99ms}/${r.erc.blockBuild.maxMs}`, undefined, 'none');
  const star = (x) => (x ? `${x.rps}${x.clientBound ? '*' : ''}` : null);
  line('eth_getBalance req/s', (r) => star(r.getBalance), undefined, 'none');
  rows.at(-1)[rows.at(-1).length - 1] = both ? ratio(res.targets.bai?.getBalance?.rps, res.targets.anvil?.getBalance?.rps) : '';
  line('  p50 ms (lower is better)', (r) => r.getBalance?.p50ms, undefined, 'low');
  line('  p99 ms (lower is better)', (r) => r.getBalance?.p99ms, undefined, 'low');
  line('  node cpu % / client cpu %', (r) => r.getBalance && `${r.getBalance.nodeCpuPct}/${r.getBalance.clientCpuPct}`, undefined, 'none');
  line('eth_call balanceOf req/s', (r) => star(r.call), undefined, 'none');
  rows.at(-1)[rows.at(-1).length - 1] = both ? ratio(res.targets.bai?.call?.rps, res.targets.anvil?.call?.rps) : '';
  line('  p50 ms (lower is better)', (r) => r.call?.p50ms, undefined, 'low');
  line('  p99 ms (lower is better)', (r) => r.call?.p99ms, undefined, 'low');
  line('  node cpu % / client cpu %', (r) => r.call && `${r.call.nodeCpuPct}/${r.call.clientCpuPct}`, undefined, 'none');
  for (const r of rows) if (r.at(-1) === undefined) r[r.length - 1] = '';
  const head = ['', ...T, both ? 'bai/anvil' : ''];
  const all = [head, ...rows];
  const w = head.map((_, c) => Math.max(...all.map((r) => String(r[c] ?? '').length)));
  const fmtRow = (r) => r.map((v, c) => (c === 0 ? String(v ?? '').padEnd(w[c]) : String(v ?? '').padStart(w[c]))).join('  ');
  const sep = w.map((x) => '-'.repeat(x)).join('  ');
  const anyStar = rows.some((r) => r.some((v) => String(v).endsWith('*')));
  return [fmtRow(head), sep, ...rows.map(fmtRow), ...(anyStar ? ['* client-bound: the load generator used >= 85% of a core, so the node may be faster than shown'] : [])].join('\n');
}

// ---------------------------------------------------------------- main
async function main() {
  const tmp = mkdtempSync(join(os.tmpdir(), 'bai-bench-'));
  writeFileSync(join(tmp, 'bench.pid'), String(process.pid));
  // sign for the largest configured size (whatever the targets) so the cache serves every run
  const maxEth = Math.max(...Object.values(CFG.ethTxs));
  const maxErc = Math.max(...Object.values(CFG.ercTxs));
  for (const [k, n] of [['eth', maxEth], ['erc', maxErc]]) {
    if (n > CFG.senders * 1000) throw new Error(`too many ${k} txs per sender`);
  }
  const t0 = Date.now();
  const ethTxs = await presign('eth', maxEth);
  const ercTxs = await presign('erc', maxErc);
  const res = {
    date: new Date().toISOString(),
    machine: { host: os.hostname(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: +(os.totalmem() / 2 ** 30).toFixed(1), node: process.version },
    config: { ...CFG, maxFeeGwei: String(CFG.maxFeeGwei), tipGwei: String(CFG.tipGwei) },
    client: await clientCeiling(tmp, ethTxs),
    targets: {},
  };
  let failed = false;
  for (const target of CFG.targets) {
    const node = await startNode(target, tmp);
    const gasLimit = Number(BigInt((await node.rpc.call('eth_getBlockByNumber', ['latest', false])).gasLimit));
    const btSec = node.blockTime.endsWith('ms') ? Number(node.blockTime.slice(0, -2)) / 1000 : Number(node.blockTime.replace(/s$/, ''));
    const r = { command: node.args, version: node.version, blockTime: node.blockTime, gasLimit, transferCeilingTps: Math.floor(gasLimit / 21000 / btSec) };
    log(`${target}: ${node.version}; block time ${node.blockTime}, gas limit ${gasLimit} -> at most ${r.transferCeilingTps} native transfers/s by gas`);
    try {
      r.setup = await setup(node);
      r.eth = await throughput(node, ethTxs.slice(0, CFG.ethTxs[target]), 'native transfers');
      r.erc = await throughput(node, ercTxs.slice(0, CFG.ercTxs[target]), 'ERC-20 transfers');
      r.getBalance = await reads(node.url, readBodies('balance'), 'eth_getBalance', node.proc.pid);
      log(`${target} eth_getBalance: ${r.getBalance.rps} req/s, p50 ${r.getBalance.p50ms} ms, p99 ${r.getBalance.p99ms} ms (errors ${r.getBalance.errors}; node cpu ${r.getBalance.nodeCpuPct}%, client cpu ${r.getBalance.clientCpuPct}%)`);
      r.call = await reads(node.url, readBodies('call'), 'eth_call balanceOf', node.proc.pid);
      log(`${target} eth_call balanceOf: ${r.call.rps} req/s, p50 ${r.call.p50ms} ms, p99 ${r.call.p99ms} ms (errors ${r.call.errors}; node cpu ${r.call.nodeCpuPct}%, client cpu ${r.call.clientCpuPct}%)`);
      if (!r.eth.complete || !r.erc.complete || r.getBalance.errors || r.call.errors) failed = true;
    } catch (e) {
      r.error = String(e.stack ?? e);
      failed = true;
      log(`${target} FAILED: ${e.message} (node log ${node.logFile})`);
    } finally {
      await node.stop();
    }
    res.targets[target] = r;
  }
  if (res.targets.anvil && res.targets.bai) {
    const a = res.targets.anvil;
    const b = res.targets.bai;
    const div = (x, y) => (x && y ? +(x / y).toFixed(3) : null);
    res.ratios = {
      nativeTransferTps: div(b.eth?.tps, a.eth?.tps),
      erc20TransferTps: div(b.erc?.tps, a.erc?.tps),
      getBalanceRps: div(b.getBalance?.rps, a.getBalance?.rps),
      getBalanceP99: div(b.getBalance?.p99ms, a.getBalance?.p99ms),
      callRps: div(b.call?.rps, a.call?.rps),
      callP99: div(b.call?.p99ms, a.call?.p99ms),
    };
  }
  res.totalSeconds = Math.round((Date.now() - t0) / 1000);
  const times = Object.values(res.targets).map((r) => r.blockTime.endsWith('ms') ? Number(r.blockTime.slice(0, -2)) / 1000 : Number(r.blockTime.replace(/s$/, '')));
  const gas = Object.values(res.targets).map((r) => r.gasLimit);
  res.likeForLike = new Set(times).size <= 1 && new Set(gas).size <= 1;
  if (!res.likeForLike) log(`NOTE: not like for like (block times ${times.join(' vs ')} s, gas limits ${gas.join(' vs ')}): do not report these as a ratio`);
  console.log(`\n=== bai vs anvil (${res.machine.cpus} cpus, ${res.machine.cpuModel}; ${res.date}) ===`);
  console.log(table(res));
  console.log(`client ceiling (trivial sink): submit ${res.client.submitTps} tx/s, reads ${res.client.readRps} req/s; total ${res.totalSeconds} s`);
  mkdirSync(dirname(CFG.out), { recursive: true });
  writeFileSync(CFG.out, `${JSON.stringify(res, null, 2)}\n`);
  log(`results written to ${CFG.out}`);
  if (!failed) rmSync(tmp, { recursive: true, force: true });
  else log(`node logs kept in ${tmp}`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => { console.error(e); killAll(); process.exit(1); });
