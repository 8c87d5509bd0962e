// Bad-input suite (node --test): every invalid request the node must refuse, sent as raw JSON-RPC with raw
// signed transactions built by ethers, asserting the error code and message prefix (geth's), and that the
// node still serves (eth_blockNumber, a valid tx mined) afterwards.
// Expectations for bai are the interface contract; TARGET=anvil uses anvil's own answers (or records them
// where anvil accepts what bai must refuse), so the suite documents the differences.
// Env: RPC_URL, TARGET=bai|anvil.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  ethers, RPC_URL, IS_BAI, TARGET, CHAIN_ID, GWEI, ETHER, devWallet, derivedWallet, rpc, rpcRaw, post, curlPost, waitReceipt, waitFor,
  signTransfer, artifact, sleep, jsonRpc
} from '../lib/common.mjs';

const provider = jsonRpc(RPC_URL, { chainId: Number(CHAIN_ID), name: 'bai' });
const alice = devWallet(1, provider);
const side = devWallet(7, provider); // used for cases anvil accepts, so alice's nonces stay predictable
const to = derivedWallet('bad-recipient', 0).address;
const probeArt = artifact('Probe');
const probeIface = new ethers.Interface(probeArt.abi);
const answers = []; // [case, answer] recorded for the summary
after(() => {
  provider.destroy();
  console.log(`\n  answers from ${TARGET}:`);
  for (const [name, a] of answers) console.log(`    ${name.padEnd(34)} ${a.length > 200 ? `${a.slice(0, 200)}…` : a}`);
});

const E = (code, prefix) => ({ code, prefix });
/** Per-target expectation: bai must follow the contract; for anvil `null` means "anvil accepts it". */
const expect = {
  wrongChain: { bai: E(-32000, 'invalid chain id'), anvil: E(-32003, 'invalid chain id') },
  unprotected: { bai: E(-32000, 'only replay-protected (EIP-155) transactions allowed over RPC'), anvil: null },
  nonceLow: { bai: E(-32000, 'nonce too low'), anvil: E(-32003, 'nonce too low') },
  insufficient: { bai: E(-32000, 'insufficient funds for gas * price + value'), anvil: E(-32003, 'Insufficient funds for gas * price + value') },
  intrinsic: { bai: E(-32000, 'intrinsic gas too low'), anvil: E(-32000, 'intrinsic gas too low') },
  intrinsicData: { bai: E(-32000, 'intrinsic gas too low'), anvil: null },
  gasLimit: { bai: E(-32000, 'exceeds block gas limit'), anvil: E(-32000, 'intrinsic gas too high') },
  replUnder: { bai: E(-32000, 'replacement transaction underpriced'), anvil: null },
  known: { bai: E(-32000, 'already known'), anvil: E(-32003, 'transaction already imported') },
  underpriced: { bai: E(-32000, 'transaction underpriced'), anvil: E(-32003, 'max fee per gas less than block base fee') },
  oversized: { bai: E(-32000, 'oversized data'), anvil: null },
  nonceHigh: { bai: E(-32000, 'nonce too high'), anvil: null },
  parse: { bai: E(-32700, undefined), anvil: E(-32600, undefined) },
};

function check(name, resp, exp) {
  const e = exp[TARGET];
  const got = resp.error ? `error ${resp.error.code} "${resp.error.message}"` : `result ${JSON.stringify(resp.result).slice(0, 80)}`;
  answers.push([name, got]);
  if (e === null) return; // anvil accepts: recorded only
  assert.ok(resp.error, `${name}: expected error ${e.code} "${e.prefix}", got ${got}`);
  assert.equal(resp.error.code, e.code, `${name}: code (message "${resp.error.message}")`);
  if (e.prefix !== undefined) {
    assert.ok(resp.error.message.startsWith(e.prefix), `${name}: message should start with "${e.prefix}", got "${resp.error.message}"`);
  }
}

async function fees() {
  const base = BigInt((await rpc('eth_getBlockByNumber', ['latest', false])).baseFeePerGas);
  return { maxFeePerGas: base * 4n + GWEI, maxPriorityFeePerGas: GWEI };
}
const send = (raw) => rpcRaw('eth_sendRawTransaction', [raw]);

let aliceNonce;
test('setup: alice has a mined tx so her next nonce is known', async () => {
  const f = await fees();
  const n = Number(await rpc('eth_getTransactionCount', [alice.address, 'pending']));
  const r = await send(await signTransfer(alice, { to, nonce: n, ...f }));
  assert.ok(r.result, JSON.stringify(r));
  await waitReceipt(r.result);
  aliceNonce = n + 1;
});

test('wrong chain id signed tx -> invalid chain id', async () => {
  const raw = await signTransfer(alice, { to, nonce: aliceNonce, chainId: 1n, ...(await fees()) });
  check('wrong chain id', await send(raw), expect.wrongChain);
});

test('legacy tx without EIP-155 protection -> only replay-protected', async () => {
  const f = await fees();
  const raw = await side.signTransaction({ type: 0, chainId: 0n, nonce: await side.getNonce('pending'), to, value: 1n, gasLimit: 21000n, gasPrice: f.maxFeePerGas });
  assert.equal(ethers.Transaction.from(raw).chainId, 0n, 'the tx really is unprotected');
  check('legacy unprotected', await send(raw), expect.unprotected);
  // a protected legacy tx is fine
  const ok = await side.signTransaction({ type: 0, chainId: CHAIN_ID, nonce: await side.getNonce('pending') + (IS_BAI ? 0 : 1), to, value: 1n, gasLimit: 21000n, gasPrice: f.maxFeePerGas });
  const r = await send(ok);
  assert.ok(r.result, `EIP-155 legacy tx accepted: ${JSON.stringify(r.error)}`);
  await waitReceipt(r.result);
});

test('nonce too low', async () => {
  const raw = await signTransfer(alice, { to, nonce: aliceNonce - 1, ...(await fees()) });
  check('nonce too low', await send(raw), expect.nonceLow);
  if (IS_BAI && process.env.NODE_LOG) {
    // the operator's side of the same refusal, for both ways of sending: run.sh starts the node with
    // RUST_LOG=...,rpc=debug
    check('nonce too low (sync)', await rpcRaw('eth_sendRawTransactionSync', [raw]), expect.nonceLow);
    for (const method of ['eth_sendRawTransaction', 'eth_sendRawTransactionSync']) {
      const line = await waitFor(`the ${method} refusal in the node log`, () => readFileSync(process.env.NODE_LOG, 'utf8')
        .replace(/\x1b\[[0-9;]*m/g, '').split('\n')
        .find((l) => l.includes(`request failed method="${method}"`) && l.includes(`nonce too low: next nonce ${aliceNonce}, tx nonce ${aliceNonce - 1}`)));
      assert.match(line, new RegExp(`DEBUG rpc: request failed method="${method}" code=-32000 error="nonce too low: next nonce \\d+, tx nonce \\d+"`));
    }
  }
});

test('insufficient funds from a fresh key', async () => {
  const fresh = derivedWallet('bad-empty', 0);
  const raw = await signTransfer(fresh, { to, nonce: 0, ...(await fees()) });
  check('insufficient funds (empty)', await send(raw), expect.insufficient);
  // value above balance from a funded account
  const bal = await provider.getBalance(alice.address);
  const raw2 = await signTransfer(alice, { to, nonce: aliceNonce, value: bal, ...(await fees()) });
  check('insufficient funds (value)', await send(raw2), expect.insufficient);
});

test('intrinsic gas too low', async () => {
  const f = await fees();
  check('intrinsic gas (20000)', await send(await signTransfer(alice, { to, nonce: aliceNonce, gasLimit: 20000n, ...f })), expect.intrinsic);
  // calldata costs gas too: 21000 is not enough for 1 KB of non-zero bytes
  // (dev account 9: anvil accepts this one, and it must not disturb alice's nonces)
  const w9 = devWallet(9, provider);
  check('intrinsic gas (calldata)', await send(await signTransfer(w9, { to, nonce: await w9.getNonce('pending'), gasLimit: 21000n, data: '0x' + 'ff'.repeat(1024), ...f })), expect.intrinsicData);
});

test('gas limit above the 30,000,000 block gas limit', async () => {
  const raw = await signTransfer(alice, { to, nonce: aliceNonce, gasLimit: 30_000_001n, ...(await fees()) });
  check('gas limit 30,000,001', await send(raw), expect.gasLimit);
});

test('underpriced replacement and duplicate (already known)', async () => {
  const f = { maxFeePerGas: 100n * GWEI, maxPriorityFeePerGas: 2n * GWEI };
  const n = aliceNonce + 1; // one past the next nonce: queued, so it stays in the pool
  const raw = await signTransfer(alice, { to, nonce: n, value: 1n, ...f });
  const first = await send(raw);
  assert.ok(first.result, `queued tx accepted: ${JSON.stringify(first.error)}`);
  check('duplicate', await send(raw), expect.known);
  const bumped = await signTransfer(alice, { to, nonce: n, value: 2n, maxFeePerGas: (f.maxFeePerGas * 105n) / 100n, maxPriorityFeePerGas: (f.maxPriorityFeePerGas * 105n) / 100n });
  check('replacement +5%', await send(bumped), expect.replUnder);
});

test('transaction underpriced (zero fee)', async () => {
  const raw = await signTransfer(side, { to, nonce: await side.getNonce('pending'), maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
  check('zero fee', await send(raw), expect.underpriced);
});

test('oversized data (> 128 KiB transaction)', async () => {
  const raw = await signTransfer(side, { to, nonce: await side.getNonce('pending'), gasLimit: 12_000_000n, data: '0x' + '00'.repeat(200 * 1024), ...(await fees()) });
  check('oversized data (200 KiB)', await send(raw), expect.oversized);
});

test('nonce gaps: small gap queued, huge gap -> nonce too high', async () => {
  const f = await fees();
  const w = devWallet(8, provider);
  const base = await w.getNonce('pending');
  const small = await send(await signTransfer(w, { to, nonce: base + 3, ...f }));
  answers.push(['small nonce gap (+3)', small.error ? `error ${small.error.code} "${small.error.message}"` : 'accepted (queued)']);
  assert.ok(small.result, `a small gap is queued like geth: ${JSON.stringify(small.error)}`);
  check('huge nonce gap (+100000)', await send(await signTransfer(w, { to, nonce: base + 100000, ...f })), expect.nonceHigh);
});

test('garbage raw transaction bytes are refused', async () => {
  for (const [name, raw] of [['garbage bytes', '0xdeadbeef'], ['empty bytes', '0x'], ['truncated tx', (await signTransfer(alice, { to, nonce: aliceNonce, ...(await fees()) })).slice(0, 60)]]) {
    const r = await send(raw);
    answers.push([name, r.error ? `error ${r.error.code} "${r.error.message}"` : `result ${r.result}`]);
    assert.ok(r.error, `${name} refused`);
  }
});

test('execution reverted: code 3, reason in message, revert bytes in data (eth_call, eth_estimateGas)', async () => {
  const f = await fees();
  const r = await send(await signTransfer(alice, { to: null, nonce: aliceNonce, gasLimit: 1_000_000n, data: probeArt.bytecode, value: 0n, ...f }));
  assert.ok(r.result, JSON.stringify(r.error));
  const rc = await waitReceipt(r.result);
  aliceNonce += 1;
  const probe = rc.contractAddress;
  const reasonData = probeIface.encodeFunctionData('fail', ['boom']);
  const expectData = ethers.concat(['0x08c379a0', ethers.AbiCoder.defaultAbiCoder().encode(['string'], ['boom'])]);
  for (const m of ['eth_call', 'eth_estimateGas']) {
    const params = m === 'eth_call' ? [{ from: alice.address, to: probe, data: reasonData }, 'latest'] : [{ from: alice.address, to: probe, data: reasonData }];
    const resp = await rpcRaw(m, params);
    answers.push([`${m} revert(string)`, JSON.stringify(resp.error ?? resp.result)]);
    assert.ok(resp.error, `${m} reverts`);
    assert.equal(resp.error.code, 3, `${m} code 3`);
    assert.equal(resp.error.message, 'execution reverted: boom');
    assert.equal(resp.error.data, expectData, `${m} data = Error(string) bytes`);
    const custom = await rpcRaw(m, [{ from: alice.address, to: probe, data: probeIface.encodeFunctionData('failCustom', [7]) }, ...(m === 'eth_call' ? ['latest'] : [])]);
    answers.push([`${m} custom error`, JSON.stringify(custom.error ?? custom.result)]);
    assert.equal(custom.error?.code, 3, `${m} custom error code 3`);
    assert.ok(custom.error.message.startsWith('execution reverted'), custom.error.message);
    assert.equal(custom.error.data, probeIface.encodeErrorResult('Custom', [7, 'custom']));
  }
});

test('JSON-RPC protocol errors: unknown method, invalid params, malformed JSON', async () => {
  const unk = await rpcRaw('eth_noSuchMethod', []);
  answers.push(['unknown method', JSON.stringify(unk.error)]);
  assert.equal(unk.error?.code, -32601);
  for (const [method, params] of [
    ['eth_getBalance', ['0xnot-an-address', 'latest']],
    ['eth_getBlockByNumber', ['not-a-block', false]],
    ['eth_getTransactionReceipt', ['0x1234']],
    ['eth_call', []],
  ]) {
    const r = await rpcRaw(method, params);
    answers.push([`invalid params ${method}`, JSON.stringify(r.error ?? r.result)]);
    assert.equal(r.error?.code, -32602, `${method}(${JSON.stringify(params)}) -> -32602, got ${JSON.stringify(r)}`);
  }
  const mal = await post('{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[');
  answers.push(['malformed JSON', `HTTP ${mal.status} ${mal.text.slice(0, 120)}`]);
  assert.ok(mal.json?.error, 'malformed JSON answered with a JSON-RPC error');
  assert.equal(mal.json.error.code, expect.parse[TARGET].code);
  const notObj = await post('42');
  answers.push(['non-object request', `HTTP ${notObj.status} ${notObj.text.slice(0, 120)}`]);
  assert.ok(notObj.json?.error, 'a bare number is an error');
});

test('oversized request body (20 MB) is rejected and the node keeps serving', async () => {
  const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: ['0x' + '00'.repeat(10 * 1024 * 1024)] });
  assert.ok(big.length > 20_000_000);
  const res = await curlPost(big);
  answers.push(['20 MB body', `HTTP ${res.status} ${res.text.slice(0, 160)}`]);
  if (IS_BAI) {
    assert.ok(res.status === 413 || res.json?.error?.code === -32007, `jsonrpsee rejects it (413 / -32007): got HTTP ${res.status} ${res.text.slice(0, 200)}`);
    assert.ok(!res.json?.result, 'no result for an oversized request');
  }
  assert.equal(await rpc('eth_chainId'), '0xba1', 'still serving after the big body');
});

test('a batch above the batch size limit is refused as a whole; a batch at the limit is served', async () => {
  const mk = (n) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_chainId', params: [] })));
  const big = await post(mk(5000));
  answers.push(['batch of 5000', `HTTP ${big.status} ${big.text.slice(0, 160)}`]);
  if (IS_BAI) {
    assert.ok(big.json && !Array.isArray(big.json) && big.json.error, `5000-call batch refused with one error: ${big.text.slice(0, 200)}`);
    assert.match(big.json.error.message, /batch/i);
  }
  const ok = await post(mk(100));
  assert.ok(Array.isArray(ok.json) && ok.json.length === 100 && ok.json.every((r) => r.result === '0xba1'), 'a 100-call batch is served');
});

test('eth_getLogs over a block range wider than the cap is refused clearly', { skip: !IS_BAI && 'anvil has no range cap' }, async () => {
  // run.sh starts bai with --rpc.max-logs-range $E2E_LOGS_RANGE for this suite (the default cap is 10000)
  const cap = Number(process.env.E2E_LOGS_RANGE || 5);
  await waitFor(`head > ${cap + 2}`, async () => Number(await rpc('eth_blockNumber')) > cap + 2, { timeoutMs: 20000 });
  const head = Number(await rpc('eth_blockNumber'));
  const wide = await rpcRaw('eth_getLogs', [{ fromBlock: '0x0', toBlock: ethers.toQuantity(head) }]);
  answers.push([`eth_getLogs 0..${head} (cap ${cap})`, JSON.stringify(wide.error ?? `${wide.result.length} logs`)]);
  assert.ok(wide.error, `expected an error for range 0..${head}`);
  assert.equal(wide.error.code, -32005);
  assert.equal(wide.error.message, `query exceeds max block range ${cap}`);
  const ok = await rpcRaw('eth_getLogs', [{ fromBlock: ethers.toQuantity(head - cap + 1), toBlock: ethers.toQuantity(head) }]);
  assert.ok(Array.isArray(ok.result), `a range of ${cap} blocks is served: ${JSON.stringify(ok.error)}`);
});

test('after all of it: the node still answers and accepts a valid tx', async () => {
  const before = Number(await rpc('eth_blockNumber'));
  const f = await fees();
  const good = derivedWallet('bad-final', 0).address;
  const n = Number(await rpc('eth_getTransactionCount', [alice.address, 'pending']));
  const r = await send(await signTransfer(alice, { to: good, nonce: n, value: 12345n, ...f }));
  assert.ok(r.result, `valid tx accepted: ${JSON.stringify(r.error)}`);
  const rc = await waitReceipt(r.result);
  assert.equal(rc.status, '0x1');
  assert.equal(await provider.getBalance(good), 12345n);
  assert.ok(Number(await rpc('eth_blockNumber')) > before, 'blocks keep coming');
  // the refused txs never made it into a block
  assert.equal(await rpc('eth_getTransactionCount', [derivedWallet('bad-empty', 0).address, 'latest']), '0x0');
  await sleep(10);
});
