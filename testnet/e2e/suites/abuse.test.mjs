// Abuse suite (node --test): requests built to exhaust the node — huge batches and bodies, unbounded
// parameter lists, EVM loops, struct-log traces, thousands of WebSocket clients and a consumer that never
// reads, log-range scans, nonce-gapped floods, oversized and unsupported transactions, filter floods —
// sent to the real `bai --dev` node that run.sh starts for this suite. After each attack the test
// asserts the exact refusal (or a bounded result) and that the node still answers `eth_blockNumber`
// within 2 s; at the end a normal transfer must still be mined and the node's peak RSS (VmHWM) must stay
// under a bound.
// The expectations are the intended behaviour (geth's limits and messages), not necessarily what the
// binary does today; the test names say which limit each case is about.
// Env: RPC_URL, WS_URL, NODE_PID (the node's pid, for /proc/<pid>/status), E2E_ABUSE_LOGS_RANGE (the
// --rpc.max-logs-range run.sh starts the node with). bai only.
// Where `bai node` gates RPC namespaces (--http.api), run.sh starts this suite with exactly the ones it
// uses: `--http.api eth,net,web3,debug,txpool,evm` (evm for evm_mine); an older binary without the flag
// serves every namespace.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  ethers, RPC_URL, WS_URL, CHAIN_ID, devWallet, derivedWallet, rpc, rpcRaw, rpcBatch, post, curlPost, waitReceipt, waitFor,
  fees, pendingNonce, signTransfer, sleep
} from '../lib/common.mjs';
import { WsRpc } from '../lib/ws.mjs';

const NODE_PID = Number(process.env.NODE_PID);
const LOGS_RANGE = Number(process.env.E2E_ABUSE_LOGS_RANGE || 100);
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** How long an attack may take to be answered: the node's 5 s EVM time limit (--rpc.evmtimeout) + 2 s. */
const ATTACK_MS = 7000;
/** A contract that never stops: JUMPDEST PUSH1 0 JUMP (12 gas a round). */
const LOOP_CODE = '0x5b600056';
const LOOP = '0x00000000000000000000000000000000000ab05e';
const LOOP_OVERRIDE = { [LOOP]: { code: LOOP_CODE } };
const POOL_TX_LIMIT = 131072; // the pool's largest transaction (geth's 128 KiB)
const to = derivedWallet('abuse-to', 0).address;

const answers = []; // [case, answer] for the summary printed at the end
after(() => {
  console.log('\n  answers from bai:');
  for (const [name, a] of answers) console.log(`    ${name.padEnd(40)} ${a.length > 400 ? `${a.slice(0, 400)}…` : a}`);
});

/** VmHWM (peak RSS) and VmRSS of the node, in bytes. */
function nodeMem() {
  const s = readFileSync(`/proc/${NODE_PID}/status`, 'utf8');
  const kib = (key) => Number(s.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))[1]);
  return { hwm: kib('VmHWM') * 1024, rss: kib('VmRSS') * 1024 };
}
const mib = (bytes) => (bytes / MiB).toFixed(0);

/** A JSON-RPC call that gives up after `ms`: the response object, or { timedOut }; both with `ms` taken. */
async function within(ms, method, params) {
  const t0 = Date.now();
  try {
    const r = await rpcRaw(method, params, RPC_URL, { timeoutMs: ms });
    return { ...r, ms: Date.now() - t0 };
  } catch (e) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return { timedOut: true, ms: Date.now() - t0 };
    throw e;
  }
}

function show(r) {
  if (r.timedOut) return `no answer within ${r.ms} ms`;
  if (r.error) return `error ${r.error.code} "${r.error.message}"${r.error.data === undefined ? '' : ` data ${JSON.stringify(r.error.data).slice(0, 100)}`}`;
  return `result ${JSON.stringify(r.result).slice(0, 400)}`;
}

/** Records an answer for the summary and the test's diagnostics; returns it. */
function record(t, name, r) {
  const line = `${show(r)}${r.ms === undefined ? '' : ` (${r.ms} ms)`}`;
  answers.push([name, line]);
  t.diagnostic(`${name}: ${line}`);
  return r;
}

/** Asserts an error with exactly this code and message (a RegExp or a string). */
function assertError(r, code, message, what) {
  assert.ok(r.error, `${what}: expected error ${code} ${message}, got ${show(r)}`);
  if (code !== undefined) assert.equal(r.error.code, code, `${what}: code (message "${r.error.message}")`);
  if (message instanceof RegExp) assert.match(r.error.message, message, `${what}: message`);
  else assert.equal(r.error.message, message, `${what}: message`);
}

/** The node answers eth_blockNumber within 2 s; reports its memory. */
async function alive(t) {
  const r = await within(2000, 'eth_blockNumber', []);
  let mem = 'unreadable (node gone?)';
  try {
    const m = nodeMem();
    mem = `VmHWM ${mib(m.hwm)} MiB, VmRSS ${mib(m.rss)} MiB`;
  } catch { /* the assertion below says why */ }
  t.diagnostic(`afterwards: eth_blockNumber ${show(r)} in ${r.ms} ms; node ${mem}`);
  assert.ok(r.result, `the node answers eth_blockNumber within 2 s after the attack: ${show(r)}`);
}

/** An attack test: runs `fn`, then checks the node still answers whatever `fn` found. */
function attack(name, fn, opts = {}) {
  test(name, { timeout: 120000, ...opts }, async (t) => {
    let failure;
    try {
      await fn(t);
    } catch (e) {
      failure = e;
    }
    try {
      await alive(t);
    } catch (e) {
      if (!failure) throw e;
      failure.message += `\n  and afterwards: ${e.message}`;
    }
    if (failure) throw failure;
  });
}

/** Polls eth_blockNumber (2 s limit each) until `promise` settles; returns each probe's latency or failure. */
async function probeWhile(promise) {
  let done = false;
  promise.then(() => { done = true; }, () => { done = true; });
  const probes = [];
  do {
    const r = await within(2000, 'eth_blockNumber', []);
    probes.push(r.result ? r.ms : show(r));
    if (!done) await sleep(250);
  } while (!done);
  return probes;
}

function assertProbes(t, what, probes) {
  t.diagnostic(`${what}: concurrent eth_blockNumber latencies (ms) ${probes.join(', ')}`);
  assert.ok(probes.every((p) => typeof p === 'number' && p < 2000), `eth_blockNumber answered within 2 s while ${what} ran: ${probes.join(', ')}`);
}

const jsonBatch = (n, method, params = []) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ jsonrpc: '2.0', id: i, method, params })));

// The peak RSS bound. Measured on the dev node (debug build): VmHWM ~45 MiB right after start, ~55 MiB
// after the setup's 1,100 mined blocks (the baseline), ~170-200 MiB at the end of this suite when every
// attack is refused or bounded (the 500,000-step trace is the largest). The bound, baseline + 1 GiB,
// leaves 5x that headroom; an allocation proportional to the attacker's input breaks it: before the
// trace step limit the struct-log trace of the 30M-gas loop alone peaked at ~4 GiB (43 s, then
// -32008 "Response is too big"), and 1,024 blocks x 1,000,000 fee percentiles would take ~16 GiB.
const RSS_HEADROOM = 1 * GiB;
let baseline;

test('setup: the node pid is known, and the chain is longer than the logs range cap and the 1,024 fee history blocks', { timeout: 120000 }, async (t) => {
  assert.ok(NODE_PID > 0, 'NODE_PID (run.sh exports it) names the node process');
  const start = nodeMem();
  // evm_mine in batches of 100: 1,100 blocks in a few seconds
  await rpcBatch(Array.from({ length: 1100 }, () => ['evm_mine', []]));
  const head = Number(await rpc('eth_blockNumber'));
  assert.ok(head > 1024 && head > LOGS_RANGE, `head ${head}`);
  baseline = nodeMem().hwm;
  t.diagnostic(`node pid ${NODE_PID}; VmHWM at start ${mib(start.hwm)} MiB, after mining to block ${head}: ${mib(baseline)} MiB (the baseline); bound ${mib(baseline + RSS_HEADROOM)} MiB`);
  answers.push(['RSS baseline', `VmHWM ${mib(start.hwm)} MiB at start, ${mib(baseline)} MiB after the setup`]);
});

attack('1. a batch of 10,000 requests (limit 1,000) -> one JSON-RPC error, not 10,000 answers', async (t) => {
  const t0 = Date.now();
  const r = await post(jsonBatch(10000, 'eth_chainId'));
  record(t, 'batch of 10,000', { ms: Date.now() - t0, result: `HTTP ${r.status} ${r.text.slice(0, 200)}` });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, {
    jsonrpc: '2.0', id: null,
    error: { code: -32010, message: 'The batch request was too large', data: 'Exceeded max limit of 1000' },
  });
  const ok = await post(jsonBatch(1000, 'eth_chainId'));
  assert.ok(Array.isArray(ok.json) && ok.json.length === 1000, 'a batch of exactly 1,000 is served');
});

attack('2a. eth_sendRawTransaction with 5 MB of bytes -> oversized data (pool limit 128 KiB)', async (t) => {
  const size = 5 * MiB;
  const r = record(t, 'raw tx of 5 MiB', await within(ATTACK_MS, 'eth_sendRawTransaction', ['0x' + '00'.repeat(size)]));
  assertError(r, -32000, `oversized data: transaction size ${size}, limit ${POOL_TX_LIMIT}`, '5 MiB raw transaction');
});

attack('2b. a 20 MB request body -> refused by the 15 MiB request limit (HTTP 413)', async (t) => {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: ['0x' + '00'.repeat(10 * MiB)] });
  assert.ok(body.length > 20_000_000);
  const t0 = Date.now();
  const r = curlPost(body); // fetch fails with EPIPE: the node answers before reading the body
  record(t, '20 MB body', { ms: Date.now() - t0, result: `HTTP ${r.status} ${r.text.slice(0, 200)}` });
  assert.equal(r.status, 413);
  assert.deepEqual(r.json, {
    jsonrpc: '2.0', id: null,
    error: { code: -32007, message: 'Request is too big', data: `Exceeded max limit of ${15 * MiB}` },
  });
});

attack('3. eth_feeHistory: 1,000,000 reward percentiles -> invalid params; blockCount 1,000,000 -> at most 1,024 blocks', async (t) => {
  // One block: the answer today is 1e6 rewards (bounded by the body size). With blockCount 1,024 the same
  // request would make 1,024 x 1e6 rewards (16 GiB): not sent, it would take down a shared machine.
  const percentiles = Array.from({ length: 1_000_000 }, (_, i) => i / 10000); // ascending, within [0, 100)
  const many = await within(ATTACK_MS, 'eth_feeHistory', ['0x1', 'latest', percentiles]);
  record(t, 'feeHistory 1e6 percentiles', many.result ? { ms: many.ms, result: `${many.result.reward?.[0]?.length} rewards for ${many.result.gasUsedRatio.length} block(s)` } : many);
  const long = await within(ATTACK_MS, 'eth_feeHistory', [ethers.toQuantity(1_000_000), 'latest', [25, 75]]);
  record(t, 'feeHistory blockCount 1e6', long.result ? { ms: long.ms, result: `${long.result.gasUsedRatio.length} blocks from ${Number(long.result.oldestBlock)}` } : long);
  assert.ok(long.result, `blockCount 1,000,000 is clamped, not refused: ${show(long)}`);
  const n = long.result.gasUsedRatio.length;
  assert.ok(n >= 1 && n <= 1024, `at most 1,024 blocks (got ${n})`);
  assert.equal(long.result.baseFeePerGas.length, n + 1);
  assert.equal(long.result.reward.length, n);
  assertError(many, -32602, 'invalid reward percentile: over the query limit 100', '1e6 percentiles');
});

const LOOP_ERROR = /^(out of gas|gas required exceeds allowance \(\d+\)|execution aborted \(timeout = 5s\))$/;

attack('4. an infinite loop with gas 2^64-1: eth_call and eth_estimateGas end in an error (gas cap or 5 s timeout), the node keeps answering', async (t) => {
  const req = { to: LOOP, gas: '0xffffffffffffffff' };
  const call = within(ATTACK_MS, 'eth_call', [req, 'latest', LOOP_OVERRIDE]);
  const callProbes = await probeWhile(call);
  const est = within(ATTACK_MS, 'eth_estimateGas', [req, 'latest', LOOP_OVERRIDE]);
  const estProbes = await probeWhile(est);
  const c = record(t, 'eth_call loop, gas 2^64-1', await call);
  const e = record(t, 'eth_estimateGas loop, gas 2^64-1', await est);
  assertProbes(t, 'eth_call', callProbes);
  assertProbes(t, 'eth_estimateGas', estProbes);
  assertError(e, undefined, LOOP_ERROR, 'eth_estimateGas of an endless loop');
  assertError(c, undefined, LOOP_ERROR, 'eth_call of an endless loop');
});

attack('5. debug_traceCall (struct logger) of the loop with 30M gas -> execution timeout or trace limit error within ~7 s', async (t) => {
  const trace = within(ATTACK_MS, 'debug_traceCall', [{ to: LOOP, gas: ethers.toQuantity(30_000_000) }, 'latest', { stateOverrides: LOOP_OVERRIDE }]);
  const probes = await probeWhile(trace);
  const r = await trace;
  record(t, 'debug_traceCall loop, 30M gas', r.result ? { ms: r.ms, result: `${r.result.structLogs?.length} struct logs` } : r);
  assertProbes(t, 'debug_traceCall', probes);
  assert.ok(!r.timedOut, `debug_traceCall answered within ${ATTACK_MS} ms (${show(r)})`);
  assertError(r, undefined, /^(execution timeout$|trace limit exceeded)/, 'struct-log trace of an endless loop');
});

/** 200 WebSocket clients subscribed to newHeads (kept for the slow-consumer test). */
let clients = [];
let clientSubs = [];
after(() => { for (const c of clients) c.close(); });

attack('6a. 200 concurrent WebSocket clients subscribe to newHeads and all receive heads', async (t) => {
  const t0 = Date.now();
  clients = await Promise.all(Array.from({ length: 200 }, () => WsRpc.connect(WS_URL)));
  clientSubs = await Promise.all(clients.map((c) => c.subscribe('newHeads')));
  await Promise.all(clients.map((c, i) => c.take(clientSubs[i], 1, { timeoutMs: 15000 })));
  record(t, '200 WS clients', { ms: Date.now() - t0, result: 'all subscribed and got a head' });
});

const PAUSE_MS = 8000;
/** Init code that emits `n` empty LOG0s and deploys nothing: one transaction, `n` log notifications. */
const logBomb = (n) => `0x61${n.toString(16).padStart(4, '0')}5b60006000a06001900380600357` + '00';

attack('6b. a WebSocket consumer that never reads (newHeads + logs) while 60,000 logs are produced: the others are served; it is disconnected', async (t) => {
  assert.equal(clients.length, 200, 'the 200 clients of 6a are connected');
  const slow = await WsRpc.connect(WS_URL);
  let closed = null;
  slow.ws.on('close', (code, reason) => { closed = `closed by the node (code ${code}${reason?.length ? `, ${reason}` : ''})`; });
  try {
    const heads = await slow.subscribe('newHeads');
    const logs = await slow.subscribe('logs', {});
    slow.ws._socket.pause(); // reads nothing from now on: kernel buffers fill, then the node's

    // 3 transactions x 20,000 logs (8.2M gas each, one block): 60,000 notifications (~27 MB) for it
    const w = devWallet(4);
    const f = await fees();
    let nonce = await pendingNonce(w.address);
    const hashes = [];
    for (let i = 0; i < 3; i++) {
      hashes.push(await rpc('eth_sendRawTransaction', [await w.signTransaction({ type: 2, chainId: CHAIN_ID, nonce: nonce++, data: logBomb(20000), gasLimit: 9_000_000n, ...f })]));
    }
    let bombBlock = 0;
    let total = 0;
    for (const h of hashes) {
      const rc = await waitReceipt(h);
      assert.equal(rc.status, '0x1');
      total += rc.logs.length;
      bombBlock = Math.max(bombBlock, Number(rc.blockNumber));
    }
    const minedAt = Date.now();
    assert.equal(total, 60000);
    // the node keeps serving the others while it cannot write to the slow one
    const t0 = Date.now();
    await Promise.all(clients.map((c, i) => c.take(clientSubs[i], 1, { timeoutMs: 15000, pred: (h) => Number(h.number) > bombBlock })));
    t.diagnostic(`all 200 clients got a head after block ${bombBlock} (the log bomb) within ${Date.now() - t0} ms`);
    const r = await within(2000, 'eth_blockNumber', []);
    assert.ok(r.result, `eth_blockNumber within 2 s while the slow consumer is stuck: ${show(r)}`);
    // stuck for 8 s with a full backlog: longer than a node that drops stuck subscribers waits (5 s)
    await sleep(Math.max(0, minedAt + PAUSE_MS - Date.now()));

    slow.ws._socket.resume();
    // drain what the node buffered for it (until no log arrives for a second), then see whether it is
    // still served
    let seen = -1;
    await waitFor('the slow consumer drained', async () => {
      const now = slow.items(logs).length;
      const quiet = now === seen;
      seen = now;
      return quiet || closed;
    }, { timeoutMs: 30000, intervalMs: 1000 });
    const resumedAt = Number(await rpc('eth_blockNumber'));
    await waitFor('2 more blocks', async () => Number(await rpc('eth_blockNumber')) >= resumedAt + 2, { timeoutMs: 10000 });
    await sleep(1000);
    const fresh = slow.items(heads).filter((h) => Number(h.number) > resumedAt).length;
    const gotLogs = slow.items(logs).length;
    const ended = [['newHeads', heads], ['logs', logs]].filter(([, id]) => slow.subscriptionError(id))
      .map(([kind, id]) => `${kind} ended by the node with ${JSON.stringify(slow.subscriptionError(id))}`);
    const verdict = closed ?? (fresh === 0 ? `no head after the resume${ended.length ? ` (${ended.join('; ')})` : ''}` : 'still connected and served');
    record(t, 'slow WebSocket consumer', {
      result: `${verdict}; after the resume it got ${gotLogs} of ${total} logs and ${fresh} heads newer than block ${resumedAt}`,
    });
    // The node disconnects the consumer, or ends its subscriptions (bai: `--rpc.max-subscription-backlog`,
    // dropped after 5 s of a full backlog), instead of queueing for it without end. (A build from before
    // that limit kept everything queued and delivered all of it once the client read again.)
    assert.ok(closed || fresh === 0, `the node stopped serving the consumer that never read: ${verdict}`);
  } finally {
    slow.close();
    for (const c of clients) c.close();
    clients = [];
  }
});

attack(`7. eth_getLogs from block 0 to latest without an address over more than the range cap -> query exceeds max block range`, async (t) => {
  const head = Number(await rpc('eth_blockNumber'));
  assert.ok(head > LOGS_RANGE);
  const r = record(t, `eth_getLogs 0..latest (${head} blocks, cap ${LOGS_RANGE})`, await within(ATTACK_MS, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest' }]));
  assertError(r, -32005, `query exceeds max block range ${LOGS_RANGE}`, 'eth_getLogs over the whole chain');
});

attack('8. a nonce-gapped flood (2,000 txs, nonces far ahead with gaps) is refused, the pool stays bounded, the sender still transacts', async (t) => {
  const w = devWallet(5);
  const f = await fees();
  const base = await pendingNonce(w.address);
  const before = await rpc('txpool_status');
  const nonces = Array.from({ length: 2000 }, (_, k) => base + 3 * (k + 1)); // base+3, base+6, … base+6000
  const raws = await Promise.all(nonces.map((nonce) => signTransfer(w, { to, nonce, ...f })));
  const t0 = Date.now();
  const res = await rpcBatch(raws.map((raw) => ['eth_sendRawTransaction', [raw]]), { chunk: 500 });
  const accepted = res.filter((r) => r.result).length;
  const kinds = {};
  for (const r of res) {
    if (!r.error) continue;
    const kind = `${r.error.code} ${r.error.message.replace(/\d+/g, 'N')}`;
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  const poolAfter = await rpc('txpool_status');
  const grew = Number(poolAfter.pending) + Number(poolAfter.queued) - Number(before.pending) - Number(before.queued);
  record(t, 'nonce-gapped flood (2,000)', { ms: Date.now() - t0, result: `${accepted} accepted (queued), refused: ${JSON.stringify(kinds)}; pool ${JSON.stringify(before)} -> ${JSON.stringify(poolAfter)}` });
  res.forEach((r, i) => {
    if (r.result) return;
    assertError(r, -32000, new RegExp(`^(nonce too high: next nonce ${base}, tx nonce ${nonces[i]}, max gap \\d+|account limit exceeded: sender already has \\d+ transactions in the pool|txpool is full)$`), `gapped nonce ${nonces[i]}`);
  });
  assert.ok(accepted < nonces.length, 'nonces thousands ahead are not all admitted');
  assert.equal(grew, accepted, 'the pool grew by exactly the admitted transactions');
  assert.ok(grew <= 1024, `the pool holds at most the per-sender limit (1,024) of the flood: ${grew}`);
  // the sender's next real transaction still goes through
  const ok = await rpcRaw('eth_sendRawTransaction', [await signTransfer(w, { to, nonce: base, value: 7n, ...f })]);
  assert.ok(ok.result, `the sender's transaction at its next nonce is accepted: ${show(ok)}`);
  assert.equal((await waitReceipt(ok.result)).status, '0x1');
});

attack('9. a signed transaction with 200 KB of calldata -> oversized data', async (t) => {
  const w = devWallet(6);
  const raw = await signTransfer(w, { to, nonce: await pendingNonce(w.address), gasLimit: 12_000_000n, data: '0x' + '00'.repeat(200 * 1024), ...(await fees()) });
  const size = ethers.dataLength(raw);
  const r = record(t, `200 KB calldata (${size} bytes)`, await within(ATTACK_MS, 'eth_sendRawTransaction', [raw]));
  assertError(r, -32000, `oversized data: transaction size ${size}, limit ${POOL_TX_LIMIT}`, '200 KB calldata');
});

attack('10. a user-submitted deposit transaction (type 0x7e) -> transaction type not supported', async (t) => {
  const from = devWallet(6).address;
  // OP deposit: 0x7e || rlp([sourceHash, from, to, mint, value, gas, isSystemTx, data]), minting 1M BAI
  const deposit = ethers.concat(['0x7e', ethers.encodeRlp([
    ethers.keccak256(ethers.toUtf8Bytes('abuse')), from, from, ethers.toBeHex(10n ** 24n), '0x01', ethers.toBeHex(100000), '0x', '0x',
  ])]);
  const r = record(t, 'deposit tx 0x7e', await within(ATTACK_MS, 'eth_sendRawTransaction', [deposit]));
  assertError(r, -32000, 'transaction type not supported', 'deposit transaction');
});

attack('11. a type-3 blob transaction -> refused by type (not supported, or a decode error)', async (t) => {
  const w = devWallet(6);
  const tx = ethers.Transaction.from({
    type: 3, chainId: CHAIN_ID, nonce: await pendingNonce(w.address), to, value: 1n, gasLimit: 21000n,
    ...(await fees()), maxFeePerBlobGas: 1n, blobVersionedHashes: ['0x01' + '00'.repeat(31)],
  });
  tx.signature = w.signingKey.sign(tx.unsignedHash);
  assert.equal(tx.serialized.slice(0, 4), '0x03');
  const r = record(t, 'blob tx (type 3)', await within(ATTACK_MS, 'eth_sendRawTransaction', [tx.serialized]));
  assertError(r, -32000, /^(transaction type not supported|transaction decoding failed: unexpected tx type)$/, 'blob transaction');
});

attack('12a. eth_getProof with 10,000 storage keys -> too many storage keys (invalid params)', async (t) => {
  const keys = Array.from({ length: 10000 }, (_, i) => ethers.toBeHex(i, 32));
  const r = await within(ATTACK_MS, 'eth_getProof', [devWallet(0).address, keys, 'latest']);
  record(t, 'eth_getProof 10,000 keys', r.result ? { ms: r.ms, result: `${r.result.storageProof.length} storage proofs` } : r);
  assertError(r, -32602, /^too many storage keys/, 'eth_getProof with 10,000 keys');
});

attack('12b. eth_newFilter 20,000 times -> too many filters once 10,000 are installed', async (t) => {
  const t0 = Date.now();
  const res = await rpcBatch(Array.from({ length: 20000 }, () => ['eth_newFilter', [{}]]), { chunk: 1000 });
  const ms = Date.now() - t0;
  const installed = res.filter((r) => r.result).map((r) => r.result);
  const firstError = res.find((r) => r.error);
  record(t, 'eth_newFilter x 20,000', { ms, result: `${installed.length} installed${firstError ? `; first refusal at #${res.indexOf(firstError)}: ${show(firstError)}` : ''}` });
  await rpcBatch(installed.map((id) => ['eth_uninstallFilter', [id]]), { chunk: 1000 });
  assert.equal(installed.length, 10000, 'the cap is 10,000 filters');
  assert.ok(res.slice(0, 10000).every((r) => r.result), 'the first 10,000 are installed');
  res.slice(10000).forEach((r, i) => assertError(r, undefined, /^too many filters/, `filter #${10000 + i}`));
});

attack('12c. eth_subscribe logs with a malformed filter (address "0x12") -> invalid params', async (t) => {
  const c = await WsRpc.connect(WS_URL);
  try {
    let r;
    try {
      r = { result: await c.subscribe('logs', { address: '0x12' }) };
    } catch (e) {
      if (!e.rpcError) throw e;
      r = { error: e.rpcError };
    }
    record(t, 'eth_subscribe logs {address: "0x12"}', r);
    assertError(r, -32602, /./, 'logs subscription with a malformed address');
  } finally {
    c.close();
  }
});

test('after all of it: a normal signed transfer is mined, and the peak RSS stayed bounded', { timeout: 60000 }, async (t) => {
  const w = devWallet(7);
  const r = await rpcRaw('eth_sendRawTransaction', [await signTransfer(w, { to, nonce: await pendingNonce(w.address), value: 12345n, ...(await fees()) })]);
  assert.ok(r.result, `a normal transfer is accepted: ${show(r)}`);
  assert.equal((await waitReceipt(r.result)).status, '0x1');
  const { hwm, rss } = nodeMem();
  t.diagnostic(`node peak RSS (VmHWM) ${mib(hwm)} MiB, now ${mib(rss)} MiB; baseline ${mib(baseline)} MiB, bound ${mib(baseline + RSS_HEADROOM)} MiB`);
  answers.push(['RSS peak', `VmHWM ${mib(hwm)} MiB (bound ${mib(baseline + RSS_HEADROOM)} MiB = baseline + 1 GiB), VmRSS ${mib(rss)} MiB`]);
  assert.ok(hwm <= baseline + RSS_HEADROOM, `peak RSS ${mib(hwm)} MiB <= baseline ${mib(baseline)} MiB + 1 GiB`);
});
