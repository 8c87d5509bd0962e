// Inference challenges (node --test), everything real: anvil L1 with the L1 contracts, `bai infer serve`
// on CPU with the real MiniLM and SmolLM2 weights (`--runtime reference`: everything bit-exact, so the honest
// answers are the challenger's reference bytes), a sequencer that asks it through a lying proxy (the
// planted faults: embeddings of texts marked "[wrong]" come back scaled by 0.9, "[noise]" by 0.99995, the
// generation for a prompt marked "[wrong]" is replaced by a made-up sentence), a
// batcher posting to L1, and a verifier that derives L2 from L1 alone and is the challenger: it re-runs
// every recorded witness on the bit-exact reference runtime and files evidence with InferenceDisputes on L2.
//
// Checks:
//   - the planted wrong embedding (10 % off, tolerance 1 bps) and the made-up generation (tolerance 0,
//     measured after the common prefix) are found: InferenceDisputes accepts the
//     evidence, Staking slashes the model's serving operator in the witness's block (dev #9,
//     ModelMarketplace.operatorAt; also the store's recording operator here) by exactly the slash fraction of
//     its bonded stake and jails it, with the witness store's evidence hash; the reference output the
//     challenger filed is exactly the real model's answer; the divergence the contract computed equals
//     this test's own computation and the challenger's;
//   - honest witnesses (an embedding, a greedy generation) and one inside the tolerance (0.005 % off: 1 bps, the rule's 1)
//     are checked and left alone;
//   - kill -9 of the challenger right after one filing, with another wrong witness planted while it is
//     down: after the restart every wrong witness has exactly one accepted filing, and every L2
//     transaction the challenger sent is one of them (no double filing, no reverted attempt);
//   - --challenger.l2-rpc-url without a challenger key is refused.
// Env: BAI_BIN, E2E_TMP, E2E_ROOT.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ethers, devWallet, sleep, waitFor, rpcAt, jsonRpc } from '../lib/common.mjs';
import { startNode, startInference, TMP } from '../lib/node.mjs';
import { startAnvil, deployL1 } from '../lib/l1.mjs';
import { startRewritingProxy } from '../lib/proxy.mjs';

const ROOT = process.env.E2E_ROOT || new URL('../../..', import.meta.url).pathname;
const BAI_BIN = process.env.BAI_BIN || `${process.env.HOME}/.cache/bai/target/debug/bai`;
const MARKETPLACE = '0x4200000000000000000000000000000000000B00';
const STAKING = '0x4200000000000000000000000000000000000B01';
const WITNESS_STORE = '0x4200000000000000000000000000000000000B02';
const DISPUTES = '0x4200000000000000000000000000000000000B05';
const EMBED_ID = '0x1376cd05d831cf77b4baf7303098d4c0e44c3cd7e812dc3f95cbfd0e2f26f539';
const GEN_ID = '0xad00ff97ad78425860da84f33496c901b38cd2f1753643a808eff705ee4b0a49';
const OPERATOR = devWallet(9).address;
const CHALLENGER = devWallet(1);

const MARKET_ABI = [
  'function getModel(bytes32) view returns (tuple(uint8 status,uint8 kind,uint32 maxInputBytes,uint32 maxUnits,uint64 baseGas,uint64 gasPerUnit,uint32 gasPerInputByte,uint16 toleranceBps,uint256 price,address owner,address operator,string metadataURI))',
  'function embed(bytes32 modelId, string text) payable returns (int32[])',
  'function generate(bytes32 modelId, string prompt, uint32 maxTokens) payable returns (string)',
];
const STORE_ABI = [
  'function callKeyOf(bytes32 modelId, bytes4 selector, bytes input, uint32 maxUnits) pure returns (bytes32)',
  'function get(bytes32 callKey) view returns (bool exists, bytes32 outputHash, uint64 units, address recordedOperator, uint64 blockNumber)',
  'function evidenceHash(bytes32 callKey) view returns (bytes32)',
  'function recordBatch(bytes32[] callKeys, bytes[] outputs, uint64[] units)',
];
const DISPUTES_ABI = [
  'function filed(bytes32) view returns (bool)',
  'function slashFractionWad() view returns (uint256)',
  'function divergenceBps(uint8 kind, bytes recorded, bytes reference) pure returns (uint256)',
  'event EvidenceAccepted(bytes32 indexed callKey, address indexed operator, bytes32 indexed modelId, bytes32 evidenceHash, uint256 divergenceBps, uint16 toleranceBps, uint256 slashed, bytes32 referenceHash)',
];
const STAKING_ABI = [
  'function getValidator(address) view returns (tuple(bool registered,uint16 commissionBps,uint16 maxCommissionBps,uint16 maxCommissionChangeBps,uint64 lastCommissionChange,uint64 jailedUntil,bool jailed,uint256 bondedStake,uint256 bondedShares,uint256 unbondingStake,uint256 unbondingShares,uint256 accRewardPerShare,uint256 globalIndexCheckpoint))',
  'event Slashed(address indexed validator, uint256 fractionWad, uint256 bondedSlashed, uint256 unbondingSlashed, bytes32 indexed evidenceHash)',
];
const EMBED_SELECTOR = ethers.id('embed(bytes32,string)').slice(0, 10);
const GENERATE_SELECTOR = ethers.id('generate(bytes32,string,uint32)').slice(0, 10);
const MAX_TOKENS = 8;
/** What the lying proxy answers instead of the model for a prompt marked "[wrong]". */
const MADE_UP = 'Purple, obviously, said nobody.';

let l1, infer, proxy, seq, challenger;
after(async () => { await challenger?.stop(); await seq?.stop(); proxy?.close(); await infer?.stop(); await l1?.stop(); });

/** Packed big-endian int32s (the witness form of an embedding) ⇄ numbers. */
const unpack = (hex) => { const b = ethers.getBytes(hex); const v = []; for (let i = 0; i < b.length; i += 4) v.push(new DataView(b.buffer, b.byteOffset + i, 4).getInt32(0)); return v; };
const pack = (values) => { const b = new Uint8Array(values.length * 4); const d = new DataView(b.buffer); values.forEach((x, i) => d.setInt32(i * 4, x)); return ethers.hexlify(b); };

/** The share of the longer text after the common prefix, in basis points (generation). */
function textDivergence(recordedHex, referenceHex) {
  const [a, b] = [ethers.getBytes(recordedHex), ethers.getBytes(referenceHex)];
  const longest = Math.max(a.length, b.length);
  let prefix = 0;
  while (prefix < Math.min(a.length, b.length) && a[prefix] === b[prefix]) prefix++;
  return longest === 0 ? 0n : (BigInt(longest - prefix) * 10_000n) / BigInt(longest);
}

/** The relative L2 error in basis points, the way InferenceDisputes and the challenger define it. */
function embeddingDivergence(recorded, reference) {
  const [r, f] = [unpack(recorded), unpack(reference)].map((v) => v.map(BigInt));
  let sumSq = 0n, diffSq = 0n;
  r.forEach((x, i) => { diffSq += (x - f[i]) ** 2n; sumSq += f[i] ** 2n; });
  const ratio = (diffSq * 100_000_000n + sumSq - 1n) / sumSq; // rounded up, as the contract
  if (ratio >= 100_000_000n) return 10_000n;
  let x = ratio, y = (x + 1n) / 2n; // integer square root, rounded down...
  while (y < x) { x = y; y = (x + ratio / x) / 2n; }
  return x * x < ratio ? x + 1n : x; // ...then up
}

/**
 * A JSON-RPC proxy to the inference server that answers marked texts wrongly, the operator's fault this
 * suite plants: embeddings scaled, a generation replaced by MADE_UP. Records which texts it falsified.
 */
async function startLyingProxy(target) {
  const falsified = [];
  const proxy = await startRewritingProxy(target, (request, answer) => {
    const params = request.method === 'bai_infer' ? request.params[0] : null;
    if (params?.kind === 'embedding' && answer.result) {
      const text = ethers.toUtf8String(params.input);
      const scale = text.includes('[wrong]') ? 0.9 : text.includes('[noise]') ? 0.99995 : 1;
      if (scale !== 1) {
        answer.result.output = pack(unpack(answer.result.output).map((x) => Math.trunc(x * scale)));
        falsified.push(text);
      }
    }
    if (params?.kind === 'generation' && answer.result && ethers.toUtf8String(params.input).includes('[wrong]')) {
      answer.result.output = ethers.hexlify(ethers.toUtf8Bytes(MADE_UP));
      falsified.push(ethers.toUtf8String(params.input));
    }
  });
  return { ...proxy, falsified };
}

test('a wrong inference witness is caught by the challenger and its operator slashed; restart-safe', { timeout: 600_000 }, async (t) => {
  const t0 = Date.now();
  // Refused at once, before anything starts.
  let refused = '';
  try {
    execFileSync(BAI_BIN, ['node', '--dev', '--datadir', join(TMP, 'slash-refused'), '--challenger.l2-rpc-url', 'http://127.0.0.1:1'], { stdio: 'pipe' });
  } catch (e) { refused = `${e.stdout}${e.stderr}`; }
  assert.match(refused, /--challenger\.l2-rpc-url needs the challenger key/);

  l1 = await startAnvil({ name: 'slash-l1', blockTime: 1 });
  const [addrs, server] = await Promise.all([deployL1(l1.url), startInference({ name: 'slash-infer', extraArgs: ['--runtime', 'reference'] })]);
  infer = server;
  proxy = await startLyingProxy(infer.url);
  const l1Flags = ['--l1.rpc-url', l1.url, '--l1.system-config', addrs.SystemConfig, '--l1.poll-interval', '250ms', '--l1.confirmations', '1'];
  seq = await startNode({ name: 'slash-seq', blockTime: '500ms', extraArgs: [...l1Flags, '--inference.url', proxy.url, '--inference.timeout', '60s',
    '--batcher.key', devWallet(3).privateKey, '--batcher.da', 'calldata', '--batcher.max-blocks', '4', '--batcher.max-delay', '1s'] });
  const datadir = join(TMP, 'slash-challenger-data');
  const challengerArgs = ['--verifier', ...l1Flags, '--challenger.key', CHALLENGER.privateKey, '--challenger.l2-rpc-url', seq.url,
    '--inference.models-dir', join(ROOT, '.models')];
  const startChallenger = (name) => startNode({ name, datadir, extraArgs: challengerArgs });
  challenger = await startChallenger('slash-challenger');
  // The banner follows the RPC server's start by a moment.
  const bannerLine = new RegExp(`Inference checks +${CHALLENGER.address} → InferenceDisputes ${DISPUTES}`, 'i');
  await waitFor('the challenger\'s banner', async () => bannerLine.test(readFileSync(challenger.log, 'utf8')), { timeoutMs: 10_000 });
  t.diagnostic(`L1, contracts, inference server, sequencer and challenger up after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const l2 = jsonRpc(seq.url);
  const user = new ethers.NonceManager(devWallet(5, l2));
  const market = new ethers.Contract(MARKETPLACE, MARKET_ABI, user);
  const store = new ethers.Contract(WITNESS_STORE, STORE_ABI, l2);
  const disputes = new ethers.Contract(DISPUTES, DISPUTES_ABI, l2);
  const staking = new ethers.Contract(STAKING, STAKING_ABI, l2);
  const [embedModel, genModel] = [await market.getModel(EMBED_ID), await market.getModel(GEN_ID)];
  assert.equal(embedModel.toleranceBps, 1n, 'the embedding model tolerates 1 bps (derived from the corpus)');
  const fraction = await disputes.slashFractionWad();

  /** The output block `receipt` recorded for call `key`. */
  const recordedIn = async (receipt, key, text) => {
    const block = await l2.getBlock(receipt.blockNumber, true);
    const deposit = block.prefetchedTransactions.find((tx) => tx.to?.toLowerCase() === WITNESS_STORE.toLowerCase());
    const batch = new ethers.Interface(STORE_ABI).decodeFunctionData('recordBatch', deposit.data);
    const recorded = batch.outputs[batch.callKeys.indexOf(key)];
    assert.ok(recorded, `block ${receipt.blockNumber} records "${text}"`);
    return recorded;
  };
  /** One model call through the marketplace; returns its block, call key and the output the block recorded. */
  const embed = async (text) => {
    const receipt = await (await market.embed(EMBED_ID, text, { value: embedModel.price, gasLimit: 3_000_000 })).wait();
    assert.equal(receipt.status, 1, `embedding of "${text}" succeeded`);
    const key = await store.callKeyOf(EMBED_ID, EMBED_SELECTOR, ethers.toUtf8Bytes(text), 0);
    return { text, key, block: receipt.blockNumber, recorded: await recordedIn(receipt, key, text) };
  };
  const generate = async (text) => {
    const receipt = await (await market.generate(GEN_ID, text, MAX_TOKENS, { value: genModel.price, gasLimit: 6_000_000 })).wait();
    assert.equal(receipt.status, 1, `generation for "${text}" succeeded`);
    const key = await store.callKeyOf(GEN_ID, GENERATE_SELECTOR, ethers.toUtf8Bytes(text), MAX_TOKENS);
    return { text, key, block: receipt.blockNumber, recorded: await recordedIn(receipt, key, text) };
  };
  /** The real model's greedy answer for a prompt. */
  const truthText = async (text) => (await rpcAt(infer.url, 'bai_infer', [{ model: GEN_ID, kind: 'generation', input: ethers.hexlify(ethers.toUtf8Bytes(text)), maxUnits: MAX_TOKENS }])).output;
  /** The real model's answer for `text` (what an honest operator records). */
  const truth = async (text) => (await rpcAt(infer.url, 'bai_infer', [{ model: EMBED_ID, kind: 'embedding', input: ethers.hexlify(ethers.toUtf8Bytes(text)), maxUnits: Number(embedModel.maxUnits) }])).output;
  // The challenger's progress file: `<next block> <hash of the block before it>`.
  const cursorFile = join(datadir, 'inference-challenger.cursor');
  const cursor = () => (existsSync(cursorFile) ? Number(readFileSync(cursorFile, 'utf8').split(' ')[0]) : 0);
  const acceptedFor = async (key) => disputes.queryFilter(disputes.filters.EvidenceAccepted(key), 0, 'latest');
  const waitAccepted = (c, what) => waitFor(what, async () => (await acceptedFor(c.key)).length > 0, { timeoutMs: 120_000, intervalMs: 500 });
  /** How long after the witness's block the evidence landed, in L2 blocks of 500 ms (for the docs' figure). */
  const latency = async (c) => {
    const blocks = (await acceptedFor(c.key))[0].blockNumber - c.block;
    t.diagnostic(`evidence for "${c.text}" accepted ${blocks} blocks (${blocks / 2} s) after the wrong witness`);
  };

  let wrong, wrongGen;
  await t.test('a planted wrong embedding and a made-up generation are caught: evidence accepted, the operator slashed and jailed', async () => {
    const honest = await embed('The cat sat on the mat.');
    const noisy = await embed('[noise] A slightly perturbed sentence.');
    wrong = await embed('[wrong] The answer the operator made up.');
    const gen = await generate('Name a colour.');
    wrongGen = await generate('[wrong] Name a colour.');
    assert.deepEqual(proxy.falsified, [noisy.text, wrong.text, wrongGen.text], 'the proxy falsified exactly the marked texts');
    assert.equal(gen.recorded, await truthText(gen.text), 'the honest generation is the model\'s greedy answer');
    assert.equal(honest.recorded, await truth(honest.text), 'the honest witness is the model\'s answer');
    const expected = embeddingDivergence(wrong.recorded, await truth(wrong.text));
    assert.ok(expected >= 990n && expected <= 1001n, `planted divergence ${expected} bps`); // ~10 %, rounded up
    assert.ok(embeddingDivergence(noisy.recorded, await truth(noisy.text)) <= 1n, 'the noisy one is inside the tolerance');

    await waitAccepted(wrong, 'the challenger\'s evidence for the wrong witness');
    const [accepted] = await acceptedFor(wrong.key);
    const evidence = await store.evidenceHash(wrong.key);
    assert.equal(accepted.args.operator, OPERATOR, 'the model\'s serving operator (dev #9)');
    assert.equal(accepted.args.modelId, EMBED_ID);
    assert.equal(accepted.args.evidenceHash, evidence, 'the witness store\'s evidence digest');
    assert.equal(accepted.args.divergenceBps, expected, 'the contract measured what this test measures');
    assert.equal(accepted.args.toleranceBps, 1n);
    assert.equal(accepted.args.referenceHash, ethers.keccak256(await truth(wrong.text)), 'the reference filed is the real model\'s answer');
    assert.equal(await disputes.divergenceBps(1, wrong.recorded, await truth(wrong.text)), expected);
    const challengerLog = readFileSync(challenger.log, 'utf8').replace(/\x1b\[[0-9;]*m/g, ''); // without colours
    assert.match(challengerLog, new RegExp(`outside the model's tolerance.*divergence=${expected}`), 'the challenger measured the same');

    // Staking: exactly the fraction of the bonded stake, jailed, the evidence digest in the event.
    const before = await staking.getValidator(OPERATOR, { blockTag: accepted.blockNumber - 1 });
    const after = await staking.getValidator(OPERATOR, { blockTag: accepted.blockNumber });
    const cut = (before.bondedStake * fraction) / 10n ** 18n;
    assert.ok(cut > 0n);
    assert.equal(after.bondedStake, before.bondedStake - cut, 'bonded stake cut by exactly the slash fraction');
    assert.equal(accepted.args.slashed, cut + (before.unbondingStake * fraction) / 10n ** 18n);
    assert.ok(after.jailed, 'the operator is jailed');
    const [slashed] = await staking.queryFilter(staking.filters.Slashed(OPERATOR), accepted.blockNumber, accepted.blockNumber);
    assert.equal(slashed.args.evidenceHash, evidence);
    assert.equal(slashed.args.fractionWad, fraction);

    // The made-up generation (tolerance 0): filed, measured after the common prefix.
    await waitAccepted(wrongGen, 'the challenger\'s evidence for the made-up generation');
    const [genAccepted] = await acceptedFor(wrongGen.key);
    assert.equal(ethers.toUtf8String(wrongGen.recorded), MADE_UP);
    const genExpected = textDivergence(wrongGen.recorded, await truthText(wrongGen.text));
    assert.ok(genExpected > 0n);
    assert.equal(genAccepted.args.modelId, GEN_ID);
    assert.equal(genAccepted.args.toleranceBps, 0n);
    assert.equal(genAccepted.args.divergenceBps, genExpected, 'the contract measured what this test measures');
    assert.equal(genAccepted.args.referenceHash, ethers.keccak256(await truthText(wrongGen.text)), 'the reference is the real greedy answer');
    assert.equal(genAccepted.args.evidenceHash, await store.evidenceHash(wrongGen.key));
    await latency(wrong);
    await latency(wrongGen);

    // The others were checked (the challenger is past their blocks) and left alone.
    await waitFor('the challenger past the last call', async () => cursor() > wrongGen.block, { timeoutMs: 120_000, intervalMs: 500 });
    for (const c of [honest, noisy, gen]) {
      assert.equal((await acceptedFor(c.key)).length, 0, `no evidence for "${c.text}"`);
      assert.equal(await disputes.filed(await store.evidenceHash(c.key)), false);
    }
    assert.equal((await disputes.queryFilter(disputes.filters.EvidenceAccepted(), 0, 'latest')).length, 2, 'two filings so far');
  });

  await t.test('kill -9 after a filing, another fault while it is down: each filed exactly once after the restart', async () => {
    const second = await embed('[wrong] A second made-up answer.');
    await waitAccepted(second, 'evidence for the second wrong witness');
    await latency(second);
    challenger.proc.kill('SIGKILL');
    await challenger.exited;
    const third = await embed('[wrong] Planted while the challenger is down.');
    await sleep(2000);
    assert.equal((await acceptedFor(third.key)).length, 0, 'nobody filed while the challenger was down');

    challenger = await startChallenger('slash-challenger-2');
    await waitAccepted(third, 'the restarted challenger\'s evidence for the fault planted while it was down');
    const marker = await embed('An honest sentence after the restart.');
    await waitFor('the restarted challenger past the last call', async () => cursor() > marker.block, { timeoutMs: 120_000, intervalMs: 500 });
    for (const c of [wrong, wrongGen, second, third]) assert.equal((await acceptedFor(c.key)).length, 1, `exactly one filing for "${c.text}"`);
    const all = await disputes.queryFilter(disputes.filters.EvidenceAccepted(), 0, 'latest');
    assert.equal(all.length, 4);
    // Every transaction the challenger ever sent on L2 is one of those filings: nothing sent twice or reverted.
    assert.equal(await l2.getTransactionCount(CHALLENGER.address, 'latest'), 4, 'four L2 transactions from the challenger');
    t.diagnostic(`suite ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
});
