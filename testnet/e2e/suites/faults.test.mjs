// Faults under load, everything real (issue 16, "what it must show" 2; the short form CI runs): anvil as
// L1 (1 s blocks) with the L1 contracts, reached by the nodes through a JSON-RPC proxy that can stall; a
// `bai infer serve` inference server with the real MiniLM embedding model on CPU; a sequencer asking it,
// with the batcher and the proposer; and a verifier deriving from L1 alone that is also the output
// challenger and the inference challenger (it re-runs every recorded witness on its own CPU copy of the
// model). Only the embedding model is loaded: a debug build on a small machine spends half a minute per
// model, and every load here is paid again by a restart.
//
// Mixed load the whole time: signed transfers from four senders, paid model calls (the marketplace's
// `embed`, each text new so the server is asked every time), and ERC-20 BAI deposits through the portal
// on L1. Faults, in turn, each followed by recovery:
//   1. kill -9 of the sequencer, restarted on the same datadir and port;
//   2. the batcher: it runs inside the sequencer process (--batcher.key), so fault 1 kills it too,
//      mid-channel or not; the checks after fault 1 cover it (every block derived from L1 by the verifier);
//   3. kill -9 of the verifier (with both challengers), restarted on the same datadir;
//   4. kill -9 of the inference server, restarted on the same port (model calls held meanwhile, see there);
//   5. the L1 endpoint stalled for FAULTS_STALL_S seconds (requests accepted, nothing answered; longer than
//      the nodes' 30 s request deadline), then answering again; the sequencer builds on meanwhile;
//   6. the inference server killed again, this time with model calls mined while it is down (they revert):
//      the verifier must derive those blocks as the sequencer built them (it does not: see the test).
// After each recovery:
//   - every transaction that had a receipt has an identical one (block hash and number, index, status,
//     gas, logs);
//   - every deposit made on L1 so far is on L2 exactly once (one deposit transaction per source hash)
//     and its recipient holds exactly the amount;
//   - the verifier's safe head reaches the sequencer's head of before the checks, with the same block
//     hashes and state roots at every height;
//   - every output the proposer posted equals optimism_outputAtBlock on the verifier and the sequencer,
//     none was deleted (the sequencer is honest: a deletion would be the challenger's mistake), and the
//     proposer has moved on past what was verified before the fault;
//   - the inference challenger's cursor passed the checked height, no block below it holds a witness it
//     did not check ("within tolerance" logged for its call key), and it logged no block it could not
//     check below its cursor; it filed nothing (every witness is honest);
//   - bai_health of both nodes reports every task running.
// Env: BAI_BIN, E2E_TMP, E2E_ROOT, FAULTS_LOAD_MS (load between faults, default 4000), FAULTS_STALL_S
// (default 32).
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ethers, ETHER, GWEI, CHAIN_ID, devWallet, derivedWallet, sleep, waitFor, rpcAt, rpcBatch, jsonRpc, receiptSummary } from '../lib/common.mjs';
import { startNode, startInference, modelsSubset, freePort, TMP } from '../lib/node.mjs';
import { startAnvil, deployL1, depositSourceHash, PORTAL_ABI, ORACLE_ABI, ERC20_ABI } from '../lib/l1.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { MARKETPLACE, MARKET_ABI, EMBED_ID, head, waitSafe, blocksOf, assertSameChain, witnessKeys } from '../lib/l2.mjs';

const LOAD_MS = Number(process.env.FAULTS_LOAD_MS || 4000);
// Longer than the nodes' 30 s request deadline: every client's hung call times out and is retried.
const STALL_S = Number(process.env.FAULTS_STALL_S || 32);
const INTERVAL = 10; // L2 blocks per output root
// The oracle's clock (DeployL1's L2 block time) is whole seconds: a faster chain would outrun its proposer.
const BLOCK_TIME = '1s';
const SENDERS = [4, 5, 6, 7].map((i) => devWallet(i));
const CALLER = devWallet(8);
const CHALLENGER = devWallet(1); // the oracle's CHALLENGER and InferenceDisputes' CHALLENGER_ROLE
const DEPOSITOR = devWallet(0); // holds the L1 BAI supply (DeployL1's treasury)
const UNAVAILABLE = new ethers.Interface(['error InferenceUnavailable(bytes32 modelId, string reason)']);

let l1, proxy, infer, seq, verifier;
after(async () => { running = false; await verifier?.stop(); await seq?.stop(); await infer?.stop(); proxy?.close(); await l1?.stop(); });

const receipts = new Map(); // tx hash -> { kind, summary } (the receipt as first seen)
const deposits = []; // { source, recipient, amount, l1Block } once L1 included the deposit
const modelCalls = { ok: 0, reverted: 0, paused: false, busy: false };
const unexpected = []; // load errors that are not a node being down
let running = true;

/** A JSON-RPC call to the sequencer as it is now (a restart makes a new node object, on the same port). */
const seqRpc = (method, params) => rpcAt(seq.url, method, params);
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

/**
 * Sends transactions from `wallet` one at a time, each until it has a receipt: the signed bytes of a
 * nonce never change, so sending them again (every 3 s, across a restart that lost the pool) can only
 * include that transaction. `make(i)` gives the i-th transaction's fields; `done(receipt)` sees each
 * receipt. With `gate`, no transaction is started while `gate.paused`, and `gate.busy` says one is out.
 */
async function txLoop(wallet, kind, make, pauseMs, done = () => {}, gate = { paused: false }) {
  let nonce = Number(await seqRpc('eth_getTransactionCount', [wallet.address, 'latest']));
  const base = BigInt((await seqRpc('eth_getBlockByNumber', ['latest', false])).baseFeePerGas);
  const fee = { maxFeePerGas: base * 20n + GWEI, maxPriorityFeePerGas: GWEI };
  for (let i = 0; running; i++) {
    while (gate.paused && running) await sleep(100);
    if (!running) return;
    gate.busy = true;
    const raw = await wallet.signTransaction({ type: 2, chainId: CHAIN_ID, nonce, ...fee, ...make(i) });
    const hash = ethers.keccak256(raw);
    let receipt = null;
    let sentAt = 0;
    while (running && !receipt) {
      if (Date.now() - sentAt > 3000) {
        sentAt = Date.now();
        const r = await seqRpc('eth_sendRawTransaction', [raw]).catch((e) => e);
        const msg = r?.rpcError?.message ?? '';
        if (r?.rpcError && !/already known|nonce too low|already imported|known transaction/i.test(msg)) unexpected.push(`${kind} ${hash}: ${msg}`);
      }
      receipt = await seqRpc('eth_getTransactionReceipt', [hash]).catch(() => null);
      if (!receipt) await sleep(200);
    }
    if (!receipt) return;
    receipts.set(hash, { kind, summary: receiptSummary(receipt) });
    done(receipt);
    gate.busy = false;
    nonce++;
    await sleep(pauseMs);
  }
}

/** ERC-20 BAI deposits through the portal (straight to anvil, not through the nodes' proxy), one at a time. */
async function depositLoop(addrs, l1p) {
  const signer = new ethers.NonceManager(devWallet(0, l1p));
  const token = new ethers.Contract(addrs.BaiToken, ERC20_ABI, signer);
  const portal = new ethers.Contract(addrs.OptimismPortal, PORTAL_ABI, signer);
  await (await token.approve(addrs.OptimismPortal, 1_000_000n * ETHER)).wait();
  for (let i = 0; running; i++) {
    const recipient = derivedWallet('faults-deposit', i).address;
    const amount = ETHER + BigInt(i) * 1000n; // each one different
    const receipt = await (await portal.depositERC20Transaction(recipient, amount, amount, 100_000n, false, '0x')).wait();
    const log = receipt.logs.find((l) => l.address.toLowerCase() === addrs.OptimismPortal.toLowerCase());
    deposits.push({ source: depositSourceHash(receipt.blockHash, log.index), recipient, amount, l1Block: receipt.blockNumber });
    await sleep(1500);
  }
}

test('faults under mixed load: kill -9 of each service and a stalled L1, nothing lost after recovery', { timeout: 480_000 }, async (t) => {
  const t0 = Date.now();
  const since = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;

  // ---- setup ----
  l1 = await startAnvil({ name: 'faults-l1', blockTime: 1 });
  // A finalization period longer than the suite: the challenger checks every output (final ones it skips).
  const addrs = await deployL1(l1.url, { BAI_SUBMISSION_INTERVAL: String(INTERVAL), BAI_FINALIZATION_PERIOD: '3600' });
  const l1p = jsonRpc(l1.url);
  const oracle = new ethers.Contract(addrs.L2OutputOracle, ORACLE_ABI, l1p);
  proxy = await startProxy(l1.url);
  const models = modelsSubset(['all-MiniLM-L6-v2']);
  const [inferPort, seqPort, verifierPort] = [await freePort(), await freePort(), await freePort()];
  const inferUrl = `http://127.0.0.1:${inferPort}`;
  const seqDatadir = join(TMP, 'faults-seq-data');
  const verifierDatadir = join(TMP, 'faults-verifier-data');
  const l1Flags = ['--l1.rpc-url', proxy.url, '--l1.system-config', addrs.SystemConfig, '--l1.confirmations', '1', '--l1.poll-interval', '250ms'];
  const startSeq = () => startNode({ name: 'faults-seq', datadir: seqDatadir, port: seqPort, blockTime: BLOCK_TIME, extraArgs: [...l1Flags,
    '--inference.url', inferUrl, '--inference.timeout', '20s', '--batcher.key', devWallet(3).privateKey, '--batcher.da', 'calldata',
    '--batcher.max-blocks', '6', '--batcher.max-delay', '2s', '--proposer.key', devWallet(2).privateKey] });
  // The challenger's "within tolerance" lines (debug) are what shows each witness was checked.
  const startVerifier = () => startNode({ name: 'faults-verifier', datadir: verifierDatadir, port: verifierPort, readyMs: 240_000,
    env: { RUST_LOG: `${process.env.RUST_LOG || 'info'},challenger=debug` },
    extraArgs: ['--verifier', ...l1Flags, '--challenger.key', CHALLENGER.privateKey, '--challenger.l2-rpc-url', `http://127.0.0.1:${seqPort}`,
      '--inference.models-dir', models] });
  const startInfer = () => startInference({ name: 'faults-infer', port: inferPort, modelsDir: models });
  // The inference server and the verifier load the model at the same time; the sequencer needs neither to start.
  await Promise.all([
    startInfer().then((s) => { infer = s; }),
    (async () => { seq = await startSeq(); verifier = await startVerifier(); })(),
  ]);
  t.diagnostic(`L1, contracts, inference server, sequencer and verifier up after ${since()}`);

  // ---- load, the whole time ----
  const market = new ethers.Interface(MARKET_ABI);
  const price = (await new ethers.Contract(MARKETPLACE, MARKET_ABI, jsonRpc(seq.url)).getModel(EMBED_ID)).price;
  const loops = [
    ...SENDERS.map((w) => txLoop(w, 'transfer', (i) => ({ to: derivedWallet('faults-to', `${w.address}-${i}`).address, value: 1_000_000n + BigInt(i), gasLimit: 21_000n }), 100)),
    txLoop(CALLER, 'model call', (i) => ({ to: MARKETPLACE, value: price, gasLimit: 3_000_000n,
      data: market.encodeFunctionData('embed', [EMBED_ID, `faults: sentence number ${i} about rollups, at ${Date.now()}`]) }), 500,
    (r) => { if (r.status === '0x1') modelCalls.ok++; else modelCalls.reverted++; }, modelCalls),
    depositLoop(addrs, l1p),
  ].map((p) => p.catch((e) => { unexpected.push(`load loop died: ${e.stack ?? e}`); }));

  // ---- checks after each recovery ----
  const state = { outputsChecked: 0, verifiedBefore: 0 };
  const check = async (label) => {
    const c0 = Date.now();
    const target = await head(seq.url);
    // Transactions with a receipt keep it, identical.
    const hashes = [...receipts.keys()];
    const now = await rpcBatch(hashes.map((h) => ['eth_getTransactionReceipt', [h]]), { url: seq.url });
    hashes.forEach((h, i) => {
      assert.ok(now[i].result, `${label}: the ${receipts.get(h).kind} ${h} had a receipt and still has one`);
      assert.deepEqual(receiptSummary(now[i].result), receipts.get(h).summary, `${label}: receipt of ${h} unchanged`);
    });

    // The verifier derives the sequencer's chain from L1, while the deposits L1 included before the
    // check reach L2 (deposits made while the sequencer could not see L1 wait for its origin to catch up).
    const due = deposits.slice();
    let blocks;
    await Promise.all([
      waitSafe(verifier.url, target, 120_000, `${label}: the verifier`),
      waitFor(`${label}: ${due.length} deposits on L2`, async () => {
        blocks = await blocksOf(seq.url, 1, await head(seq.url), true);
        const sources = new Set(blocks.flatMap((b) => b.transactions.filter((tx) => tx.type === '0x7e').map((tx) => tx.sourceHash)));
        return due.every((d) => sources.has(d.source));
      }, { timeoutMs: 90_000, intervalMs: 1000 }),
    ]);
    await assertSameChain(seq.url, verifier.url, target);

    // Every one of them is on L2 exactly once.
    const bySource = new Map();
    for (const b of blocks) {
      for (const tx of b.transactions) {
        if (tx.type !== '0x7e' || tx.from.toLowerCase() !== DEPOSITOR.address.toLowerCase()) continue;
        bySource.set(tx.sourceHash, [...(bySource.get(tx.sourceHash) ?? []), tx.hash]);
      }
    }
    for (const [source, txs] of bySource) assert.equal(txs.length, 1, `${label}: deposit ${source} included once (transactions ${txs.join(', ')})`);
    const balances = await rpcBatch(due.map((d) => ['eth_getBalance', [d.recipient, 'latest']]), { url: seq.url });
    due.forEach((d, i) => assert.equal(BigInt(balances[i].result), d.amount, `${label}: deposit ${d.source} credited exactly once`));
    for (const d of due) {
      const [hash] = bySource.get(d.source);
      if (!receipts.has(hash)) receipts.set(hash, { kind: 'deposit', summary: receiptSummary(await rpcAt(seq.url, 'eth_getTransactionReceipt', [hash])) });
    }

    // Outputs: each the one the verifier and the sequencer compute; none deleted; the proposer moved on.
    await waitFor(`${label}: an output for block ${state.verifiedBefore} or later`, async () => Number(await oracle.latestBlockNumber()) >= state.verifiedBefore,
      { timeoutMs: 90_000, intervalMs: 500 });
    const count = Number(await oracle.nextOutputIndex());
    for (let i = state.outputsChecked; i < count; i++) {
      const o = await oracle.getL2Output(i);
      const n = Number(o.l2BlockNumber);
      await waitSafe(verifier.url, n, 60_000, 'the verifier');
      for (const node of [verifier, seq]) {
        const theirs = await rpcAt(node.url, 'optimism_outputAtBlock', [ethers.toQuantity(n)]);
        assert.equal(o.outputRoot, theirs.outputRoot, `${label}: output ${i} (block ${n}) is what ${node === seq ? 'the sequencer' : 'the verifier'} computes`);
      }
    }
    state.outputsChecked = count;
    // The challenger checked each of them (it logs every output it found valid).
    await waitFor(`${label}: the challenger checking outputs 0..${count - 1}`, async () => {
      const valid = new Set([...strip(readFileSync(verifier.log, 'utf8')).matchAll(/challenger: output valid index=(\d+)/g)].map((m) => Number(m[1])));
      return [...Array(count).keys()].every((i) => valid.has(i));
    }, { timeoutMs: 60_000, intervalMs: 500 });
    const deleted = await oracle.queryFilter(oracle.filters.OutputsDeleted(), 0, 'latest');
    assert.deepEqual(deleted.map((e) => e.transactionHash), [], `${label}: no output of the honest proposer deleted`);

    // The inference challenger checked every witness below its cursor, and passed no block it could not check.
    const cursorFile = join(verifierDatadir, 'inference-challenger.cursor');
    const cursor = () => (existsSync(cursorFile) ? Number(readFileSync(cursorFile, 'utf8').split(' ')[0]) : 0);
    await waitFor(`${label}: the inference challenger past block ${target}`, async () => cursor() > target, { timeoutMs: 90_000, intervalMs: 500 });
    const next = cursor();
    const log = strip(readFileSync(verifier.log, 'utf8'));
    const checked = new Set([...log.matchAll(/inference witness within tolerance.*?\bkey=(0x[0-9a-f]{64})/g)].map((m) => m[1]));
    const unchecked = [...log.matchAll(/(inference witness not checked|cannot re-execute the block).*?\bblock=(\d+)(.*)/g)].map((m) => ({ block: Number(m[2]), line: m[0] }));
    const outside = [...log.matchAll(/inference witness outside the model's tolerance.*/g)].map((m) => m[0]);
    assert.deepEqual(outside, [], `${label}: no honest witness found outside the tolerance`);
    for (const u of unchecked) assert.ok(u.block >= next, `${label}: the inference challenger's cursor (${next}) passed block ${u.block}, which it could not check: ${u.line}`);
    let witnesses = 0;
    for (const b of blocks.filter((x) => Number(x.number) < next)) {
      for (const key of witnessKeys(b)) {
        witnesses++;
        assert.ok(checked.has(key), `${label}: witness ${key} of block ${Number(b.number)} is below the challenger's cursor ${next} but was never checked`);
      }
    }
    assert.equal(Number(await rpcAt(seq.url, 'eth_getTransactionCount', [CHALLENGER.address, 'latest'])), 0, `${label}: the inference challenger filed nothing`);

    // Every task of both nodes runs.
    for (const node of [seq, verifier]) {
      const health = await rpcAt(node.url, 'bai_health');
      assert.ok(health.healthy, `${label}: ${node === seq ? 'sequencer' : 'verifier'} healthy: ${JSON.stringify(health)}`);
    }
    assert.deepEqual(unexpected.splice(0), [], `${label}: load errors other than a node being down`);
    state.verifiedBefore = target;
    t.diagnostic(`${label}: checked at ${since()} in ${((Date.now() - c0) / 1000).toFixed(1)} s: head ${target}, ${receipts.size} receipts, `
      + `${due.length} deposits, ${count} outputs, ${witnesses} witnesses below the challenger's cursor ${next}, model calls ${modelCalls.ok} ok / ${modelCalls.reverted} reverted`);
  };
  const phase = (name, fn) => t.test(name, async () => { await fn(); await check(name); });

  await phase('under load, before any fault', () => sleep(LOAD_MS));

  // The batcher runs inside the sequencer process (--batcher.key): this kill -9 is also the batcher's.
  await phase('1+2. kill -9 of the sequencer (and the batcher inside it), restart on the same datadir', async () => {
    await sleep(LOAD_MS);
    await seq.kill('SIGKILL');
    await sleep(1000);
    seq = await startSeq();
  });

  await phase('3. kill -9 of the verifier (and its challengers), restart on the same datadir', async () => {
    await sleep(LOAD_MS);
    await verifier.kill('SIGKILL');
    verifier = await startVerifier();
  });

  // No model call goes into a block while the server is down: a call the sequencer reverts for want of a
  // server is one a verifier re-executes differently (another revert reason, other gas: test 6), and the
  // fork would fail every check after it. Transfers and deposits go on; eth_call shows the server is gone.
  await phase('4. kill -9 of the inference server, restart on the same port', async () => {
    await sleep(LOAD_MS);
    modelCalls.paused = true;
    await waitFor('the model call in flight to be mined', () => !modelCalls.busy, { timeoutMs: 30_000 });
    const [ok, reverted] = [modelCalls.ok, modelCalls.reverted];
    await infer.kill('SIGKILL');
    const probe = { from: CALLER.address, to: MARKETPLACE, value: ethers.toQuantity(price), data: market.encodeFunctionData('embed', [EMBED_ID, `faults: asked while the server is down, ${Date.now()}`]) };
    const refused = await rpcAt(seq.url, 'eth_call', [probe, 'latest']).then(() => null, (e) => e.rpcError);
    assert.equal(UNAVAILABLE.parseError(refused?.data ?? '0x')?.name, 'InferenceUnavailable', `a model call with the server down reverts: ${JSON.stringify(refused)}`);
    const restarted = startInfer();
    await sleep(LOAD_MS); // transfers and deposits meanwhile
    infer = await restarted;
    modelCalls.paused = false;
    await waitFor('a model call answered by the restarted server', () => modelCalls.ok > ok, { timeoutMs: 60_000 });
    assert.equal(modelCalls.reverted, reverted, 'no model call reverted');
  });

  await phase(`5. the L1 endpoint stalls for ${STALL_S} s, then answers again`, async () => {
    await sleep(LOAD_MS);
    const from = await head(seq.url);
    proxy.stall();
    await sleep(STALL_S * 1000);
    const during = await head(seq.url);
    proxy.resume();
    assert.ok(during >= from + STALL_S / 2, `the sequencer kept building with L1 stalled (${from} → ${during})`);
    assert.ok(proxy.held > 0, 'the nodes called L1 during the stall');
    t.diagnostic(`L1 requests held by the stall: ${proxy.held}`);
  });

  // Last: model calls mined while the inference server is down. They revert, and every node must
  // revert them identically: the sequencer building the block (its backend failed), a verifier deriving
  // it and a replica importing it (no witness for the call). Before the fix the sequencer put its backend's
  // error text into the revert data and replay said "no witness": the call's gas differed by 9, the block
  // hash with it, and the verifier dropped every later batch as not extending its safe head.
  await t.test('6. model calls mined while the inference server is down: the verifier derives the same blocks', async () => {
    const known = new Set(receipts.keys());
    const reverted = modelCalls.reverted;
    await infer.kill('SIGKILL');
    // What the sequencer's backend answers now is the revert reason it puts into the blocks it builds.
    const probe = { from: CALLER.address, to: MARKETPLACE, value: ethers.toQuantity(price), data: market.encodeFunctionData('embed', [EMBED_ID, `faults: asked while the server is down, ${Date.now()}`]) };
    const refused = await rpcAt(seq.url, 'eth_call', [probe, 'latest']).then(() => null, (e) => e.rpcError);
    const sequencing = UNAVAILABLE.parseError(refused?.data ?? '0x')?.args.reason;
    await waitFor('two model calls mined while the inference server is down', () => modelCalls.reverted >= reverted + 2, { timeoutMs: 60_000 });
    infer = await startInfer();
    const failed = [...receipts].filter(([h, r]) => !known.has(h) && r.kind === 'model call' && r.summary.status === '0x0');
    assert.ok(failed.length >= 2, `model calls reverted while the server was down: ${failed.length}`);
    for (const [hash, { summary }] of failed) {
      const n = Number(summary.blockNumber);
      await waitSafe(verifier.url, n, 90_000, 'the verifier');
      const [ours, theirs] = await Promise.all([seq, verifier].map((node) => rpcAt(node.url, 'eth_getBlockByNumber', [ethers.toQuantity(n), false])));
      if (theirs.hash === ours.hash) continue;
      // Receipts, and each node re-executing the call now (debug_traceTransaction replays the block's witnesses).
      const [onSeq, onVerifier] = await Promise.all([seq, verifier].map(async (node) => {
        const r = await rpcAt(node.url, 'eth_getTransactionReceipt', [hash]);
        const trace = await rpcAt(node.url, 'debug_traceTransaction', [hash, { tracer: 'callTracer' }]).catch(() => null);
        const reason = trace?.output ? UNAVAILABLE.parseError(trace.output)?.args.reason : undefined;
        return `receipt gas ${BigInt(r.gasUsed)}, re-executed: gas ${trace ? BigInt(trace.gasUsed) : '?'} reverting with ${JSON.stringify(reason)}`;
      }));
      assert.fail(`block ${n}: the verifier derived ${theirs.hash} (gas ${BigInt(theirs.gasUsed)}), the sequencer built ${ours.hash} (gas ${BigInt(ours.gasUsed)}). `
        + `Its model call ${hash} reverted for want of the inference server; building, the sequencer reverts such a call with ${JSON.stringify(sequencing)}. `
        + `Sequencer: ${onSeq}. Verifier: ${onVerifier}`);
    }
    await check('6. model calls mined while the inference server is down');
  });

  running = false;
  await Promise.all(loops);
  assert.deepEqual(unexpected, [], 'load errors other than a node being down');
  t.diagnostic(`suite ${since()}`);
});
