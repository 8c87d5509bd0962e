// The `zk` verification level end to end (node --test), everything real: anvil L1 with the L1 contracts,
// `bai infer serve` on CPU serving the shipped topic classifier and proving its evaluations (halo2/IPA), a
// sequencer that asks it through a proxy which falsifies the proof of one planted input (features[0] =
// 777777: one proof byte flipped, the scores left as they are), a replica following the sequencer without
// any inference server, and a verifier deriving L2 from L1 alone, fed batches this suite encodes and posts
// itself with the batcher key (honest ones, then one whose recorded proof it tampered with).
//
// Checks:
//   - the model owner registers the verifying key the server publishes (bai_zkKey) with
//     ModelMarketplace.setZkKey: ZkKeySet, in force from the next block (verificationAt), once only, owner
//     only; bai_listModels says zk with the key's hash; quote adds 400,000 + 250 × 2^degree gas;
//   - a call through the marketplace is proven (the sequencer asked bai_prove), answered with the server's
//     scores, recorded as abi.encode(output, proof), listed by bai_inferenceCalls as level zk with the
//     proof's hash; a call before the key took effect stays optimistic;
//   - the falsified proof: eth_estimateGas reverts with InvalidProof(modelId, reason); the transaction mined
//     anyway reverts, pays for gas, and nothing is recorded for it;
//   - the replica (no inference server) has every block with the same hash and state root: it verified
//     the recorded proofs itself;
//   - the verifier derives the honest batches to the sequencer's blocks (proofs verified), and a batch
//     whose recorded proof was tampered with to a deposit-only block ("invalid batch"), as does the
//     sequencer, which derives alongside: L1 decides.
// Env: BAI_BIN, E2E_TMP, E2E_ROOT.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ethers, devWallet, waitFor, rpcAt, jsonRpc } from '../lib/common.mjs';
import { startNode, startInference, modelsSubset } from '../lib/node.mjs';
import { startAnvil, deployL1 } from '../lib/l1.mjs';
import { startRewritingProxy } from '../lib/proxy.mjs';
import { MARKETPLACE, WITNESS_STORE, waitHead, waitSafe, assertSameChain } from '../lib/l2.mjs';
import { batchForBlock, postBatches, depositFields, encodeDeposit, isWitnessDeposit } from '../lib/batches.mjs';

const CLASSIFIER_ID = '0x5a0c0531b96a5450bde88a5af24315f5ff4b9716f6012fa15fa8889b54ed96ef';
const MODEL = 'tuple(uint8 status,uint8 kind,uint32 maxInputBytes,uint32 maxUnits,uint64 baseGas,uint64 gasPerUnit,uint32 gasPerInputByte,uint16 toleranceBps,uint256 price,address owner,address operator,string metadataURI,bytes32 zkKeyHash,uint64 zkSince)';
const MARKET_ABI = [
  `function getModel(bytes32) view returns (${MODEL})`,
  'function setZkKey(bytes32 modelId, bytes key)',
  'function zkKey(bytes32 modelId) view returns (bytes)',
  'function verificationAt(bytes32 modelId, uint64 blockNumber) view returns (uint8)',
  'function quote(bytes32 modelId, uint256 inputBytes, uint32 maxUnits) view returns (uint256)',
  'function infer(bytes32 modelId, bytes input, uint32 maxUnits) payable returns (bytes)',
  'event ZkKeySet(bytes32 indexed modelId, bytes32 keyHash, uint64 effectiveFrom)',
];
const ERRORS = new ethers.Interface([
  'error InvalidProof(bytes32 modelId, string reason)',
  'error InferenceUnavailable(bytes32 modelId, string reason)',
  'error ZkKeyAlreadySet(bytes32 modelId)',
  'error NotModelOwner()',
]);
const STORE_ABI = [
  'function get(bytes32 callKey) view returns (bool exists, bytes32 outputHash, uint64 units, address recordedOperator, uint64 blockNumber)',
  'function recordBatch(bytes32[] callKeys, bytes[] outputs, uint64[] units)',
];
const STORE = new ethers.Interface(STORE_ABI);
const abi = ethers.AbiCoder.defaultAbiCoder();
const MAX_UNITS = 64;
/** The input whose proof the proxy falsifies. */
const PLANTED = 777777;
const LEVEL_OPTIMISTIC = 0n, LEVEL_ZK = 1n;

let l1, infer, proxy, seq, replica, verifier;
after(async () => { await verifier?.stop(); await replica?.stop(); await seq?.stop(); proxy?.close(); await infer?.stop(); await l1?.stop(); });

const revertData = (e) => e?.data ?? e?.info?.error?.data ?? e?.error?.data;
/** 384 features, `first` in front. */
const features = (seed, first) => Array.from({ length: 384 }, (_, i) => (i === 0 && first !== undefined ? first : ((i * 7919 + seed * 104729) % 100_001) - 50_000));
const encodeFeatures = (f) => abi.encode(['int32[]'], [f]);

/**
 * A JSON-RPC proxy to the inference server that flips one byte of the proof it returns for the planted
 * input (the operator's fault), and counts the bai_prove requests it passed on.
 */
async function startProofProxy(target) {
  const seen = { prove: 0, infer: 0, falsified: 0 };
  const proxy = await startRewritingProxy(target, (request, answer) => {
    if (request.method === 'bai_infer') seen.infer++;
    if (request.method !== 'bai_prove') return;
    seen.prove++;
    if (request.params[1][0] === PLANTED && answer.result?.proof) {
      const proof = ethers.getBytes(answer.result.proof);
      proof[proof.length >> 1] ^= 0x01;
      answer.result.proof = ethers.hexlify(proof);
      seen.falsified++;
    }
  });
  return { ...proxy, seen };
}

/** The witness deposit of block `n` at `url` decoded: { callKeys, outputs, units }, or null. */
async function witnessBatch(url, n) {
  const block = await rpcAt(url, 'eth_getBlockByNumber', [ethers.toQuantity(n), true]);
  const deposit = block.transactions.find((tx) => tx.type === '0x7e' && tx.to?.toLowerCase() === WITNESS_STORE.toLowerCase());
  return deposit ? STORE.decodeFunctionData('recordBatch', deposit.input) : null;
}

test('zk verification level: registered key, proven calls, a false proof refused, replicas and L1 derivation verify', { timeout: 600_000 }, async (t) => {
  const t0 = Date.now();
  l1 = await startAnvil({ name: 'zk-l1', blockTime: 1 });
  const [addrs, server] = await Promise.all([deployL1(l1.url), startInference({ name: 'zk-infer', modelsDir: modelsSubset(['topic-classifier']) })]);
  infer = server;
  proxy = await startProofProxy(infer.url);
  const l1Flags = ['--l1.rpc-url', l1.url, '--l1.system-config', addrs.SystemConfig, '--l1.poll-interval', '250ms', '--l1.confirmations', '1'];
  // No batcher: this suite posts the batches itself, so it can post a tampered one.
  seq = await startNode({ name: 'zk-seq', blockTime: '500ms', extraArgs: [...l1Flags, '--inference.url', proxy.url, '--inference.timeout', '60s'] });
  replica = await startNode({ name: 'zk-replica', blockTime: '500ms', extraArgs: ['--follow', seq.url, '--inference.disable'] });
  verifier = await startNode({ name: 'zk-verifier', extraArgs: ['--verifier', ...l1Flags] });
  t.diagnostic(`L1, inference server, sequencer, replica and verifier up after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const l2 = jsonRpc(seq.url);
  const reader = new ethers.Contract(MARKETPLACE, MARKET_ABI, l2);
  const store = new ethers.Contract(WITNESS_STORE, STORE_ABI, l2);
  const model = await reader.getModel(CLASSIFIER_ID);
  assert.equal(model.kind, 3n, 'the classifier is a generic model');
  const ownerIndex = [...Array(10).keys()].find((i) => devWallet(i).address === model.owner);
  assert.ok(ownerIndex !== undefined, `the classifier's owner ${model.owner} is a dev account`);
  const owner = new ethers.NonceManager(devWallet(ownerIndex, l2));
  const user = new ethers.NonceManager(devWallet(5, l2));
  const market = new ethers.Contract(MARKETPLACE, MARKET_ABI, user);
  const inputBytes = ethers.dataLength(encodeFeatures(features(0)));

  /** One classification through the marketplace; returns its receipt, its call key and what its block recorded. */
  const classify = async (f) => {
    const receipt = await (await market.infer(CLASSIFIER_ID, encodeFeatures(f), MAX_UNITS, { value: model.price, gasLimit: 3_000_000 })).wait();
    assert.equal(receipt.status, 1, 'the classification succeeded');
    const batch = await witnessBatch(seq.url, receipt.blockNumber);
    assert.ok(batch && batch.callKeys.length === 1, `block ${receipt.blockNumber} records one model call`);
    return { receipt, key: batch.callKeys[0], recorded: batch.outputs[0], block: receipt.blockNumber };
  };
  /** What the server answers for `f`, encoded as the precompile returns it: abi.encode(uint32 label, int32[] scores). */
  const direct = async (f) => {
    const { label, scores } = await rpcAt(infer.url, 'bai_classify', [CLASSIFIER_ID, f]);
    return abi.encode(['uint32', 'int32[]'], [label, scores]);
  };

  let before, keyBlock, zkCall;
  await t.test('before a key: the model is optimistic and its calls are recorded without proofs', async () => {
    const listed = (await rpcAt(seq.url, 'bai_listModels')).models.find((m) => m.id === CLASSIFIER_ID);
    assert.equal(listed.verification, 'optimistic');
    assert.equal(model.zkKeyHash, ethers.ZeroHash);
    assert.equal(model.zkSince, 0n);
    before = await classify(features(1));
    assert.equal(before.recorded, await direct(features(1)), 'the plain scores, no proof');
    assert.equal(proxy.seen.prove, 0, 'no proof asked for an optimistic model');
    const { calls } = await rpcAt(seq.url, 'bai_inferenceCalls', [before.receipt.hash]);
    assert.equal(calls[0].verification.level, 'optimistic');
  });

  await t.test('the owner registers the server\'s verifying key: zk from the next block, once, owner only', async () => {
    const published = await rpcAt(infer.url, 'bai_zkKey', [CLASSIFIER_ID]);
    const key = published.key;
    assert.ok(ethers.dataLength(key) > 32 && ethers.dataLength(key) <= 16_384, `a key of ${ethers.dataLength(key)} bytes`);
    const quoteBefore = await reader.quote(CLASSIFIER_ID, inputBytes, MAX_UNITS);

    await assert.rejects(market.setZkKey.estimateGas(CLASSIFIER_ID, key), (e) => {
      assert.equal(ERRORS.parseError(revertData(e))?.name, 'NotModelOwner', `decoded from ${revertData(e)}`);
      return true;
    }, 'only the model\'s owner');
    const receipt = await (await new ethers.Contract(MARKETPLACE, MARKET_ABI, owner).setZkKey(CLASSIFIER_ID, key, { gasLimit: 5_000_000 })).wait();
    assert.equal(receipt.status, 1);
    keyBlock = receipt.blockNumber;
    const [event] = receipt.logs.map((l) => reader.interface.parseLog(l)).filter((e) => e?.name === 'ZkKeySet');
    assert.ok(event, 'ZkKeySet emitted');
    assert.equal(event.args.keyHash, ethers.keccak256(key));
    assert.equal(event.args.effectiveFrom, BigInt(keyBlock + 1), 'in force from the next block');
    assert.equal(await reader.zkKey(CLASSIFIER_ID), key);
    const record = await reader.getModel(CLASSIFIER_ID);
    assert.equal(record.zkKeyHash, ethers.keccak256(key));
    assert.equal(record.zkSince, BigInt(keyBlock + 1));
    assert.equal(await reader.verificationAt(CLASSIFIER_ID, keyBlock), LEVEL_OPTIMISTIC);
    assert.equal(await reader.verificationAt(CLASSIFIER_ID, keyBlock + 1), LEVEL_ZK);
    assert.equal(await reader.verificationAt(CLASSIFIER_ID, before.block), LEVEL_OPTIMISTIC, 'earlier calls stay optimistic');

    await assert.rejects(new ethers.Contract(MARKETPLACE, MARKET_ABI, owner).setZkKey.estimateGas(CLASSIFIER_ID, key), (e) => {
      assert.equal(ERRORS.parseError(revertData(e))?.name, 'ZkKeyAlreadySet');
      return true;
    }, 'the key is set once');
    await waitHead(seq.url, keyBlock + 1, 10_000, 'the block the key takes effect in');
    const listed = (await rpcAt(seq.url, 'bai_listModels')).models.find((m) => m.id === CLASSIFIER_ID);
    assert.equal(listed.verification, 'zk');
    assert.equal(listed.zkKeyHash, ethers.keccak256(key));
    assert.equal(BigInt(listed.zkSince), BigInt(keyBlock + 1));

    // The quote adds the verification's gas: 400,000 + 250 per circuit row, a power of two.
    const extra = (await reader.quote(CLASSIFIER_ID, inputBytes, MAX_UNITS)) - quoteBefore;
    const rows = (extra - 400_000n) / 250n;
    assert.ok(extra > 400_000n && (extra - 400_000n) % 250n === 0n && (rows & (rows - 1n)) === 0n, `verification gas ${extra}`);
    t.diagnostic(`key ${ethers.dataLength(key)} bytes, ${rows} circuit rows, verification priced at ${extra} gas`);
  });

  await t.test('a zk call is proven, answered with the server\'s scores and recorded with its proof', async () => {
    const f = features(2);
    const [asked, inferred] = [proxy.seen.prove, proxy.seen.infer];
    const answer = await market.infer.staticCall(CLASSIFIER_ID, encodeFeatures(f), MAX_UNITS, { value: model.price });
    assert.equal(answer, await direct(f), 'eth_call answers the proven scores');
    assert.ok(proxy.seen.prove > asked, 'the node asked bai_prove');
    zkCall = await classify(f);
    assert.equal(proxy.seen.infer, inferred, 'and never the unproven bai_infer');
    const [output, proof] = abi.decode(['bytes', 'bytes'], zkCall.recorded);
    assert.equal(output, await direct(f), 'the recorded output is the server\'s scores');
    assert.equal(abi.encode(['bytes', 'bytes'], [output, proof]), zkCall.recorded, 'recorded as abi.encode(output, proof)');
    assert.ok(ethers.dataLength(proof) > 1000, `a proof of ${ethers.dataLength(proof)} bytes`);
    const stored = await store.get(zkCall.key);
    assert.ok(stored.exists);
    assert.equal(stored.outputHash, ethers.keccak256(zkCall.recorded));

    const { calls } = await rpcAt(seq.url, 'bai_inferenceCalls', [zkCall.receipt.hash]);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0].verification, {
      level: 'zk', rule: 'proof', keyHash: (await reader.getModel(CLASSIFIER_ID)).zkKeyHash,
      proofHash: ethers.keccak256(proof), proofBytes: ethers.toQuantity(ethers.dataLength(proof)),
    });
    const { calls: earlier } = await rpcAt(seq.url, 'bai_inferenceCalls', [before.receipt.hash]);
    assert.equal(earlier[0].verification.level, 'optimistic', 'the call before the key is still listed optimistic');
  });

  let falsified;
  await t.test('a false proof: estimateGas names it, the mined call reverts and nothing is recorded', async () => {
    const f = features(3, PLANTED);
    await assert.rejects(market.infer.estimateGas(CLASSIFIER_ID, encodeFeatures(f), MAX_UNITS, { value: model.price }), (e) => {
      const error = ERRORS.parseError(revertData(e));
      assert.equal(error?.name, 'InvalidProof', `decoded ${error?.name} from ${revertData(e)}`);
      assert.equal(error.args.modelId, CLASSIFIER_ID);
      assert.ok(error.args.reason.length > 0, 'with a reason');
      t.diagnostic(`InvalidProof reason: ${error.args.reason}`);
      return true;
    });
    const sent = await market.infer(CLASSIFIER_ID, encodeFeatures(f), MAX_UNITS, { value: model.price, gasLimit: 3_000_000 });
    const receipt = await waitFor('the falsified call mined', () => l2.getTransactionReceipt(sent.hash), { timeoutMs: 30_000, intervalMs: 250 });
    assert.equal(receipt.status, 0, 'the call reverts');
    assert.ok(receipt.gasUsed > 0n, 'and pays for its gas');
    const batch = await witnessBatch(seq.url, receipt.blockNumber);
    assert.equal(batch, null, 'nothing recorded in its block');
    assert.deepEqual((await rpcAt(seq.url, 'bai_inferenceCalls', [receipt.hash])).calls, [], 'no model call listed');
    // (The node's answer cache hands the block the estimate's answer: verified again, refused again.)
    assert.ok(proxy.seen.falsified >= 1, 'the proxy falsified the proof');
    const log = readFileSync(seq.log, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
    assert.match(log, /proof rejected: model call left unanswered/, 'the sequencer logged the rejected proof');
    falsified = receipt;
  });

  await t.test('a replica without an inference server verifies the recorded proofs and has the same chain', async () => {
    const target = falsified.blockNumber + 1;
    await waitHead(replica.url, target, 60_000, 'replica');
    await assertSameChain(seq.url, replica.url, target);
  });

  await t.test('L1 decides: honest batches derive the same blocks, a tampered proof a deposit-only block', async () => {
    const batcher = devWallet(3, jsonRpc(l1.url));
    assert.equal(batcher.address.toLowerCase(), addrs.batcher.toLowerCase(), 'dev #3 is the SystemConfig batcher');
    // A second zk call, whose block's batch this suite posts with a tampered proof.
    const victim = await classify(features(4));
    const last = victim.block - 1;
    const honest = [];
    for (let n = 1; n <= last; n++) honest.push(await batchForBlock(seq.url, n));
    await postBatches(batcher, addrs.batchInbox, honest);
    await waitSafe(verifier.url, last, 120_000, 'the verifier derives the honest batches');
    await assertSameChain(seq.url, verifier.url, last);
    const derived = await rpcAt(verifier.url, 'eth_getBlockByNumber', [ethers.toQuantity(zkCall.block), false]);
    assert.equal(derived.hash, zkCall.receipt.blockHash, 'the verifier re-verified the zk call\'s proof and derived its block');

    // The victim's batch with one byte of its recorded proof flipped: its witness deposit says the model
    // answered with a proof that does not verify.
    const batch = await batchForBlock(seq.url, victim.block);
    const at = batch.txs.findIndex(isWitnessDeposit);
    assert.equal(at, 0, 'the witness deposit opens the batch');
    const fields = depositFields(batch.txs[at]);
    const record = STORE.decodeFunctionData('recordBatch', fields[7]);
    const [output, proof] = abi.decode(['bytes', 'bytes'], record.outputs[0]);
    const bad = ethers.getBytes(proof);
    bad[bad.length >> 1] ^= 0x01;
    fields[7] = STORE.encodeFunctionData('recordBatch', [record.callKeys, [abi.encode(['bytes', 'bytes'], [output, bad])], record.units]);
    batch.txs[at] = encodeDeposit(fields);
    await postBatches(batcher, addrs.batchInbox, [batch]);

    await waitSafe(verifier.url, victim.block, 120_000, 'the verifier derives the tampered batch');
    const replaced = await rpcAt(verifier.url, 'eth_getBlockByNumber', [ethers.toQuantity(victim.block), true]);
    assert.notEqual(replaced.hash, victim.receipt.blockHash, 'not the block the sequencer built');
    assert.ok(replaced.transactions.every((tx) => tx.type === '0x7e'), 'deposits only');
    assert.ok(!replaced.transactions.some((tx) => tx.to?.toLowerCase() === WITNESS_STORE.toLowerCase()), 'no witness recorded');
    assert.equal(replaced.parentHash, (await rpcAt(seq.url, 'eth_getBlockByNumber', [ethers.toQuantity(last), false])).hash);
    const log = readFileSync(verifier.log, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
    assert.match(log, new RegExp(`number=${victim.block}.*invalid batch: deriving a deposit-only block|invalid batch: deriving a deposit-only block.*number=${victim.block}`));
    // The sequencer derives alongside: it replaces its own block with the same deposit-only one.
    await waitFor('the sequencer re-based on L1', async () =>
      (await rpcAt(seq.url, 'eth_getBlockByNumber', [ethers.toQuantity(victim.block), false]))?.hash === replaced.hash, { timeoutMs: 60_000, intervalMs: 250 });
    t.diagnostic(`suite ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
});
