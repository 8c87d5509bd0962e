// Shared helpers for the JS end-to-end suites (node --test) and the bench.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ethers } from 'ethers';

export { ethers };
export const HERE = dirname(fileURLToPath(import.meta.url));
export const E2E_DIR = join(HERE, '..');
export const TARGET = process.env.TARGET || 'bai';
export const IS_BAI = TARGET === 'bai';
export const IS_ANVIL = TARGET === 'anvil';
export const RPC_URL = process.env.RPC_URL || 'http://127.0.0.1:8545';
export const WS_URL = process.env.WS_URL || RPC_URL.replace(/^http/, 'ws');
export const CHAIN_ID = 2977n;
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';
export const L1_ATTRIBUTES_DEPOSITOR = '0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001';
export const L1_BLOCK_PREDEPLOY = '0x4200000000000000000000000000000000000015';
export const GWEI = 10n ** 9n;
export const ETHER = 10n ** 18n;

/**
 * An ethers provider for a fast chain. ethers caches the answer to an identical request for 250 ms
 * (`cacheTimeout`), so on 500 ms blocks the 'pending' nonce read for the next transaction can be the one
 * it made for the previous, already-mined transaction: "nonce has already been used" although the node
 * answered correctly. The cache is off here; everything else is ethers' default.
 */
export function jsonRpc(url, network = undefined, options = {}) {
  return new ethers.JsonRpcProvider(url, network, { staticNetwork: true, pollingInterval: 200, cacheTimeout: -1, ...options });
}

const mnemonic = ethers.Mnemonic.fromPhrase(DEV_MNEMONIC);
/** Dev account i of the standard test mnemonic (same keys anvil prints). */
export function devWallet(i, provider) {
  const w = ethers.HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${i}`);
  return provider ? w.connect(provider) : w;
}

/** A deterministic throw-away key (not one of the funded dev accounts). */
export function derivedWallet(tag, i, provider) {
  const w = new ethers.Wallet(ethers.keccak256(ethers.toUtf8Bytes(`bai-e2e/${tag}/${i}`)));
  return provider ? w.connect(provider) : w;
}

let nextId = 1;
/**
 * Raw JSON-RPC call; returns the whole response object ({result} or {error}). With `timeoutMs` the
 * request is aborted after that long (the promise rejects with a TimeoutError).
 */
export async function rpcRaw(method, params = [], url = RPC_URL, { timeoutMs } = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
    signal: timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined,
  });
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${method}: HTTP ${res.status}, non-JSON body: ${text.slice(0, 300)}`);
  }
}

/** JSON-RPC call that throws on error and returns `result`. */
export async function rpc(method, params = [], url = RPC_URL) {
  const r = await rpcRaw(method, params, url);
  if (r.error) {
    const e = new Error(`${method} failed: ${r.error.code} ${r.error.message}`);
    e.rpcError = r.error;
    throw e;
  }
  return r.result;
}

/** `rpc` against a given node: throws (with `rpcError`) on a JSON-RPC error, returns `result`. */
export const rpcAt = (url, method, params = []) => rpc(method, params, url);

/** POST an arbitrary body; returns { status, text, json? }. */
export async function post(body, url = RPC_URL, headers = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { /* not json */ }
  return { status: res.status, text, json };
}

/**
 * JSON-RPC batches of at most `chunk` calls ([method, params] pairs); returns the response objects
 * ({result} or {error}) in the order of `calls`. Throws when the node answers a batch with anything but
 * an array (e.g. one error object for a batch it refuses as a whole).
 */
export async function rpcBatch(calls, { url = RPC_URL, chunk = 100 } = {}) {
  const out = new Array(calls.length);
  for (let off = 0; off < calls.length; off += chunk) {
    const body = calls.slice(off, off + chunk).map(([method, params], i) => ({ jsonrpc: '2.0', id: off + i, method, params }));
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const j = await r.json();
    if (!Array.isArray(j)) throw new Error(`batch of ${body.length} answered with ${JSON.stringify(j).slice(0, 300)}`);
    for (const x of j) out[x.id] = x;
  }
  return out;
}

/**
 * POSTs a body with curl, which keeps the server's answer even when the server answers before it has read
 * the whole body (fetch fails with EPIPE there: an oversized body). Returns { status, text, json? }.
 */
export function curlPost(body, url = RPC_URL) {
  const dir = mkdtempSync(join(tmpdir(), 'bai-big-'));
  const file = join(dir, 'body.json');
  writeFileSync(file, body);
  try {
    const r = spawnSync('curl', ['-s', '-m', '60', '-w', '\n%{http_code}', '-H', 'content-type: application/json', '--data-binary', `@${file}`, url], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const out = r.stdout ?? '';
    const cut = out.lastIndexOf('\n');
    const text = out.slice(0, cut);
    let json;
    try { json = JSON.parse(text); } catch { /* not json */ }
    return { status: Number(out.slice(cut + 1)) || `curl exit ${r.status}`, text, json };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what, fn, { timeoutMs = 30000, intervalMs = 100 } = {}) {
  const t0 = Date.now();
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last?.message ?? JSON.stringify(last)})`);
    await sleep(intervalMs);
  }
}

export async function waitReceipt(hash, timeoutMs = 30000) {
  return waitFor(`receipt of ${hash}`, () => rpc('eth_getTransactionReceipt', [hash]), { timeoutMs });
}

export async function blockNumber() {
  return Number(await rpc('eth_blockNumber'));
}

export async function waitBlocks(n, timeoutMs = 30000) {
  const start = await blockNumber();
  return waitFor(`${n} new blocks after ${start}`, async () => (await blockNumber()) >= start + n, { timeoutMs });
}

/** Forces a block on nodes that support evm_mine (bai and anvil do); ignores failures. */
export async function mine() {
  try { await rpc('evm_mine'); } catch { /* interval mining still makes progress */ }
}

/** Fee a sender paid for a receipt: L2 execution fee plus the OP L1 data fee when present. */
export function feePaid(rcpt) {
  const l2 = BigInt(rcpt.gasUsed) * BigInt(rcpt.effectiveGasPrice);
  const l1 = rcpt.l1Fee != null ? BigInt(rcpt.l1Fee) : 0n;
  return l2 + l1;
}

/**
 * What must not change about a receipt once a node gave it out (kill -9, restarts, faults): its block,
 * position, status, gas, fee and log count.
 */
export function receiptSummary(r) {
  return {
    blockHash: r.blockHash, blockNumber: r.blockNumber, transactionIndex: r.transactionIndex, status: r.status,
    gasUsed: r.gasUsed, cumulativeGasUsed: r.cumulativeGasUsed, effectiveGasPrice: r.effectiveGasPrice, logs: r.logs.length,
    l1Fee: r.l1Fee ?? null,
  };
}

/** Loads a forge artifact (testnet/e2e/forge/out/<File>.sol/<Contract>.json). */
export function artifact(name, file = `${name}.sol`) {
  const j = JSON.parse(readFileSync(join(E2E_DIR, 'forge', 'out', file, `${name}.json`), 'utf8'));
  return { abi: j.abi, bytecode: j.bytecode.object, deployedBytecode: j.deployedBytecode.object };
}

/** EIP-1559 fields comfortably above the current base fee. */
export async function fees(multiplier = 4n) {
  const blk = await rpc('eth_getBlockByNumber', ['latest', false]);
  const base = BigInt(blk.baseFeePerGas ?? '0x3b9aca00');
  const tip = GWEI;
  return { maxPriorityFeePerGas: tip, maxFeePerGas: base * multiplier + tip };
}

/** Pending nonce of an address. */
export async function pendingNonce(addr) {
  return Number(await rpc('eth_getTransactionCount', [addr, 'pending']));
}

/** Signs a typed-2 transfer with explicit fields (no provider round trips). */
export async function signTransfer(wallet, { to, value = 1n, nonce, gasLimit = 21000n, maxFeePerGas, maxPriorityFeePerGas, data = '0x', chainId = CHAIN_ID, type = 2 }) {
  return wallet.signTransaction({ type, chainId, nonce, to, value, gasLimit, maxFeePerGas, maxPriorityFeePerGas, data });
}

/** Expectation helper: asserts a JSON-RPC error has the given code and message prefix. */
export function errorMatches(err, { code, prefix, codes }) {
  if (!err) return `expected an error, got a result`;
  const okCode = codes ? codes.includes(err.code) : code === undefined || err.code === code;
  const okMsg = prefix === undefined || (typeof err.message === 'string' && err.message.toLowerCase().startsWith(prefix.toLowerCase()));
  if (okCode && okMsg) return null;
  return `expected code ${codes ? codes.join('|') : code} and message starting "${prefix}", got code ${err.code} message "${err.message}"`;
}
