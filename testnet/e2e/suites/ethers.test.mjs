// ethers v6 suite (node --test): deploy, transfers, eth_getLogs, WebSocket subscriptions, the filters
// API, eth_feeHistory, batch requests, pending nonces with queued txs, replacement by fee bump,
// eth_sendRawTransactionSync, and a tour of the rest of the read API (proofs verified independently).
// Env: RPC_URL, WS_URL, TARGET=bai|anvil.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ethers, RPC_URL, WS_URL, IS_BAI, CHAIN_ID, GWEI, ETHER, L1_ATTRIBUTES_DEPOSITOR, L1_BLOCK_PREDEPLOY,
  devWallet, derivedWallet, rpc, rpcRaw, post, waitFor, waitReceipt, waitBlocks, feePaid, artifact, sleep,
  signTransfer, errorMatches, jsonRpc
} from '../lib/common.mjs';
import { WsRpc } from '../lib/ws.mjs';
import { verifyMptProof } from '../lib/mpt.mjs';

const provider = jsonRpc(RPC_URL, { chainId: Number(CHAIN_ID), name: 'bai' }, { batchMaxCount: 1 });
const deployer = devWallet(3, provider);
const alice = devWallet(4, provider); // transfers
const bob = devWallet(5, provider); // second log emitter
const funder = devWallet(6, provider);
const probeArt = artifact('Probe');
const probeIface = new ethers.Interface(probeArt.abi);
const PING = probeIface.getEvent('Ping').topicHash;
const pad = (addr) => ethers.zeroPadValue(addr, 32);
const u256 = (n) => ethers.toBeHex(n, 32);

let probe; // Contract
let probe2;
let deployBlock;
const ws = { client: null };

async function ping(contract, wallet, note) {
  const tx = await contract.connect(wallet).ping(note);
  const r = await tx.wait();
  assert.equal(r.status, 1, `ping(${note}) succeeded`);
  return r;
}

/** Funds fresh keys from the funder account; returns the wallets. */
async function freshFunded(tag, n, amount = 5n * ETHER) {
  const ws_ = Array.from({ length: n }, (_, i) => derivedWallet(`ethers-${tag}`, i, provider));
  const base = await funder.getNonce('pending');
  const txs = await Promise.all(ws_.map((w, i) => funder.sendTransaction({ to: w.address, value: amount, nonce: base + i })));
  await Promise.all(txs.map((t) => t.wait()));
  return ws_;
}

before(async () => {
  assert.equal((await provider.getNetwork()).chainId, CHAIN_ID);
});

after(async () => {
  ws.client?.close();
  provider.destroy();
});

test('deploy a contract with ContractFactory', async () => {
  const factory = new ethers.ContractFactory(probeArt.abi, probeArt.bytecode, deployer);
  probe = await factory.deploy();
  const rcpt = await probe.deploymentTransaction().wait();
  assert.equal(rcpt.status, 1);
  deployBlock = rcpt.blockNumber;
  const addr = await probe.getAddress();
  assert.equal(addr, ethers.getCreateAddress({ from: deployer.address, nonce: 0 }));
  assert.equal(rcpt.contractAddress, addr);
  assert.equal(await provider.getCode(addr), probeArt.deployedBytecode);
  assert.equal(await probe.counter(), 0n);
  probe2 = await factory.deploy();
  await probe2.waitForDeployment();
});

test('value transfers: exact balances, fees and receipt fields', async () => {
  const recipients = [1n, 2n, 3n].map((i) => derivedWallet('ethers-recipient', Number(i)).address);
  const values = [ETHER, 2n * ETHER + 1n, 3n * ETHER + 12345n];
  const before_ = await provider.getBalance(alice.address);
  const nonce0 = await alice.getNonce('pending');
  const sent = [];
  for (let i = 0; i < 3; i++) sent.push(await alice.sendTransaction({ to: recipients[i], value: values[i], nonce: nonce0 + i }));
  const rcpts = await Promise.all(sent.map((t) => t.wait()));
  let paid = 0n;
  for (let i = 0; i < 3; i++) {
    const r = rcpts[i];
    const raw = await rpc('eth_getTransactionReceipt', [r.hash]);
    assert.equal(raw.status, '0x1');
    assert.equal(BigInt(raw.gasUsed), 21000n);
    assert.equal(raw.from.toLowerCase(), alice.address.toLowerCase());
    assert.equal(raw.to.toLowerCase(), recipients[i].toLowerCase());
    assert.equal(raw.contractAddress, null);
    assert.deepEqual(raw.logs, []);
    assert.ok(BigInt(raw.cumulativeGasUsed) >= BigInt(raw.gasUsed));
    const blk = await rpc('eth_getBlockByNumber', [raw.blockNumber, false]);
    const tx = await rpc('eth_getTransactionByHash', [r.hash]);
    assert.equal(BigInt(tx.chainId), CHAIN_ID);
    assert.equal(tx.type, '0x2');
    assert.equal(Number(tx.nonce), nonce0 + i);
    assert.equal(BigInt(tx.value), values[i]);
    assert.equal(tx.blockHash, raw.blockHash);
    assert.equal(tx.transactionIndex, raw.transactionIndex);
    const expectPrice = [BigInt(tx.maxFeePerGas), BigInt(blk.baseFeePerGas) + BigInt(tx.maxPriorityFeePerGas)].reduce((a, b) => (a < b ? a : b));
    assert.equal(BigInt(raw.effectiveGasPrice), expectPrice, 'effectiveGasPrice = min(maxFee, baseFee + tip)');
    if (IS_BAI) {
      for (const f of ['l1Fee', 'l1GasUsed', 'l1GasPrice']) assert.ok(raw[f] != null, `OP receipt field ${f}`);
      assert.ok(Number(raw.transactionIndex) >= 1, 'user tx comes after the L1-attributes deposit');
    }
    paid += values[i] + feePaid(raw);
    assert.equal(await provider.getBalance(recipients[i]), values[i], 'recipient balance is exact');
  }
  assert.equal(before_ - (await provider.getBalance(alice.address)), paid, 'sender paid values + L2 fees + L1 fees');
});

test('OP block shape: L1-attributes deposit first in every block', { skip: !IS_BAI && 'anvil has no deposit txs' }, async () => {
  const n = await provider.getBlockNumber();
  for (const num of [n, n - 1, 1]) {
    const blk = await rpc('eth_getBlockByNumber', [ethers.toQuantity(num), true]);
    assert.ok(blk.transactions.length >= 1, `block ${num} has the deposit`);
    const d = blk.transactions[0];
    assert.equal(d.type, '0x7e');
    assert.equal(d.from.toLowerCase(), L1_ATTRIBUTES_DEPOSITOR);
    assert.equal(d.to.toLowerCase(), L1_BLOCK_PREDEPLOY);
    assert.equal(d.transactionIndex, '0x0');
    const r = await rpc('eth_getTransactionReceipt', [d.hash]);
    assert.equal(r.status, '0x1');
    assert.equal(r.type, '0x7e');
    assert.ok(r.depositNonce != null, 'deposit receipt carries depositNonce');
  }
});

test('eth_getLogs: address, topics (AND/OR, positional), block range, blockHash', async () => {
  const ra = await ping(probe, deployer, 'a');
  const rb = await ping(probe, deployer, 'b');
  const rc = await ping(probe, bob, 'c');
  await ping(probe2, deployer, 'z');
  const from = ethers.toQuantity(deployBlock);
  const q = (f) => rpc('eth_getLogs', [{ fromBlock: from, toBlock: 'latest', ...f }]);
  const addr = await probe.getAddress();
  const addr2 = await probe2.getAddress();

  const all = await q({ address: addr });
  assert.equal(all.length, 3);
  const parsed = all.map((l) => probeIface.parseLog(l));
  assert.deepEqual(parsed.map((p) => p.args.note), ['a', 'b', 'c']);
  assert.deepEqual(parsed.map((p) => p.args.n), [1n, 2n, 3n]);
  assert.deepEqual(parsed.map((p) => p.args.from), [deployer.address, deployer.address, bob.address]);
  assert.equal(all[0].transactionHash, ra.hash);
  assert.equal(all[0].blockHash, ra.blockHash);
  assert.equal(Number(all[0].blockNumber), ra.blockNumber);
  assert.equal(all[0].removed, false);
  assert.equal(Number(all[0].logIndex), ra.logs[0].index);
  for (let i = 1; i < all.length; i++) {
    const a = [Number(all[i - 1].blockNumber), Number(all[i - 1].logIndex)];
    const b = [Number(all[i].blockNumber), Number(all[i].logIndex)];
    assert.ok(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]), 'logs are ordered');
  }
  assert.equal((await q({ address: [addr, addr2] })).length, 4, 'address list');
  assert.equal((await q({ topics: [PING] })).length, 4, 'topic0 without address');
  assert.equal((await q({ address: addr, topics: [PING, pad(deployer.address)] })).length, 2, 'topic1 = deployer');
  assert.equal((await q({ address: addr, topics: [PING, [pad(deployer.address), pad(bob.address)]] })).length, 3, 'topic1 OR');
  const second = await q({ address: addr, topics: [null, null, u256(2)] });
  assert.equal(second.length, 1, 'null wildcard + topic2');
  assert.equal(probeIface.parseLog(second[0]).args.note, 'b');
  assert.equal((await q({ address: addr, topics: [ethers.id('Nope()')] })).length, 0, 'unknown topic0');
  const cBlock = ethers.toQuantity(rc.blockNumber);
  assert.equal((await rpc('eth_getLogs', [{ address: addr, fromBlock: cBlock, toBlock: cBlock }])).length, 1, 'single-block range');
  const after = ethers.toQuantity(rc.blockNumber + 1);
  assert.equal((await rpc('eth_getLogs', [{ address: addr, fromBlock: after, toBlock: 'latest' }])).length, 0, 'range after the last log');
  const byHash = await rpc('eth_getLogs', [{ blockHash: rb.blockHash, address: addr }]);
  assert.deepEqual(byHash.map((l) => l.transactionHash), [rb.hash], 'blockHash filter');
  // ethers' own getLogs path
  const viaEthers = await probe.queryFilter(probe.filters.Ping(bob.address), deployBlock, 'latest');
  assert.equal(viaEthers.length, 1);
  assert.equal(viaEthers[0].args.note, 'c');
});

test('WebSocket eth_subscribe newHeads: consecutive heads, chained, matching eth_getBlockByNumber', async () => {
  ws.client = await WsRpc.connect(WS_URL);
  assert.equal(await ws.client.request('eth_chainId'), '0xba1');
  const sub = await ws.client.subscribe('newHeads');
  const heads = await ws.client.take(sub, 4, { timeoutMs: 20000 });
  for (let i = 0; i < heads.length; i++) {
    const h = heads[i];
    for (const f of ['number', 'hash', 'parentHash', 'stateRoot', 'timestamp', 'gasLimit', 'logsBloom', 'miner']) assert.ok(h[f] != null, `head has ${f}`);
    const blk = await rpc('eth_getBlockByNumber', [h.number, false]);
    assert.equal(h.hash, blk.hash, `head ${Number(h.number)} hash matches`);
    assert.equal(h.stateRoot, blk.stateRoot);
    if (i > 0) {
      assert.equal(Number(h.number), Number(heads[i - 1].number) + 1, 'heads are consecutive');
      assert.equal(h.parentHash, heads[i - 1].hash, 'heads chain by parentHash');
    }
  }
  assert.equal(await ws.client.request('eth_unsubscribe', [sub]), true);
});

test('WebSocket eth_subscribe logs: only logs matching the filter arrive', async () => {
  const c = ws.client;
  const addr = await probe.getAddress();
  const sub = await c.subscribe('logs', { address: addr, topics: [PING, pad(deployer.address)] });
  await ping(probe, bob, 'ws-other-sender');
  await ping(probe2, deployer, 'ws-other-contract');
  const r1 = await ping(probe, deployer, 'ws-1');
  const r2 = await ping(probe, deployer, 'ws-2');
  const got = await c.take(sub, 2, { timeoutMs: 20000 });
  await waitBlocks(1);
  await sleep(300);
  assert.equal(c.items(sub).length, 2, `exactly the 2 matching logs arrived: ${JSON.stringify(c.items(sub).map((l) => l.transactionHash))}`);
  assert.deepEqual(got.map((l) => probeIface.parseLog(l).args.note), ['ws-1', 'ws-2']);
  assert.deepEqual(got.map((l) => l.transactionHash), [r1.hash, r2.hash]);
  assert.deepEqual(got.map((l) => l.blockHash), [r1.blockHash, r2.blockHash]);
  for (const l of got) {
    assert.equal(l.address.toLowerCase(), addr.toLowerCase());
    assert.equal(l.removed, false);
  }
  assert.equal(await c.request('eth_unsubscribe', [sub]), true);
});

test('WebSocket eth_subscribe newPendingTransactions delivers the hash of a submitted tx', async () => {
  const c = ws.client;
  const sub = await c.subscribe('newPendingTransactions');
  const tx = await bob.sendTransaction({ to: derivedWallet('ethers-pending', 0).address, value: 1n });
  await c.take(sub, 1, { timeoutMs: 15000, pred: (h) => (typeof h === 'string' ? h : h.hash) === tx.hash });
  await tx.wait();
  assert.equal(await c.request('eth_unsubscribe', [sub]), true);
  const bad = await c.request('eth_unsubscribe', ['0x1234']).catch((e) => e);
  assert.ok(bad === false || bad instanceof Error, 'unsubscribing an unknown id is false or an error');
});

test('filters API: newFilter/getFilterChanges/getFilterLogs/newBlockFilter/newPendingTransactionFilter/uninstallFilter', async () => {
  const addr = await probe.getAddress();
  const id = await rpc('eth_newFilter', [{ address: addr, topics: [PING] }]);
  assert.match(id, /^0x[0-9a-f]+$/i);
  const first = await rpc('eth_getFilterChanges', [id]);
  assert.ok(Array.isArray(first));
  const r = await ping(probe, deployer, 'filter-1');
  const changes = await waitFor('filter changes', async () => {
    const c = await rpc('eth_getFilterChanges', [id]);
    return c.length ? c : null;
  }, { timeoutMs: 10000, intervalMs: 200 });
  assert.equal(changes.length, 1);
  assert.equal(changes[0].transactionHash, r.hash);
  assert.equal(probeIface.parseLog(changes[0]).args.note, 'filter-1');
  assert.deepEqual(await rpc('eth_getFilterChanges', [id]), [], 'changes are consumed');

  const ranged = await rpc('eth_newFilter', [{ address: addr, topics: [PING], fromBlock: ethers.toQuantity(deployBlock), toBlock: 'latest' }]);
  const flogs = await rpc('eth_getFilterLogs', [ranged]);
  const glogs = await rpc('eth_getLogs', [{ address: addr, topics: [PING], fromBlock: ethers.toQuantity(deployBlock), toBlock: 'latest' }]);
  assert.ok(flogs.length >= 6);
  assert.deepEqual(flogs.map((l) => l.transactionHash), glogs.map((l) => l.transactionHash), 'getFilterLogs = getLogs');

  const bf = await rpc('eth_newBlockFilter');
  const start = await provider.getBlockNumber();
  await waitBlocks(2);
  const hashes = await rpc('eth_getFilterChanges', [bf]);
  assert.ok(hashes.length >= 2, `block filter saw ${hashes.length} blocks`);
  for (const h of hashes) {
    const b = await rpc('eth_getBlockByHash', [h, false]);
    assert.ok(b && Number(b.number) > start, 'block filter returns new canonical block hashes');
  }
  assert.equal(new Set(hashes).size, hashes.length, 'no duplicates');
  const again = await rpc('eth_getFilterChanges', [bf]);
  assert.ok(again.every((h) => !hashes.includes(h)), 'second poll returns only newer blocks');

  const pf = await rpc('eth_newPendingTransactionFilter');
  const tx = await bob.sendTransaction({ to: derivedWallet('ethers-pending', 1).address, value: 1n });
  const seen = await waitFor('pending tx in filter', async () => {
    const c = await rpc('eth_getFilterChanges', [pf]);
    return c.includes(tx.hash) ? c : null;
  }, { timeoutMs: 10000, intervalMs: 200 });
  assert.ok(seen.includes(tx.hash));
  await tx.wait();

  for (const f of [id, ranged, bf, pf]) assert.equal(await rpc('eth_uninstallFilter', [f]), true);
  assert.equal(await rpc('eth_uninstallFilter', [id]), false, 'second uninstall is false');
  const gone = await rpcRaw('eth_getFilterChanges', [id]);
  assert.ok(gone.error, 'changes of an uninstalled filter is an error');
  if (IS_BAI) assert.equal(errorMatches(gone.error, { code: -32000, prefix: 'filter not found' }), null);
});

test('eth_feeHistory with reward percentiles; eth_gasPrice; eth_maxPriorityFeePerGas', async () => {
  // put a few txs with distinct tips into one block
  const [w1, w2, w3] = await freshFunded('fees', 3);
  const base = BigInt((await rpc('eth_getBlockByNumber', ['latest', false])).baseFeePerGas);
  const tips = [1n * GWEI, 2n * GWEI, 3n * GWEI];
  const txs = await Promise.all([w1, w2, w3].map((w, i) => w.sendTransaction({
    to: funder.address, value: 1n, maxPriorityFeePerGas: tips[i], maxFeePerGas: base * 3n + tips[i], nonce: 0,
  })));
  const rcpts = await Promise.all(txs.map((t) => t.wait()));
  const head = await provider.getBlockNumber();
  const fh = await rpc('eth_feeHistory', ['0x5', ethers.toQuantity(head), [10, 50, 90]]);
  assert.equal(Number(fh.oldestBlock), head - 4);
  assert.equal(fh.baseFeePerGas.length, 6, 'baseFeePerGas has blockCount + 1 entries');
  assert.equal(fh.gasUsedRatio.length, 5);
  assert.equal(fh.reward.length, 5);
  for (let i = 0; i < 5; i++) {
    const b = await rpc('eth_getBlockByNumber', [ethers.toQuantity(head - 4 + i), false]);
    assert.equal(BigInt(fh.baseFeePerGas[i]), BigInt(b.baseFeePerGas), `baseFee of block ${head - 4 + i}`);
    assert.ok(Math.abs(fh.gasUsedRatio[i] - Number(b.gasUsed) / Number(b.gasLimit)) < 1e-9, 'gasUsedRatio');
    assert.equal(fh.reward[i].length, 3);
    const rw = fh.reward[i].map(BigInt);
    assert.ok(rw[0] <= rw[1] && rw[1] <= rw[2], 'percentile rewards are non-decreasing');
  }
  // the block holding our three txs: 90th percentile reward is at least our 3 gwei tip when all 3 landed together
  const blocks = new Set(rcpts.map((r) => r.blockNumber));
  if (blocks.size === 1) {
    const bn = rcpts[0].blockNumber;
    if (bn >= head - 4) {
      const rw = fh.reward[bn - (head - 4)].map(BigInt);
      assert.ok(rw[2] >= 2n * GWEI && rw[2] <= 3n * GWEI, `p90 reward ${rw[2]} in [2,3] gwei`);
    }
  }
  const gp = BigInt(await rpc('eth_gasPrice'));
  assert.ok(gp > 0n);
  const tip = BigInt(await rpc('eth_maxPriorityFeePerGas'));
  assert.ok(tip >= 0n);
  // a legacy tx priced at eth_gasPrice must be includable in the next block
  const next = await rpc('eth_feeHistory', ['0x1', 'latest', []]);
  assert.ok(gp >= BigInt(next.baseFeePerGas.at(-1)), `gasPrice ${gp} >= next block base fee ${BigInt(next.baseFeePerGas.at(-1))}`);
});

test('batch requests: mixed results and errors matched by id; empty batch rejected; ethers batching', async () => {
  const body = [
    { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
    { jsonrpc: '2.0', id: 2, method: 'eth_blockNumber', params: [] },
    { jsonrpc: '2.0', id: 'three', method: 'eth_getBalance', params: [alice.address, 'latest'] },
    { jsonrpc: '2.0', id: 4, method: 'no_suchMethod', params: [] },
    { jsonrpc: '2.0', id: 5, method: 'eth_getBlockByNumber', params: ['0x0', false] },
  ];
  const res = await post(JSON.stringify(body));
  assert.equal(res.status, 200);
  assert.ok(Array.isArray(res.json), 'batch answered with an array');
  assert.equal(res.json.length, 5);
  const byId = new Map(res.json.map((r) => [r.id, r]));
  assert.equal(byId.get(1).result, '0xba1');
  assert.ok(Number(byId.get(2).result) > 0);
  assert.equal(BigInt(byId.get('three').result), await provider.getBalance(alice.address));
  assert.equal(byId.get(4).error.code, -32601);
  assert.equal(byId.get(5).result.number, '0x0');
  const empty = await post('[]');
  assert.ok(empty.json && !Array.isArray(empty.json) && empty.json.error, `empty batch is a single error: ${empty.text}`);
  assert.equal(empty.json.error.code, -32600);
  // ethers' batching provider (one HTTP request carries up to 100 calls)
  const batching = new ethers.JsonRpcProvider(RPC_URL, { chainId: Number(CHAIN_ID), name: 'bai' }, { staticNetwork: true, batchMaxCount: 100, batchStallTime: 5 });
  const addrs = Array.from({ length: 50 }, (_, i) => devWallet(i % 10).address);
  const bals = await Promise.all(addrs.map((a) => batching.getBalance(a, 1)));
  for (let i = 0; i < 10; i++) assert.equal(bals[i], await provider.getBalance(addrs[i], 1));
  batching.destroy();
});

test('eth_getTransactionCount "pending" counts pending txs but not queued ones (nonce gap)', async () => {
  const [w] = await freshFunded('queued', 1);
  const to = funder.address;
  const { maxFeePerGas, maxPriorityFeePerGas } = await feeFields();
  const send = async (nonce) => rpc('eth_sendRawTransaction', [await signTransfer(w, { to, nonce, maxFeePerGas, maxPriorityFeePerGas })]);
  const h0 = await send(0);
  const h1 = await send(1);
  const h3 = await send(3); // gap at 2: queued
  assert.equal(Number(await rpc('eth_getTransactionCount', [w.address, 'pending'])), 2, 'pending nonce stops at the gap');
  const status = await rpc('txpool_status');
  assert.ok(Number(status.queued) >= 1, `txpool_status.queued >= 1 (${JSON.stringify(status)})`);
  const content = await rpc('txpool_content');
  const queuedFor = Object.entries(content.queued).find(([a]) => a.toLowerCase() === w.address.toLowerCase());
  assert.ok(queuedFor, 'txpool_content.queued lists the sender');
  assert.equal(queuedFor[1]['3'].hash, h3, 'queued tx at nonce 3');
  await sleep(1500); // a block passes: the queued tx must stay queued
  assert.equal(await rpc('eth_getTransactionReceipt', [h3]), null, 'queued tx is not mined while the gap exists');
  await waitReceipt(h0);
  await waitReceipt(h1);
  const h2 = await send(2);
  const [r2, r3] = [await waitReceipt(h2), await waitReceipt(h3)];
  assert.equal(r2.status, '0x1');
  assert.equal(r3.status, '0x1');
  assert.equal(Number(await rpc('eth_getTransactionCount', [w.address, 'latest'])), 4);
  assert.equal(Number(await rpc('eth_getTransactionCount', [w.address, 'pending'])), 4);
});

async function feeFields() {
  const base = BigInt((await rpc('eth_getBlockByNumber', ['latest', false])).baseFeePerGas);
  return { maxFeePerGas: base * 4n + GWEI, maxPriorityFeePerGas: GWEI };
}

test('replacement: >=10% bump on both fee fields replaces, <10% is refused', async () => {
  const [w] = await freshFunded('replace', 1);
  const to = derivedWallet('ethers-replace-to', 0).address;
  const fee = 100n * GWEI;
  const tip = 2n * GWEI;
  const sign = (maxFeePerGas, maxPriorityFeePerGas, value) => signTransfer(w, { to, nonce: 1, value, maxFeePerGas, maxPriorityFeePerGas });
  // nonce 1 while nonce 0 is missing: the tx sits in the pool, so replacement is deterministic
  const hOrig = await rpc('eth_sendRawTransaction', [await sign(fee, tip, 1n)]);
  const r5 = await rpcRaw('eth_sendRawTransaction', [await sign((fee * 105n) / 100n, (tip * 105n) / 100n, 2n)]);
  if (IS_BAI) {
    assert.equal(errorMatches(r5.error, { code: -32000, prefix: 'replacement transaction underpriced' }), null, '+5% refused');
    const rTipOnly = await rpcRaw('eth_sendRawTransaction', [await sign((fee * 110n) / 100n, (tip * 105n) / 100n, 3n)]);
    assert.equal(errorMatches(rTipOnly.error, { code: -32000, prefix: 'replacement transaction underpriced' }), null, '+10% fee cap but +5% tip refused');
    const rSame = await rpcRaw('eth_sendRawTransaction', [await sign(fee, tip, 5n)]);
    assert.equal(errorMatches(rSame.error, { code: -32000, prefix: 'replacement transaction underpriced' }), null, 'same fees, different tx refused');
  } else {
    // anvil accepts any strictly higher fee (no 10% rule); recorded for comparison only
    console.log(`  [anvil] +5% replacement answered: ${JSON.stringify(r5.error ?? r5.result)}`);
  }
  const h10 = await rpc('eth_sendRawTransaction', [await sign((fee * 110n) / 100n, (tip * 110n) / 100n, 4n)]);
  const content = await rpc('txpool_content');
  const entry = Object.entries(content.queued).find(([a]) => a.toLowerCase() === w.address.toLowerCase());
  assert.ok(entry, 'sender is in txpool_content.queued');
  if (IS_BAI) {
    assert.equal(entry[1]['1'].hash, h10, 'the +10% tx replaced the original in txpool_content');
    assert.equal(Object.keys(entry[1]).length, 1, 'one tx at nonce 1');
  } else {
    console.log(`  [anvil] txpool_content.queued after replacement shows ${entry[1]['1'].hash} (latest replacement is ${h10})`);
  }
  const h0 = await rpc('eth_sendRawTransaction', [await signTransfer(w, { to, nonce: 0, value: 0n, maxFeePerGas: fee, maxPriorityFeePerGas: tip })]);
  await waitReceipt(h0);
  const r = await waitReceipt(h10);
  assert.equal(r.status, '0x1');
  assert.equal(await rpc('eth_getTransactionReceipt', [hOrig]), null, 'replaced tx never mined');
  assert.equal(await rpc('eth_getTransactionByHash', [hOrig]), null, 'replaced tx unknown');
  assert.equal(await provider.getBalance(to), 4n, 'the replacement value (4 wei) arrived');
});

test('eth_sendRawTransactionSync (EIP-7966) returns the receipt', async () => {
  const [w] = await freshFunded('sync', 1);
  const { maxFeePerGas, maxPriorityFeePerGas } = await feeFields();
  const raw = await signTransfer(w, { to: funder.address, nonce: 0, value: 7n, maxFeePerGas, maxPriorityFeePerGas });
  const t0 = Date.now();
  const r = await rpc('eth_sendRawTransactionSync', [raw]);
  const ms = Date.now() - t0;
  assert.equal(r.transactionHash, ethers.keccak256(raw));
  assert.equal(r.status, '0x1');
  assert.ok(r.blockHash && r.blockNumber, 'receipt is mined');
  const again = await rpc('eth_getTransactionReceipt', [r.transactionHash]);
  assert.equal(again.blockHash, r.blockHash);
  assert.equal(again.gasUsed, r.gasUsed);
  assert.ok(ms < 10000, `returned after ${ms} ms`);
});

test('read API tour: net/web3, block+tx lookups, block receipts, history, call overrides, access lists', async () => {
  assert.equal(await rpc('net_version'), '2977');
  assert.equal(await rpc('net_listening'), true);
  assert.equal(typeof (await rpc('web3_clientVersion')), 'string');
  assert.equal(await rpc('eth_syncing'), false);
  assert.ok(Array.isArray(await rpc('eth_accounts')));
  const r = await ping(probe, deployer, 'tour');
  const bn = ethers.toQuantity(r.blockNumber);
  const idx = ethers.toQuantity(r.index);
  const byNum = await rpc('eth_getTransactionByBlockNumberAndIndex', [bn, idx]);
  const byHash = await rpc('eth_getTransactionByBlockHashAndIndex', [r.blockHash, idx]);
  assert.equal(byNum.hash, r.hash);
  assert.equal(byHash.hash, r.hash);
  const count = Number(await rpc('eth_getBlockTransactionCountByNumber', [bn]));
  assert.equal(Number(await rpc('eth_getBlockTransactionCountByHash', [r.blockHash])), count);
  const full = await rpc('eth_getBlockByHash', [r.blockHash, true]);
  assert.equal(full.transactions.length, count);
  assert.equal(full.transactions[r.index].hash, r.hash);
  const receipts = await rpc('eth_getBlockReceipts', [bn]);
  assert.equal(receipts.length, count);
  assert.equal(receipts[r.index].transactionHash, r.hash);
  assert.equal(receipts[r.index].logs.length, 1);
  // history: genesis state is still queryable
  assert.equal(BigInt(await rpc('eth_getBalance', [devWallet(0).address, '0x0'])), 10000n * ETHER);
  assert.equal(await rpc('eth_getTransactionCount', [deployer.address, '0x0']), '0x0');
  // storage and call at a past block
  const addr = await probe.getAddress();
  const cnt = await probe.counter();
  assert.equal(BigInt(await rpc('eth_getStorageAt', [addr, '0x0', 'latest'])), cnt);
  assert.equal(BigInt(await rpc('eth_getStorageAt', [addr, '0x0', ethers.toQuantity(r.blockNumber - 1)])), cnt - 1n);
  const counterData = probeIface.encodeFunctionData('counter');
  assert.equal(BigInt(await rpc('eth_call', [{ to: addr, data: counterData }, ethers.toQuantity(r.blockNumber - 1)])), cnt - 1n);
  // state overrides
  const over = await rpc('eth_call', [{ to: addr, data: counterData }, 'latest', { [addr]: { stateDiff: { [u256(0)]: u256(42) } } }]);
  assert.equal(BigInt(over), 42n, 'stateDiff override');
  const rich = derivedWallet('ethers-override', 0).address;
  const balOver = await rpc('eth_call', [{ from: rich, to: addr, data: probeIface.encodeFunctionData('deposit'), value: ethers.toQuantity(5n * ETHER) }, 'latest', { [rich]: { balance: ethers.toQuantity(10n * ETHER) } }]);
  assert.equal(balOver, '0x', 'balance override lets an empty account send value');
  // access list: like geth, the sender, the callee and precompiles are left out; a contract the callee
  // reads from is listed with the slot it reads
  const addr2 = await probe2.getAddress();
  const al = await rpc('eth_createAccessList', [{ from: deployer.address, to: addr, data: probeIface.encodeFunctionData('peek', [addr2]) }, 'latest']);
  assert.deepEqual(al.accessList.map((e) => [e.address.toLowerCase(), e.storageKeys.map((k) => BigInt(k))]), [[addr2.toLowerCase(), [0n]]], `access list ${JSON.stringify(al.accessList)}`);
  assert.ok(Number(al.gasUsed) > 21000);
  const withAl = await rpc('eth_estimateGas', [{ from: deployer.address, to: addr, data: probeIface.encodeFunctionData('peek', [addr2]), accessList: al.accessList }]);
  assert.ok(Number(withAl) > 21000);
});

test('eth_getProof: account and storage proofs verify against the block state root', async () => {
  const addr = await probe.getAddress();
  const head = await provider.getBlockNumber();
  const blk = await rpc('eth_getBlockByNumber', [ethers.toQuantity(head), false]);
  for (const [who, slots] of [[addr, [u256(0), u256(999)]], [alice.address, []], [derivedWallet('ethers-absent', 0).address, []]]) {
    const p = await rpc('eth_getProof', [who, slots, ethers.toQuantity(head)]);
    const leaf = verifyMptProof(blk.stateRoot, ethers.keccak256(who), p.accountProof);
    const bal = BigInt(await rpc('eth_getBalance', [who, ethers.toQuantity(head)]));
    assert.equal(BigInt(p.balance), bal);
    if (leaf === null) {
      assert.equal(bal, 0n, 'absent account has zero balance');
      assert.equal(Number(p.nonce), 0);
      continue;
    }
    const [nonce, balance, storageRoot, codeHash] = ethers.decodeRlp(leaf);
    assert.equal(BigInt(nonce === '0x' ? 0 : nonce), BigInt(p.nonce), `${who} nonce in proof`);
    assert.equal(BigInt(balance === '0x' ? 0 : balance), bal, `${who} balance in proof`);
    assert.equal(storageRoot, p.storageHash);
    assert.equal(codeHash, p.codeHash);
    assert.equal(codeHash, ethers.keccak256(await rpc('eth_getCode', [who, ethers.toQuantity(head)])));
    for (const sp of p.storageProof) {
      const v = verifyMptProof(p.storageHash, ethers.keccak256(ethers.zeroPadValue(sp.key, 32)), sp.proof);
      const expect = BigInt(await rpc('eth_getStorageAt', [who, sp.key, ethers.toQuantity(head)]));
      assert.equal(BigInt(sp.value), expect);
      assert.equal(v === null ? 0n : BigInt(ethers.decodeRlp(v)), expect, `storage ${sp.key} proven`);
    }
  }
});

test('debug_traceTransaction: callTracer and the default struct logger', async () => {
  const r = await ping(probe, deployer, 'trace');
  const addr = (await probe.getAddress()).toLowerCase();
  const ct = await rpc('debug_traceTransaction', [r.hash, { tracer: 'callTracer' }]);
  assert.equal(ct.type, 'CALL');
  assert.equal(ct.from.toLowerCase(), deployer.address.toLowerCase());
  assert.equal(ct.to.toLowerCase(), addr);
  assert.equal(ct.input, probeIface.encodeFunctionData('ping', ['trace']));
  assert.equal(BigInt(ct.output), await probe.counter());
  assert.ok(Number(ct.gasUsed) > 0);
  const sl = await rpc('debug_traceTransaction', [r.hash, {}]);
  assert.equal(sl.failed, false);
  assert.ok(Array.isArray(sl.structLogs) && sl.structLogs.length > 50, 'struct logs');
  assert.equal(sl.structLogs[0].op, 'PUSH1');
  assert.equal(sl.structLogs[0].pc, 0);
  assert.ok(sl.structLogs.some((s) => s.op === 'SSTORE'));
  assert.ok(sl.structLogs.some((s) => s.op === 'LOG3'));
  assert.equal(Number(sl.gas), Number(r.gasUsed));
  const tc = await rpc('debug_traceCall', [{ from: deployer.address, to: addr, data: probeIface.encodeFunctionData('fail', ['traced']) }, 'latest', { tracer: 'callTracer' }]);
  assert.ok(tc.error, 'traced revert carries an error');
  assert.equal(tc.revertReason, 'traced');
});
