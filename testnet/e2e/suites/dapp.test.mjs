// Marketplace dApp suite (node --test): the built dApp (dapp/, Vite + viem) in Debian's Chromium driven
// headless by playwright-core, with an injected EIP-1193 wallet backed by a dev key, against a real
// anvil L1 (contracts deployed by DeployL1.s.sol) and a real bai dev node running both AI models
// in-process, following that L1 (SystemConfig, deposits, 1 confirmation), batching to it (calldata,
// dev key #3) and proposing outputs of safe blocks to its L2OutputOracle (dev key #2, one every 4 L2
// blocks). Every step asserts on the page and, independently (ethers, raw JSON-RPC), on chain:
//   1. connect + "Add BalanceAI L2": the wallet receives chain id 0xba1, BAI with 18 decimals and an RPC
//      URL that really answers 2977, and the page shows the account on that chain;
//   2. models: every model of bai_listModels is shown with the price, gas schedule, split
//      (previewSplit), operator stake (Staking) and curation stake (Curation) read on chain;
//   3. embedding similarity: two paid marketplace transactions; the similarity shown equals the cosine
//      of the vectors decoded here from the blocks' witness deposits (checked against the witness
//      store's hashes and a fresh eth_call), the fees shown equal the receipts' and the balance moved by
//      exactly that much;
//   4. generation: the text shown equals the output recorded in the block; a call the chain refuses
//      (input too large) is explained with the decoded custom error and sends nothing;
//   5. deposit from L1: approve + depositERC20Transaction move the BAI into the portal, the
//      TransactionDeposited event carries the amount, the page tracks the L2 deposit hash computed here
//      from the event (OP deposit encoding), the sequencer includes that deposit transaction (receipt
//      status 1, L1 origin = the deposit's L1 block), the L2 balance grows by exactly the amount, and the
//      page shows the deposit credited in that L2 block;
//   6. explorer: the blocks shown are the chain's; every batch row is an L1 transaction from the batcher
//      (SystemConfig.batcherHash) to the inbox (SystemConfig.batchInbox) with the kind and size shown, and
//      the batches on L1 carry the model calls made above; the outputs shown, newest first, are the
//      oracle's at the L1 block the page read (min(nextOutputIndex, 10) rows): index, L2 block (every 4th,
//      safe), output root (= getL2Output and the L2's optimism_outputAtBlock) and the L1 block of their
//      OutputProposed event, sent by the proposer;
//   7. withdrawal: the page's withdraw form refuses an amount above the L2 balance (its message names the
//      balance read on chain, the gas margin it keeps and balance − margin as the most; nothing is sent and the
//      wallet is not even switched), then withdraws 1.5 BAI (sent while L1 mining is paused, so no output can
//      cover it yet): one L2 transaction from the user to the L2ToL1MessagePasser with exactly that value,
//      initiateWithdrawal(user, 0, 0x) (gas limit 0 as `bai bridge withdraw`), the wallet switched from L1 to
//      the L2, one MessagePassed whose hash the page names and lists at once, the L2 balance down by the value
//      and the receipt's fees (within the margin); the page lists it with its amount, transaction and block
//      as waiting for an output, then, with L1 mining again, as ready to prove against the output
//      getL2OutputIndexAfter names once the proposer posts it (that output's root is the L2's, whose
//      message passer holds the withdrawal). Its Prove button (wallet on the L2: the page switches it to L1)
//      sends one L1 transaction from the user to the portal: WithdrawalProven, provenWithdrawals = that
//      output index and root at the block's time; the row counts down the challenge window exactly
//      (max(proven, proposed) + FINALIZATION_PERIOD_SECONDS + 1 − the time of the L1 block it read). The
//      challenger (dev #1) deletes that output: the row says it must be proven again (no countdown, no
//      button) and the explorer lists exactly the oracle's outputs, the deleted ones apart with their
//      proposal and deletion; the proposer posts the same root again, the proof stands and the countdown
//      follows the new proposal. With the L1 clock moved to the first second the portal accepts, the row is
//      ready to finalize; with the portal paused by its guardian its Finalize button says so and sends nothing,
//      once unpaused it pays the user exactly the amount in L1 BAI
//      (WithdrawalFinalized(hash, true)) and the row says finalized;
//   8. governance (last: DeployGovernance.s.sol hands SystemConfig and the guardian to the timelock): holders
//      delegate; the page (BaiGovernor in its config, the wallet on the L2) delegates the user's BAI to itself on
//      L1 (delegates/getVotes on chain); two proposals made with ethers are listed with their title, proposer,
//      snapshot, deadline and actions decoded (an L1 SystemConfig setter, an L2 call through a portal deposit the
//      page knows, one it shows by selector); active, with the blocks and seconds left and the tallies and quorum
//      as on chain at the L1 block the page read; the user votes For in the page (castVote(id, 1), VoteCast with its
//      whole balance, hasVoted, proposalVotes); past the deadline (anvil_mine) succeeded, queued from the page (the
//      seconds to the eta), and at the eta one proposal's Execute explained with SystemConfig's decoded error
//      (nothing sent) and the other executed from the page (SystemConfig's gas limit is the proposal's).
// With an L2-only config the page says it cannot follow the withdrawal, and that governance is not configured.
// Screenshots go to testnet/e2e/.artifacts/dapp/ (UPDATE_SCREENSHOTS=1: docs/img/, as committed).
// Env: BAI_BIN, E2E_TMP, E2E_ROOT, CHROMIUM_BIN (default /usr/bin/chromium), UPDATE_SCREENSHOTS.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ethers, ETHER, devWallet, sleep, rpcAt, waitFor, jsonRpc } from '../lib/common.mjs';
import { startNode, TMP } from '../lib/node.mjs';
import { startAnvil, deployL1, deployGovernance, ORACLE_ABI, PORTAL_ABI, hashWithdrawal } from '../lib/l1.mjs';
import { launchChromium, serveStatic, installTestWallet } from '../lib/browser.mjs';
import { ensureDappBuilt } from '../lib/dapp.mjs';
import { postedBatches } from '../lib/batches.mjs';

const ROOT = process.env.E2E_ROOT || new URL('../../..', import.meta.url).pathname;
const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs/img') : join(ROOT, 'testnet/e2e/.artifacts/dapp');
const MARKETPLACE = '0x4200000000000000000000000000000000000B00';
const WITNESS_STORE = '0x4200000000000000000000000000000000000B02';
const DEPOSITOR = '0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001';
const EMBED_ID = '0x1376cd05d831cf77b4baf7303098d4c0e44c3cd7e812dc3f95cbfd0e2f26f539';
const GEN_ID = '0xad00ff97ad78425860da84f33496c901b38cd2f1753643a808eff705ee4b0a49';
const CLASSIFIER_ID = '0x5a0c0531b96a5450bde88a5af24315f5ff4b9716f6012fa15fa8889b54ed96ef';
const BAI_BIN = process.env.BAI_BIN || `${process.env.HOME}/.cache/bai/target/debug/bai`;
const L2_CHAIN_ID = 2977;
// sentence-transformers' documented pair for all-MiniLM-L6-v2: cosine 0.6660
const TEXT_A = 'The weather is lovely today.';
const TEXT_B = "It's so sunny outside!";
const DOCUMENTED_COSINE = 0.6660;
const PROMPT = 'Write one sentence about the moon.';
const MAX_TOKENS = 24;
const L1_FUNDING = 1000n * ETHER;
const DEPOSIT = 25n * ETHER;
const CURATED = 2n * ETHER + ETHER / 2n;

const MARKET = new ethers.Interface([
  'function getModel(bytes32) view returns (tuple(uint8 status,uint8 kind,uint32 maxInputBytes,uint32 maxUnits,uint64 baseGas,uint64 gasPerUnit,uint32 gasPerInputByte,uint16 toleranceBps,uint256 price,address owner,address operator,string metadataURI,bytes32 zkKeyHash,uint64 zkSince))',
  'function setZkKey(bytes32 modelId, bytes key)',
  'function previewSplit(bytes32,uint256) view returns (uint256,uint256,uint256,uint256,uint256)',
  'function staking() view returns (address)',
  'function curation() view returns (address)',
  'function embed(bytes32 modelId, string text) payable returns (int32[])',
  'function generate(bytes32 modelId, string prompt, uint32 maxTokens) payable returns (string)',
  'event ModelCalled(bytes32 indexed modelId, address indexed caller, uint256 price, uint256 ownerShare, uint256 operatorShare, uint256 stakersShare, uint256 curatorsShare, uint256 treasuryShare)',
]);
const STAKING = ['function getValidator(address) view returns (tuple(bool registered,uint16 commissionBps,uint16 maxCommissionBps,uint16 maxCommissionChangeBps,uint64 lastCommissionChange,uint64 jailedUntil,bool jailed,uint256 bondedStake,uint256 bondedShares,uint256 unbondingStake,uint256 unbondingShares,uint256 accRewardPerShare,uint256 globalIndexCheckpoint))'];
const CURATION = ['function curate(bytes32 modelId) payable', 'function pools(bytes32) view returns (uint256 stake, uint256 shares, uint256 accRewardPerShare)'];
const WITNESS = new ethers.Interface([
  'function recordBatch(bytes32[] callKeys, bytes[] outputs, uint64[] units)',
  'function get(bytes32 callKey) view returns (bool exists, bytes32 outputHash, uint64 units, address recordedOperator, uint64 blockNumber)',
]);
const ERC20 = ['function balanceOf(address) view returns (uint256)', 'function transfer(address,uint256) returns (bool)', 'function allowance(address,address) view returns (uint256)'];
const PORTAL = new ethers.Interface(['event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData)']);
const ORACLE = [...ORACLE_ABI, 'function submissionInterval() view returns (uint256)', 'function proposer() view returns (address)',
  'function challenger() view returns (address)', 'function deleteL2Outputs(uint256 l2OutputIndex)',
  'event OutputProposed(bytes32 indexed outputRoot, uint256 indexed l2OutputIndex, uint256 indexed l2BlockNumber, uint256 l1Timestamp)'];
const MESSAGE_PASSER = '0x4200000000000000000000000000000000000016';
const PASSER = new ethers.Interface([
  'function initiateWithdrawal(address target, uint256 gasLimit, bytes data) payable',
  'function sentMessages(bytes32) view returns (bool)',
  'event MessagePassed(uint256 indexed nonce, address indexed sender, address indexed target, uint256 value, uint256 gasLimit, bytes data, bytes32 withdrawalHash)',
]);
// An output every INTERVAL L2 blocks (1 s each): a few are on L1 by the explorer step, and a withdrawal waits
// a few seconds for the one covering it.
const INTERVAL = 4;
// The oracle's FINALIZATION_PERIOD_SECONDS: long enough for the challenger (dev #1) to delete the output the
// withdrawal was proven against inside its window, whatever the machine's speed; the test then moves the L1
// clock past the window (evm_setNextBlockTimestamp) instead of waiting for it.
const PERIOD = 60;
const OUTPUT_ROWS = 10; // the page's limit (dapp/src/explorer.ts)
const WITHDRAWAL = 3n * ETHER / 2n;
// The L1 gas a plain withdrawal to oneself asks for, as `bai bridge withdraw` and the page send it (no data: the
// portal only transfers the BAI, calls nothing).
const WITHDRAW_GAS_LIMIT = 0n;
const SYSTEM_CONFIG = ['function batchInbox() view returns (address)', 'function batcherHash() view returns (bytes32)'];
const L1_BLOCK = ['function number() view returns (uint64)', 'function hash() view returns (bytes32)'];
const L1_BLOCK_PREDEPLOY = '0x4200000000000000000000000000000000000015';
// Governance (DeployGovernance.s.sol): the vote lasts GOV_PERIOD L1 blocks; the holders' BAI from the treasury
// (dev #7 For, #8 Abstain, #9 Against; the quorum is 4 % of the 1e9 supply).
const GOV_PERIOD = 100;
const GOV_HOLDERS = [[7, 30_000_000n * ETHER], [8, 15_000_000n * ETHER], [9, 5_000_000n * ETHER]];
const GOVERNOR = [
  'function timelock() view returns (address)',
  'function propose(address[] targets, uint256[] values, bytes[] calldatas, string description) returns (uint256)',
  'function castVote(uint256 proposalId, uint8 support) returns (uint256)',
  'function queue(address[] targets, uint256[] values, bytes[] calldatas, bytes32 descriptionHash) returns (uint256)',
  'function state(uint256 proposalId) view returns (uint8)',
  'function proposalSnapshot(uint256 proposalId) view returns (uint256)',
  'function proposalDeadline(uint256 proposalId) view returns (uint256)',
  'function proposalEta(uint256 proposalId) view returns (uint256)',
  'function proposalVotes(uint256 proposalId) view returns (uint256 againstVotes, uint256 forVotes, uint256 abstainVotes)',
  'function hasVoted(uint256 proposalId, address account) view returns (bool)',
  'function quorum(uint256 timepoint) view returns (uint256)',
  'event ProposalCreated(uint256 proposalId, address proposer, address[] targets, uint256[] values, string[] signatures, bytes[] calldatas, uint256 voteStart, uint256 voteEnd, string description)',
  'event VoteCast(address indexed voter, uint256 proposalId, uint8 support, uint256 weight, string reason)',
];
const VOTES_TOKEN = ['function transfer(address, uint256) returns (bool)', 'function balanceOf(address) view returns (uint256)',
  'function delegate(address)', 'function delegates(address) view returns (address)', 'function getVotes(address) view returns (uint256)'];
const SYSCONFIG_GOV = new ethers.Interface(['function setGasLimit(uint64 gasLimit)']);
const PORTAL_GOV = new ethers.Interface(['function depositTransaction(address to, uint256 value, uint64 gasLimit, bool isCreation, bytes data) payable']);
// setMaxPrice is no function of the marketplace: the page shows its selector
const MARKET_GOV = new ethers.Interface(['function setToleranceBounds(uint16 minBps, uint16 maxBps)', 'function setMaxPrice(uint256 maxPrice)']);

let l1, l2, server, browser;
after(async () => {
  await browser?.close().catch(() => {});
  await server?.close();
  await l2?.stop();
  await l1?.stop();
});


/** keccak256(abi.encode(modelId, selector, keccak256(input), maxUnits)) — the witness store's call key. */
function callKey(modelId, fn, input, maxUnits) {
  const selector = MARKET.getFunction(fn).selector;
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(['bytes32', 'bytes4', 'bytes32', 'uint32'], [modelId, selector, ethers.keccak256(ethers.toUtf8Bytes(input)), maxUnits]));
}

/** The output the block's witness deposit recorded for `key`, checked against the store's hash at that block. */
async function recordedOutput(url, blockNumber, key) {
  const block = await rpcAt(url, 'eth_getBlockByNumber', [ethers.toQuantity(blockNumber), true]);
  const deposits = block.transactions.filter((t) => t.type === '0x7e' && t.from.toLowerCase() === DEPOSITOR.toLowerCase() && t.to?.toLowerCase() === WITNESS_STORE.toLowerCase());
  assert.equal(deposits.length, 1, `block ${blockNumber} has one witness deposit`);
  const [keys, outputs, units] = WITNESS.decodeFunctionData('recordBatch', deposits[0].input);
  const i = keys.findIndex((k) => k.toLowerCase() === key.toLowerCase());
  assert.ok(i >= 0, `block ${blockNumber} records call key ${key}`);
  const got = WITNESS.decodeFunctionResult('get', await rpcAt(url, 'eth_call', [{ to: WITNESS_STORE, data: WITNESS.encodeFunctionData('get', [key]) }, ethers.toQuantity(blockNumber)]));
  assert.equal(got.exists, true);
  assert.equal(got.outputHash, ethers.keccak256(outputs[i]), 'store hash = keccak(recorded output)');
  assert.equal(Number(got.blockNumber), blockNumber);
  return { output: outputs[i], units: units[i] };
}

function int32s(hex) {
  const b = ethers.getBytes(hex);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = [];
  for (let i = 0; i < b.length; i += 4) out.push(v.getInt32(i, false));
  return out;
}

/** What a receipt cost its sender: value + gasUsed × effectiveGasPrice + the OP L1 data fee. */
function totalCost(receipt, value) {
  return BigInt(value) + BigInt(receipt.gasUsed) * BigInt(receipt.effectiveGasPrice) + BigInt(receipt.l1Fee ?? 0);
}

/** OP deposit transaction hash of a TransactionDeposited log (user deposit source hash, 0x7e RLP). */
function depositTxHash(log) {
  const ev = PORTAL.parseLog(log);
  const sourceHash = ethers.keccak256(ethers.concat([ethers.zeroPadValue('0x', 32), ethers.keccak256(ethers.concat([log.blockHash, ethers.zeroPadValue(ethers.toBeHex(BigInt(log.index)), 32)]))]));
  const o = ethers.getBytes(ev.args.opaqueData);
  const mint = ethers.toBigInt(o.slice(0, 32));
  const value = ethers.toBigInt(o.slice(32, 64));
  const gas = ethers.toBigInt(o.slice(64, 72));
  const isCreation = o[72] === 1;
  const data = o.slice(73);
  const q = (n) => (n === 0n ? '0x' : ethers.toBeHex(n));
  const rlp = ethers.encodeRlp([sourceHash, ev.args.from, isCreation ? '0x' : ev.args.to, q(mint), q(value), q(gas), '0x', ethers.hexlify(data)]);
  return { hash: ethers.keccak256(ethers.concat(['0x7e', rlp])), mint, value, gas, from: ev.args.from, to: ev.args.to };
}

/** "0.00005 BAI" → wei */
function baiText(s) {
  const m = /^\s*([0-9.]+) BAI\s*$/.exec(s);
  assert.ok(m, `a BAI amount, got ${JSON.stringify(s)}`);
  return ethers.parseEther(m[1]);
}

function fmtBai(wei, digits = 18) {
  const [i, f = ''] = ethers.formatEther(wei).split('.');
  const frac = f.slice(0, digits).replace(/0+$/, '');
  const int = BigInt(i).toLocaleString('en-US');
  return frac ? `${int}.${frac}` : int;
}

test('marketplace dApp in a real browser', { timeout: 900_000 }, async (t) => {
  mkdirSync(SHOTS, { recursive: true });
  const t0 = Date.now();
  // anvil, DeployL1, then the node: it reads SystemConfig at startup. The dApp build (when stale) meanwhile.
  // anvil automines (a block per transaction: the batcher's posts every ~2 s keep L1 moving, and the test
  // mines where it waits for a confirmation). Not --block-time: the sequencer's L1 origin starts at
  // SystemConfig's start block and moves at most one L1 block per L2 block, so with 1 s blocks on both
  // chains it would stay as far behind as L1 got while the node loaded its models.
  const deployP = (async () => { l1 = await startAnvil({ name: 'dapp-l1' }); return deployL1(l1.url, { BAI_SUBMISSION_INTERVAL: String(INTERVAL), BAI_FINALIZATION_PERIOD: String(PERIOD) }); })();
  const nodeP = deployP.then(async (d) => {
    l2 = await startNode({ name: 'dapp-l2', blockTime: '1s', extraArgs: ['--inference.models-dir', join(ROOT, '.models'),
      '--l1.rpc-url', l1.url, '--l1.system-config', d.SystemConfig, '--l1.confirmations', '1', '--l1.poll-interval', '250ms',
      '--batcher.key', devWallet(3).privateKey, '--batcher.da', 'calldata', '--batcher.max-blocks', '6', '--batcher.max-delay', '2s',
      '--proposer.key', devWallet(2).privateKey] });
  });
  deployP.catch(() => {}); nodeP.catch(() => {}); // awaited below, after the build
  const dist = ensureDappBuilt((m) => t.diagnostic(m));
  const [deploy] = await Promise.all([deployP, nodeP]);
  t.diagnostic(`L1 ${l1.url}, L2 ${l2.url}, contracts and node up after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.equal(deploy.batcher.toLowerCase(), devWallet(3).address.toLowerCase(), 'DeployL1 authorises dev #3 as batcher');
  assert.equal(deploy.proposer.toLowerCase(), devWallet(2).address.toLowerCase(), 'and dev #2 as proposer');

  const l1p = jsonRpc(l1.url, 31337, { pollingInterval: 100 });
  const l2p = jsonRpc(l2.url, L2_CHAIN_ID);
  const user = devWallet(5);
  const token = new ethers.Contract(deploy.BaiToken, ERC20, l1p);
  const market = new ethers.Contract(MARKETPLACE, MARKET, l2p);

  // Fixtures: the user gets L1 BAI from the treasury (dev #0); dev #6 curates the embedding model so
  // the curation stake shown is not a default zero.
  await (await token.connect(devWallet(0, l1p)).transfer(user.address, L1_FUNDING)).wait();
  const curation = new ethers.Contract(await market.curation(), CURATION, devWallet(6, l2p));
  await (await curation.curate(EMBED_ID, { value: CURATED })).wait();
  // The classifier's owner makes it zk with the key `bai infer zk-key` writes, so the models section shows
  // both verification levels; the page loads once the key is in force (the block after).
  const keyFile = join(TMP, 'dapp-classifier.key');
  execFileSync(BAI_BIN, ['infer', 'zk-key', join(ROOT, '.models', 'topic-classifier'), '--out', keyFile], { stdio: 'pipe' });
  const classifierOwner = (await market.getModel(CLASSIFIER_ID)).owner;
  const ownerIndex = [...Array(10).keys()].find((i) => devWallet(i).address === classifierOwner);
  assert.ok(ownerIndex !== undefined, 'the classifier is owned by a dev account');
  const zkReceipt = await (await market.connect(devWallet(ownerIndex, l2p)).setZkKey(CLASSIFIER_ID, readFileSync(keyFile))).wait();
  await waitFor('the zk key in force', async () => (await l2p.getBlockNumber()) > zkReceipt.blockNumber, { timeoutMs: 10_000 });

  const config = {
    l1: { chainId: 31337, name: 'Anvil L1', rpcUrl: l1.url, contracts: { BaiToken: deploy.BaiToken, OptimismPortal: deploy.OptimismPortal, L2OutputOracle: deploy.L2OutputOracle, SystemConfig: deploy.SystemConfig } },
    l2: { chainId: L2_CHAIN_ID, name: 'BalanceAI devnet', rpcUrl: l2.url },
  };
  server = await serveStatic(dist, { '/config.json': JSON.stringify(config) });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // The wallet starts on L1 and does not know the L2 yet: the page has to add it.
  const wallet = await installTestWallet(context, { privateKey: user.privateKey, chains: { 31337: l1.url }, chainId: 31337 });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  const shot = async (sel, name) => page.locator(sel).screenshot({ path: join(SHOTS, name) });

  await t.test('connect the wallet and add the BalanceAI L2 network', async () => {
    await page.click('#connect');
    await page.waitForSelector('#wallet-info [data-chain-id="31337"]');
    assert.match(await page.textContent('#wallet-info'), new RegExp(`${user.address.slice(0, 8)}.*Anvil L1`, 's'));
    await page.click('#add-l2');
    await page.waitForSelector(`#wallet-info [data-chain-id="${L2_CHAIN_ID}"]`);
    assert.match(await page.textContent('#wallet-status'), /added to the wallet and selected/);
    assert.equal(wallet.state.added.length, 1, 'one wallet_addEthereumChain');
    const added = wallet.state.added[0];
    assert.equal(added.chainId, '0xba1');
    assert.deepEqual(added.nativeCurrency, { name: 'BAI', symbol: 'BAI', decimals: 18 });
    assert.deepEqual(added.rpcUrls, [l2.url]);
    assert.equal(await rpcAt(added.rpcUrls[0], 'eth_chainId'), '0xba1', 'the added RPC URL serves chain 2977');
    assert.equal(wallet.state.chainId, L2_CHAIN_ID, 'wallet switched to the L2');
    assert.equal(await page.evaluate(() => window.ethereum.request({ method: 'eth_chainId' })), '0xba1');
    await shot('#topbar', 'dapp-wallet.png');
  });

  await t.test('models are listed with price, gas schedule, split, operator and curation stake from chain', async () => {
    const list = await rpcAt(l2.url, 'bai_listModels');
    assert.ok(list.models.length >= 2);
    await page.waitForSelector('#models-status[data-loaded="true"]');
    assert.equal(await page.locator('#models-list article.model').count(), list.models.length, 'one card per registered model');
    const staking = new ethers.Contract(await market.staking(), STAKING, l2p);
    for (const { id } of list.models) {
      const m = await market.getModel(id);
      const card = page.locator(`article.model[data-model-id="${id}"]`);
      const field = async (f) => (await card.locator(`[data-field="${f}"]`).textContent()).trim();
      assert.equal(await field('name'), m.metadataURI);
      assert.equal(await field('price'), fmtBai(m.price), `price of ${m.metadataURI}`);
      assert.equal(await field('baseGas'), BigInt(m.baseGas).toLocaleString('en-US'));
      assert.equal(await field('gasPerUnit'), BigInt(m.gasPerUnit).toLocaleString('en-US'));
      assert.equal(await field('gasPerInputByte'), BigInt(m.gasPerInputByte).toLocaleString('en-US'));
      assert.equal(await field('maxUnits'), BigInt(m.maxUnits).toLocaleString('en-US'));
      assert.equal((await field('operator')).toLowerCase(), m.operator.toLowerCase());
      const zk = m.zkKeyHash !== ethers.ZeroHash;
      assert.equal(zk, id === CLASSIFIER_ID, 'only the classifier was made zk');
      const rule = zk ? 'zk · proof checked by every node'
        : m.toleranceBps === 0n ? 'optimistic · exact (bit-exact reference)' : `optimistic · within ${m.toleranceBps} bps of the reference`;
      assert.equal(await field('verification'), rule, `verification rule of ${m.metadataURI}`);
      assert.equal(await card.locator('[data-field="verification"]').getAttribute('data-level'), zk ? 'zk' : 'optimistic');
      const bonded = (await staking.getValidator(m.operator)).bondedStake;
      assert.ok(bonded > 0n, 'the devnet operator is staked');
      assert.equal(await field('operatorStake'), `${fmtBai(bonded, 6)} BAI`);
      const pool = await curation.pools(id);
      assert.equal(await field('curationStake'), `${fmtBai(pool.stake)} BAI`);
      if (id === EMBED_ID) assert.equal(pool.stake, CURATED, 'the curated stake is on chain');
      const split = await market.previewSplit(id, m.price);
      const shares = ['owner', 'operator', 'stakers', 'curators', 'treasury'];
      for (let i = 0; i < shares.length; i++) {
        assert.equal((await card.locator(`[data-share="${shares[i]}"]`).textContent()).trim(), `${fmtBai(split[i])} BAI`, `${shares[i]} share`);
      }
    }
    await shot('#models', 'dapp-models.png');
  });

  await t.test('embedding similarity: two paid calls, the similarity of the recorded vectors, exact fees', async () => {
    const model = await market.getModel(EMBED_ID);
    await page.selectOption('#embed-model', EMBED_ID);
    await page.fill('#embed-a', TEXT_A);
    await page.fill('#embed-b', TEXT_B);
    const sentBefore = wallet.state.sent.length;
    await page.click('#embed-form button[type="submit"]');
    await page.waitForSelector('#embed-status.ok, #embed-status.error', { timeout: 180_000 });
    assert.equal(await page.getAttribute('#embed-status', 'class'), 'status ok', await page.textContent('#embed-status'));
    const cards = page.locator('#embed-result .call');
    assert.equal(await cards.count(), 2);
    const vectors = [];
    const receipts = [];
    for (const [i, text] of [TEXT_A, TEXT_B].entries()) {
      const hash = await cards.nth(i).getAttribute('data-tx');
      assert.equal(hash, wallet.state.sent[sentBefore + i].hash, 'the page shows the transaction the wallet sent');
      const receipt = await rpcAt(l2.url, 'eth_getTransactionReceipt', [hash]);
      const tx = await rpcAt(l2.url, 'eth_getTransactionByHash', [hash]);
      assert.equal(receipt.status, '0x1');
      assert.equal(tx.to.toLowerCase(), MARKETPLACE.toLowerCase());
      assert.equal(BigInt(tx.value), model.price, 'paid exactly the price');
      assert.equal(MARKET.parseTransaction({ data: tx.input }).args[1], text, 'the text typed is the text sent');
      const { output, units } = await recordedOutput(l2.url, Number(receipt.blockNumber), callKey(EMBED_ID, 'embed', text, 0));
      assert.ok(units > 0n);
      const v = int32s(output);
      assert.equal(v.length, 384);
      // the recorded answer is the model's: a fresh eth_call (which asks the model) gives the same vector
      const simulated = MARKET.decodeFunctionResult('embed', await rpcAt(l2.url, 'eth_call', [{ from: user.address, to: MARKETPLACE, value: ethers.toQuantity(model.price), data: tx.input }, 'latest']))[0].map(Number);
      assert.deepEqual(v, simulated);
      vectors.push(v);
      receipts.push(receipt);
      const called = receipt.logs.filter((l) => l.address.toLowerCase() === MARKETPLACE.toLowerCase()).map((l) => MARKET.parseLog(l)).find((e) => e?.name === 'ModelCalled');
      assert.equal(called.args.price, model.price);
      assert.equal(BigInt(await cards.nth(i).getAttribute('data-total-wei')), totalCost(receipt, tx.value), 'total fee shown = price + gas × price + L1 fee');
      assert.equal(baiText(await cards.nth(i).locator('[data-fee="price"]').textContent()), model.price);
      assert.equal(baiText(await cards.nth(i).locator('[data-share="curators"]').textContent()), called.args.curatorsShare);
      assert.ok(called.args.curatorsShare > 0n, 'curators of the embedding model are paid');
      assert.match(await cards.nth(i).locator('[data-fee="gas"]').textContent(), new RegExp(`^${BigInt(receipt.gasUsed).toLocaleString('en-US')} × `));
    }
    let dot = 0n, na = 0n, nb = 0n;
    for (let i = 0; i < vectors[0].length; i++) {
      const a = BigInt(vectors[0][i]), b = BigInt(vectors[1][i]);
      dot += a * b; na += a * a; nb += b * b;
    }
    const cos = Number(dot) / Math.sqrt(Number(na) * Number(nb));
    assert.equal(await page.textContent('[data-field="similarity"]'), cos.toFixed(4), 'similarity shown = cosine of the on-chain vectors');
    assert.equal(await page.textContent('[data-field="similarity-scaled"]'), String(dot / 1_000_000n));
    assert.ok(Math.abs(cos - DOCUMENTED_COSINE) <= 0.01, `cos = ${cos}, documented ${DOCUMENTED_COSINE}`);
    // the account's balance moved by exactly the two totals shown
    const [first, second] = receipts.map((r) => Number(r.blockNumber));
    const before = BigInt(await rpcAt(l2.url, 'eth_getBalance', [user.address, ethers.toQuantity(first - 1)]));
    const afterBal = BigInt(await rpcAt(l2.url, 'eth_getBalance', [user.address, ethers.toQuantity(second)]));
    const shown = BigInt(await cards.nth(0).getAttribute('data-total-wei')) + BigInt(await cards.nth(1).getAttribute('data-total-wei'));
    assert.equal(before - afterBal, shown, 'balance delta = fees shown');
    await shot('#embed-card', 'dapp-embed.png');
  });

  await t.test('text generation shows the text recorded on chain and its fees', async () => {
    const model = await market.getModel(GEN_ID);
    await page.selectOption('#generate-model', GEN_ID);
    await page.fill('#generate-prompt', PROMPT);
    await page.fill('#generate-max', String(MAX_TOKENS));
    await page.click('#generate-form button[type="submit"]');
    await page.waitForSelector('#generate-status.ok, #generate-status.error', { timeout: 180_000 });
    assert.equal(await page.getAttribute('#generate-status', 'class'), 'status ok', await page.textContent('#generate-status'));
    const card = page.locator('#generate-result .call');
    const hash = await card.getAttribute('data-tx');
    const receipt = await rpcAt(l2.url, 'eth_getTransactionReceipt', [hash]);
    const tx = await rpcAt(l2.url, 'eth_getTransactionByHash', [hash]);
    assert.equal(receipt.status, '0x1');
    assert.equal(BigInt(tx.value), model.price);
    const args = MARKET.parseTransaction({ data: tx.input }).args;
    assert.equal(args[1], PROMPT);
    assert.equal(Number(args[2]), MAX_TOKENS);
    const { output, units } = await recordedOutput(l2.url, Number(receipt.blockNumber), callKey(GEN_ID, 'generate', PROMPT, MAX_TOKENS));
    const text = ethers.toUtf8String(output);
    assert.ok(text.trim().length > 0 && units > 0n && units <= BigInt(MAX_TOKENS), `text ${JSON.stringify(text)} in ${units} tokens`);
    assert.equal(await page.textContent('[data-field="answer"]'), text, 'the page shows exactly the recorded text');
    assert.equal((await card.locator('[data-field="call-verification"]').textContent()).trim(), 'optimistic · exact (bit-exact reference)',
      'the call\'s verification rule, from bai_inferenceCalls');
    assert.equal(BigInt(await card.getAttribute('data-total-wei')), totalCost(receipt, tx.value));
    const called = receipt.logs.filter((l) => l.address.toLowerCase() === MARKETPLACE.toLowerCase()).map((l) => MARKET.parseLog(l)).find((e) => e?.name === 'ModelCalled');
    const shares = { owner: called.args.ownerShare, operator: called.args.operatorShare, stakers: called.args.stakersShare, curators: called.args.curatorsShare, treasury: called.args.treasuryShare };
    assert.equal(Object.values(shares).reduce((a, b) => a + b, 0n), model.price, 'the split adds up to the price');
    for (const [share, v] of Object.entries(shares)) {
      assert.equal(baiText(await card.locator(`[data-share="${share}"]`).textContent()), v, `${share} share shown`);
    }
    await shot('#generate-card', 'dapp-generate.png');
  });

  await t.test('a call the chain refuses is explained with the decoded custom error, and nothing is sent', async () => {
    const model = await market.getModel(GEN_ID);
    const prompt = 'x'.repeat(Number(model.maxInputBytes) + 1);
    // what the node answers for it
    const data = MARKET.encodeFunctionData('generate', [GEN_ID, prompt, 8]);
    const r = await fetch(l2.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_estimateGas', params: [{ from: user.address, to: MARKETPLACE, value: ethers.toQuantity(model.price), data }] }) });
    const { error } = await r.json();
    const decoded = new ethers.Interface(['error InputTooLarge(uint256 size, uint256 max)']).parseError(error.data);
    assert.equal(decoded?.name, 'InputTooLarge', `node reverts with ${error.data}`);
    const sentBefore = wallet.state.sent.length;
    await page.fill('#generate-prompt', prompt);
    await page.fill('#generate-max', '8');
    await page.click('#generate-form button[type="submit"]');
    await page.waitForSelector('#generate-status.error', { timeout: 60_000 });
    assert.equal(await page.textContent('#generate-status'), `Input too large: ${decoded.args.size} bytes, the model accepts at most ${decoded.args.max}.`);
    assert.equal(wallet.state.sent.length, sentBefore, 'no transaction was sent');
  });

  await t.test('deposit BAI from L1: approve + portal deposit, credited on L2 by the sequencer', async () => {
    const portal = deploy.OptimismPortal;
    await page.waitForFunction((w) => document.querySelector('#balance-l1')?.dataset.wei === w, L1_FUNDING.toString(), { timeout: 15_000 });
    const l1Before = await token.balanceOf(user.address);
    const portalBefore = await token.balanceOf(portal);
    const l2Before = await l2p.getBalance(user.address);
    await page.fill('#deposit-amount', (DEPOSIT / ETHER).toString());
    const sentBefore = wallet.state.sent.length;
    await page.click('#deposit-form button[type="submit"]');
    await page.waitForSelector('#deposit-status.ok, #deposit-status.error', { timeout: 120_000 });
    assert.equal(await page.getAttribute('#deposit-status', 'class'), 'status ok', await page.textContent('#deposit-status'));
    assert.equal(wallet.state.chainId, 31337, 'the page switched the wallet to L1');
    const l1Txs = wallet.state.sent.slice(sentBefore);
    assert.equal(l1Txs.length, 2, 'approve, then deposit');
    assert.ok(l1Txs.every((x) => x.chainId === 31337));
    const receipt = await l1p.getTransactionReceipt(l1Txs[1].hash);
    assert.equal(receipt.status, 1);
    assert.equal(receipt.to.toLowerCase(), portal.toLowerCase());
    const logs = receipt.logs.filter((l) => l.address.toLowerCase() === portal.toLowerCase());
    assert.equal(logs.length, 1, 'one TransactionDeposited');
    const dep = depositTxHash(logs[0]);
    assert.equal(dep.mint, DEPOSIT, 'mints the amount on L2');
    assert.equal(dep.from.toLowerCase(), user.address.toLowerCase());
    assert.equal(dep.to.toLowerCase(), user.address.toLowerCase());
    assert.equal(await token.balanceOf(user.address), l1Before - DEPOSIT, 'L1 BAI left the account');
    assert.equal(await token.balanceOf(portal), portalBefore + DEPOSIT, 'and is locked in the portal');
    const row = page.locator(`#deposits-list tr[data-l1-tx="${l1Txs[1].hash}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), new RegExp(`${dep.hash.slice(0, 12)}.*${dep.hash.slice(-6)}`), 'the page tracks the L2 deposit hash of the event');
    assert.match(await row.textContent(), new RegExp(`L1 block ${receipt.blockNumber}\\b`));

    // The node's L1 watcher picks the deposit up once an L1 block is on top of it (mined here, one a
    // second, while waiting), the sequencer includes it, and the page (polling every 3 s) turns the row
    // to credited.
    const t1 = Date.now();
    let l2Receipt;
    while (!(l2Receipt = await rpcAt(l2.url, 'eth_getTransactionReceipt', [dep.hash]))) {
      assert.ok(Date.now() - t1 < 60_000, `the deposit ${dep.hash} is on L2 within 60 s`);
      await rpcAt(l1.url, 'anvil_mine', ['0x1']);
      await sleep(1000);
    }
    await page.locator(`#deposits-list tr[data-l1-tx="${l1Txs[1].hash}"][data-state="credited"]`).waitFor({ timeout: 15_000 });
    t.diagnostic(`deposit on L2 ${((Date.now() - t1) / 1000).toFixed(1)} s after its L1 receipt (credited on the page too)`);
    assert.equal(l2Receipt.status, '0x1');
    const l2Tx = await rpcAt(l2.url, 'eth_getTransactionByHash', [dep.hash]);
    assert.equal(l2Tx.hash, dep.hash);
    assert.equal(l2Tx.type, '0x7e', 'a deposit transaction');
    assert.equal(l2Tx.from.toLowerCase(), user.address.toLowerCase());
    assert.equal(l2Tx.to.toLowerCase(), user.address.toLowerCase());
    assert.equal(BigInt(l2Tx.mint), DEPOSIT);
    assert.equal(BigInt(l2Tx.value), 0n);
    assert.equal(l2Tx.blockNumber, l2Receipt.blockNumber);
    const l2Block = Number(l2Receipt.blockNumber);
    // included in the epoch of the deposit's L1 block
    const l1Info = new ethers.Contract(L1_BLOCK_PREDEPLOY, L1_BLOCK, l2p);
    assert.equal(await l1Info.number({ blockTag: l2Block }), BigInt(receipt.blockNumber), 'the L2 block\'s L1 origin is the deposit\'s L1 block');
    assert.equal(await l1Info.hash({ blockTag: l2Block }), receipt.blockHash);
    const row2 = await row.textContent();
    assert.match(row2, new RegExp(`credited on L2 in block ${l2Block}\\b`), `the row names the L2 block: ${row2}`);
    assert.doesNotMatch(row2, /waiting for L2/);
    // exactly the amount, nothing taken: in the block, and since before the deposit
    assert.equal(await l2p.getBalance(user.address, l2Block) - await l2p.getBalance(user.address, l2Block - 1), DEPOSIT, 'the deposit block credits exactly the amount');
    assert.equal(await l2p.getBalance(user.address), l2Before + DEPOSIT, 'the L2 balance grew by exactly the amount');
    await page.waitForFunction((w) => document.querySelector('#balance-l2')?.dataset.wei === w, (l2Before + DEPOSIT).toString(), { timeout: 15_000 });
    await page.waitForFunction((w) => document.querySelector('#balance-l1')?.dataset.wei === w, (l1Before - DEPOSIT).toString(), { timeout: 15_000 });
    assert.match(await page.textContent('#withdrawals-list'), /None/);
    await shot('#account', 'dapp-deposit.png');
  });

  await t.test('explorer shows the chain\'s recent blocks, the batches and the outputs on L1', async () => {
    await page.waitForSelector('#blocks-list tr[data-block]');
    // one snapshot of the table (it refreshes every few seconds)
    const rows = await page.$$eval('#blocks-list tr[data-block]', (trs) => trs.map((tr) => ({ ...tr.dataset })));
    assert.equal(rows.length, 8);
    const head = Number(await rpcAt(l2.url, 'eth_blockNumber'));
    assert.ok(Number(rows[0].block) <= head && Number(rows[0].block) >= head - 5, `latest block shown ${rows[0].block}, head ${head}`);
    for (const [i, r] of rows.entries()) {
      const n = Number(r.block);
      if (i > 0) assert.equal(n, Number(rows[i - 1].block) - 1, 'consecutive, newest first');
      const b = await rpcAt(l2.url, 'eth_getBlockByNumber', [ethers.toQuantity(n), false]);
      assert.equal(r.hash, b.hash, `block ${n} hash`);
      assert.equal(Number(r.txs), b.transactions.length, `block ${n} tx count`);
      assert.equal(BigInt(r.gasUsed), BigInt(b.gasUsed), `block ${n} gas used`);
    }

    // Batches: rows are L1 transactions from the batcher SystemConfig names to its inbox.
    const sysCfg = new ethers.Contract(deploy.SystemConfig, SYSTEM_CONFIG, l1p);
    const inbox = await sysCfg.batchInbox();
    const batcher = ethers.getAddress(ethers.dataSlice(await sysCfg.batcherHash(), 12));
    assert.equal(batcher, devWallet(3).address, 'SystemConfig names the node\'s batcher key');
    assert.equal(inbox.toLowerCase(), deploy.batchInbox.toLowerCase());
    await page.waitForSelector('#batches-list tbody tr', { timeout: 60_000 });
    const batchRows = await page.$$eval('#batches-list tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent.trim())));
    assert.ok(batchRows.length >= 1 && batchRows.length <= 10, `1–10 batch rows, got ${batchRows.length}`);
    const l1Head = await l1p.getBlockNumber();
    for (const [i, [l1BlockText, shortHash, kind, size]] of batchRows.entries()) {
      const n = Number(l1BlockText);
      assert.ok(Number.isInteger(n) && n > 0 && n <= l1Head, `batch row ${i}: L1 block ${l1BlockText}`);
      if (i > 0) assert.ok(n <= Number(batchRows[i - 1][0]), 'newest first');
      const block = await l1p.getBlock(n, true);
      const matches = block.prefetchedTransactions.filter((tx) => `${tx.hash.slice(0, 12)}…${tx.hash.slice(-6)}` === shortHash);
      assert.equal(matches.length, 1, `batch row ${i}: ${shortHash} is a transaction of L1 block ${n}`);
      const [tx] = matches;
      assert.equal(tx.from, batcher, `batch row ${i}: sent by the batcher`);
      assert.equal(tx.to.toLowerCase(), inbox.toLowerCase(), `batch row ${i}: to the batch inbox`);
      assert.equal((await l1p.getTransactionReceipt(tx.hash)).status, 1);
      assert.equal(kind, 'calldata', '--batcher.da calldata');
      assert.equal(size, `${ethers.dataLength(tx.data)} bytes`);
      assert.equal(ethers.getBytes(tx.data)[0], 0, 'derivation version 0');
    }
    // What they carry (decoded here, lib/batches.mjs): the model calls of this suite are on L1.
    const calls = wallet.state.sent.filter((x) => x.chainId === L2_CHAIN_ID).map((x) => x.hash.toLowerCase());
    assert.ok(calls.length >= 3, 'two embeddings and a generation were sent');
    const t1 = Date.now();
    for (;;) {
      const { batches } = await postedBatches(l1p, batcher, inbox);
      const onL1 = new Set(batches.flatMap((b) => b.txs.map((raw) => ethers.keccak256(raw).toLowerCase())));
      const missing = calls.filter((h) => !onL1.has(h));
      if (!missing.length) break;
      assert.ok(Date.now() - t1 < 60_000, `the model calls are in batches on L1 within 60 s (missing ${missing.join(', ')})`);
      await sleep(1000);
    }

    // Outputs: the proposer (dev #2) posts one every INTERVAL L2 blocks once the block is safe. One snapshot
    // of the list (its rows and the L1 block the page read them at, data-l1-head), checked against the oracle
    // at that L1 block, the OutputProposed logs and the L2's own output roots.
    const oracle = new ethers.Contract(deploy.L2OutputOracle, ORACLE, l1p);
    assert.equal(await oracle.proposer(), devWallet(2).address, 'the oracle\'s proposer is the node\'s proposer key');
    assert.equal(await oracle.submissionInterval(), BigInt(INTERVAL));
    const start = Number(await oracle.startingBlockNumber());
    const t2 = Date.now();
    await page.waitForSelector('#outputs-list tr[data-index]', { timeout: 60_000 });
    const snap = await page.$eval('#outputs-list table', (table) => ({
      l1Head: Number(table.dataset.l1Head),
      rows: [...table.querySelectorAll('tbody tr')].map((tr) => ({ ...tr.dataset, cells: [...tr.cells].map((td) => td.textContent.trim()) })),
    }));
    const count = Number(await oracle.nextOutputIndex({ blockTag: snap.l1Head }));
    t.diagnostic(`${count} output(s) on L1 at L1 block ${snap.l1Head}, shown ${((Date.now() - t2) / 1000).toFixed(1)} s into the explorer check`);
    assert.ok(count >= 1, 'the page shows outputs only once there are some');
    assert.equal(snap.rows.length, Math.min(count, OUTPUT_ROWS), `rows = min(outputs on L1 = ${count}, the page's limit ${OUTPUT_ROWS})`);
    const proposed = await oracle.queryFilter(oracle.filters.OutputProposed(), 0, snap.l1Head);
    assert.equal(proposed.length, count, 'one OutputProposed per output (none deleted)');
    const { safe_l2: safe } = await rpcAt(l2.url, 'optimism_syncStatus');
    for (const [i, r] of snap.rows.entries()) {
      const index = count - 1 - i; // newest first, consecutive
      assert.equal(Number(r.index), index, `output row ${i}: index`);
      const o = await oracle.getL2Output(index, { blockTag: snap.l1Head });
      assert.equal(Number(r.l2Block), Number(o.l2BlockNumber), `output ${index}: L2 block`);
      assert.equal(Number(o.l2BlockNumber), start + (index + 1) * INTERVAL, `output ${index}: every ${INTERVAL} blocks, none skipped`);
      assert.ok(Number(o.l2BlockNumber) <= safe.number, `output ${index} is for a safe block (safe head ${safe.number})`);
      assert.equal(r.outputRoot, o.outputRoot, `output ${index}: root = the oracle's`);
      const mine = await rpcAt(l2.url, 'optimism_outputAtBlock', [ethers.toQuantity(o.l2BlockNumber)]);
      assert.equal(mine.outputRoot, o.outputRoot, `output ${index}: root = the L2's optimism_outputAtBlock`);
      const logs = proposed.filter((l) => l.args.l2OutputIndex === BigInt(index));
      assert.equal(logs.length, 1, `output ${index}: one OutputProposed`);
      assert.equal(logs[0].args.outputRoot, o.outputRoot);
      assert.equal(Number(r.l1Block), logs[0].blockNumber, `output ${index}: L1 block of its OutputProposed`);
      assert.equal(r.l1Tx, logs[0].transactionHash);
      assert.equal((await l1p.getTransaction(logs[0].transactionHash)).from, devWallet(2).address, `output ${index}: sent by the proposer`);
      if (i > 0) assert.ok(Number(r.l1Block) <= Number(snap.rows[i - 1].l1Block), 'proposed in L1 order');
      assert.deepEqual(r.cells, [String(index), String(o.l2BlockNumber), `${o.outputRoot.slice(0, 12)}…${o.outputRoot.slice(-8)}`, String(logs[0].blockNumber)], `output ${index}: the cells shown`);
    }
    await shot('#explorer', 'dapp-explorer.png');
    assert.deepEqual(pageErrors, [], 'no errors in the page console');
  });

  await t.test('a withdrawal started in the page (an amount above the balance refused): waiting for an output, ready to prove, proven in the page, its output deleted and re-posted, finalized in the page', { timeout: 240_000 }, async () => {
    const oracle = new ethers.Contract(deploy.L2OutputOracle, ORACLE, l1p);
    const portal = new ethers.Contract(deploy.OptimismPortal, PORTAL_ABI, l1p);
    assert.equal(await oracle.FINALIZATION_PERIOD_SECONDS(), BigInt(PERIOD));
    const start = Number(await oracle.startingBlockNumber());
    let l2Tx, receipt, block, hash, nonce, started, waiting;
    const row = (state = '', more = '') => page.locator(`#withdrawals-list tr[data-withdrawal-hash="${hash}"]${state && `[data-state="${state}"]`}${more}`);
    // one snapshot of the row, with the L1 block and time the page read it at (its table's data-l1-block/-time)
    const read = (state = '', more = '') => row(state, more).evaluate((tr) => ({ ...tr.closest('table').dataset, ...tr.dataset, cells: [...tr.cells].map((td) => td.textContent.trim()), buttons: [...tr.querySelectorAll('button')].map((x) => x.dataset.action) }));
    const action = () => row().locator('[data-field="withdrawal-action"]');
    /** Clicks the row's button and waits for the page's verdict (a new one: ok or error). */
    const press = async (what, state) => {
      const earlier = await action().count() ? await action().textContent() : null; // a previous click's verdict
      await row(state).locator(`button[data-action="${what}"]`).click();
      await page.waitForFunction(([h, earlier]) => {
        const el = document.querySelector(`#withdrawals-list tr[data-withdrawal-hash="${h}"] [data-field="withdrawal-action"]`);
        return el && /\b(ok|error)\b/.test(el.className) && el.textContent !== earlier;
      }, [hash, earlier], { timeout: 60_000 });
      return { kind: (await action().getAttribute('class')).replace('status small ', ''), text: await action().textContent() };
    };
    /** Clicks the row's button, expects success and returns the one L1 transaction the page sent. */
    const click = async (what, state) => {
      const before = wallet.state.sent.length;
      const verdict = await press(what, state);
      assert.equal(verdict.kind, 'ok', verdict.text);
      const txs = wallet.state.sent.slice(before);
      assert.equal(txs.length, 1, `one L1 transaction for ${what}`);
      assert.equal(txs[0].chainId, 31337, 'sent on L1');
      assert.equal(await action().getAttribute('data-l1-tx'), txs[0].hash, 'the page shows the L1 transaction the wallet sent');
      const tx = await l1p.getTransaction(txs[0].hash);
      const rcpt = await l1p.getTransactionReceipt(txs[0].hash);
      assert.equal(rcpt.status, 1);
      assert.equal(tx.from, user.address, `${what}: sent by the user`);
      assert.equal(tx.to.toLowerCase(), deploy.OptimismPortal.toLowerCase(), `${what}: to the portal`);
      return { tx, rcpt, events: rcpt.logs.filter((l) => l.address.toLowerCase() === deploy.OptimismPortal.toLowerCase()).map((l) => portal.interface.parseLog(l)) };
    };
    /** Submits the page's withdraw form and waits for its verdict (a new one: ok or error), with the status's data-*. */
    const withdrawForm = async (amount) => {
      const earlier = await page.textContent('#withdraw-status');
      await page.fill('#withdraw-amount', amount);
      await page.click('#withdraw-form button[type="submit"]');
      await page.waitForFunction((earlier) => {
        const el = document.querySelector('#withdraw-status');
        return /\b(ok|error)\b/.test(el.className) && el.textContent !== earlier;
      }, earlier, { timeout: 60_000 });
      return page.$eval('#withdraw-status', (el) => ({ ...el.dataset, kind: el.className.replace('status ', ''), text: el.textContent }));
    };
    const exact = (wei) => ethers.formatEther(wei).replace(/\.0$/, ''); // the page's baiExact (viem's formatEther)

    // --- Refused in the page: an amount above the L2 balance is explained (the balance, the gas the page keeps
    // for the transaction, the most it can withdraw), and the wallet (on L1 since the deposit) is asked nothing.
    const l2Before = await l2p.getBalance(user.address);
    assert.equal(wallet.state.chainId, 31337, 'the wallet is on L1 (the deposit)');
    const sentBefore0 = wallet.state.sent.length;
    const refused0 = await withdrawForm(ethers.formatEther(l2Before + ETHER));
    assert.equal(refused0.kind, 'error', refused0.text);
    const margin = BigInt(refused0.marginWei);
    assert.equal(BigInt(refused0.balanceWei), l2Before, 'the page read the L2 balance');
    assert.ok(margin > 0n && margin < ETHER / 100n, `a gas margin of ${exact(margin)} BAI`);
    assert.equal(BigInt(refused0.maxWei), l2Before - margin);
    assert.equal(refused0.text, `You have ${exact(l2Before)} BAI on L2 and the withdrawal's gas may cost up to ${exact(margin)} BAI: withdraw at most ${exact(l2Before - margin)} BAI.`);
    assert.equal(wallet.state.sent.length, sentBefore0, 'nothing sent');
    assert.equal(wallet.state.chainId, 31337, 'the wallet was not even switched');
    assert.equal(await l2p.getBalance(user.address), l2Before);

    // --- Withdraw from the page: its form sends initiateWithdrawal(user, 0, 0x) with the amount as value, on L2
    // (the page switches the wallet from L1), and lists the withdrawal as soon as it says it is done.
    // L1 stands still (no automine) from before the withdrawal until the page has shown it waiting: no batch
    // carries its block to L1 meanwhile, so it cannot be safe and no output can cover it, whatever the timing.
    // A few seconds stuck in the mempool is nothing to the batcher (it replaces a transaction after 36 s).
    await rpcAt(l1.url, 'evm_setAutomine', [false]);
    try {
      const t1 = Date.now();
      const sentBefore = wallet.state.sent.length;
      started = await withdrawForm(ethers.formatEther(WITHDRAWAL));
      assert.equal(started.kind, 'ok', started.text);
      const txs = wallet.state.sent.slice(sentBefore);
      assert.equal(txs.length, 1, 'one transaction');
      assert.equal(txs[0].chainId, L2_CHAIN_ID, 'sent on the L2');
      assert.equal(wallet.state.chainId, L2_CHAIN_ID, 'the page switched the wallet to the L2');
      l2Tx = txs[0].hash;
      assert.equal(started.l2Tx, l2Tx, 'the page shows the transaction the wallet sent');
      // listed at once, not at the page's next poll: the row is there when the status says done
      hash = started.withdrawalHash;
      assert.match(hash ?? '', /^0x[0-9a-f]{64}$/, 'the page names the withdrawal hash');
      assert.equal(await row().count(), 1, 'the withdrawal is listed as soon as the page says it started');
      waiting = await read();
      t.diagnostic(`withdrawal from the page in ${((Date.now() - t1) / 1000).toFixed(1)} s (L2 block ${waiting.l2Block}), listed at once`);
      const tx = await rpcAt(l2.url, 'eth_getTransactionByHash', [l2Tx]);
      receipt = await rpcAt(l2.url, 'eth_getTransactionReceipt', [l2Tx]);
      assert.equal(receipt.status, '0x1');
      assert.equal(tx.from.toLowerCase(), user.address.toLowerCase(), 'from the user');
      assert.equal(tx.to.toLowerCase(), MESSAGE_PASSER.toLowerCase(), 'to the message passer');
      assert.equal(BigInt(tx.value), WITHDRAWAL, 'the amount typed, exactly, as value');
      const call = PASSER.parseTransaction({ data: tx.input, value: tx.value });
      assert.equal(call?.name, 'initiateWithdrawal');
      assert.deepEqual([call.args[0], call.args[1], call.args[2]], [user.address, WITHDRAW_GAS_LIMIT, '0x'], 'initiateWithdrawal(user, 0, 0x), as bai bridge withdraw sends it');
      block = Number(receipt.blockNumber);
      const evs = receipt.logs.filter((l) => l.address.toLowerCase() === MESSAGE_PASSER.toLowerCase()).map((l) => PASSER.parseLog(l)).filter((e) => e?.name === 'MessagePassed');
      assert.equal(evs.length, 1, 'one MessagePassed');
      const ev = evs[0];
      assert.equal(ev.args.withdrawalHash, hash, 'the page names the withdrawal of the event');
      nonce = ev.args.nonce;
      assert.deepEqual([ev.args.sender, ev.args.target, ev.args.value, ev.args.gasLimit, ev.args.data], [user.address, user.address, WITHDRAWAL, WITHDRAW_GAS_LIMIT, '0x']);
      assert.equal(hashWithdrawal({ nonce, sender: user.address, target: user.address, value: WITHDRAWAL, gasLimit: WITHDRAW_GAS_LIMIT, data: '0x' }), hash);
      assert.equal(started.text, `Withdrawal of ${exact(WITHDRAWAL)} BAI started on L2 in block ${block} (tx ${l2Tx.slice(0, 12)}…${l2Tx.slice(-6)}). Prove it on L1 below once an output covers block ${block}.`);
      // Waiting for an output: none covers its block (L1 has not moved since before it was sent).
      assert.ok((await oracle.latestBlockNumber()) < BigInt(block), 'no output covers the withdrawal yet');
    } finally {
      await rpcAt(l1.url, 'evm_setAutomine', [true]);
      await rpcAt(l1.url, 'anvil_mine', ['0x1']); // what waited in the mempool
    }
    const covering = start + Math.ceil((block - start) / INTERVAL) * INTERVAL;
    assert.equal(await l2p.getBalance(user.address), l2Before - totalCost(receipt, WITHDRAWAL), 'the L2 balance paid the value and the fees');
    assert.ok(totalCost(receipt, 0n) <= margin, `the fees (${exact(totalCost(receipt, 0n))} BAI) are within the margin the page keeps`);
    t.diagnostic(`withdrawal fees ${exact(totalCost(receipt, 0n))} BAI (gas ${BigInt(receipt.gasUsed)}), the page's gas margin ${exact(margin)} BAI`);
    await page.waitForFunction((w) => document.querySelector('#balance-l2')?.dataset.wei === w, (l2Before - totalCost(receipt, WITHDRAWAL)).toString(), { timeout: 15_000 });
    assert.equal(waiting.state, 'waiting-to-prove', `first shown waiting for an output: ${waiting.cells.join(' | ')}`);
    assert.deepEqual(waiting.cells, [`${ethers.formatEther(WITHDRAWAL)} BAI`, `${l2Tx.slice(0, 12)}…${l2Tx.slice(-6)}`, `L2 block ${block}`, 'initiated on L2, waiting for an output to prove against', '']);
    assert.deepEqual(waiting.buttons, [], 'nothing to do on L1 yet');
    assert.equal(waiting.l2Tx, l2Tx);
    assert.equal(waiting.l2Block, String(block));
    assert.equal(waiting.outputIndex, undefined);

    // Ready to prove once the proposer has posted the output covering its block.
    const t3 = Date.now();
    await row('ready-to-prove').waitFor({ timeout: 60_000 });
    const ready = await read('ready-to-prove');
    const index = await oracle.getL2OutputIndexAfter(block);
    const output = await oracle.getL2Output(index);
    t.diagnostic(`ready to prove ${((Date.now() - t3) / 1000).toFixed(1)} s later, against output ${index} (L2 block ${output.l2BlockNumber})`);
    assert.equal(ready.outputIndex, String(index), 'the output the oracle names for the block');
    assert.equal(Number(output.l2BlockNumber), covering, 'the first output at or after the withdrawal block');
    if (index > 0n) assert.ok(Number((await oracle.getL2Output(index - 1n)).l2BlockNumber) < block, 'and the one before does not cover it');
    assert.equal(ready.cells[3], `ready to prove on L1 against output ${index} (L2 block ${covering})`);
    assert.deepEqual(ready.buttons, ['prove']);
    // What that output commits to: the L2's root at its block, whose message passer has the withdrawal.
    assert.equal((await rpcAt(l2.url, 'optimism_outputAtBlock', [ethers.toQuantity(covering)])).outputRoot, output.outputRoot);
    assert.equal(PASSER.decodeFunctionResult('sentMessages', await rpcAt(l2.url, 'eth_call', [{ to: MESSAGE_PASSER, data: PASSER.encodeFunctionData('sentMessages', [hash]) }, ethers.toQuantity(covering)]))[0], true);
    await page.waitForFunction((w) => document.querySelector('#balance-l2')?.dataset.wei === w, (await l2p.getBalance(user.address)).toString(), { timeout: 15_000 });

    // --- Prove in the page, with the wallet on the L2 (where the withdraw form left it): the page switches it to
    // L1, builds the proof with eth_getProof at the output's block and sends proveWithdrawalTransaction.
    assert.equal(wallet.state.chainId, L2_CHAIN_ID);
    await page.waitForSelector(`#wallet-info [data-chain-id="${L2_CHAIN_ID}"]`);
    const t4 = Date.now();
    const proved = await click('prove', 'ready-to-prove');
    t.diagnostic(`proven from the page in ${((Date.now() - t4) / 1000).toFixed(1)} s (L1 block ${proved.rcpt.blockNumber})`);
    assert.equal(wallet.state.chainId, 31337, 'the page switched the wallet to L1');
    const provenEv = proved.events.find((e) => e?.name === 'WithdrawalProven');
    assert.deepEqual([provenEv?.args.withdrawalHash, provenEv?.args.from, provenEv?.args.to], [hash, user.address, user.address], 'WithdrawalProven for this withdrawal');
    const pw = await portal.provenWithdrawals(hash);
    const provedAt = BigInt((await l1p.getBlock(proved.rcpt.blockNumber)).timestamp);
    assert.equal(pw.l2OutputIndex, index, 'proven against the output the page named');
    assert.equal(pw.outputRoot, output.outputRoot);
    assert.equal(pw.timestamp, provedAt);
    assert.equal(await action().textContent(), `Proven on L1 in block ${proved.rcpt.blockNumber}. L1 tx ${proved.tx.hash.slice(0, 12)}…${proved.tx.hash.slice(-6)}`);

    // In the challenge window: the time left is the portal's rule (L1 time > max(proven, proposed) + period)
    // against the timestamp of the L1 block the page read.
    await row('waiting-to-finalize').waitFor({ timeout: 15_000 });
    const proven = await read('waiting-to-finalize');
    const seenAt = BigInt((await l1p.getBlock(Number(proven.l1Block))).timestamp);
    assert.equal(proven.l1Time, String(seenAt), "the table's L1 time is its L1 block's");
    const max = (a, b) => (a > b ? a : b);
    const finalizableAt = max(provedAt, BigInt(output.timestamp)) + BigInt(PERIOD) + 1n;
    const left = finalizableAt - seenAt;
    assert.ok(left > 0n && left <= BigInt(PERIOD) + 1n, `time left ${left} s`);
    assert.equal(proven.provenOutputIndex, String(index));
    assert.equal(proven.finalizableAt, String(finalizableAt));
    assert.equal(proven.secondsLeft, String(left));
    assert.equal(proven.cells[3], `proven on L1 against output ${index}; the challenge window ends in ${left} s`);
    assert.deepEqual(proven.buttons, [], 'nothing to send during the window');
    assert.match(await portal.finalizeWithdrawalTransaction.staticCall({ nonce, sender: user.address, target: user.address, value: WITHDRAWAL, gasLimit: WITHDRAW_GAS_LIMIT, data: '0x' }).then(() => 'accepted', (e) => e.reason ?? e.message),
      /proven withdrawal finalization period has not elapsed/, 'the portal agrees: not yet');

    // --- The challenger (dev #1, the oracle's CHALLENGER) deletes that output (and any after it) inside its
    // window. L1 mines only that block until the page has shown it, so the proposer's re-post waits.
    const challenger = devWallet(1, l1p);
    assert.equal(await oracle.challenger(), challenger.address);
    const [firstProposal] = await oracle.queryFilter(oracle.filters.OutputProposed(null, index), 0, 'latest');
    assert.ok((await l1p.getBlock('latest')).timestamp < Number(output.timestamp) + PERIOD, 'the output is still inside its window');
    await rpcAt(l1.url, 'evm_setAutomine', [false]);
    let del, prev, gone, ex;
    try {
      const sentDel = await oracle.connect(challenger).deleteL2Outputs(index);
      await rpcAt(l1.url, 'anvil_mine', ['0x1']);
      del = await sentDel.wait();
      assert.equal(del.status, 1);
      const deleted = del.logs.map((l) => { try { return oracle.interface.parseLog(l); } catch { return null; } }).find((e) => e?.name === 'OutputsDeleted');
      prev = deleted.args.prevNextOutputIndex;
      assert.equal(deleted.args.newNextOutputIndex, index);
      assert.equal(await oracle.nextOutputIndex(), index, 'the oracle has no output from that index on');
      // The page: proven against a deleted output, so no countdown and nothing the portal would take.
      await row('waiting-to-prove', `[data-deleted-output="${index}"]`).waitFor({ timeout: 15_000 });
      gone = await read();
      // The explorer at the L1 block it read: the oracle's outputs, and the deleted ones apart.
      await page.waitForSelector(`#outputs-list table[data-field="outputs-deleted"] tr[data-deleted-l1-tx="${del.hash}"]`, { timeout: 15_000 });
      ex = await page.$eval('#outputs-list', (el) => {
        const rows = (sel) => [...el.querySelectorAll(sel)].map((tr) => ({ ...tr.dataset, cells: [...tr.cells].map((td) => td.textContent.trim()) }));
        return { l1Head: Number(el.querySelector('[data-l1-head]').dataset.l1Head), rows: rows('table[data-field="outputs"] tbody tr'), deleted: rows('table[data-field="outputs-deleted"] tbody tr') };
      });
    } finally {
      await rpcAt(l1.url, 'evm_setAutomine', [true]);
      await rpcAt(l1.url, 'anvil_mine', ['0x1']); // the proposer's re-post, the batcher's batches
    }
    t.diagnostic(`the challenger deleted outputs ${index}–${prev - 1n} in L1 block ${del.blockNumber}`);
    assert.equal(gone.state, 'waiting-to-prove');
    assert.equal(gone.cells[3], `proven against output ${index}, which the challenger deleted: it must be proven again once a new output covers L2 block ${block}`);
    assert.equal(gone.finalizableAt, undefined, 'no countdown');
    assert.deepEqual(gone.buttons, []);
    assert.equal(ex.l1Head, del.blockNumber, 'the explorer read the block of the deletion');
    assert.equal(ex.rows.length, Math.min(Number(index), OUTPUT_ROWS), 'the explorer lists the outputs left, no more');
    for (const [i, r] of ex.rows.entries()) {
      const n = Number(index) - 1 - i;
      assert.equal(Number(r.index), n, 'newest first, below the deleted index');
      assert.equal(r.outputRoot, (await oracle.getL2Output(n, { blockTag: ex.l1Head })).outputRoot);
    }
    const deletedRows = ex.deleted.filter((d) => d.deletedL1Tx === del.hash);
    assert.deepEqual(deletedRows.map((d) => Number(d.index)).sort((x, y) => x - y), Array.from({ length: Number(prev - index) }, (_, i) => Number(index) + i),
      'every output the deletion removed is listed as deleted');
    const mineGone = deletedRows.find((d) => d.index === String(index));
    assert.equal(mineGone.outputRoot, output.outputRoot);
    assert.equal(mineGone.l1Tx, firstProposal.transactionHash, 'the deleted proposal is the one the withdrawal was proven against');
    assert.equal(mineGone.deletedL1Block, String(del.blockNumber));
    assert.equal(mineGone.cells[3], String(del.blockNumber));

    // --- The proposer posts that block's output again (the same, true root): the proof stands again, but the
    // portal now waits for the new proposal's window as well.
    await waitFor(`output ${index} proposed again`, async () => (await oracle.nextOutputIndex()) > index, { timeoutMs: 30_000, intervalMs: 250 });
    const reposted = await oracle.getL2Output(index);
    const proposals = await oracle.queryFilter(oracle.filters.OutputProposed(null, index), 0, 'latest');
    assert.equal(proposals.length, 2, 'proposed, deleted, proposed again');
    assert.equal(reposted.outputRoot, output.outputRoot, 'the same true root');
    assert.ok(reposted.timestamp > output.timestamp);
    const finalizableAt2 = max(provedAt, BigInt(reposted.timestamp)) + BigInt(PERIOD) + 1n;
    assert.ok(finalizableAt2 > finalizableAt);
    await row('waiting-to-finalize', `[data-finalizable-at="${finalizableAt2}"]`).waitFor({ timeout: 15_000 });
    const again = await read();
    const left2 = finalizableAt2 - BigInt((await l1p.getBlock(Number(again.l1Block))).timestamp);
    assert.equal(again.cells[3], `proven on L1 against output ${index}; the challenge window ends in ${left2} s`);
    await page.waitForSelector(`#outputs-list table[data-field="outputs"] tr[data-index="${index}"][data-l1-tx="${proposals[1].transactionHash}"]`, { timeout: 15_000 });
    await page.waitForSelector(`#outputs-list table[data-field="outputs-deleted"] tr[data-l1-tx="${firstProposal.transactionHash}"]`);

    // --- Past the window (the L1 clock moved to the first second the portal accepts): ready to finalize.
    await rpcAt(l1.url, 'evm_setNextBlockTimestamp', [ethers.toQuantity(finalizableAt2)]);
    await rpcAt(l1.url, 'evm_mine', []);
    assert.ok((await l1p.getBlock('latest')).timestamp >= Number(finalizableAt2));
    await row('ready-to-finalize').waitFor({ timeout: 15_000 });
    const ripe = await read('ready-to-finalize');
    assert.equal(ripe.cells[3], `proven on L1 against output ${index}; the challenge window has passed: ready to finalize`);
    assert.ok(BigInt(ripe.secondsLeft) <= 0n);
    assert.deepEqual(ripe.buttons, ['finalize']);

    // A call the portal would refuse is explained, and nothing is sent: the guardian (dev #0) pauses the portal.
    // (NonceManager: ethers caches the pending-nonce read for 250 ms, shorter than a refused click can take)
    const guardian = new ethers.Contract(deploy.OptimismPortal, ['function pause()', 'function unpause()'], new ethers.NonceManager(devWallet(0, l1p)));
    await (await guardian.pause()).wait(1, 60_000);
    const sentBefore = wallet.state.sent.length;
    const refused = await press('finalize', 'ready-to-finalize');
    assert.deepEqual(refused, { kind: 'error', text: 'The portal is paused by its guardian: proving and finalizing are stopped for now.' });
    assert.equal(wallet.state.sent.length, sentBefore, 'nothing sent');
    await (await guardian.unpause()).wait(1, 60_000);

    // --- Finalize in the page: the user's L1 BAI grows by exactly the amount withdrawn.
    const l1Bai = await token.balanceOf(user.address);
    const portalBai = await token.balanceOf(deploy.OptimismPortal);
    const fin = await click('finalize', 'ready-to-finalize');
    const finEv = fin.events.find((e) => e?.name === 'WithdrawalFinalized');
    assert.deepEqual([finEv?.args.withdrawalHash, finEv?.args.success], [hash, true], 'WithdrawalFinalized(hash, true)');
    assert.equal(await portal.finalizedWithdrawals(hash), true);
    assert.equal(await token.balanceOf(user.address) - l1Bai, WITHDRAWAL, 'L1 BAI of the user: + exactly the withdrawn amount');
    assert.equal(portalBai - await token.balanceOf(deploy.OptimismPortal), WITHDRAWAL, 'released by the portal');
    assert.equal(await action().textContent(), `Finalized on L1 in block ${fin.rcpt.blockNumber}: ${ethers.formatEther(WITHDRAWAL)} BAI paid to ${user.address.slice(0, 8)}…${user.address.slice(-4)}. L1 tx ${fin.tx.hash.slice(0, 12)}…${fin.tx.hash.slice(-6)}`);
    await row('finalized').waitFor({ timeout: 15_000 });
    const done = await read('finalized');
    assert.equal(done.cells[3], 'finalized on L1');
    assert.deepEqual(done.buttons, []);
    await page.waitForFunction((w) => document.querySelector('#balance-l1')?.dataset.wei === w, (l1Bai + WITHDRAWAL).toString(), { timeout: 15_000 });
    await shot('#withdrawals', 'dapp-withdrawals.png');
    assert.deepEqual(pageErrors, [], 'no errors in the page console');
  });

  await t.test('governance: proposals read from L1 with their actions decoded, delegate and vote For in the page, the state followed to succeeded, queued and executed; a failing action explained', { timeout: 300_000 }, async () => {
    const t6 = Date.now();
    // The main page has no BaiGovernor in its config.json: it says so.
    assert.equal(await page.getAttribute('#governance-status', 'data-configured'), 'false');
    assert.match(await page.textContent('#governance-status'), /Governance is not configured: config\.json has no l1\.contracts\.BaiGovernor/);
    assert.equal(await page.isHidden('#governance-body'), true);

    // DeployGovernance.s.sol hands SystemConfig and the portal's guardian to the timelock: run last, as the
    // withdrawal above needed dev #0 as the guardian. A 100-block vote (it is ended with anvil_mine).
    const gov = await deployGovernance(l1.url, deploy, { BAI_GOV_VOTING_DELAY: '1', BAI_GOV_VOTING_PERIOD: String(GOV_PERIOD) });
    t.diagnostic(`governance deployed in ${((Date.now() - t6) / 1000).toFixed(1)} s: governor ${gov.BaiGovernor}, timelock ${gov.TimelockController}`);
    const governor = new ethers.Contract(gov.BaiGovernor, GOVERNOR, l1p);
    const votesToken = new ethers.Contract(deploy.BaiToken, VOTES_TOKEN, l1p);
    const sysConfig = new ethers.Contract(deploy.SystemConfig, ['function gasLimit() view returns (uint64)', 'function owner() view returns (address)'], l1p);
    assert.equal(await governor.timelock(), gov.TimelockController);
    assert.equal(await sysConfig.owner(), gov.TimelockController, 'SystemConfig is governed by the timelock');
    // Holders: the treasury (dev #0) hands out BAI; dev #7 (who proposes), #8 and #9 delegate to themselves. The
    // quorum is 4 % of the 1e9 supply: #7 For and #8 Abstain reach it, #9 votes Against.
    const treasury = votesToken.connect(new ethers.NonceManager(devWallet(0, l1p)));
    for (const [i, amount] of GOV_HOLDERS) await (await treasury.transfer(devWallet(i).address, amount)).wait(1, 60_000);
    for (const [i] of GOV_HOLDERS) await (await votesToken.connect(devWallet(i, l1p)).delegate(devWallet(i).address)).wait(1, 60_000);

    const govConfig = { ...config, l1: { ...config.l1, contracts: { ...config.l1.contracts, BaiGovernor: gov.BaiGovernor } } };
    const govServer = await serveStatic(dist, { '/config.json': JSON.stringify(govConfig) });
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    // The wallet knows both chains and starts on the L2: the page switches it to L1 for each transaction.
    const w = await installTestWallet(ctx, { privateKey: user.privateKey, chains: { 31337: l1.url, [L2_CHAIN_ID]: l2.url }, chainId: L2_CHAIN_ID });
    const p = await ctx.newPage();
    const errors = [];
    p.on('pageerror', (e) => errors.push(e.message));
    p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    try {
      await p.goto(govServer.url);
      await p.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
      assert.equal(await p.getAttribute('#governance-status', 'data-configured'), 'true');
      await p.waitForSelector('#proposals-list [data-field="proposals-none"]', { timeout: 15_000 });
      const info = p.locator('#governor-info');
      assert.match(await info.locator('[data-field="voting-period"]').textContent(), new RegExp(`^${GOV_PERIOD} blocks`));
      assert.equal(await info.locator('[data-field="threshold"]').textContent(), `${fmtBai(BigInt(gov.proposalThreshold))} BAI of votes`);
      assert.match(await info.locator('[data-field="timelock"]').textContent(), new RegExp(`delay ${gov.timelockMinDelay} s$`));

      // --- The account: its L1 BAI, nobody as delegate, no votes; then "Delegate to myself" (wallet switched to L1).
      await p.click('#connect');
      await p.waitForFunction(() => document.querySelector('#gov-balance')?.dataset.wei !== undefined);
      const balance = await votesToken.balanceOf(user.address);
      assert.ok(balance > 0n);
      assert.equal(BigInt(await p.getAttribute('#gov-balance', 'data-wei')), balance);
      assert.equal(await p.getAttribute('#gov-delegate', 'data-address'), ethers.ZeroAddress);
      assert.match(await p.textContent('#gov-delegate'), /nobody: your BAI does not vote yet/);
      assert.equal(await p.getAttribute('#gov-votes', 'data-wei'), '0');
      // an address that is none is refused before the wallet is asked anything
      const sent0 = w.state.sent.length;
      await p.fill('#delegate-to', '0x1234');
      await p.click('#delegate-other');
      assert.equal(await p.textContent('#delegate-status'), 'Enter the address to delegate to (0x followed by 40 hex digits).');
      assert.equal(w.state.sent.length, sent0, 'nothing sent');
      assert.equal(w.state.chainId, L2_CHAIN_ID);
      await p.fill('#delegate-to', '');
      await p.click('#delegate-self');
      await p.waitForSelector('#delegate-status.ok, #delegate-status.error', { timeout: 30_000 });
      assert.equal(await p.getAttribute('#delegate-status', 'class'), 'status ok', await p.textContent('#delegate-status'));
      assert.equal(w.state.chainId, 31337, 'the page switched the wallet to L1');
      const delegated = w.state.sent.slice(sent0);
      assert.equal(delegated.length, 1, 'one transaction');
      assert.equal(delegated[0].to.toLowerCase(), deploy.BaiToken.toLowerCase());
      assert.equal(await p.getAttribute('#delegate-status', 'data-l1-tx'), delegated[0].hash);
      const delegatedIn = (await l1p.getTransactionReceipt(delegated[0].hash)).blockNumber;
      assert.equal(await votesToken.delegates(user.address), user.address, 'delegated to itself on chain');
      assert.equal(await votesToken.getVotes(user.address), balance);
      assert.match(await p.textContent('#delegate-status'), new RegExp(`^Delegated to yourself in L1 block ${delegatedIn} .*your voting power is ${fmtBai(balance, 6)} BAI`));
      await p.waitForFunction((b) => document.querySelector('#gov-votes')?.dataset.wei === b, balance.toString(), { timeout: 15_000 });
      assert.equal(await p.getAttribute('#gov-delegate', 'data-address'), user.address);

      // --- Two proposals from dev #7, made here with ethers: BIP-7 (an L1 SystemConfig setter within bounds, and two
      // L2 calls through portal deposits, one the page knows and one it does not) and BIP-8 (a gas limit above
      // SystemConfig's maximum: it passes the vote but fails at execution).
      const l2Known = MARKET_GOV.encodeFunctionData('setToleranceBounds', [100, 5000]);
      const l2Unknown = MARKET_GOV.encodeFunctionData('setMaxPrice', [500n * ETHER]);
      const bip7 = {
        targets: [deploy.SystemConfig, deploy.OptimismPortal, deploy.OptimismPortal],
        values: [0n, 0n, 0n],
        calldatas: [SYSCONFIG_GOV.encodeFunctionData('setGasLimit', [40_000_000]),
          PORTAL_GOV.encodeFunctionData('depositTransaction', [MARKETPLACE, 0n, 200_000n, false, l2Known]),
          PORTAL_GOV.encodeFunctionData('depositTransaction', [MARKETPLACE, 0n, 100_000n, false, l2Unknown])],
        description: 'BIP-7: raise the L2 gas limit to 40M <b>& tighten</b> the tolerance\n\nThe marketplace\'s tolerance bounds become 1–50 %.',
      };
      const bip8 = { targets: [deploy.SystemConfig], values: [0n], calldatas: [SYSCONFIG_GOV.encodeFunctionData('setGasLimit', [600_000_000])], description: 'BIP-8: an L2 gas limit of 600M' };
      const proposer = governor.connect(devWallet(7, l1p));
      const propose = async (x) => {
        const rcpt = await (await proposer.propose(x.targets, x.values, x.calldatas, x.description)).wait();
        const ev = rcpt.logs.map((l) => { try { return governor.interface.parseLog(l); } catch { return null; } }).find((e) => e?.name === 'ProposalCreated');
        return { ...x, id: ev.args.proposalId, l1Block: rcpt.blockNumber, l1Tx: rcpt.hash, descriptionHash: ethers.id(x.description) };
      };
      const p7 = await propose(bip7);
      const p8 = await propose(bip8);
      assert.ok(p7.l1Block > delegatedIn, "the user's delegation is before BIP-7's snapshot");
      const card = (x, state = '', more = '') => p.locator(`#proposals-list article[data-proposal-id="${x.id}"]${state && `[data-state="${state}"]`}${more}`);
      const short = (a) => `${a.slice(0, 8)}…${a.slice(-4)}`; // the page's shortHex
      const snap = (x) => card(x).evaluate((el) => ({
        ...el.closest('.proposals').dataset, ...el.dataset,
        title: el.querySelector('[data-field="title"]').textContent, stage: el.querySelector('[data-field="stage"]').textContent,
        you: el.querySelector('[data-field="you"]').textContent.replace(/\s+/g, ' ').trim(),
        tally: Object.fromEntries(['for', 'against', 'abstain', 'quorum'].map((f) => [f, el.querySelector(`[data-field="${f}"]`).dataset.wei])),
        actions: [...el.querySelectorAll('[data-field="actions"] li')].map((li) => ({ ...li.dataset, text: li.textContent.replace(/\s+/g, ' ').trim() })),
        buttons: [...el.querySelectorAll('button')].map((b) => ({ action: b.dataset.action, support: b.dataset.support, disabled: b.disabled })),
      }));
      await card(p7).waitFor({ timeout: 15_000 });
      await card(p8).waitFor({ timeout: 15_000 });
      const listed = await snap(p7);
      assert.equal(listed.title, 'BIP-7: raise the L2 gas limit to 40M <b>& tighten</b> the tolerance', 'the first line of the description, as text');
      assert.equal(listed.l1Tx, p7.l1Tx);
      assert.equal(await card(p7).locator('[data-field="proposer"]').getAttribute('title'), devWallet(7).address);
      assert.equal(BigInt(listed.snapshot), await governor.proposalSnapshot(p7.id));
      assert.equal(BigInt(listed.deadline), await governor.proposalDeadline(p7.id));
      assert.deepEqual(listed.actions.map((a) => [a.layer, a.to, a.call]), [
        ['L1', deploy.SystemConfig, 'setGasLimit(40000000)'],
        ['L2', MARKETPLACE, 'setToleranceBounds(100, 5000)'],
        ['L2', MARKETPLACE, `unknown function ${l2Unknown.slice(0, 10)} (32 bytes of arguments)`],
      ]);
      assert.deepEqual(listed.actions.map((a) => a.text), [
        `L1: ${short(deploy.SystemConfig)} (SystemConfig) setGasLimit(40000000)`,
        `L2: ${short(MARKETPLACE)} (ModelMarketplace) setToleranceBounds(100, 5000) · portal deposit, L2 gas limit 200,000`,
        `L2: ${short(MARKETPLACE)} (ModelMarketplace) unknown function ${l2Unknown.slice(0, 10)} (32 bytes of arguments) · portal deposit, L2 gas limit 100,000`,
      ]);
      if (listed.state === 'pending') { // (unless L1 has moved on already)
        assert.deepEqual(listed.buttons.map((b) => b.disabled), [true, true, true], 'no vote before the snapshot');
        const wait = BigInt(listed.snapshot) + 1n - BigInt(listed.l1Block);
        assert.equal(BigInt(listed.blocksLeft), wait);
        assert.match(listed.stage, new RegExp(`^voting starts in ${wait} blocks? \\(≈ [^)]+\\), after the snapshot at block ${listed.snapshot}$`));
      }

      // --- Voting opens once the snapshot block is past; the holders vote here, the user in the page.
      await rpcAt(l1.url, 'anvil_mine', ['0x2']);
      assert.equal(await governor.state(p7.id), 1n, 'active');
      for (const [i, support] of [[7, 1], [8, 2], [9, 0]]) await (await governor.connect(devWallet(i, l1p)).castVote(p7.id, support)).wait();
      for (const i of [7, 8]) await (await governor.connect(devWallet(i, l1p)).castVote(p8.id, 1)).wait();
      await card(p7, 'active').locator('button[data-support="1"]:not([disabled])').waitFor({ timeout: 15_000 });
      await p.waitForFunction((id) => document.querySelector(`article[data-proposal-id="${id}"] [data-field="abstain"]`)?.dataset.wei !== '0', p7.id.toString(), { timeout: 15_000 });
      const open = await snap(p7);
      const openHead = BigInt(open.l1Block);
      const deadline = await governor.proposalDeadline(p7.id);
      assert.equal(BigInt(open.blocksLeft), deadline - openHead, 'blocks left: deadline − the L1 block the page read');
      // seconds: those blocks at the average block time of the last 32 L1 blocks before that one
      const [bHead, bOld] = await Promise.all([l1p.getBlock(Number(openHead)), l1p.getBlock(Number(openHead) - 32)]);
      const spb = (bHead.timestamp - bOld.timestamp) / 32;
      assert.equal(Number(open.secondsPerBlock), spb);
      assert.equal(Number(open.secondsLeft), Math.round(Number(deadline - openHead) * spb));
      assert.match(open.stage, new RegExp(`^voting ends in ${deadline - openHead} blocks \\(≈ [^)]+\\), at block ${deadline}$`));
      const [against0, for0, abstain0] = await governor.proposalVotes(p7.id, { blockTag: Number(openHead) });
      assert.deepEqual([open.tally.for, open.tally.against, open.tally.abstain].map(BigInt), [for0, against0, abstain0], 'tallies at the L1 block the page read');
      assert.equal(BigInt(open.tally.quorum), await governor.quorum(await governor.proposalSnapshot(p7.id)));
      assert.equal(open.you, `Your votes at the snapshot (block ${open.snapshot}): ${fmtBai(balance, 6)} BAI.`);
      assert.deepEqual(open.buttons.map((b) => [b.support, b.disabled]), [['1', false], ['0', false], ['2', false]]);

      // --- Vote For in the page: one L1 transaction from the user to the governor, castVote(id, 1).
      const sent1 = w.state.sent.length;
      await card(p7).locator('button[data-action="vote"][data-support="1"]').click();
      const verdict = card(p7).locator('[data-field="proposal-action"]');
      await card(p7).locator('[data-field="proposal-action"].ok, [data-field="proposal-action"].error').waitFor({ timeout: 30_000 });
      assert.match(await verdict.getAttribute('class'), /\bok\b/, await verdict.textContent());
      const voteTxs = w.state.sent.slice(sent1);
      assert.equal(voteTxs.length, 1, 'one transaction');
      assert.equal(voteTxs[0].chainId, 31337);
      const voteTx = await l1p.getTransaction(voteTxs[0].hash);
      const voteRcpt = await l1p.getTransactionReceipt(voteTxs[0].hash);
      assert.equal(voteRcpt.status, 1);
      assert.equal(voteTx.from, user.address);
      assert.equal(voteTx.to, gov.BaiGovernor);
      assert.deepEqual([...governor.interface.decodeFunctionData('castVote', voteTx.data)], [p7.id, 1n], 'castVote(id, For)');
      const cast = voteRcpt.logs.map((l) => { try { return governor.interface.parseLog(l); } catch { return null; } }).find((e) => e?.name === 'VoteCast');
      assert.deepEqual([cast.args.voter, cast.args.proposalId, cast.args.support, cast.args.weight], [user.address, p7.id, 1n, balance], 'VoteCast with the whole balance');
      assert.equal(await verdict.getAttribute('data-l1-tx'), voteTx.hash);
      assert.equal(await verdict.textContent(), `Voted For with ${fmtBai(balance, 6)} BAI in L1 block ${voteRcpt.blockNumber}. L1 tx ${voteTx.hash.slice(0, 12)}…${voteTx.hash.slice(-6)}`);
      assert.equal(await governor.hasVoted(p7.id, user.address), true, 'hasVoted on chain');
      const [against1, for1, abstain1] = await governor.proposalVotes(p7.id);
      assert.deepEqual([for1, against1, abstain1], [GOV_HOLDERS[0][1] + balance, GOV_HOLDERS[2][1], GOV_HOLDERS[1][1]], 'proposalVotes: #7 and the user For, #9 Against, #8 Abstain');
      await card(p7, 'active', '[data-has-voted="true"]').waitFor({ timeout: 15_000 });
      const voted = await snap(p7);
      assert.deepEqual([voted.tally.for, voted.tally.against, voted.tally.abstain].map(BigInt), [for1, against1, abstain1]);
      assert.equal(voted.you, `You voted For with ${fmtBai(balance, 6)} BAI.`);
      assert.deepEqual(voted.buttons.map((b) => b.disabled), [true, true, true], 'no second vote');
      assert.equal(await card(p7).locator('[data-field="quorum-reached"]').getAttribute('data-reached'), 'true');

      // --- Past the deadline (anvil_mine): succeeded; queued from the page, with the timelock's delay counted down.
      const head1 = await l1p.getBlockNumber();
      const last = await governor.proposalDeadline(p8.id);
      await rpcAt(l1.url, 'anvil_mine', [ethers.toQuantity(Number(last) - head1 + 1)]);
      assert.equal(await governor.state(p7.id), 4n, 'succeeded on chain');
      await card(p7, 'succeeded').waitFor({ timeout: 15_000 });
      const passed = await snap(p7);
      assert.equal(passed.stage, 'passed: it can be queued in the timelock');
      assert.deepEqual(passed.buttons.map((b) => b.action), ['queue'], 'no vote buttons, a Queue button');
      const sent2 = w.state.sent.length;
      await card(p7).locator('button[data-action="queue"]').click();
      // the verdict of this click: the queueing's, or an error (the vote's "Voted For…" was there before)
      const verdictOf = (id, re) => p.waitForFunction(([id, re]) => {
        const el = document.querySelector(`article[data-proposal-id="${id}"] [data-field="proposal-action"]`);
        return el && (/\berror\b/.test(el.className) || (/\bok\b/.test(el.className) && new RegExp(re).test(el.textContent)));
      }, [id.toString(), re], { timeout: 30_000 });
      await verdictOf(p7.id, '^Queued');
      assert.match(await verdict.getAttribute('class'), /\bok\b/, await verdict.textContent());
      assert.match(await verdict.textContent(), new RegExp(`^Queued in L1 block \\d+: executable from L1 time ${await governor.proposalEta(p7.id)} \\(`));
      assert.equal(w.state.sent.length, sent2 + 1);
      assert.equal(await governor.state(p7.id), 5n, 'queued on chain');
      const eta = await governor.proposalEta(p7.id);
      await (await governor.connect(devWallet(7, l1p)).queue(p8.targets, p8.values, p8.calldatas, p8.descriptionHash)).wait();
      await card(p7, 'queued').waitFor({ timeout: 15_000 });
      const queued = await snap(p7);
      assert.equal(BigInt(queued.eta), eta);
      const left = eta - BigInt((await l1p.getBlock(Number(queued.l1Block))).timestamp);
      assert.ok(left > 0n && left <= BigInt(gov.timelockMinDelay));
      assert.equal(BigInt(queued.secondsLeft), left, 'eta − the time of the L1 block the page read');
      assert.match(queued.stage, /^in the timelock: it can be executed in \d+ (s|min)/);

      // --- Past the eta (the L1 clock moved): BIP-8's Execute is refused with SystemConfig's decoded error and
      // nothing is sent; BIP-7's executes, and SystemConfig's gas limit is the proposal's.
      const eta8 = await governor.proposalEta(p8.id);
      await rpcAt(l1.url, 'evm_setNextBlockTimestamp', [ethers.toQuantity(eta8 > eta ? eta8 : eta)]);
      await rpcAt(l1.url, 'evm_mine', []);
      await card(p8).locator('button[data-action="execute"]').waitFor({ timeout: 15_000 });
      const sent3 = w.state.sent.length;
      await card(p8).locator('button[data-action="execute"]').click();
      const refused = card(p8).locator('[data-field="proposal-action"]');
      await card(p8).locator('[data-field="proposal-action"].error, [data-field="proposal-action"].ok').waitFor({ timeout: 30_000 });
      assert.equal(await refused.textContent(), 'L2 gas limit 600000000 is outside SystemConfig\'s bounds.');
      assert.equal(w.state.sent.length, sent3, 'nothing sent');
      assert.equal(await governor.state(p8.id), 5n, 'still queued');
      await card(p7).locator('button[data-action="execute"]').click();
      await verdictOf(p7.id, '^Executed');
      assert.match(await verdict.textContent(), /^Executed in L1 block \d+\./);
      await card(p7, 'executed').waitFor({ timeout: 15_000 });
      assert.equal(w.state.sent.length, sent3 + 1, 'one transaction');
      assert.equal(await governor.state(p7.id), 7n, 'executed on chain');
      assert.equal(await sysConfig.gasLimit(), 40_000_000n, "SystemConfig's gas limit is BIP-7's");
      assert.equal((await snap(p7)).stage, 'executed');
      await p.locator(`#proposals-list article[data-proposal-id="${p7.id}"]`).scrollIntoViewIfNeeded();
      await p.locator('#governance').screenshot({ path: join(SHOTS, 'dapp-governance.png') });
      assert.deepEqual(errors, [], 'no errors in the page console');
      t.diagnostic(`governance subtest ${((Date.now() - t6) / 1000).toFixed(1)} s`);
    } finally {
      await ctx.close();
      await govServer.close();
    }
  });

  await t.test('with an L2-only config.json the L2 parts work and the L1 parts say why they are off', async () => {
    const l2only = await serveStatic(dist, { '/config.json': JSON.stringify({ l2: { rpcUrl: l2.url } }) });
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await installTestWallet(ctx, { privateKey: user.privateKey, chains: { [L2_CHAIN_ID]: l2.url }, chainId: L2_CHAIN_ID });
    const p = await ctx.newPage();
    try {
      await p.goto(l2only.url);
      await p.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
      const list = await rpcAt(l2.url, 'bai_listModels');
      assert.equal(await p.locator('#models-list article.model').count(), list.models.length);
      await p.click('#connect');
      await p.waitForSelector(`#wallet-info [data-chain-id="${L2_CHAIN_ID}"]`);
      await p.waitForFunction(() => document.querySelector('#balance-l2')?.dataset.wei !== undefined);
      assert.equal(BigInt(await p.getAttribute('#balance-l2', 'data-wei')), await l2p.getBalance(user.address));
      assert.equal(await p.textContent('#balance-l1'), 'no L1 configured');
      assert.equal(await p.isDisabled('#deposit-form button'), true);
      assert.match(await p.textContent('#batches-list'), /No L1 configured/);
      const withdrawal = p.locator('#withdrawals-list tr[data-withdrawal-hash]');
      await withdrawal.waitFor();
      assert.equal(await withdrawal.getAttribute('data-state'), 'initiated');
      assert.match(await withdrawal.textContent(), /initiated on L2 \(no L1 configured to follow it\)/);
      assert.match(await p.textContent('#footer-config'), /no L1 configured/);
      assert.match(await p.textContent('#governance-status'), /^Governance is not configured: there is no L1 in config\.json/);
    } finally {
      await ctx.close();
      await l2only.close();
    }
    t.diagnostic(`screenshots in ${SHOTS}; suite ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
});
