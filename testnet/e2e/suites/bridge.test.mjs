// L1 → L2 deposits, everything real: anvil (prague) as L1 with the BalanceAI L1 contracts deployed by
// forge script, a bai sequencer following it (--l1.rpc-url), ethers v6 on both sides.
//
// Checks:
//   - ERC-20 BAI approved and deposited through the portal on L1 arrives as native BAI on L2, exactly,
//     in the first L2 block whose L1 origin is the deposit's L1 block (L1Block predeploy), as a type
//     0x7e transaction whose sourceHash is the OP user-deposit hash of (L1 block hash, log index);
//   - an L1-initiated contract call (depositTransaction) executes on L2 with the L1 sender as msg.sender;
//   - a deposit whose L2 call reverts still mints to its L1 sender (OP semantics), and the L2 receipt
//     says it failed;
//   - a deposit made while the sequencer is down is included exactly once after a restart, and no
//     earlier deposit is included again;
//   - the batcher posts every L2 block (across that restart) to the batch inbox: the test reads the
//     batcher's L1 transactions back, decodes frames → brotli channels → batches and compares each
//     batch with the L2 block (parent, timestamp, L1 origin, non-deposit transactions), no gap, no
//     block twice;
//   - with the L1 gone, the sequencer keeps producing blocks on its current L1 origin;
//   - the `bai bridge` CLI, with its key from an encrypted keystore (deposit) and from BAI_PRIVATE_KEY
//     (the rest): deposit → L2 credit; withdraw; status at each stage; prove (waiting for the proposer's
//     output, a real eth_getProof at the output block); finalize refused inside the window, then done
//     with --wait; exact balances on both sides; a second finalize refused; no key or password printed.
// Env: BAI_BIN, E2E_TMP, E2E_ROOT.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { ethers, ETHER, devWallet, sleep, artifact, rpcAt, jsonRpc } from '../lib/common.mjs';
import { startNode, TMP } from '../lib/node.mjs';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { startAnvil, deployL1, depositSourceHash, PORTAL_ABI, ERC20_ABI } from '../lib/l1.mjs';
import { postedBatches } from '../lib/batches.mjs';

const L1_BLOCK = '0x4200000000000000000000000000000000000015';

let l1, seq;
const alsoStop = [];
after(async () => { for (const p of alsoStop.reverse()) await p.stop(); await seq?.stop(); await l1?.stop(); });

/** The L2 deposit transaction with `hash` as source hash, searching blocks from `from`; waits up to 60 s. */
async function findDeposit(url, source, from = 1) {
  const t0 = Date.now();
  let n = from;
  for (;;) {
    const head = Number(await rpcAt(url, 'eth_blockNumber'));
    for (; n <= head; n++) {
      const block = await rpcAt(url, 'eth_getBlockByNumber', [ethers.toQuantity(n), true]);
      const tx = block.transactions.find((t) => t.sourceHash === source);
      if (tx) return { block, tx };
    }
    assert.ok(Date.now() - t0 < 60_000, `deposit ${source} on L2 within 60 s`);
    await sleep(200);
  }
}

/** Every L2 deposit (type 0x7e, not the L1-attributes one) with its source hash, blocks 1..head. */
async function allUserDeposits(url) {
  const head = Number(await rpcAt(url, 'eth_blockNumber'));
  const out = [];
  for (let n = 1; n <= head; n++) {
    const block = await rpcAt(url, 'eth_getBlockByNumber', [ethers.toQuantity(n), true]);
    for (const tx of block.transactions.slice(1)) if (tx.type === '0x7e') out.push(tx.sourceHash);
  }
  return out;
}

test('L1 deposits reach L2', { timeout: 300_000 }, async (t) => {
  l1 = await startAnvil({ name: 'bridge-l1', blockTime: 1 });
  const addrs = await deployL1(l1.url);
  const l1p = jsonRpc(l1.url);
  // Explicit portal and inbox flags (they must agree with SystemConfig) and calldata DA; the rollup
  // suite covers the SystemConfig-only setup with blobs.
  const l1Args = ['--inference.disable', '--l1.rpc-url', l1.url, '--l1.system-config', addrs.SystemConfig, '--l1.portal', addrs.OptimismPortal,
    '--l1.confirmations', '1', '--l1.poll-interval', '250ms', '--batcher.key', devWallet(3).privateKey, '--batcher.inbox', addrs.batchInbox,
    '--batcher.da', 'calldata', '--batcher.max-blocks', '8', '--batcher.max-delay', '2s'];
  assert.equal(addrs.batcher.toLowerCase(), devWallet(3).address.toLowerCase(), 'DeployL1 authorises dev #3 as batcher');
  seq = await startNode({ name: 'bridge-seq', blockTime: '500ms', extraArgs: l1Args });
  const l2 = jsonRpc(seq.url);

  const treasury = devWallet(0, l1p); // DeployL1 gives dev #0 the whole L1 BAI supply
  const token = new ethers.Contract(addrs.BaiToken, ERC20_ABI, treasury);
  const portal = new ethers.Contract(addrs.OptimismPortal, PORTAL_ABI, treasury);
  const recipient = ethers.Wallet.createRandom().address;
  const seen = [];

  async function depositBai(to, amount) {
    await (await token.approve(addrs.OptimismPortal, amount)).wait();
    const receipt = await (await portal.depositERC20Transaction(to, amount, amount, 100_000, false, '0x')).wait();
    const log = receipt.logs.find((l) => l.address.toLowerCase() === addrs.OptimismPortal.toLowerCase());
    const source = depositSourceHash(receipt.blockHash, log.index);
    seen.push(source);
    return { receipt, source };
  }

  await t.test('ERC-20 BAI deposited on L1 arrives as native BAI on L2', async () => {
    const amount = 5n * ETHER;
    const portalBefore = await token.balanceOf(addrs.OptimismPortal);
    const treasuryL2Before = await l2.getBalance(treasury.address);
    const { receipt, source } = await depositBai(recipient, amount);
    assert.equal(await token.balanceOf(addrs.OptimismPortal) - portalBefore, amount, 'the portal locked the BAI');

    const { block, tx } = await findDeposit(seq.url, source);
    assert.equal(tx.type, '0x7e');
    assert.equal(tx.from.toLowerCase(), treasury.address.toLowerCase());
    assert.equal(tx.to.toLowerCase(), recipient.toLowerCase());
    assert.equal(BigInt(tx.mint), amount);
    assert.equal(BigInt(tx.value), amount);
    assert.equal(block.transactions[0].from.toLowerCase(), '0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001', 'L1 attributes first');
    // Included in the first L2 block of the deposit's epoch: its L1 origin is the deposit's L1 block.
    const l1Block = new ethers.Contract(L1_BLOCK, ['function number() view returns (uint64)', 'function hash() view returns (bytes32)'], l2);
    assert.equal(await l1Block.number({ blockTag: Number(block.number) }), BigInt(receipt.blockNumber));
    assert.equal(await l1Block.hash({ blockTag: Number(block.number) }), receipt.blockHash);
    const prevOrigin = await l1Block.number({ blockTag: Number(block.number) - 1 });
    assert.ok(prevOrigin < BigInt(receipt.blockNumber), 'the previous L2 block is in an earlier epoch');

    const l2Receipt = await l2.getTransactionReceipt(tx.hash);
    assert.equal(l2Receipt.status, 1);
    assert.equal(await l2.getBalance(recipient), amount, 'exactly the deposited amount, no fee taken');
    assert.equal(await l2.getBalance(treasury.address), treasuryL2Before, 'mint then value: the L1 sender nets zero on L2');
  });

  await t.test('an L1-initiated contract call executes on L2 as the L1 sender', async () => {
    const probeArt = artifact('Probe');
    const deployer = devWallet(1, l2);
    const probe = await new ethers.ContractFactory(probeArt.abi, probeArt.bytecode, deployer).deploy();
    await probe.waitForDeployment();
    const caller = devWallet(2, l1p);
    const data = probe.interface.encodeFunctionData('ping', ['hello from L1']);
    const receipt = await (await new ethers.Contract(addrs.OptimismPortal, PORTAL_ABI, caller).depositTransaction(await probe.getAddress(), 0, 200_000, false, data)).wait();
    const log = receipt.logs.find((l) => l.address.toLowerCase() === addrs.OptimismPortal.toLowerCase());
    const source = depositSourceHash(receipt.blockHash, log.index);
    seen.push(source);
    const { tx } = await findDeposit(seq.url, source);
    const l2Receipt = await l2.getTransactionReceipt(tx.hash);
    assert.equal(l2Receipt.status, 1);
    const ping = l2Receipt.logs.map((l) => { try { return probe.interface.parseLog(l); } catch { return null; } }).find((e) => e?.name === 'Ping');
    assert.ok(ping, 'Ping emitted on L2');
    assert.equal(ping.args.from, caller.address, 'msg.sender is the (EOA, unaliased) L1 sender');
    assert.equal(ping.args.note, 'hello from L1');
  });

  await t.test('a deposit whose L2 call reverts still mints to the L1 sender', async () => {
    const probeArt = artifact('Probe');
    const probe = await new ethers.ContractFactory(probeArt.abi, probeArt.bytecode, devWallet(1, l2)).deploy();
    await probe.waitForDeployment();
    const mint = 3n * ETHER;
    const before = await l2.getBalance(treasury.address);
    await (await token.approve(addrs.OptimismPortal, mint)).wait();
    const data = probe.interface.encodeFunctionData('fail', ['no thanks']);
    const receipt = await (await portal.depositERC20Transaction(await probe.getAddress(), mint, mint, 200_000, false, data)).wait();
    const log = receipt.logs.find((l) => l.address.toLowerCase() === addrs.OptimismPortal.toLowerCase());
    const source = depositSourceHash(receipt.blockHash, log.index);
    seen.push(source);
    const { tx } = await findDeposit(seq.url, source);
    assert.equal((await l2.getTransactionReceipt(tx.hash)).status, 0, 'the L2 call reverted');
    assert.equal(await l2.getBalance(await probe.getAddress()), 0n, 'the value did not move');
    assert.equal(await l2.getBalance(treasury.address) - before, mint, 'the mint stands, credited to the L1 sender');
  });

  await t.test('a deposit made while the sequencer is down is included once after restart', async () => {
    const datadir = seq.datadir;
    await seq.stop();
    const { source } = await depositBai(recipient, 2n * ETHER);
    seq = await startNode({ name: 'bridge-seq-2', datadir, blockTime: '500ms', extraArgs: l1Args });
    await findDeposit(seq.url, source);
    assert.equal(await jsonRpc(seq.url).getBalance(recipient), 7n * ETHER);
    await sleep(1500); // a few more blocks: nothing is included twice
    const deposits = await allUserDeposits(seq.url);
    assert.deepEqual([...deposits].sort(), [...seen].sort(), 'every deposit exactly once');
  });

  await t.test('the batcher posts every L2 block to the inbox, across the restart', async () => {
    const target = Number(await rpcAt(seq.url, 'eth_blockNumber'));
    const l1Block = new ethers.Contract(L1_BLOCK, ['function number() view returns (uint64)', 'function hash() view returns (bytes32)'], jsonRpc(seq.url));
    let batches;
    const t0 = Date.now();
    for (;;) {
      ({ batches } = await postedBatches(l1p, addrs.batcher, addrs.batchInbox));
      if (batches.length >= target) break;
      assert.ok(Date.now() - t0 < 60_000, `batches for blocks 1..${target} on L1 within 60 s (have ${batches.length})`);
      await sleep(1000);
    }
    const byParent = new Map();
    for (const b of batches) {
      assert.ok(!byParent.has(b.parentHash), `no block posted twice (parent ${b.parentHash})`);
      byParent.set(b.parentHash, b);
    }
    let withTxs = 0;
    for (let n = 1; n <= target; n++) {
      const block = await rpcAt(seq.url, 'eth_getBlockByNumber', [ethers.toQuantity(n), true]);
      const b = byParent.get(block.parentHash);
      assert.ok(b, `block ${n} was posted`);
      assert.equal(b.timestamp, BigInt(block.timestamp), `block ${n} timestamp`);
      assert.equal(b.epochNumber, await l1Block.number({ blockTag: n }), `block ${n} L1 origin number`);
      assert.equal(b.epochHash, await l1Block.hash({ blockTag: n }), `block ${n} L1 origin hash`);
      const expected = block.transactions.filter((tx) => tx.type !== '0x7e').map((tx) => tx.hash);
      assert.deepEqual(b.txs.map((raw) => ethers.keccak256(raw)), expected, `block ${n}: the batch carries its non-deposit transactions`);
      if (expected.length) withTxs++;
    }
    assert.ok(withTxs >= 1, 'at least one posted block carried user transactions');
  });

  await t.test('with the L1 gone the sequencer keeps producing blocks', async () => {
    await l1.stop();
    const l1Block = new ethers.Contract(L1_BLOCK, ['function number() view returns (uint64)'], jsonRpc(seq.url));
    // L1 blocks the watcher had already fetched may still become origins; after that the origin holds.
    await sleep(1000);
    const from = Number(await rpcAt(seq.url, 'eth_blockNumber'));
    const origin = await l1Block.number({ blockTag: from });
    await sleep(1500);
    const to = Number(await rpcAt(seq.url, 'eth_blockNumber'));
    assert.ok(to >= from + 2, `blocks continue without L1 (${from} → ${to})`);
    assert.equal(await l1Block.number({ blockTag: to }), origin, 'on the same L1 origin');
  });
});

const BAI_BIN = process.env.BAI_BIN || `${process.env.HOME}/.cache/bai/target/debug/bai`;

/** Runs `bai bridge …`; resolves { code, out, err } (never rejects on a non-zero exit). */
function baiBridge(args, env = {}) {
  return new Promise((resolve) => {
    execFile(BAI_BIN, ['bridge', ...args], { env: { ...process.env, RUST_LOG: 'warn', ...env }, timeout: 180_000 }, (error, out, err) => {
      resolve({ code: error ? (error.code ?? 1) : 0, out, err });
    });
  });
}

test('the bai bridge CLI: deposit, withdraw, status, prove and finalize, with exact balances', { timeout: 300_000 }, async () => {
  const PERIOD = 15;
  const l1d = await startAnvil({ name: 'cli-l1', blockTime: 1 });
  alsoStop.push(l1d);
  const addrs = await deployL1(l1d.url, { BAI_SUBMISSION_INTERVAL: '2', BAI_FINALIZATION_PERIOD: String(PERIOD) });
  const l1p = jsonRpc(l1d.url);
  const node = await startNode({ name: 'cli-seq', blockTime: '500ms', extraArgs: ['--inference.disable', '--l1.rpc-url', l1d.url,
    '--l1.system-config', addrs.SystemConfig, '--l1.confirmations', '1', '--l1.poll-interval', '250ms',
    '--batcher.key', devWallet(3).privateKey, '--batcher.da', 'calldata', '--batcher.max-blocks', '4', '--batcher.max-delay', '1s',
    '--proposer.key', devWallet(2).privateKey] });
  alsoStop.push(node);
  const l2 = jsonRpc(node.url);
  const common = ['--l1.rpc-url', l1d.url, '--l2.rpc-url', node.url, '--l1.system-config', addrs.SystemConfig];

  // A fresh user with 10 L1 BAI and L1 ETH for gas, its key in a keystore (light scrypt: a debug build decrypts it).
  const user = ethers.Wallet.createRandom();
  const password = `pw-${ethers.hexlify(ethers.randomBytes(6))}`;
  const keystore = `${TMP}/cli-keystore.json`;
  const passwordFile = `${TMP}/cli-password`;
  writeFileSync(keystore, await ethers.encryptKeystoreJson({ address: user.address, privateKey: user.privateKey }, password, { scrypt: { N: 1024 } }));
  writeFileSync(passwordFile, `${password}\n`);
  const treasury = new ethers.NonceManager(devWallet(0, l1p));
  const token = new ethers.Contract(addrs.BaiToken, ERC20_ABI, treasury);
  await (await token.transfer(user.address, 10n * ETHER)).wait();
  await (await treasury.sendTransaction({ to: user.address, value: ETHER })).wait();
  const printed = [];
  const run = async (args, env) => {
    const r = await baiBridge([...common, ...args], env);
    printed.push(r.out, r.err);
    return r;
  };

  // deposit (keystore + password file): waits for the L2 credit.
  const dep = await run(['deposit', '4', '--keystore', keystore, '--password-file', passwordFile]);
  assert.equal(dep.code, 0, dep.err);
  assert.match(dep.out, /credited on L2 in block \d+/);
  assert.equal(await l2.getBalance(user.address), 4n * ETHER, 'exactly 4 BAI on L2');
  assert.equal(await token.balanceOf(user.address), 6n * ETHER, 'exactly 4 BAI left L1');

  // withdraw (key from the environment).
  const env = { BAI_PRIVATE_KEY: user.privateKey };
  const wd = await run(['withdraw', '1.5'], env);
  assert.equal(wd.code, 0, wd.err);
  const txHash = wd.out.match(/tx (0x[0-9a-f]{64})/)[1];
  const receipt = await l2.send('eth_getTransactionReceipt', [txHash]);
  const fee = BigInt(receipt.gasUsed) * BigInt(receipt.effectiveGasPrice) + BigInt(receipt.l1Fee ?? 0);
  assert.equal(await l2.getBalance(user.address), 4n * ETHER - 15n * ETHER / 10n - fee, 'L2: 1.5 BAI withdrawn plus the fee');

  // status, then prove --wait (it waits for the proposer's output covering the withdrawal).
  const early = await run(['status', txHash]);
  assert.equal(early.code, 0, early.err);
  assert.match(early.out, /status: (waiting for an output \(the latest output root on L1 covers L2 block \d+\)|ready to prove \(against output \d+\))/);
  const proven = await run(['prove', txHash, '--wait'], env);
  assert.equal(proven.code, 0, proven.err);
  assert.match(proven.out, /proven against output \d+ \(L2 block \d+\)/);
  const inWindow = await run(['status', txHash]);
  assert.match(inWindow.out, /status: proven; in the challenge window, \d+ s left/);

  // finalize inside the window is refused by the CLI, then --wait finalizes and pays exactly 1.5 BAI.
  const tooEarly = await run(['finalize', txHash], env);
  assert.notEqual(tooEarly.code, 0, 'finalize inside the window fails');
  assert.match(tooEarly.err, /cannot be finalized now: proven; in the challenge window, \d+ s left/);
  assert.equal(await token.balanceOf(user.address), 6n * ETHER, 'nothing paid out yet');
  const fin = await run(['finalize', txHash, '--wait'], env);
  assert.equal(fin.code, 0, fin.err);
  assert.match(fin.out, /received 1\.5 BAI/);
  assert.equal(await token.balanceOf(user.address), 6n * ETHER + 15n * ETHER / 10n, 'L1: exactly 1.5 BAI back');
  assert.match((await run(['status', txHash])).out, /status: finalized/);
  const again = await run(['finalize', txHash], env);
  assert.notEqual(again.code, 0, 'a second finalize fails');
  assert.match(again.err, /cannot be finalized now: finalized/);

  // Keys and passwords never reach the output.
  const all = printed.join('\n');
  assert.ok(!all.includes(user.privateKey.slice(2)), 'the private key is never printed');
  assert.ok(!all.includes(password), 'the password is never printed');
});
