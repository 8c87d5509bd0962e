// Worker thread: signs a slice of benchmark transactions (EIP-1559) and returns [raw, hash] pairs.
import { parentPort, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../e2e/package.json', import.meta.url));
const { ethers } = require('ethers');

const { jobs, chainId, maxFeePerGas, maxPriorityFeePerGas } = workerData;
const keys = new Map();
const out = [];
for (const j of jobs) {
  let sk = keys.get(j.key);
  if (!sk) keys.set(j.key, (sk = new ethers.SigningKey(j.key)));
  const tx = ethers.Transaction.from({
    type: 2, chainId: BigInt(chainId), nonce: j.nonce, to: j.to, value: BigInt(j.value), gasLimit: BigInt(j.gasLimit),
    data: j.data, maxFeePerGas: BigInt(maxFeePerGas), maxPriorityFeePerGas: BigInt(maxPriorityFeePerGas),
  });
  tx.signature = sk.sign(tx.unsignedHash);
  out.push([tx.serialized, tx.hash]);
}
parentPort.postMessage(out);
