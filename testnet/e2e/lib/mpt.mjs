// Merkle-Patricia proof verification for eth_getProof (independent of the node): walks the proof nodes
// from the root hash along keccak(key) and returns the RLP value at the leaf, or null for a proven absence.
import { ethers } from 'ethers';

const hexToNibbles = (hex) => [...hex.replace(/^0x/, '')].map((c) => parseInt(c, 16));

function decodePath(encodedHex) {
  const nib = hexToNibbles(encodedHex);
  const flag = nib[0];
  const isLeaf = flag >= 2;
  const path = flag % 2 === 1 ? nib.slice(1) : nib.slice(2);
  return { isLeaf, path };
}

/** rootHash: 0x…32 bytes; key: 0x… bytes (already the hashed key); proof: array of 0x… RLP nodes. */
export function verifyMptProof(rootHash, key, proof) {
  const nibbles = hexToNibbles(key);
  const byHash = new Map(proof.map((n) => [ethers.keccak256(n).toLowerCase(), n]));
  let node = byHash.get(rootHash.toLowerCase());
  if (!node) throw new Error(`proof does not contain the root node ${rootHash}`);
  let decoded = ethers.decodeRlp(node);
  let pos = 0;
  for (let depth = 0; depth < 200; depth++) {
    let next;
    if (decoded.length === 17) {
      if (pos === nibbles.length) return decoded[16] === '0x' ? null : decoded[16];
      next = decoded[nibbles[pos]];
      pos += 1;
    } else if (decoded.length === 2) {
      const { isLeaf, path } = decodePath(decoded[0]);
      const rest = nibbles.slice(pos, pos + path.length);
      const matches = rest.length === path.length && rest.every((v, i) => v === path[i]);
      if (isLeaf) {
        return matches && pos + path.length === nibbles.length ? decoded[1] : null;
      }
      if (!matches) return null;
      pos += path.length;
      next = decoded[1];
    } else {
      throw new Error(`malformed trie node with ${decoded.length} items`);
    }
    if (Array.isArray(next)) { decoded = next; continue; } // embedded node (< 32 bytes)
    if (next === '0x') return null;
    const child = byHash.get(next.toLowerCase());
    if (!child) throw new Error(`proof is missing node ${next} at depth ${depth + 1}`);
    decoded = ethers.decodeRlp(child);
  }
  throw new Error('proof too deep');
}
