// AI precompile suite (node --test), everything real: `bai infer serve` on CPU with the real
// MiniLM and SmolLM2 weights, a sequencer asking it, a Solidity contract deployed with
// `forge script --broadcast` that calls embed and generate through the marketplace, ethers v6 as the
// client, and a replica that re-executes every block with no inference server at all.
//
// Checks:
//   - embeddings reproduce the model publishers' documented cosine similarities (within 0.01) and the
//     on-chain vectors equal the server's direct answers exactly;
//   - greedy generation on chain equals the server's direct greedy decode (same text, same tokens
//     count) and reads as English;
//   - the owner, operator, stakers, curators and treasury were paid exactly the marketplace split;
//   - the replica reaches identical block hashes and state roots;
//   - with the inference server killed, the model call reverts with InferenceUnavailable while a
//     transfer in the same block lands and blocks keep coming; out-of-gas and unknown models revert.
// Env: BAI_BIN, E2E_TMP, E2E_ROOT.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ethers, ETHER, devWallet, sleep, rpcAt, jsonRpc } from '../lib/common.mjs';
import { startNode, startInference } from '../lib/node.mjs';

const ROOT = process.env.E2E_ROOT || new URL('../../..', import.meta.url).pathname;
const MARKETPLACE = '0x4200000000000000000000000000000000000B00';
const STAKING = '0x4200000000000000000000000000000000000B01';
const WITNESS_STORE = '0x4200000000000000000000000000000000000B02';
const EMBED_ID = '0x1376cd05d831cf77b4baf7303098d4c0e44c3cd7e812dc3f95cbfd0e2f26f539';
const GEN_ID = '0xad00ff97ad78425860da84f33496c901b38cd2f1753643a808eff705ee4b0a49';
const CLASSIFIER_ID = '0x5a0c0531b96a5450bde88a5af24315f5ff4b9716f6012fa15fa8889b54ed96ef';
// sentence-transformers' documented example for all-MiniLM-L6-v2 (model.similarity on these three).
const SENTENCES = ['The weather is lovely today.', "It's so sunny outside!", 'He drove to the stadium.'];
const DOCUMENTED = { '0,1': 0.6660, '0,2': 0.1046, '1,2': 0.1411 };
const PROMPT = 'Write one sentence about the sun.';
const MAX_TOKENS = 32;

const MARKET_ABI = [
  'function getModel(bytes32) view returns (tuple(uint8 status,uint8 kind,uint32 maxInputBytes,uint32 maxUnits,uint64 baseGas,uint64 gasPerUnit,uint32 gasPerInputByte,uint16 toleranceBps,uint256 price,address owner,address operator,string metadataURI))',
  'function earnings(address) view returns (uint256)',
  'function treasury() view returns (address)',
  'function curation() view returns (address)',
  'event ModelCalled(bytes32 indexed modelId, address indexed caller, uint256 price, uint256 ownerShare, uint256 operatorShare, uint256 stakersShare, uint256 curatorsShare, uint256 treasuryShare)',
];
const NOTES_ABI = [
  'function embedText(bytes32 modelId, string text) payable returns (uint256)',
  'function ask(bytes32 modelId, string prompt, uint32 maxTokens) payable returns (uint256)',
  'function embeddingOf(uint256 id) view returns (int32[])',
  'function answerOf(uint256 id) view returns (string)',
  'event AnswerStored(uint256 indexed id, address indexed author, bytes32 indexed modelId, string prompt, string answer)',
];
const ERRORS = new ethers.Interface([
  'error UnknownModel(bytes32 modelId)',
  'error InferenceUnavailable(bytes32 modelId, string reason)',
  'error InsufficientGas(uint256 required, uint256 available)',
]);
const WITNESS_ABI = ['event WitnessRecorded(bytes32 indexed callKey, address indexed operator, uint64 units, bytes32 outputHash)'];

let infer, seq, replica;
after(async () => { await replica?.stop(); await seq?.stop(); await infer?.stop(); });


function cosine(a, b) {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return dot / Math.sqrt(na * nb);
}

function revertData(e) {
  return e?.data ?? e?.info?.error?.data ?? e?.error?.data;
}

test('AI precompile end to end', { timeout: 900_000 }, async (t) => {
  infer = await startInference();
  seq = await startNode({ name: 'ai-seq', blockTime: '1s', extraArgs: ['--inference.url', infer.url, '--inference.timeout', '20s'] });
  const provider = jsonRpc(seq.url);
  const user = devWallet(3, provider);
  const market = new ethers.Contract(MARKETPLACE, MARKET_ABI, provider);

  let notes;
  await t.test('bai_listModels shows every genesis model', async () => {
    const list = await rpcAt(seq.url, 'bai_listModels');
    assert.equal(list.marketplace.toLowerCase(), MARKETPLACE.toLowerCase());
    const byId = Object.fromEntries(list.models.map((m) => [m.id, m]));
    assert.equal(byId[EMBED_ID]?.kind, 'embedding');
    assert.equal(byId[GEN_ID]?.kind, 'generation');
    assert.equal(byId[CLASSIFIER_ID]?.kind, 'generic');
    for (const id of [EMBED_ID, GEN_ID, CLASSIFIER_ID]) {
      assert.equal(byId[id].status, 'active');
      assert.ok(BigInt(byId[id].price) > 0n, 'paid model');
    }
  });

  await t.test('forge script deploys the example consumer contract', async () => {
    const key = devWallet(2).privateKey;
    const out = execFileSync(join(ROOT, '.tools/bin/forge'), ['script', 'script/DeployAiNotes.s.sol:DeployAiNotes', '--rpc-url', seq.url,
      '--private-key', key, '--broadcast', '--slow', '--non-interactive'], { cwd: join(ROOT, 'contracts'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(out, /ONCHAIN EXECUTION COMPLETE & SUCCESSFUL/);
    const line = out.split('\n').find((l) => /AiNotes/.test(l) && /0x[0-9a-fA-F]{40}/.test(l));
    assert.ok(line, `deploy script prints the address:\n${out}`);
    const address = line.match(/0x[0-9a-fA-F]{40}/)[0];
    assert.notEqual(await provider.getCode(address), '0x');
    notes = new ethers.Contract(address, NOTES_ABI, user);
  });

  const embedModel = await market.getModel(EMBED_ID);
  const genModel = await market.getModel(GEN_ID);
  const ids = [];
  const paidCalls = [];

  await t.test('embeddings on chain match the documented similarities and the server exactly', async () => {
    for (const text of SENTENCES) {
      const id = await notes.embedText.staticCall(EMBED_ID, text, { value: embedModel.price });
      const tx = await notes.embedText(EMBED_ID, text, { value: embedModel.price });
      const receipt = await tx.wait();
      assert.equal(receipt.status, 1);
      paidCalls.push(receipt);
      ids.push(id);
    }
    const onChain = [];
    for (const id of ids) onChain.push((await notes.embeddingOf(id)).map(Number));
    for (const [key, documented] of Object.entries(DOCUMENTED)) {
      const [i, j] = key.split(',').map(Number);
      const got = cosine(onChain[i], onChain[j]);
      assert.ok(Math.abs(got - documented) <= 0.01, `cos(${i},${j}) = ${got.toFixed(4)}, documented ${documented}`);
    }
    for (let i = 0; i < SENTENCES.length; i++) {
      const direct = await rpcAt(infer.url, 'bai_embed', [EMBED_ID, SENTENCES[i]]);
      assert.deepEqual(onChain[i], direct.embedding, `sentence ${i}: on-chain vector equals the server's`);
      assert.equal(onChain[i].length, 384);
    }
  });

  await t.test('greedy generation on chain equals the direct greedy decode and is English', async () => {
    const tx = await notes.ask(GEN_ID, PROMPT, MAX_TOKENS, { value: genModel.price, gasLimit: 6_000_000 });
    const receipt = await tx.wait();
    assert.equal(receipt.status, 1);
    paidCalls.push(receipt);
    const stored = receipt.logs.map((l) => { try { return notes.interface.parseLog(l); } catch { return null; } })
      .find((e) => e && e.name === 'AnswerStored');
    assert.ok(stored, 'AnswerStored emitted');
    const onChain = await notes.answerOf(stored.args.id);
    assert.equal(stored.args.answer, onChain, 'event and storage agree');
    const direct = await rpcAt(infer.url, 'bai_generate', [GEN_ID, PROMPT, MAX_TOKENS]);
    assert.equal(onChain, direct.text, 'same text as the direct greedy decode');
    // The witness recorded in the block carries the unit count: the tokens the model produced.
    const block = await provider.getBlock(receipt.blockNumber);
    const witnessLogs = await provider.getLogs({ address: WITNESS_STORE, fromBlock: block.number, toBlock: block.number });
    const units = witnessLogs.map((l) => new ethers.Interface(WITNESS_ABI).parseLog(l).args.units);
    assert.ok(units.includes(BigInt(direct.units)), `witness units ${units} include the decode's ${direct.units} steps`);
    const words = onChain.split(/\s+/).filter(Boolean);
    assert.ok(words.length >= 5, `a sentence, got ${JSON.stringify(onChain)}`);
    assert.ok(/^[\x20-\x7e\n’'"—–-]+$/.test(onChain), `plain English text, got ${JSON.stringify(onChain)}`);
    assert.ok(/\b(the|is|a|and|of)\b/i.test(onChain), `English function words in ${JSON.stringify(onChain)}`);
    assert.ok(/sun/i.test(onChain), `on topic: ${JSON.stringify(onChain)}`);
  });

  await t.test('bai_inferenceCalls lists each model call of a transaction: model, units, fee, rule, witness hash', async () => {
    const witnessLogs = async (receipt) => (await provider.getLogs({ address: WITNESS_STORE, fromBlock: receipt.blockNumber, toBlock: receipt.blockNumber }))
      .map((l) => new ethers.Interface(WITNESS_ABI).parseLog(l).args);
    const check = async (receipt, model, kind, price, rule, toleranceBps) => {
      const listed = await rpcAt(seq.url, 'bai_inferenceCalls', [receipt.hash]);
      assert.equal(listed.transactionHash, receipt.hash);
      assert.equal(BigInt(listed.blockNumber), BigInt(receipt.blockNumber));
      assert.equal(listed.calls.length, 1, `one model call in ${receipt.hash}: ${JSON.stringify(listed)}`);
      const [call] = listed.calls;
      assert.equal(call.model, model);
      assert.equal(call.kind, kind);
      assert.equal(BigInt(call.feePaid), price, 'the fee the marketplace charged (ModelCalled)');
      assert.deepEqual(call.verification, { level: 'optimistic', rule, toleranceBps: ethers.toQuantity(toleranceBps), reference: 'bai-reference' });
      const recorded = (await witnessLogs(receipt)).find((w) => w.callKey === call.callKey);
      assert.ok(recorded, 'the call key is one the block recorded');
      assert.equal(call.witnessHash, recorded.outputHash, 'the witness store\'s output hash');
      assert.equal(BigInt(call.units), recorded.units);
      assert.equal(call.operator.toLowerCase(), (await market.getModel(model)).operator.toLowerCase());
    };
    await check(paidCalls[0], EMBED_ID, 'embedding', embedModel.price, 'tolerance', 1);
    await check(paidCalls[paidCalls.length - 1], GEN_ID, 'generation', genModel.price, 'exact', 0);
    // A transaction without model calls lists none; an unknown hash is "not found".
    const transfer = await (await user.sendTransaction({ to: user.address, value: 1n })).wait();
    assert.deepEqual((await rpcAt(seq.url, 'bai_inferenceCalls', [transfer.hash])).calls, []);
    await assert.rejects(rpcAt(seq.url, 'bai_inferenceCalls', [ethers.ZeroHash]), /not found/);
  });

  await t.test('owner, operator, stakers, curators and treasury got exactly the split', async () => {
    // Compare state right before and right after the block of the generation call.
    const receipt = paidCalls[paidCalls.length - 1];
    const before = receipt.blockNumber - 1, at = receipt.blockNumber;
    const iface = new ethers.Interface(MARKET_ABI);
    const called = receipt.logs.filter((l) => l.address.toLowerCase() === MARKETPLACE.toLowerCase())
      .map((l) => { try { return iface.parseLog(l); } catch { return null; } }).find((e) => e?.name === 'ModelCalled');
    assert.ok(called, 'ModelCalled emitted');
    const { price, ownerShare, operatorShare, stakersShare, curatorsShare, treasuryShare } = called.args;
    assert.equal(price, genModel.price);
    assert.equal(ownerShare + operatorShare + stakersShare + curatorsShare + treasuryShare, price, 'split adds up');
    assert.ok(ownerShare > 0n && operatorShare > 0n && stakersShare > 0n, 'owner, operator and stakers are paid');
    const earn = async (a, b) => (await market.earnings(a, { blockTag: b }));
    assert.equal(await earn(genModel.owner, at) - await earn(genModel.owner, before), ownerShare, 'owner earnings');
    assert.equal(await earn(genModel.operator, at) - await earn(genModel.operator, before), operatorShare, 'operator earnings');
    const treasury = await market.treasury();
    if (treasury.toLowerCase() !== genModel.owner.toLowerCase() && treasury.toLowerCase() !== genModel.operator.toLowerCase()) {
      assert.equal(await earn(treasury, at) - await earn(treasury, before), treasuryShare, 'treasury earnings');
    }
    const stakingDelta = await provider.getBalance(STAKING, at) - await provider.getBalance(STAKING, before);
    assert.equal(stakingDelta, stakersShare, 'stakers share went to staking rewards');
    const curation = await market.curation();
    const curationDelta = await provider.getBalance(curation, at) - await provider.getBalance(curation, before);
    assert.equal(curationDelta, curatorsShare, 'curators share went to curation');
  });

  await t.test('the Rust SDK (bai model) lists, quotes and calls models', async () => {
    const bai = process.env.BAI_BIN || `${process.env.HOME}/.cache/bai/target/debug/bai`;
    const run = (...args) => execFileSync(bai, ['model', '--rpc-url', seq.url, ...args], { encoding: 'utf8' });
    const list = run('list');
    assert.ok(list.includes(EMBED_ID) && list.includes(GEN_ID), list);
    const quote = BigInt(run('quote', EMBED_ID, '28').trim());
    assert.equal(quote, embedModel.baseGas + embedModel.gasPerInputByte * 28n + embedModel.gasPerUnit * 0n);
    const answer = JSON.parse(run('embed', EMBED_ID, SENTENCES[1], '--private-key', devWallet(4).privateKey));
    const direct = await rpcAt(infer.url, 'bai_embed', [EMBED_ID, SENTENCES[1]]);
    assert.deepEqual(answer.embedding, direct.embedding, 'the SDK returns the recorded answer');
    assert.equal(answer.units, direct.units);
  });

  await t.test('the generic infer form: a tensor classifier over a recorded embedding', async () => {
    const bai = process.env.BAI_BIN || `${process.env.HOME}/.cache/bai/target/debug/bai`;
    const labels = (await rpcAt(infer.url, 'bai_models')).find((m) => m.id === CLASSIFIER_ID)?.labels;
    assert.ok(labels?.length === 8, `classifier labels from the server: ${labels}`);
    const cases = { sports: 'The striker scored twice and the home team won the cup.', weather: 'Heavy snow and freezing wind are expected tomorrow.' };
    for (const [topic, text] of Object.entries(cases)) {
      const out = execFileSync(bai, ['model', '--rpc-url', seq.url, 'classify', EMBED_ID, CLASSIFIER_ID, text, '--private-key', devWallet(4).privateKey], { encoding: 'utf8' });
      const onChain = JSON.parse(out);
      const { embedding } = await rpcAt(infer.url, 'bai_embed', [EMBED_ID, text]);
      const direct = await rpcAt(infer.url, 'bai_classify', [CLASSIFIER_ID, embedding]);
      assert.deepEqual(onChain.scores, direct.scores, 'recorded scores equal the server\'s direct evaluation');
      assert.equal(onChain.label, direct.label);
      assert.equal(labels[onChain.label], topic, `${JSON.stringify(text)} is about ${topic}`);
      assert.equal(onChain.units, 4, '384×8 multiply-accumulates = 4 units');
    }
    // Input that is not abi.encode(int32[384]) reverts with the precompile's error carrying the server's reason.
    const marketplace = new ethers.Contract(MARKETPLACE, ['function infer(bytes32,bytes,uint32) payable returns (bytes)'], user);
    const price = (await market.getModel(CLASSIFIER_ID)).price;
    await assert.rejects(marketplace.infer.staticCall(CLASSIFIER_ID, '0x1234', 64, { value: price }), (e) => {
      const data = revertData(e);
      assert.ok(data && data !== '0x', `revert data: ${e.message}`);
      const error = ERRORS.parseError(data);
      assert.equal(error?.name, 'InferenceUnavailable', `decoded ${error?.name}`);
      assert.equal(error.args.modelId, CLASSIFIER_ID);
      assert.match(error.args.reason, /int32/, 'the reason names the expected input format');
      return true;
    });
  });

  await t.test('a replica without any inference server replays every block identically', async () => {
    replica = await startNode({ name: 'ai-replica', blockTime: '1s', extraArgs: ['--follow', seq.url, '--inference.disable'] });
    const target = await provider.getBlockNumber();
    const rp = jsonRpc(replica.url);
    const t0 = Date.now();
    while ((await rp.getBlockNumber()) < target) {
      assert.ok(Date.now() - t0 < 120_000, 'replica catches up within 120 s');
      await sleep(250);
    }
    for (let n = 1; n <= target; n++) {
      const [a, b] = await Promise.all([rpcAt(seq.url, 'eth_getBlockByNumber', [ethers.toQuantity(n), false]), rpcAt(replica.url, 'eth_getBlockByNumber', [ethers.toQuantity(n), false])]);
      assert.equal(b.hash, a.hash, `block ${n} hash`);
      assert.equal(b.stateRoot, a.stateRoot, `block ${n} state root`);
    }
    const replicaNotes = new ethers.Contract(await notes.getAddress(), NOTES_ABI, rp);
    assert.deepEqual((await replicaNotes.embeddingOf(ids[0])).map(Number), (await notes.embeddingOf(ids[0])).map(Number));

    // A transaction sent to the replica is forwarded to the sequencer, mined there and followed back; a refusal
    // is the sequencer's own (same code and message).
    const sender = devWallet(6, rp);
    const tx = await sender.sendTransaction({ to: devWallet(7).address, value: 12345n });
    const mined = await tx.wait();
    assert.equal(mined.status, 1);
    const onSeq = await provider.getTransactionReceipt(tx.hash);
    assert.equal(onSeq.blockHash, mined.blockHash, 'the replica shows the sequencer\'s receipt');
    const again = await rpcAt(replica.url, 'eth_sendRawTransaction', [tx.serialized]).catch((e) => e);
    const direct = await rpcAt(seq.url, 'eth_sendRawTransaction', [tx.serialized]).catch((e) => e);
    assert.ok(again.rpcError && direct.rpcError, 'a replayed transaction is refused');
    assert.deepEqual({ code: again.rpcError.code, message: again.rpcError.message }, { code: direct.rpcError.code, message: direct.rpcError.message });
  });

  await t.test('a dead inference server reverts the model call only; blocks keep coming', async () => {
    await infer.kill('SIGKILL');
    const nonce = await provider.getTransactionCount(user.address, 'pending');
    const fee = { maxFeePerGas: 10n * 10n ** 9n, maxPriorityFeePerGas: 10n ** 9n };
    const aiTx = await notes.embedText(EMBED_ID, 'a sentence nobody embedded before', { value: embedModel.price, gasLimit: 2_000_000, nonce, ...fee });
    const transfer = await user.sendTransaction({ to: ethers.Wallet.createRandom().address, value: 1n, nonce: nonce + 1, gasLimit: 21_000, ...fee });
    const [aiReceipt, transferReceipt] = await Promise.all([
      provider.waitForTransaction(aiTx.hash, 1, 60_000),
      provider.waitForTransaction(transfer.hash, 1, 60_000),
    ]);
    assert.equal(aiReceipt.status, 0, 'the model call reverted');
    assert.equal(transferReceipt.status, 1, 'the transfer landed');
    // Replaying the block (what every verifier does, here the sequencer's own tracer) has no
    // witness for the call: it must revert with the same data and gas, or verifiers fork.
    const trace = await provider.send('debug_traceTransaction', [aiTx.hash, { tracer: 'callTracer' }]);
    assert.equal(BigInt(trace.gasUsed), aiReceipt.gasUsed, 'replay spends the gas the receipt records');
    const sealedReason = ERRORS.parseError(trace.output);
    assert.equal(sealedReason?.name, 'InferenceUnavailable', `decoded ${sealedReason?.name} from ${trace.output}`);
    assert.equal(sealedReason.args.reason, 'the model gave no answer for this call', 'no node-local error text in the chain');
    try {
      await notes.embedText.staticCall(EMBED_ID, 'another new sentence', { value: embedModel.price });
      assert.fail('eth_call should revert');
    } catch (e) {
      const decoded = ERRORS.parseError(revertData(e));
      assert.equal(decoded?.name, 'InferenceUnavailable', `decoded ${decoded?.name} from ${revertData(e)}`);
    }
    const head = await provider.getBlockNumber();
    await sleep(2500);
    assert.ok((await provider.getBlockNumber()) > head, 'blocks keep coming');
  });

  await t.test('out of gas and unknown models revert', async () => {
    const nonce = await provider.getTransactionCount(user.address, 'pending');
    const fee = { maxFeePerGas: 10n * 10n ** 9n, maxPriorityFeePerGas: 10n ** 9n };
    const low = await notes.embedText(EMBED_ID, SENTENCES[0], { value: embedModel.price, gasLimit: 90_000, nonce, ...fee });
    const lowReceipt = await provider.waitForTransaction(low.hash, 1, 60_000);
    assert.equal(lowReceipt.status, 0, 'too little gas for the worst case reverts');
    const unknown = ethers.id('no such model');
    await assert.rejects(notes.embedText.staticCall(unknown, 'x', { value: 0 }), 'unknown model reverts');
  });
});
