// L2 helpers for the suites that run a rollup (sequencer + verifier): the AI predeploys and the
// embedding model, heads, and chain comparison between two nodes.
import assert from 'node:assert/strict';
import { ethers, rpcAt, rpcBatch, sleep, waitFor } from './common.mjs';

export const MARKETPLACE = '0x4200000000000000000000000000000000000B00';
export const WITNESS_STORE = '0x4200000000000000000000000000000000000B02';
/** all-MiniLM-L6-v2, the genesis embedding model (its weights in .models/all-MiniLM-L6-v2). */
export const EMBED_ID = '0x1376cd05d831cf77b4baf7303098d4c0e44c3cd7e812dc3f95cbfd0e2f26f539';
export const MARKET_ABI = [
  'function getModel(bytes32) view returns (tuple(uint8 status,uint8 kind,uint32 maxInputBytes,uint32 maxUnits,uint64 baseGas,uint64 gasPerUnit,uint32 gasPerInputByte,uint16 toleranceBps,uint256 price,address owner,address operator,string metadataURI))',
  'function embed(bytes32 modelId, string text) payable returns (int32[])',
];

/** The head block number of the node at `url`. */
export const head = async (url) => Number(await rpcAt(url, 'eth_blockNumber'));

/** Waits until `url` has block `n` (up to `ms`). */
export async function waitHead(url, n, ms, what) {
  const t0 = Date.now();
  for (;;) {
    const h = await head(url).catch(() => -1);
    if (h >= n) return h;
    assert.ok(Date.now() - t0 < ms, `${what}: block ${n} within ${ms / 1000} s (at ${h})`);
    await sleep(250);
  }
}

/**
 * Waits until the node at `url` reports block `n` safe (optimism_syncStatus; a verifier labels derived
 * blocks safe once their L1 block is done, so its safe head may trail its head for a moment). Returns the
 * sync status.
 */
export async function waitSafe(url, n, ms, what) {
  return waitFor(`${what}: block ${n} safe`, async () => {
    const status = await rpcAt(url, 'optimism_syncStatus');
    return status.safe_l2.number >= n && status;
  }, { timeoutMs: ms, intervalMs: 250 });
}

/** Blocks `from..to` of the node at `url` (JSON-RPC objects; `full`: with transaction objects), in batches. */
export async function blocksOf(url, from, to, full = false) {
  const calls = [];
  for (let i = from; i <= to; i++) calls.push(['eth_getBlockByNumber', [ethers.toQuantity(i), full]]);
  return (await rpcBatch(calls, { url, chunk: 50 })).map((r, i) => {
    if (r.error) throw new Error(`block ${from + i} at ${url}: ${r.error.code} ${r.error.message}`);
    return r.result;
  });
}

/** Asserts blocks 1..n have the same hash and state root on both nodes. */
export async function assertSameChain(a, b, n) {
  const [x, y] = await Promise.all([blocksOf(a, 1, n), blocksOf(b, 1, n)]);
  for (let i = 0; i < n; i++) {
    assert.equal(y[i]?.hash, x[i]?.hash, `block ${i + 1} hash`);
    assert.equal(y[i]?.stateRoot, x[i]?.stateRoot, `block ${i + 1} state root`);
  }
}

const WITNESS_BATCH = new ethers.Interface(['function recordBatch(bytes32[] callKeys, bytes[] outputs, uint64[] units)']);
/**
 * The call keys the witness deposit of `block` (a JSON-RPC block with transaction objects) records: one
 * per distinct model call the block answered; none when it made no model call.
 */
export function witnessKeys(block) {
  const deposit = block.transactions.find((tx) => tx.type === '0x7e' && tx.to?.toLowerCase() === WITNESS_STORE.toLowerCase());
  return deposit ? [...WITNESS_BATCH.decodeFunctionData('recordBatch', deposit.input).callKeys] : [];
}
