// Reads what a batcher posted to L1, independently of the node's Rust code: batch-inbox transactions
// (calldata, or blobs fetched with anvil_getBlobByHash and unpacked from the OP blob encoding) →
// frames → channels (brotli, Fjord version byte) → singular batches.
import assert from 'node:assert/strict';
import { brotliDecompressSync } from 'node:zlib';
import { ethers } from './common.mjs';

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
