// L2 → L1 withdrawals of native BAI, everything real: anvil (prague) as L1 with the L1 contracts deployed
// by forge script (submission interval 2 L2 blocks, finalization period 20 s), a bai sequencer with the
// batcher and the proposer (dev #2, the oracle's PROPOSER), 1 s L2 blocks. Each test has its own L1 and
// sequencer: the first moves the L1 clock (evm_increaseTime), which would mislead viem's wall-clock
// arithmetic in the second.
//
// Checks:
//   - with ethers and nothing else: ERC-20 BAI approved and deposited (depositERC20Transaction) for a
//     fresh account arrives on L2 exactly; the account withdraws native BAI through the
//     L2ToL1MessagePasser (initiateWithdrawal); the MessagePassed event's fields hash to its
//     withdrawalHash (versioned nonce, sender, target, value, gasLimit, data) and sentMessages says so;
//   - the output covering the withdrawal block (getL2OutputIndexAfter) is found on L1; after a second
//     withdrawal has changed the message passer, eth_getProof(0x4200…0016, [keccak(hash ‖ 0)], output
//     block) still answers for the output block: storageHash = that block's withdrawalsRoot, the account
//     and storage proofs verify in JS (lib/mpt.mjs) against its stateRoot, the slot holds 1, the later
//     withdrawal's slot is proven absent there; keccak(0 ‖ stateRoot ‖ storageHash ‖ blockHash) equals the
//     oracle's root and optimism_outputAtBlock;
//   - the portal rejects a proof for a withdrawal that was not made (other value), accepts the real one
//     (WithdrawalProven, provenWithdrawals), refuses to prove it twice, refuses to finalize inside the
//     window ("proven withdrawal finalization period has not elapsed"); after evm_increaseTime past the
//     window finalize pays out (WithdrawalFinalized(hash, true), finalizedWithdrawals) and a second
//     finalize is refused ("withdrawal has already been finalized"); the unproven second withdrawal
//     cannot be finalized;
//   - exact balances: L1 ERC-20 BAI of the target +value, of the portal −value; the withdrawer's L2
//     native BAI −(value + gasUsed·effectiveGasPrice + l1Fee) per withdrawal (the receipt's l1Fee); the
//     message passer holds the withdrawn BAI; the withdrawer's L1 ETH pays exactly its L1 gas and its L1
//     BAI does not move;
//   - eth_getProof refusals are clear JSON-RPC errors (-32000 "no proof at block N: …"): the message
//     passer before the proof window (--history.withdrawal-proofs), another account at a past block; the
//     oldest block of the window is still served, the one before it is not;
//   - with viem's OP Stack actions (viem/op-stack, the chain from defineChain with portal and
//     l2OutputOracle per L1 chain id): getL2TransactionHashes on the L1 receipts of the ERC-20 deposit and
//     of a viem depositTransaction without mint finds the L2 deposit transactions; viem's
//     depositTransaction with a mint (ETH value) is refused by the portal (NoValue: BAI, not ETH, is the
//     L2 currency); buildInitiateWithdrawal / initiateWithdrawal / getWithdrawals; getWithdrawalStatus
//     goes waiting-to-prove → ready-to-prove → waiting-to-finalize → ready-to-finalize → finalized
//     around waitToProve, buildProveWithdrawal (its outputRootProof hashes to the oracle's root),
//     proveWithdrawal, getTimeToFinalize, waitToFinalize and finalizeWithdrawal; the same exact balances.
// Divergences from an OP chain that a viem user has to know (documented here, not worked around in
// Solidity):
//   - deposits of the native currency are depositERC20Transaction (custom gas token), which viem has no
//     action for: the test calls it with writeContract. viem's depositTransaction sends `mint` as ETH
//     msg.value, which the portal rejects; without mint it works (an L2 call paid from L2 BAI).
//   - viem's legacy (portal < 3) paths read several oracle/portal values with multicall, which needs
//     Multicall3 on L1; anvil has none, so the L1 client sets batch.multicall.deployless.
// Env: BAI_BIN, E2E_TMP, E2E_ROOT.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { ethers, ETHER, devWallet, waitFor, feePaid, rpcAt, jsonRpc } from '../lib/common.mjs';
import { startNode } from '../lib/node.mjs';
import { startAnvil, deployL1, PORTAL_ABI, ORACLE_ABI, ERC20_ABI, hashWithdrawal, passerSlot, outputRootOf } from '../lib/l1.mjs';
import { verifyMptProof } from '../lib/mpt.mjs';
import {
  createPublicClient, createWalletClient, defineChain, http, parseAbi, encodeAbiParameters, keccak256 as vKeccak,
  concat as vConcat, toFunctionSelector, BaseError,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  chainConfig, publicActionsL1, publicActionsL2, walletActionsL1, walletActionsL2, getWithdrawals, getL2TransactionHashes,
} from 'viem/op-stack';

const INTERVAL = 2; // L2 blocks between outputs
const PERIOD = 20; // finalization period, seconds
const PROOF_WINDOW = 30; // --history.withdrawal-proofs, L2 blocks (1 s each)
const MESSAGE_PASSER = '0x4200000000000000000000000000000000000016';
const PASSER_ABI = [
  'function initiateWithdrawal(address target, uint256 gasLimit, bytes data) payable',
  'function sentMessages(bytes32) view returns (bool)',
  'event MessagePassed(uint256 indexed nonce, address indexed sender, address indexed target, uint256 value, uint256 gasLimit, bytes data, bytes32 withdrawalHash)',
];

const alsoStop = [];
after(async () => { for (const p of alsoStop.reverse()) await p.stop(); });

/** The JSON-RPC error of a call that must fail. */
async function rpcErrorAt(url, method, params) {
  const e = await rpcAt(url, method, params).then((r) => ({ unexpected: r }), (err) => err);
  assert.ok(e.rpcError, `${method}(${JSON.stringify(params)}) must be a JSON-RPC error, got ${JSON.stringify(e.unexpected ?? e.message)}`);
  return e.rpcError;
}

/** An anvil L1 with DeployL1 and a bai sequencer with batcher and proposer following it. */
async function rollup(name) {
  const l1 = await startAnvil({ name: `${name}-l1`, blockTime: 1 });
  alsoStop.push(l1);
  const addrs = await deployL1(l1.url, { BAI_SUBMISSION_INTERVAL: String(INTERVAL), BAI_FINALIZATION_PERIOD: String(PERIOD) });
  assert.equal(addrs.proposer.toLowerCase(), devWallet(2).address.toLowerCase(), 'DeployL1 makes dev #2 the proposer');
  // 1 s blocks, matching DeployL1's default BAI_L2_BLOCK_TIME_MS (1000): the oracle computes L2 timestamps as
  // start + ⌊n · L2_BLOCK_TIME_MS / 1000⌋ and takes no output for a block "in the future", so blocks faster than
  // the deployed block time would make outputs fall further and further behind.
  const node = await startNode({ name: `${name}-seq`, blockTime: '1s', extraArgs: ['--inference.disable', '--l1.rpc-url', l1.url,
    '--l1.system-config', addrs.SystemConfig, '--l1.confirmations', '1', '--l1.poll-interval', '250ms',
    '--batcher.key', devWallet(3).privateKey, '--batcher.da', 'calldata', '--batcher.max-blocks', '4', '--batcher.max-delay', '1s',
    '--proposer.key', devWallet(2).privateKey, '--history.withdrawal-proofs', String(PROOF_WINDOW)] });
  alsoStop.push(node);
  return { l1, addrs, node };
}

const l1GasPaid = (r) => r.gasUsed * r.gasPrice; // ethers receipt: gasPrice is the effective gas price

/** The revert reason of a call that must revert (ethers). */
async function revertReason(promise) {
  const e = await promise.then(() => null, (err) => err);
  assert.ok(e, 'the call must revert');
  return e.reason ?? e.revert?.args?.[0] ?? `${e.shortMessage ?? e.message} data=${e.data}`;
}

test('withdrawal with ethers: deposit, initiate, eth_getProof at the output block, prove, finalize after the window; exact balances', { timeout: 180_000 }, async (t) => {
  const { l1, addrs, node } = await rollup('wd');
  const l1p = jsonRpc(l1.url);
  const l2 = jsonRpc(node.url);
  const treasury = devWallet(0, l1p);
  const user = ethers.Wallet.createRandom();
  const userL1 = user.connect(l1p);
  const userL2 = user.connect(l2);
  const target = ethers.Wallet.createRandom().address; // receives the BAI on L1
  const token = new ethers.Contract(addrs.BaiToken, ERC20_ABI, treasury);
  const portal = new ethers.Contract(addrs.OptimismPortal, PORTAL_ABI, userL1);
  const oracle = new ethers.Contract(addrs.L2OutputOracle, ORACLE_ABI, l1p);
  const passer = new ethers.Contract(MESSAGE_PASSER, PASSER_ABI, userL2);
  assert.equal(await oracle.FINALIZATION_PERIOD_SECONDS(), BigInt(PERIOD));
  assert.equal(await oracle.finalizationPeriodSeconds(), BigInt(PERIOD));

  // --- deposit: 10 BAI and 1 ETH to a fresh L1 account, which deposits 4 BAI to itself on L2.
  await (await token.transfer(user.address, 10n * ETHER)).wait();
  await (await treasury.sendTransaction({ to: user.address, value: ETHER })).wait();
  const DEPOSIT = 4n * ETHER;
  const l1Paid = [];
  l1Paid.push(await (await token.connect(userL1).approve(addrs.OptimismPortal, DEPOSIT)).wait());
  const portalBeforeDeposit = await token.balanceOf(addrs.OptimismPortal);
  l1Paid.push(await (await portal.depositERC20Transaction(user.address, DEPOSIT, DEPOSIT, 100_000, false, '0x')).wait());
  assert.equal(await token.balanceOf(addrs.OptimismPortal) - portalBeforeDeposit, DEPOSIT, 'the portal locked the deposit');
  await waitFor('the deposit credited on L2', async () => (await l2.getBalance(user.address)) > 0n, { timeoutMs: 60_000, intervalMs: 250 });
  assert.equal(await l2.getBalance(user.address), DEPOSIT, 'exactly the deposit on L2');

  // --- withdrawal A (the one carried through), then the L2 accounting.
  const VALUE = 1_250_000_000_000_000_000n; // 1.25 BAI
  const passerBefore = await l2.getBalance(MESSAGE_PASSER);
  const txA = await passer.initiateWithdrawal(target, 100_000, '0x', { value: VALUE });
  const rcptA = await txA.wait();
  assert.equal(rcptA.status, 1);
  const rawA = await rpcAt(node.url, 'eth_getTransactionReceipt', [txA.hash]);
  for (const f of ['l1Fee', 'l1GasUsed', 'l1GasPrice']) assert.ok(rawA[f] !== undefined, `the L2 receipt has ${f}`);
  assert.ok(BigInt(rawA.l1Fee) > 0n, 'a non-zero L1 data fee');
  const feeA = feePaid(rawA);
  const logA = rcptA.logs.map((l) => passer.interface.parseLog(l)).find((l) => l?.name === 'MessagePassed');
  assert.ok(logA, 'MessagePassed emitted');
  const wA = { nonce: logA.args.nonce, sender: logA.args.sender, target: logA.args.target, value: logA.args.value,
    gasLimit: logA.args.gasLimit, data: logA.args.data };
  const hashA = logA.args.withdrawalHash;
  assert.equal(wA.nonce >> 240n, 1n, 'the nonce carries message version 1 in its top two bytes');
  assert.equal(wA.sender, user.address);
  assert.equal(wA.target, target);
  assert.equal(wA.value, VALUE);
  assert.equal(wA.gasLimit, 100_000n);
  assert.equal(wA.data, '0x');
  assert.equal(hashWithdrawal(wA), hashA, 'withdrawalHash = keccak(abi.encode(nonce, sender, target, value, gasLimit, data))');
  assert.equal(await passer.sentMessages(hashA), true);
  assert.equal(await l2.getBalance(user.address), DEPOSIT - VALUE - feeA, 'L2: value + L2 gas + L1 fee, exactly');
  assert.equal(await l2.getBalance(MESSAGE_PASSER) - passerBefore, VALUE, 'the message passer holds the withdrawn BAI');
  const blockA = rcptA.blockNumber;

  // --- the output covering block A.
  await waitFor(`an output for L2 block ≥ ${blockA}`, async () => (await oracle.latestBlockNumber()) >= BigInt(blockA), { timeoutMs: 60_000, intervalMs: 250 });
  const index = await oracle.getL2OutputIndexAfter(blockA);
  const output = await oracle.getL2Output(index);
  const outBlock = Number(output.l2BlockNumber);
  assert.ok(outBlock >= blockA, 'the output is at or after the withdrawal block');
  if (index > 0n) assert.ok(Number((await oracle.getL2Output(index - 1n)).l2BlockNumber) < blockA, 'and it is the first such output');

  // --- withdrawal B after the output block: the message passer's storage changes after it.
  const VALUE_B = ETHER / 2n;
  const txB = await passer.initiateWithdrawal(target, 0, '0x', { value: VALUE_B });
  const rcptB = await txB.wait();
  const rawB = await rpcAt(node.url, 'eth_getTransactionReceipt', [txB.hash]);
  const hashB = rcptB.logs.map((l) => passer.interface.parseLog(l)).find((l) => l?.name === 'MessagePassed').args.withdrawalHash;
  assert.ok(rcptB.blockNumber > outBlock, 'B lands after the output block');
  assert.equal(await l2.getBalance(user.address), DEPOSIT - VALUE - feeA - VALUE_B - feePaid(rawB), 'L2 after both withdrawals, exactly');

  // --- the proof at the output block (the head is past it and the message passer has changed since).
  const slotA = passerSlot(hashA);
  const slotB = passerSlot(hashB);
  const head = await l2.getBlockNumber();
  assert.ok(head > outBlock, 'the L2 head is past the output block');
  const proof = await rpcAt(node.url, 'eth_getProof', [MESSAGE_PASSER, [slotA, slotB], ethers.toQuantity(outBlock)]);
  const latestProof = await rpcAt(node.url, 'eth_getProof', [MESSAGE_PASSER, [], 'latest']);
  const outHeader = await rpcAt(node.url, 'eth_getBlockByNumber', [ethers.toQuantity(outBlock), false]);
  assert.equal(proof.storageHash, outHeader.withdrawalsRoot, 'storageHash at the output block = its header withdrawalsRoot');
  assert.notEqual(latestProof.storageHash, proof.storageHash, 'the latest message passer root differs (withdrawal B): the proof really is historical');
  assert.equal(proof.storageProof[0].key.toLowerCase(), slotA.toLowerCase());
  assert.equal(BigInt(proof.storageProof[0].value), 1n, 'sentMessages[hashA] = true at the output block');
  assert.equal(BigInt(proof.storageProof[1].value), 0n, 'withdrawal B is not in the output block');
  // Verified independently of the node.
  const account = verifyMptProof(outHeader.stateRoot, ethers.keccak256(MESSAGE_PASSER), proof.accountProof);
  assert.ok(account, 'the message passer account is proven in the output block state');
  const [, , storageRoot, codeHash] = ethers.decodeRlp(account);
  assert.equal(storageRoot, proof.storageHash, 'the account leaf carries storageHash');
  assert.equal(codeHash, proof.codeHash);
  assert.equal(verifyMptProof(proof.storageHash, ethers.keccak256(slotA), proof.storageProof[0].proof), '0x01', 'slot A proven = 1');
  assert.equal(verifyMptProof(proof.storageHash, ethers.keccak256(slotB), proof.storageProof[1].proof), null, 'slot B proven absent');

  const outputRootProof = { version: ethers.ZeroHash, stateRoot: outHeader.stateRoot, messagePasserStorageRoot: proof.storageHash, latestBlockhash: outHeader.hash };
  assert.equal(outputRootOf(outputRootProof), output.outputRoot, 'keccak(0 ‖ stateRoot ‖ storageHash ‖ blockHash) = the oracle root');
  const nodeOutput = await rpcAt(node.url, 'optimism_outputAtBlock', [ethers.toQuantity(outBlock)]);
  assert.equal(nodeOutput.outputRoot, output.outputRoot, 'optimism_outputAtBlock agrees');
  assert.equal(nodeOutput.withdrawalStorageRoot, proof.storageHash);

  // --- prove on L1.
  const withdrawalProof = proof.storageProof[0].proof;
  const forged = { ...wA, value: wA.value + 1n };
  // OpenZeppelin's TrieProof.verify returns false for most wrong keys (the portal's reason), but reverts with
  // RLPInvalidEncoding() when the key's path runs into an empty branch slot; which one depends on the hash.
  const forgedReason = await revertReason(portal.proveWithdrawalTransaction.staticCall(forged, index, outputRootProof, withdrawalProof));
  assert.match(forgedReason, /invalid withdrawal inclusion proof|data=0xf3dd7004/, 'a withdrawal nobody made does not prove');
  t.diagnostic(`forged withdrawal refused: ${forgedReason}`);
  const proveRcpt = await (await portal.proveWithdrawalTransaction(wA, index, outputRootProof, withdrawalProof)).wait();
  l1Paid.push(proveRcpt);
  assert.equal(proveRcpt.status, 1);
  const proven = proveRcpt.logs.map((l) => portal.interface.parseLog(l)).find((l) => l?.name === 'WithdrawalProven');
  assert.ok(proven, 'WithdrawalProven emitted');
  assert.deepEqual([proven.args.withdrawalHash, proven.args.from, proven.args.to], [hashA, user.address, target]);
  const pw = await portal.provenWithdrawals(hashA);
  const proveTime = (await l1p.getBlock(proveRcpt.blockNumber)).timestamp;
  assert.deepEqual([pw.outputRoot, pw.timestamp, pw.l2OutputIndex], [output.outputRoot, BigInt(proveTime), index]);
  assert.match(await revertReason(portal.proveWithdrawalTransaction.staticCall(wA, index, outputRootProof, withdrawalProof)),
    /withdrawal hash has already been proven/);

  // --- finalize: refused inside the window, then (L1 clock moved past it) paid out once.
  assert.match(await revertReason(portal.finalizeWithdrawalTransaction.staticCall(wA)), /proven withdrawal finalization period has not elapsed/);
  assert.match(await revertReason(portal.finalizeWithdrawalTransaction.estimateGas(wA)), /proven withdrawal finalization period has not elapsed/,
    'a transaction would revert too (gas estimation)');
  await l1p.send('evm_increaseTime', [PERIOD + 1]);
  await l1p.send('evm_mine', []);
  assert.ok((await l1p.getBlock('latest')).timestamp > proveTime + PERIOD, 'L1 time is past the window');
  const targetBefore = await token.balanceOf(target);
  const portalBefore = await token.balanceOf(addrs.OptimismPortal);
  const withdrawnBefore = await portal.totalWithdrawn();
  const userBaiL1 = await token.balanceOf(user.address);
  const finRcpt = await (await portal.finalizeWithdrawalTransaction(wA)).wait();
  l1Paid.push(finRcpt);
  assert.equal(finRcpt.status, 1);
  const fin = finRcpt.logs.map((l) => { try { return portal.interface.parseLog(l); } catch { return null; } }).find((l) => l?.name === 'WithdrawalFinalized');
  assert.ok(fin, 'WithdrawalFinalized emitted');
  assert.deepEqual([fin.args.withdrawalHash, fin.args.success], [hashA, true]);
  assert.equal(await portal.finalizedWithdrawals(hashA), true);
  assert.equal(targetBefore, 0n);
  assert.equal(await token.balanceOf(target), VALUE, 'L1: the target received exactly the withdrawn BAI');
  assert.equal(portalBefore - await token.balanceOf(addrs.OptimismPortal), VALUE, 'L1: the portal released exactly that');
  assert.equal(await portal.totalWithdrawn() - withdrawnBefore, VALUE);
  assert.equal(await token.balanceOf(user.address), userBaiL1, 'the prover/finalizer pays no BAI on L1');
  assert.equal(userBaiL1, 10n * ETHER - DEPOSIT, 'L1 BAI of the withdrawer: 10 − the deposit');
  assert.match(await revertReason(portal.finalizeWithdrawalTransaction.staticCall(wA)), /withdrawal has already been finalized/);
  const wB = { ...wA, nonce: wA.nonce + 1n, value: VALUE_B, gasLimit: 0n };
  assert.equal(hashWithdrawal(wB), hashB, 'B is the next nonce');
  assert.match(await revertReason(portal.finalizeWithdrawalTransaction.staticCall(wB)), /withdrawal has not been proven yet/);
  // L1 gas is ETH: the withdrawer's ETH went down by exactly its L1 fees.
  const ethSpent = l1Paid.reduce((s, r) => s + l1GasPaid(r), 0n);
  assert.equal(await l1p.getBalance(user.address), ETHER - ethSpent, 'L1 ETH: 1 − the gas of approve, deposit, prove, finalize');

  // --- eth_getProof refusals and the window boundary.
  await waitFor(`L2 head past ${PROOF_WINDOW + 3}`, async () => (await l2.getBlockNumber()) > PROOF_WINDOW + 3, { timeoutMs: 60_000, intervalMs: 250 });
  const old = await rpcErrorAt(node.url, 'eth_getProof', [MESSAGE_PASSER, [slotA], '0x1']);
  assert.equal(old.code, -32000);
  assert.match(old.message, /^no proof at block 1: /, 'a clear refusal for a block before the window');
  const oldest = Number(old.message.match(/kept back to block (\d+)/)?.[1]);
  assert.ok(oldest > 1, `the message says how far back proofs go: ${old.message}`);
  const headNow = await l2.getBlockNumber();
  assert.ok(oldest <= headNow - PROOF_WINDOW && oldest >= headNow - PROOF_WINDOW - 3, `the window is ${PROOF_WINDOW} blocks (oldest ${oldest}, head ${headNow})`);
  const edge = await rpcErrorAt(node.url, 'eth_getProof', [MESSAGE_PASSER, [], ethers.toQuantity(oldest - 1)]);
  assert.match(edge.message, new RegExp(`^no proof at block ${oldest - 1}: `), 'the block just before the window is refused');
  const inside = oldest + 2; // still in the window unless 2 blocks pass meanwhile
  const insideProof = await rpcAt(node.url, 'eth_getProof', [MESSAGE_PASSER, [], ethers.toQuantity(inside)]);
  const insideHeader = await rpcAt(node.url, 'eth_getBlockByNumber', [ethers.toQuantity(inside), false]);
  assert.equal(insideProof.storageHash, insideHeader.withdrawalsRoot, 'a block inside the window is served, with its own root');
  const other = await rpcErrorAt(node.url, 'eth_getProof', [user.address, [], ethers.toQuantity(outBlock)]);
  assert.equal(other.code, -32000);
  assert.match(other.message, new RegExp(`^no proof at block ${outBlock}: past-block proofs are kept only for the withdrawal message passer`),
    'another account at a past block: a clear refusal');
  const otherLatest = await rpcAt(node.url, 'eth_getProof', [user.address, [], 'latest']);
  const latestHeader = await rpcAt(node.url, 'eth_getBlockByNumber', ['latest', false]);
  const leaf = verifyMptProof(latestHeader.stateRoot, ethers.keccak256(user.address), otherLatest.accountProof);
  assert.ok(leaf, 'at the latest block another account is proven (verified against the latest state root)');
  assert.equal(BigInt(ethers.decodeRlp(leaf)[1]), BigInt(otherLatest.balance), 'its leaf carries the balance eth_getProof reports');
});

// ---------------------------------------------------------------------------------------------------------
// viem

const viemPortalAbi = parseAbi([
  'function depositERC20Transaction(address to, uint256 mint, uint256 value, uint64 gasLimit, bool isCreation, bytes data)',
  'function provenWithdrawals(bytes32) view returns (bytes32 outputRoot, uint128 timestamp, uint128 l2OutputIndex)',
  'function finalizedWithdrawals(bytes32) view returns (bool)',
]);
const viemErc20Abi = parseAbi(['function approve(address, uint256) returns (bool)', 'function transfer(address, uint256) returns (bool)',
  'function balanceOf(address) view returns (uint256)']);

/** Every message in a viem error chain (shortMessage, details, revert reason). */
function viemErrorText(e) {
  const parts = [];
  for (let x = e; x; x = x.cause) parts.push(x.shortMessage, x.details, x.reason, x.data?.errorName, x.signature, x.message);
  return parts.filter(Boolean).join(' | ');
}

test('withdrawal with viem OP Stack actions: status waiting-to-prove → … → finalized, exact balances', { timeout: 180_000 }, async (t) => {
  const { l1, addrs, node } = await rollup('viem');
  const l1Id = Number(addrs.l1ChainId);
  const l1Chain = defineChain({
    id: l1Id, name: 'anvil L1', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [l1.url] } },
  });
  const l2Chain = defineChain({
    ...chainConfig,
    id: 2977, name: 'BalanceAI e2e', nativeCurrency: { name: 'BAI', symbol: 'BAI', decimals: 18 },
    rpcUrls: { default: { http: [node.url] } }, blockTime: 1_000, sourceId: l1Id,
    contracts: {
      ...chainConfig.contracts,
      portal: { [l1Id]: { address: addrs.OptimismPortal } },
      l2OutputOracle: { [l1Id]: { address: addrs.L2OutputOracle } },
    },
  });
  // No Multicall3 on anvil: viem's legacy withdrawal actions multicall the oracle/portal, so deployless.
  const publicL1 = createPublicClient({ chain: l1Chain, transport: http(l1.url), pollingInterval: 250, batch: { multicall: { deployless: true } } })
    .extend(publicActionsL1());
  const publicL2 = createPublicClient({ chain: l2Chain, transport: http(node.url), pollingInterval: 250 }).extend(publicActionsL2());
  const user = privateKeyToAccount(ethers.Wallet.createRandom().privateKey);
  const walletL1 = createWalletClient({ account: user, chain: l1Chain, transport: http(l1.url) }).extend(walletActionsL1());
  const walletL2 = createWalletClient({ account: user, chain: l2Chain, transport: http(node.url) }).extend(walletActionsL2());
  const treasury = createWalletClient({ account: privateKeyToAccount(devWallet(0).privateKey), chain: l1Chain, transport: http(l1.url) });
  const target = privateKeyToAccount(ethers.Wallet.createRandom().privateKey).address;
  const bai = (address) => publicL1.readContract({ address: addrs.BaiToken, abi: viemErc20Abi, functionName: 'balanceOf', args: [address] });
  const l1Wait = (hash) => publicL1.waitForTransactionReceipt({ hash });

  // viem reads the portal's version to pick the legacy (L2OutputOracle) path: major < 3.
  const version = await publicL1.readContract({ address: addrs.OptimismPortal, abi: parseAbi(['function version() view returns (string)']), functionName: 'version' });
  assert.ok(Number(version.split('.')[0]) < 3, `portal version ${version} selects viem's L2OutputOracle path`);

  // --- funding and the ERC-20 deposit (no viem action for depositERC20Transaction: writeContract).
  await l1Wait(await treasury.writeContract({ address: addrs.BaiToken, abi: viemErc20Abi, functionName: 'transfer', args: [user.address, 10n * ETHER] }));
  await l1Wait(await treasury.sendTransaction({ to: user.address, value: ETHER }));
  const DEPOSIT = 4n * ETHER;
  await l1Wait(await walletL1.writeContract({ address: addrs.BaiToken, abi: viemErc20Abi, functionName: 'approve', args: [addrs.OptimismPortal, DEPOSIT] }));
  const depRcpt = await l1Wait(await walletL1.writeContract({ address: addrs.OptimismPortal, abi: viemPortalAbi, functionName: 'depositERC20Transaction',
    args: [user.address, DEPOSIT, DEPOSIT, 100_000n, false, '0x'] }));
  assert.equal(depRcpt.status, 'success');
  const [depL2Hash] = getL2TransactionHashes(depRcpt);
  assert.ok(depL2Hash, 'viem derives the L2 deposit transaction hash from the L1 receipt');
  const depL2 = await publicL2.waitForTransactionReceipt({ hash: depL2Hash, timeout: 60_000 });
  assert.equal(depL2.status, 'success');
  assert.equal(await publicL2.getBalance({ address: user.address }), DEPOSIT, 'exactly the deposit on L2');

  // viem's depositTransaction sends `mint` as ETH msg.value: the portal refuses it (BAI is the L2 currency).
  const mintArgs = await publicL2.buildDepositTransaction({ account: user, mint: ETHER / 10n, to: user.address });
  const refused = await walletL1.depositTransaction({ ...mintArgs, targetChain: l2Chain }).then(() => null, (e) => e);
  assert.ok(refused, 'depositTransaction with a mint (ETH) is refused');
  assert.ok(viemErrorText(refused).includes(toFunctionSelector('NoValue()')) || /NoValue/.test(viemErrorText(refused)),
    `refused with NoValue(): ${viemErrorText(refused).slice(0, 400)}`);
  // Without a mint it is an L2 call paid from the L1 sender's L2 BAI: it works, and deposits pay no L2 gas.
  const other = privateKeyToAccount(ethers.Wallet.createRandom().privateKey).address;
  const MOVED = ETHER / 4n;
  const callArgs = await publicL2.buildDepositTransaction({ account: user, to: other, value: MOVED });
  const callRcpt = await l1Wait(await walletL1.depositTransaction({ ...callArgs, targetChain: l2Chain }));
  const [callL2Hash] = getL2TransactionHashes(callRcpt);
  assert.equal((await publicL2.waitForTransactionReceipt({ hash: callL2Hash, timeout: 60_000 })).status, 'success');
  assert.equal(await publicL2.getBalance({ address: other }), MOVED);
  const l2Start = DEPOSIT - MOVED;
  assert.equal(await publicL2.getBalance({ address: user.address }), l2Start, 'the deposited call took exactly its value from L2');

  // --- withdraw with viem.
  const VALUE = 1_500_000_000_000_000_000n; // 1.5 BAI
  const args = await publicL1.buildInitiateWithdrawal({ account: user, to: target, value: VALUE });
  t.diagnostic(`buildInitiateWithdrawal: L1 gas limit ${args.request.gas}`);
  const wdHash = await walletL2.initiateWithdrawal(args);
  const wdRcpt = await publicL2.waitForTransactionReceipt({ hash: wdHash });
  assert.equal(wdRcpt.status, 'success');
  const [withdrawal] = getWithdrawals(wdRcpt);
  assert.ok(withdrawal, 'getWithdrawals finds the MessagePassed log');
  assert.equal(withdrawal.sender, user.address);
  assert.equal(withdrawal.target, target);
  assert.equal(withdrawal.value, VALUE);
  assert.equal(withdrawal.gasLimit, args.request.gas, 'the L1 gas limit buildInitiateWithdrawal estimated');
  assert.equal(withdrawal.withdrawalHash, vKeccak(encodeAbiParameters(
    [{ type: 'uint256' }, { type: 'address' }, { type: 'address' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'bytes' }],
    [withdrawal.nonce, withdrawal.sender, withdrawal.target, withdrawal.value, withdrawal.gasLimit, withdrawal.data])));
  assert.equal(typeof wdRcpt.l1Fee, 'bigint', "viem's OP receipt formatter exposes l1Fee");
  const wdFee = wdRcpt.gasUsed * wdRcpt.effectiveGasPrice + wdRcpt.l1Fee;
  assert.equal(await publicL2.getBalance({ address: user.address }), l2Start - VALUE - wdFee, 'L2: value + L2 gas + L1 fee, exactly');

  const statuses = [];
  const status = async () => {
    const s = await publicL1.getWithdrawalStatus({ receipt: wdRcpt, targetChain: l2Chain });
    if (statuses.at(-1) !== s) statuses.push(s);
    return s;
  };
  assert.equal(await status(), 'waiting-to-prove', 'no output covers the withdrawal block yet');

  // --- wait for the output, build the proof, prove.
  const { output, withdrawal: w2 } = await publicL1.waitToProve({ receipt: wdRcpt, targetChain: l2Chain });
  assert.equal(w2.withdrawalHash, withdrawal.withdrawalHash);
  assert.ok(output.l2BlockNumber >= wdRcpt.blockNumber, 'the output covers the withdrawal block');
  assert.equal(await status(), 'ready-to-prove');
  await waitFor('the L2 head past the output block', async () => (await publicL2.getBlockNumber()) > output.l2BlockNumber, { timeoutMs: 30_000, intervalMs: 250 });
  const proveArgs = await publicL2.buildProveWithdrawal({ account: user, output, withdrawal });
  const p = proveArgs.outputRootProof;
  assert.equal(vKeccak(vConcat([p.version, p.stateRoot, p.messagePasserStorageRoot, p.latestBlockhash])), output.outputRoot,
    "buildProveWithdrawal's outputRootProof hashes to the oracle's output root");
  assert.equal(proveArgs.l2OutputIndex, output.outputIndex);
  const nodeOutput = await rpcAt(node.url, 'optimism_outputAtBlock', [ethers.toQuantity(output.l2BlockNumber)]);
  assert.equal(nodeOutput.outputRoot, output.outputRoot);
  const proveRcpt = await l1Wait(await walletL1.proveWithdrawal(proveArgs));
  assert.equal(proveRcpt.status, 'success');
  assert.equal(await status(), 'waiting-to-finalize');
  const ttf = await publicL1.getTimeToFinalize({ withdrawalHash: withdrawal.withdrawalHash, targetChain: l2Chain });
  assert.equal(ttf.period, PERIOD);
  // period − time since the proof + viem's 10 s buffer (+1: anvil's block time may run a second ahead of ours)
  assert.ok(ttf.seconds > 0 && ttf.seconds <= PERIOD + 11, `getTimeToFinalize: ${ttf.seconds} s`);

  // finalize inside the window: refused with the portal's reason.
  const early = await walletL1.finalizeWithdrawal({ targetChain: l2Chain, withdrawal }).then(() => null, (e) => e);
  assert.ok(early, 'finalizeWithdrawal inside the window fails');
  assert.match(viemErrorText(early), /proven withdrawal finalization period has not elapsed/);

  // --- wait out the window (real time: viem compares the prove time with the wall clock), finalize.
  await publicL1.waitToFinalize({ withdrawalHash: withdrawal.withdrawalHash, targetChain: l2Chain });
  assert.equal(await status(), 'ready-to-finalize');
  // viem says ready by the wall clock; the portal checks block.timestamp > proven + period.
  const provenAt = (await publicL1.readContract({ address: addrs.OptimismPortal, abi: viemPortalAbi, functionName: 'provenWithdrawals', args: [withdrawal.withdrawalHash] }))[1];
  const latestL1 = await publicL1.getBlock();
  assert.ok(latestL1.timestamp > provenAt + BigInt(PERIOD), `the L1 clock agrees with viem (L1 ${latestL1.timestamp}, proven ${provenAt})`);
  const targetBefore = await bai(target);
  const portalBefore = await bai(addrs.OptimismPortal);
  const finRcpt = await l1Wait(await walletL1.finalizeWithdrawal({ targetChain: l2Chain, withdrawal }));
  assert.equal(finRcpt.status, 'success');
  assert.equal(await status(), 'finalized');
  assert.deepEqual(statuses, ['waiting-to-prove', 'ready-to-prove', 'waiting-to-finalize', 'ready-to-finalize', 'finalized']);
  assert.equal(targetBefore, 0n);
  assert.equal(await bai(target), VALUE, 'L1: the target received exactly the withdrawn BAI');
  assert.equal(portalBefore - await bai(addrs.OptimismPortal), VALUE, 'L1: the portal released exactly that');
  assert.equal(await bai(user.address), 10n * ETHER - DEPOSIT, "the withdrawer's L1 BAI only moved for the deposit");
  assert.equal(await publicL2.getBalance({ address: user.address }), l2Start - VALUE - wdFee, 'L2 unchanged since the withdrawal');
  const again = await walletL1.finalizeWithdrawal({ targetChain: l2Chain, withdrawal }).then(() => null, (e) => e);
  assert.ok(again, 'a second finalizeWithdrawal fails');
  assert.match(viemErrorText(again), /withdrawal has already been finalized/);
  assert.ok(again instanceof BaseError);
});
