// Inference pool failover (issue 20, "what it must show" 2), everything real: two `bai infer serve` servers
// with the real MiniLM embedding model on CPU, and a sequencer given both (`--inference.url a,b`).
//
// Three callers send a stream of paid model calls (the marketplace's `embed`, each text new so a server is
// asked every time, each caller sending its next call when the last one has a receipt). While the stream
// runs, server A is killed with SIGKILL. Checks:
//   - every model call of the stream has a receipt with status 1 — none reverted with InferenceUnavailable,
//     before, during or after the kill — and calls went on being mined after it;
//   - the node saw the failure: `bai_inference_server_up{url=A}` is 0 and `bai_inference_failovers_total` > 0;
//   - A, restarted on the same port, is probed back into the rotation (`bai_inference_server_up{url=A}` 1)
//     while the stream goes on, again with no call failing.
// Env: BAI_BIN, E2E_TMP, E2E_ROOT.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { ethers, GWEI, CHAIN_ID, devWallet, waitFor, rpcAt } from '../lib/common.mjs';
import { startNode, startInference, modelsSubset, freePort } from '../lib/node.mjs';
import { MARKETPLACE, MARKET_ABI, EMBED_ID } from '../lib/l2.mjs';
import { readFileSync } from 'node:fs';

const CALLERS = [5, 6, 7].map((i) => devWallet(i));
const market = new ethers.Interface(MARKET_ABI);

let a, b, seq;
let running = true;
after(async () => { running = false; await seq?.stop(); await a?.stop(); await b?.stop(); });

const calls = { sent: 0, ok: 0, failed: [] }; // failed: { hash, status, at }

/** Paid embed calls from `wallet`, one at a time, each until it has a receipt. */
async function callLoop(wallet, price, tag) {
  let nonce = Number(await rpcAt(seq.url, 'eth_getTransactionCount', [wallet.address, 'latest']));
  const base = BigInt((await rpcAt(seq.url, 'eth_getBlockByNumber', ['latest', false])).baseFeePerGas);
  for (let i = 0; running; i++, nonce++) {
    const raw = await wallet.signTransaction({ type: 2, chainId: CHAIN_ID, nonce, to: MARKETPLACE, value: price, gasLimit: 3_000_000n,
      maxFeePerGas: base * 20n + GWEI, maxPriorityFeePerGas: GWEI,
      data: market.encodeFunctionData('embed', [EMBED_ID, `failover ${tag}: sentence ${i} about rollups at ${Date.now()}`]) });
    const hash = await rpcAt(seq.url, 'eth_sendRawTransaction', [raw]);
    calls.sent++;
    const receipt = await waitFor(`receipt of ${hash}`, () => rpcAt(seq.url, 'eth_getTransactionReceipt', [hash]), { timeoutMs: 90_000, intervalMs: 200 });
    if (receipt.status === '0x1') calls.ok++;
    else calls.failed.push({ hash, status: receipt.status, at: Date.now() });
  }
}

/** The sequencer's Prometheus text. */
async function metrics(url) {
  return (await fetch(url)).text();
}

/** A sample's value in Prometheus text, `undefined` when absent. */
function sample(text, name, labels = '') {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels}`) && /\s[-0-9.e+]+$/.test(l));
  return line === undefined ? undefined : Number(line.trim().split(/\s+/).pop());
}

test('killing one of two inference servers under a stream of paid model calls fails no call', { timeout: 420_000 }, async (t) => {
  const models = modelsSubset(['all-MiniLM-L6-v2']);
  const [portA, portB, metricsPort] = [await freePort(), await freePort(), await freePort()];
  [a, b] = await Promise.all([
    startInference({ name: 'failover-infer-a', port: portA, modelsDir: models }),
    startInference({ name: 'failover-infer-b', port: portB, modelsDir: models }),
  ]);
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  seq = await startNode({ name: 'failover-seq', blockTime: '500ms', extraArgs: ['--inference.url', `${a.url},${b.url}`,
    '--inference.timeout', '20s', '--metrics', `127.0.0.1:${metricsPort}`] });
  const price = (await new ethers.Contract(MARKETPLACE, MARKET_ABI, new ethers.JsonRpcProvider(seq.url, undefined, { staticNetwork: true })).getModel(EMBED_ID)).price;
  const upA = `{url="${a.url}"}`;

  const loops = CALLERS.map((w, i) => callLoop(w, price, i));
  await waitFor('ten model calls answered with both servers up', () => calls.ok >= 10, { timeoutMs: 120_000, intervalMs: 250 });
  assert.equal(sample(await metrics(metricsUrl), 'bai_inference_server_up', upA) ?? 1, 1, 'A in rotation before the kill');

  await a.kill('SIGKILL');
  const okAtKill = calls.ok;
  t.diagnostic(`server A killed after ${okAtKill} calls`);
  await waitFor('ten more model calls answered after the kill', () => calls.ok >= okAtKill + 10, { timeoutMs: 120_000, intervalMs: 250 });
  let text = await metrics(metricsUrl);
  assert.equal(sample(text, 'bai_inference_server_up', upA), 0, 'the node took A out of rotation');
  assert.ok(sample(text, 'bai_inference_failovers_total') >= 1, 'calls failed over to B');
  assert.deepEqual(calls.failed, [], 'no model call failed while A was down');

  // A comes back on the same port and is probed back in (its backoff is at most 30 s).
  a = await startInference({ name: 'failover-infer-a2', port: portA, modelsDir: models });
  await waitFor('A back in rotation', async () => sample(await metrics(metricsUrl), 'bai_inference_server_up', upA) === 1,
    { timeoutMs: 90_000, intervalMs: 500 });
  const okBack = calls.ok;
  await waitFor('five more model calls with both servers up', () => calls.ok >= okBack + 5, { timeoutMs: 60_000, intervalMs: 250 });

  running = false;
  await Promise.all(loops);
  text = await metrics(metricsUrl);
  t.diagnostic(`${calls.sent} calls sent, ${calls.ok} ok, ${calls.failed.length} failed; failovers ${sample(text, 'bai_inference_failovers_total')}`);
  assert.deepEqual(calls.failed, [], 'no model call of the stream failed');
  assert.equal(calls.ok, calls.sent);
});

// Routing follows the on-chain operator registry: the genesis models name dev account 9 as their serving
// operator. Server C is bound to another operator, server D to dev 9; the sequencer is given both. Paid calls
// are answered (by D); with D killed, C — up, healthy, serving the same model — must not answer them: the call
// reverts and the node says no server of the pool serves for dev 9.
test('a model\'s calls go only to servers of its registered operator', { timeout: 300_000 }, async () => {
  const models = modelsSubset(['all-MiniLM-L6-v2']);
  const operator = devWallet(9).address;
  const [c, d] = await Promise.all([
    startInference({ name: 'failover-infer-other-operator', modelsDir: models, extraArgs: ['--operator', '0x000000000000000000000000000000000000dEaD'] }),
    startInference({ name: 'failover-infer-registered-operator', modelsDir: models, extraArgs: ['--operator', operator] }),
  ]);
  const declared = async (s) => (await (await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: '{"jsonrpc":"2.0","id":1,"method":"bai_operator","params":[]}' })).json()).result;
  assert.equal((await declared(d)).toLowerCase(), operator.toLowerCase());
  const node = await startNode({ name: 'failover-seq-operators', blockTime: '500ms', extraArgs: ['--inference.url', `${c.url},${d.url}`, '--inference.timeout', '10s'] });
  try {
    const provider = new ethers.JsonRpcProvider(node.url, undefined, { staticNetwork: true });
    const model = await new ethers.Contract(MARKETPLACE, MARKET_ABI, provider).getModel(EMBED_ID);
    assert.equal(model.operator.toLowerCase(), operator.toLowerCase(), 'the genesis names dev 9 as the operator');
    const wallet = devWallet(8).connect(provider);
    const call = async (i) => (await wallet.sendTransaction({ to: MARKETPLACE, value: model.price, gasLimit: 3_000_000n,
      data: market.encodeFunctionData('embed', [EMBED_ID, `operator routing ${i} at ${Date.now()}`]) })).wait(1, 60_000).catch((e) => e.receipt);
    for (let i = 0; i < 4; i++) assert.equal((await call(i)).status, 1, `call ${i} answered by the operator's server`);

    await d.kill('SIGKILL');
    const refused = await call(99);
    assert.equal(refused.status, 0, 'with only another operator\'s server up, the call reverts');
    const log = readFileSync(node.log, 'utf8');
    assert.match(log, new RegExp(`server\\(s\\) of the pool serve other operators than ${operator} and were not asked`, 'i'));
  } finally {
    await node.stop();
    await c.stop();
    await d.stop();
  }
});
