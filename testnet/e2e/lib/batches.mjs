// Reads what a batcher posted to L1, independently of the node's Rust code: batch-inbox transactions
// (calldata, or blobs fetched with anvil_getBlobByHash and unpacked from the OP blob encoding) →
// frames → channels (brotli, Fjord version byte) → singular batches. And the other way, for suites that
// post batches themselves (honest ones, or ones they tampered with): an L2 block → its singular batch →
// channels → frames → calldata batcher transactions.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from 'node:zlib';
import { ethers, rpcAt, L1_ATTRIBUTES_DEPOSITOR, L1_BLOCK_PREDEPLOY } from './common.mjs';
import { WITNESS_STORE } from './l2.mjs';

/** Splits a concatenation of RLP byte strings. */
export function rlpStrings(bytes) {
  const out = [];
  let i = 0;
  while (i < bytes.length) {
    const p = bytes[i];
    let start, len;
    if (p < 0x80) { start = i; len = 1; } else if (p <= 0xb7) { start = i + 1; len = p - 0x80; } else if (p <= 0xbf) {
      const n = p - 0xb7; len = Number(BigInt(ethers.hexlify(bytes.slice(i + 1, i + 1 + n)))); start = i + 1 + n;
    } else throw new Error(`channel item at ${i} is not a byte string`);
    out.push(bytes.slice(start, start + len));
    i = start + len;
  }
  return out;
}

/** The payload of a blob in the OP encoding (version 0): 127 bytes per 4 field elements. */
export function decodeBlob(hex) {
  const b = ethers.getBytes(hex);
  assert.equal(b.length, 131072, 'a blob is 4096 field elements');
  const out = new Uint8Array(1024 * 127);
  let o = 0;
  for (let r = 0; r < 1024; r++) {
    const fe = (i) => b.subarray((r * 4 + i) * 32, (r * 4 + i + 1) * 32);
    const t = [0, 1, 2, 3].map((i) => fe(i)[0]);
    assert.ok(t.every((v) => (v & 0xc0) === 0), 'field elements are canonical');
    const x = t[0] | ((t[1] & 0x30) << 2);
    const y = (t[1] & 0x0f) | ((t[3] & 0x0f) << 4);
    const z = t[2] | ((t[3] & 0x30) << 2);
    out.set(fe(0).subarray(1), o); o += 31; out[o++] = x;
    out.set(fe(1).subarray(1), o); o += 31; out[o++] = y;
    out.set(fe(2).subarray(1), o); o += 31; out[o++] = z;
    out.set(fe(3).subarray(1), o); o += 31;
  }
  assert.equal(out[0], 0, 'blob encoding version 0');
  const len = (out[1] << 16) | (out[2] << 8) | out[3];
  assert.ok(out.subarray(4 + len).every((v) => v === 0), 'nothing after the payload');
  return out.slice(4, 4 + len);
}

/**
 * Every batch `batcher` posted to `inbox` on L1 (blocks 0..head), decoded. Returns { batches, txs }
 * where txs lists each batcher transaction as { hash, type, blobs, block }.
 */
export async function postedBatches(l1p, batcher, inbox) {
  const head = await l1p.getBlockNumber();
  const channels = new Map();
  const txs = [];
  for (let n = 0; n <= head; n++) {
    const block = await l1p.getBlock(n, true);
    for (const tx of block.prefetchedTransactions) {
      if (tx.from.toLowerCase() !== batcher.toLowerCase() || tx.to?.toLowerCase() !== inbox.toLowerCase()) continue;
      let payloads;
      if (tx.type === 3) {
        payloads = [];
        for (const vh of tx.blobVersionedHashes) {
          const blob = await l1p.send('anvil_getBlobByHash', [vh]);
          assert.ok(blob, `L1 serves blob ${vh}`);
          payloads.push(decodeBlob(blob));
        }
      } else {
        payloads = [ethers.getBytes(tx.data)];
      }
      txs.push({ hash: tx.hash, type: tx.type, blobs: tx.blobVersionedHashes?.length ?? 0, block: n });
      for (const data of payloads) {
        assert.equal(data[0], 0, 'derivation version 0');
        for (let i = 1; i < data.length;) {
          const id = ethers.hexlify(data.slice(i, i + 16));
          const num = (data[i + 16] << 8) | data[i + 17];
          const len = Number(new DataView(data.buffer, data.byteOffset + i + 18, 4).getUint32(0));
          const frameData = data.slice(i + 22, i + 22 + len);
          const last = data[i + 22 + len] === 1;
          i += 23 + len;
          if (!channels.has(id)) channels.set(id, { frames: new Map(), last: -1 });
          const ch = channels.get(id);
          ch.frames.set(num, frameData);
          if (last) ch.last = num;
        }
      }
    }
  }
  const batches = [];
  for (const ch of channels.values()) {
    if (!(ch.last >= 0 && ch.frames.size === ch.last + 1)) continue; // still being posted
    const data = Buffer.concat([...Array(ch.last + 1).keys()].map((k) => Buffer.from(ch.frames.get(k))));
    assert.equal(data[0], 1, 'brotli channel version byte');
    for (const item of rlpStrings(new Uint8Array(brotliDecompressSync(data.subarray(1))))) {
      assert.equal(item[0], 0, 'singular batch type');
      const [parentHash, epochNumber, epochHash, timestamp, txList] = ethers.decodeRlp(item.slice(1));
      batches.push({ parentHash, epochNumber: BigInt(epochNumber === '0x' ? 0 : epochNumber), epochHash, timestamp: BigInt(timestamp === '0x' ? 0 : timestamp), txs: txList });
    }
  }
  return { batches, txs, channels };
}

// ---- encoding: what a batcher posts ----

/** Bytes a frame adds around its data: channel id (16), frame number (2), data length (4), is_last (1). */
const FRAME_OVERHEAD = 16 + 2 + 4 + 1;
/** An RLP integer: minimal big-endian bytes, 0 as the empty string. */
const rlpInt = (n) => (BigInt(n) === 0n ? '0x' : ethers.toBeHex(BigInt(n)));

/** The fields of a deposit transaction (EIP-2718 type 0x7e): [sourceHash, from, to, mint, value, gas, isSystemTx, data]. */
export function depositFields(raw) {
  const bytes = ethers.getBytes(raw);
  assert.equal(bytes[0], 0x7e, 'a deposit transaction');
  const fields = ethers.decodeRlp(bytes.slice(1));
  assert.ok(Array.isArray(fields) && fields.length === 8, 'a deposit has 8 fields');
  return fields;
}
/** The 0x7e encoding of deposit `fields` (as depositFields returns them). */
export const encodeDeposit = (fields) => ethers.concat(['0x7e', ethers.encodeRlp(fields)]);
/** Whether raw transaction `raw` is the witness deposit (a deposit to the InferenceWitnessStore). */
export const isWitnessDeposit = (raw) => ethers.getBytes(raw)[0] === 0x7e && depositFields(raw)[2].toLowerCase() === WITNESS_STORE.toLowerCase();

/** `0x00 ‖ rlp([parentHash, epochNumber, epochHash, timestamp, [tx…]])`: a singular batch as a channel carries it. */
export function encodeBatch(b) {
  return ethers.concat(['0x00', ethers.encodeRlp([b.parentHash, rlpInt(b.epochNumber), b.epochHash, rlpInt(b.timestamp), [...b.txs]])]);
}

/** A channel of `batches`: `0x01 ‖ brotli(rlp_string(batch) ‖ rlp_string(batch) ‖ …)` (OP Fjord). */
export function encodeChannel(batches) {
  const raw = Buffer.concat(batches.map((b) => ethers.getBytes(ethers.encodeRlp(encodeBatch(b)))));
  const compressed = brotliCompressSync(raw, { params: { [zlib.BROTLI_PARAM_QUALITY]: 10, [zlib.BROTLI_PARAM_LGWIN]: 22, [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length } });
  return Buffer.concat([Buffer.from([1]), compressed]);
}

/**
 * Channel `data` cut into frames, each the calldata of one batcher transaction of at most `maxTxBytes`:
 * `0x00 ‖ channelId ‖ frameNumber (u16 BE) ‖ length (u32 BE) ‖ frame data ‖ isLast`.
 */
export function batcherTxData(data, { channelId = randomBytes(16), maxTxBytes = 100_000 } = {}) {
  assert.equal(channelId.length, 16);
  const chunk = maxTxBytes - 1 - FRAME_OVERHEAD;
  const count = Math.max(1, Math.ceil(data.length / chunk));
  assert.ok(count <= 0xffff, 'fewer than 65,536 frames');
  const out = [];
  for (let n = 0; n < count; n++) {
    const part = data.subarray(n * chunk, (n + 1) * chunk);
    const frame = Buffer.alloc(1 + FRAME_OVERHEAD + part.length);
    frame[0] = 0; // derivation version
    Buffer.from(channelId).copy(frame, 1);
    frame.writeUInt16BE(n, 17);
    frame.writeUInt32BE(part.length, 19);
    part.copy(frame, 23);
    frame[23 + part.length] = n === count - 1 ? 1 : 0;
    out.push(ethers.hexlify(frame));
  }
  return out;
}

const L1_BLOCK = new ethers.Interface(['function number() view returns (uint64)', 'function hash() view returns (bytes32)']);
/**
 * The singular batch for L2 block `n` of the node at `url`, as the batcher builds it: the block's raw
 * transactions (debug_getRawBlock) without the L1-attributes deposit and without L1 user deposits (both
 * derived from L1), the witness deposit kept (batches carry it in this chain); its L1 origin read from the
 * L1Block predeploy at that block. Returns { number, hash, parentHash, epochNumber, epochHash, timestamp, txs }.
 */
export async function batchForBlock(url, n) {
  const tag = ethers.toQuantity(n);
  const view = async (fn) => L1_BLOCK.decodeFunctionResult(fn, await rpcAt(url, 'eth_call', [{ to: L1_BLOCK_PREDEPLOY, data: L1_BLOCK.encodeFunctionData(fn) }, tag]))[0];
  const [raw, block, epochNumber, epochHash] = await Promise.all([
    rpcAt(url, 'debug_getRawBlock', [tag]), rpcAt(url, 'eth_getBlockByNumber', [tag, false]), view('number'), view('hash'),
  ]);
  const [header, body] = ethers.decodeRlp(raw);
  assert.equal(ethers.keccak256(ethers.encodeRlp(header)), block.hash, `debug_getRawBlock(${n}) is block ${n}`);
  // In a block body a typed transaction is a byte string (its 2718 encoding), a legacy one an RLP list.
  const txs = body.map((tx) => (Array.isArray(tx) ? ethers.encodeRlp(tx) : tx));
  assert.deepEqual(txs.map((tx) => ethers.keccak256(tx)), block.transactions, `block ${n}: the raw transactions are the block's`);
  assert.ok(txs.length >= 1 && depositFields(txs[0])[1].toLowerCase() === L1_ATTRIBUTES_DEPOSITOR, `block ${n} opens with the L1-attributes deposit`);
  const kept = txs.slice(1).filter((tx) => ethers.getBytes(tx)[0] !== 0x7e || isWitnessDeposit(tx));
  return { number: n, hash: block.hash, parentHash: block.parentHash, epochNumber, epochHash, timestamp: BigInt(block.timestamp), txs: kept };
}

/**
 * Posts `batches` to `inbox` from `wallet` (the batcher key, on L1) as calldata: `blocksPerChannel` batches per
 * channel, each channel in frames of at most `maxTxBytes` per transaction, all sent at once at consecutive
 * nonces (so they land in order). Returns the L1 receipts.
 */
export async function postBatches(wallet, inbox, batches, { blocksPerChannel = 8, maxTxBytes = 100_000 } = {}) {
  let nonce = await wallet.getNonce('pending');
  const sent = [];
  for (let i = 0; i < batches.length; i += blocksPerChannel) {
    for (const data of batcherTxData(encodeChannel(batches.slice(i, i + blocksPerChannel)), { maxTxBytes })) {
      sent.push(await wallet.sendTransaction({ to: inbox, data, nonce: nonce++ }));
    }
  }
  const receipts = await Promise.all(sent.map((tx) => tx.wait()));
  for (const r of receipts) assert.equal(r.status, 1, `batcher transaction ${r.hash} landed`);
  return receipts;
}
