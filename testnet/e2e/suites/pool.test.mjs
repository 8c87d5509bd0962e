// Mempool under load (node --test): many senders submit nonce-ordered transfers in JSON-RPC batches while
// the node builds a block every 100 ms, so transactions keep arriving while their predecessors are being
// executed and committed. Every accepted tx must end up in a block; nothing may stay queued once its
// nonce is the account's nonce. (This is a small version of what the benchmark does.)
// Env: RPC_URL, TARGET; run.sh starts the node with --block-time 100ms for this suite.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { ethers, CHAIN_ID, GWEI, ETHER, devWallet, derivedWallet, rpc, rpcBatch, sleep, artifact } from '../lib/common.mjs';

const SENDERS = Number(process.env.POOL_SENDERS || 200);
const PER_SENDER = Number(process.env.POOL_TXS_PER_SENDER || 15);
const BATCH = 100;
const IN_FLIGHT = 4;
const senders = Array.from({ length: SENDERS }, (_, i) => derivedWallet('pool', i));
const sinks = Array.from({ length: 16 }, (_, i) => derivedWallet('pool-to', i).address);
after(() => {});

const batch = (calls) => rpcBatch(calls);

async function waitMined(hashes, timeoutMs) {
  const t0 = Date.now();
  for (;;) {
    const rs = [];
    for (let i = 0; i < hashes.length; i += 100) rs.push(...(await batch(hashes.slice(i, i + 100).map((h) => ['eth_getTransactionReceipt', [h]]))));
    if (rs.every((r) => r.result)) return rs.map((r) => r.result);
    if (Date.now() - t0 > timeoutMs) return null;
    await sleep(200);
  }
}

test(`${SENDERS} senders x ${PER_SENDER} nonce-ordered transfers, batched, 100 ms blocks: all are mined`, { timeout: 180000 }, async () => {
  // fund the senders through a disperser (2 txs) from dev account 0
  const dev0 = devWallet(0);
  const base = BigInt((await rpc('eth_getBlockByNumber', ['latest', false])).baseFeePerGas);
  const fee = { maxFeePerGas: base * 50n + 2n * GWEI, maxPriorityFeePerGas: GWEI };
  let n0 = Number(await rpc('eth_getTransactionCount', [dev0.address, 'pending']));
  const disperseAddr = ethers.getCreateAddress({ from: dev0.address, nonce: n0 });
  const setup = [await dev0.signTransaction({ type: 2, chainId: CHAIN_ID, nonce: n0++, data: artifact('Disperse', 'BenchKit.sol').bytecode, gasLimit: 1_000_000n, ...fee })];
  const iface = new ethers.Interface(['function disperse(address[] to, uint256 each) payable']);
  for (let i = 0; i < SENDERS; i += 100) {
    const chunk = senders.slice(i, i + 100).map((w) => w.address);
    setup.push(await dev0.signTransaction({ type: 2, chainId: CHAIN_ID, nonce: n0++, to: disperseAddr, value: ETHER * BigInt(chunk.length), data: iface.encodeFunctionData('disperse', [chunk, ETHER]), gasLimit: BigInt(60_000 + 40_000 * chunk.length), ...fee }));
  }
  const sh = [];
  for (const raw of setup) sh.push(await rpc('eth_sendRawTransaction', [raw]));
  const sr = await waitMined(sh, 30000);
  assert.ok(sr && sr.every((r) => r.status === '0x1'), 'funding succeeded');

  // pre-sign round-major: nonce r of every sender before nonce r+1
  const txs = [];
  for (let r = 0; r < PER_SENDER; r++) {
    for (let s = 0; s < SENDERS; s++) {
      const tx = ethers.Transaction.from({ type: 2, chainId: CHAIN_ID, nonce: r, to: sinks[(s + r) % sinks.length], value: 1n, gasLimit: 21000n, ...fee });
      tx.signature = senders[s].signingKey.sign(tx.unsignedHash);
      txs.push([tx.serialized, tx.hash, s, r]);
    }
  }
  // submit: batches of 100, 4 requests in flight
  let next = 0;
  const rejected = [];
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < txs.length) {
      const items = txs.slice(next, next + BATCH);
      next += items.length;
      const res = await batch(items.map(([raw]) => ['eth_sendRawTransaction', [raw]]));
      res.forEach((r, k) => { if (!r.result) rejected.push([items[k][3], r.error?.message]); });
    }
  }));
  assert.deepEqual(rejected.slice(0, 5), [], `all ${txs.length} txs accepted`);

  const mined = await waitMined(txs.map(([, h]) => h), 30000);
  if (!mined) {
    // say what is stuck and where the pool keeps it
    const missing = [];
    const pool = await rpc('txpool_content').catch(() => ({}));
    for (let i = 0; i < txs.length && missing.length < 5; i += 100) {
      const rs = await batch(txs.slice(i, i + 100).map(([, h]) => ['eth_getTransactionReceipt', [h]]));
      rs.forEach((r, k) => {
        if (r.result || missing.length >= 5) return;
        const [, hash, s, nonce] = txs[i + k];
        const a = senders[s].address;
        const q = (sec) => Object.keys(Object.entries(pool[sec] ?? {}).find(([x]) => x.toLowerCase() === a.toLowerCase())?.[1] ?? {});
        missing.push({ hash, sender: a, nonce, poolPending: q('pending'), poolQueued: q('queued') });
      });
    }
    for (const m of missing) m.accountNonce = Number(await rpc('eth_getTransactionCount', [m.sender, 'latest']));
    // does one more tx from the same sender unstick it?
    const m0 = missing[0];
    const w = senders.find((x) => x.address === m0.sender);
    const extra = await w.signTransaction({ type: 2, chainId: CHAIN_ID, nonce: PER_SENDER, to: sinks[0], value: 1n, gasLimit: 21000n, ...fee });
    const eh = await rpc('eth_sendRawTransaction', [extra]);
    const unstuck = await waitMined([m0.hash, eh], 10000);
    const note = unstuck ? `one more tx from ${m0.sender} (nonce ${PER_SENDER}) got both mined` : `one more tx from ${m0.sender} did not help`;
    assert.fail(`txs accepted but never mined within 30 s; ${note}. First ${missing.length} stuck (first ${missing.length}): ${JSON.stringify(missing)}; txpool_status ${JSON.stringify(await rpc('txpool_status'))}`);
  }
  assert.ok(mined.every((r) => r.status === '0x1'), 'all succeeded');
  const nonces = await batch(senders.map((w) => ['eth_getTransactionCount', [w.address, 'latest']]));
  assert.ok(nonces.every((r) => Number(r.result) === PER_SENDER), 'every sender nonce advanced by exactly its tx count');
  const st = await rpc('txpool_status');
  assert.equal(Number(st.pending), 0, 'pool drained (pending)');
  assert.equal(Number(st.queued), 0, 'pool drained (queued)');
});
