// Crash-safety suite (node --test): 200 ms blocks, a stream of transfers from several accounts, every receipt
// collected, `kill -9` at a random point under load (uniform over 1–3 s of load, so over every phase of block
// building: execution, state root, the pipelined write of the sealed block while the next one executes, the
// head's publication after it lands), restart on the same datadir, then:
//   - the last head seen before the kill is still canonical with the same hash and state root (or a later
//     head exists on top of it), and every earlier head seen is still canonical;
//   - every tx that had a receipt still has an identical one (blockHash, blockNumber, index, status, gasUsed,
//     cumulativeGasUsed, logs);
//   - balances/nonces are consistent with exactly the set of txs that are included after restart;
//   - each round checks what it sent and saw; earlier rounds stay covered through the hash chain (the last head
//     seen must keep its hash, which commits to every earlier block, its receipts and its state);
//   - the node keeps producing blocks and accepts new txs.
// Repeated CRASH_ROUNDS times (default 20). TARGET=anvil runs a graceful variant (SIGTERM + --state) only
// to exercise the harness: anvil has no crash-safe storage.
// Env: TARGET, BAI_BIN, E2E_TMP, CRASH_ROUNDS, CRASH_LOAD_MS.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { ethers, IS_BAI, GWEI, ETHER, devWallet, derivedWallet, sleep, feePaid, rpcAt, rpcBatch, receiptSummary } from '../lib/common.mjs';
import { startNode } from '../lib/node.mjs';

const ROUNDS = Number(process.env.CRASH_ROUNDS || 20);
const LOAD_MS = Number(process.env.CRASH_LOAD_MS || 1000); // plus up to 2 s of random jitter
const BLOCK_TIME = process.env.CRASH_BLOCK_TIME || '200ms';
// Storage is under test, not inference: without models a debug build restarts in about a second, not 30.
const NODE_ARGS = IS_BAI ? ['--inference.disable'] : [];
const SIGNAL = process.env.CRASH_SIGNAL || (IS_BAI ? 'SIGKILL' : 'SIGTERM');
const SENDERS = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => devWallet(i));
const INITIAL = 10000n * ETHER;
const PIPELINE = 12; // outstanding txs per sender (under a 16-slot per-account pool limit)

let node;
after(async () => { await node?.stop(); });

const call = rpcAt;
const batch = (url, calls) => rpcBatch(calls, { url });

const sent = new Map(); // hash -> { sender, nonce, to, value }
const receipts = new Map(); // hash -> receipt as first seen
const heads = new Map(); // number -> { hash, stateRoot }
let lastHead = null;
const nextNonce = new Map(SENDERS.map((w) => [w.address, 0]));
const unreceipted = new Map(SENDERS.map((w) => [w.address, new Set()])); // sender -> hashes sent without a receipt yet

/** Runs load until `stopAt`, tracking heads and receipts; returns when the deadline passes (node still alive). */
async function load(url, stopAt) {
  let running = true;
  const base = BigInt((await call(url, 'eth_getBlockByNumber', ['latest', false])).baseFeePerGas);
  const maxFeePerGas = base * 20n + GWEI;
  const senderLoop = async (w) => {
    while (running) {
      if (unreceipted.get(w.address).size >= PIPELINE) { await sleep(20); continue; }
      const nonce = nextNonce.get(w.address);
      const to = derivedWallet('crash-to', `${w.address}-${nonce}`).address;
      const value = 1_000_000n + BigInt(nonce);
      const raw = await w.signTransaction({ type: 2, chainId: 2977n, nonce, to, value, gasLimit: 21000n, maxFeePerGas, maxPriorityFeePerGas: GWEI });
      let hash;
      try {
        hash = await call(url, 'eth_sendRawTransaction', [raw]);
      } catch (e) {
        if (!running) return;
        throw e;
      }
      sent.set(hash, { sender: w.address, nonce, to, value });
      unreceipted.get(w.address).add(hash);
      nextNonce.set(w.address, nonce + 1);
    }
  };
  const tracker = async () => {
    while (running) {
      try {
        const b = await call(url, 'eth_getBlockByNumber', ['latest', false]);
        heads.set(Number(b.number), { hash: b.hash, stateRoot: b.stateRoot });
        if (!lastHead || Number(b.number) >= lastHead.number) lastHead = { number: Number(b.number), hash: b.hash, stateRoot: b.stateRoot };
        const pending = [...unreceipted.values()].flatMap((set) => [...set]);
        const res = await batch(url, pending.map((h) => ['eth_getTransactionReceipt', [h]]));
        res.forEach((r, i) => {
          if (!r?.result) return;
          receipts.set(pending[i], receiptSummary(r.result));
          unreceipted.get(sent.get(pending[i]).sender).delete(pending[i]);
        });
      } catch (e) {
        if (running) throw e;
      }
      await sleep(60);
    }
  };
  const errors = [];
  const loops = [...SENDERS.map(senderLoop), tracker()].map((p) => p.catch((e) => { errors.push(e); }));
  while (Date.now() < stopAt && !errors.length) await sleep(20);
  if (errors.length) { running = false; await Promise.all(loops); throw errors[0]; }
  return {
    // stops the loops (synchronously flips the flag) and returns a promise for their end
    stop: () => { running = false; return Promise.all(loops).then(() => { if (errors.length) throw errors[0]; }); },
  };
}

// What earlier rounds settled, per sender: the next nonce and what its included txs spent (value + fee).
const settled = new Map(SENDERS.map((w) => [w.address, { nonce: 0, spent: 0n }]));

/**
 * After a restart. Each round checks the txs sent and heads seen since the previous kill; earlier rounds stay
 * covered because the last head seen before this kill must keep its hash, and a block hash commits to every
 * earlier block (and so to the receipts and state the earlier rounds checked).
 */
async function verifyAfterRestart(url, round) {
  const head = Number(await call(url, 'eth_blockNumber'));
  assert.ok(lastHead, 'saw at least one head before the kill');
  assert.ok(head >= lastHead.number, `restarted head ${head} >= last head seen before the kill ${lastHead.number}`);
  const b = await call(url, 'eth_getBlockByNumber', [ethers.toQuantity(lastHead.number), false]);
  assert.equal(b.hash, lastHead.hash, `block ${lastHead.number}: same hash after restart`);
  assert.equal(b.stateRoot, lastHead.stateRoot, `block ${lastHead.number}: same state root after restart`);
  // (anvil regenerates its genesis block when it loads --state, so block 0 is only compared on bai)
  const nums = [...heads.keys()].filter((n) => IS_BAI || n > 0);
  const res = await batch(url, nums.map((n) => ['eth_getBlockByNumber', [ethers.toQuantity(n), false]]));
  nums.forEach((n, i) => {
    assert.equal(res[i].result?.hash, heads.get(n).hash, `head ${n} seen before the kill is still canonical`);
    assert.equal(res[i].result?.stateRoot, heads.get(n).stateRoot, `head ${n} state root unchanged`);
  });
  // every receipt obtained before the kill is still there, identical
  const hashes = [...receipts.keys()];
  const rr = await batch(url, hashes.map((h) => ['eth_getTransactionReceipt', [h]]));
  hashes.forEach((h, i) => {
    assert.ok(rr[i].result, `round ${round}: receipt of ${h} (had one before the kill) is still there`);
    assert.deepEqual(receiptSummary(rr[i].result), receipts.get(h), `receipt of ${h} identical after restart`);
  });
  // the node keeps producing blocks
  const t0 = Date.now();
  while (Number(await call(url, 'eth_blockNumber')) < head + 3) {
    assert.ok(Date.now() - t0 < 15000, 'node produces blocks after restart');
    await sleep(100);
  }
  // consistency: balances and nonces match exactly the set of txs that are included now
  const all = [...sent.entries()];
  const now = await batch(url, all.map(([h]) => ['eth_getTransactionReceipt', [h]]));
  const included = new Map();
  all.forEach(([h], i) => { if (now[i].result) included.set(h, now[i].result); });
  for (const w of SENDERS) {
    const before = settled.get(w.address);
    const mine = all.filter(([, t]) => t.sender === w.address);
    const inc = mine.filter(([h]) => included.has(h)).map(([, t]) => t.nonce).sort((a, b) => a - b);
    const nonce = Number(await call(url, 'eth_getTransactionCount', [w.address, 'latest']));
    const expected = Array.from({ length: nonce - before.nonce }, (_, i) => before.nonce + i);
    assert.deepEqual(inc, expected, `${w.address}: included nonces are exactly ${before.nonce}..${nonce - 1}`);
    let spent = before.spent;
    for (const [h, t] of mine) if (included.has(h)) spent += t.value + feePaid(included.get(h));
    assert.equal(BigInt(await call(url, 'eth_getBalance', [w.address, 'latest'])), INITIAL - spent, `${w.address}: balance = initial - values - fees of included txs`);
    settled.set(w.address, { nonce, spent });
  }
  const bals = await batch(url, all.map(([, t]) => ['eth_getBalance', [t.to, 'latest']]));
  all.forEach(([h, t], i) => {
    assert.equal(BigInt(bals[i].result), included.has(h) ? t.value : 0n, `recipient of ${h} holds ${included.has(h) ? 'the value' : 'nothing'}`);
  });
  // txs lost from the pool at the kill are forgotten: resend from the latest nonce. The next round starts
  // from the head seen now.
  for (const w of SENDERS) nextNonce.set(w.address, settled.get(w.address).nonce);
  sent.clear();
  receipts.clear();
  for (const set of unreceipted.values()) set.clear();
  const latest = await call(url, 'eth_getBlockByNumber', ['latest', false]);
  heads.clear();
  lastHead = { number: Number(latest.number), hash: latest.hash, stateRoot: latest.stateRoot };
  heads.set(lastHead.number, { hash: lastHead.hash, stateRoot: lastHead.stateRoot });
  return { head, included: included.size, lost: all.length - included.size };
}

test(`crash safety: ${ROUNDS} rounds of load + ${SIGNAL} + restart on the same datadir`, { timeout: 900000 }, async () => {
  node = await startNode({ name: 'crash', blockTime: BLOCK_TIME, extraArgs: NODE_ARGS });
  const datadir = node.datadir;
  let unseenHeads = 0; // rounds where the kill came after a block was committed but before anyone saw it
  for (let round = 1; round <= ROUNDS; round++) {
    const jitter = Math.floor(Math.random() * 2000);
    const l = await load(node.url, Date.now() + LOAD_MS + jitter);
    const beforeKill = { head: lastHead?.number, sent: sent.size, receipts: receipts.size };
    const stopped = l.stop(); // requests already in flight keep going while the node dies
    await node.kill(SIGNAL);
    await stopped;
    console.log(`  round ${round}: ${SIGNAL} at head ${beforeKill.head} with ${beforeKill.sent} txs sent, ${beforeKill.receipts} receipts seen`);
    assert.ok(beforeKill.receipts > 20, `load produced receipts before the kill (${beforeKill.receipts})`);
    node = await startNode({ name: 'crash', blockTime: BLOCK_TIME, datadir, extraArgs: NODE_ARGS });
    const v = await verifyAfterRestart(node.url, round);
    if (v.head > beforeKill.head) unseenHeads++;
    console.log(`  round ${round}: restarted at head ${v.head}; ${v.included} txs included, ${v.lost} lost from the pool (never had receipts)`);
  }
  console.log(`  ${ROUNDS} kills: ${unseenHeads} came after a commit nobody had seen yet, ${ROUNDS - unseenHeads} at or before the last seen head`);
  // and a final plain transfer is accepted and mined
  const w = SENDERS[0];
  const base = BigInt((await call(node.url, 'eth_getBlockByNumber', ['latest', false])).baseFeePerGas);
  const raw = await w.signTransaction({ type: 2, chainId: 2977n, nonce: nextNonce.get(w.address), to: derivedWallet('crash-final', 0).address, value: 5n, gasLimit: 21000n, maxFeePerGas: base * 4n + GWEI, maxPriorityFeePerGas: GWEI });
  const h = await call(node.url, 'eth_sendRawTransaction', [raw]);
  const t0 = Date.now();
  let r;
  while (!(r = await call(node.url, 'eth_getTransactionReceipt', [h]))) { assert.ok(Date.now() - t0 < 15000, 'final tx mined'); await sleep(100); }
  assert.equal(r.status, '0x1');
});
