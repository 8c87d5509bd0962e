// The rollup proper, everything real: anvil (prague) as L1 with the L1 contracts deployed by forge
// script, a bai sequencer configured only by the SystemConfig address, an inference server, and a bai
// verifier that is given nothing but the L1 RPC and the SystemConfig address.
//
// Checks:
//   - ERC-20 BAI deposited on L1 arrives on L2, and a model call records its witness deposit;
//   - the batcher posts EIP-4844 blob transactions: the test fetches the blobs back from L1
//     (anvil_getBlobByHash), unpacks the OP blob encoding, frames, brotli channels and batches itself,
//     and finds every L2 block in them;
//   - a verifier started from genesis reaches the sequencer's head with identical block hashes and
//     state roots (AI block and deposit block included), reports it as safe in optimism_syncStatus,
//     and agrees on optimism_outputAtBlock;
//   - the batcher killed (kill -9) while a multi-frame calldata channel is half on L1, then restarted:
//     no L2 block is missing from L1 and the verifier converges;
//   - the L1 RPC unreachable for a while (a proxy refusing connections): the sequencer keeps serving
//     and producing blocks, batcher and verifier retry with backoff and catch up afterwards;
//   - the verifier's L1 calls for a new epoch's deposits dropped while it applies a channel: it reads the
//     L1 block again and derives every block of that channel (none lost, no stall);
//   - an L1 reorg (anvil_reorg) dropping the L1 block with a batch the verifier had already derived:
//     the verifier resets to the common ancestor, the batch is on L1 again, every block is on L1 and
//     the verifier converges on the sequencer's chain (a separate anvil, so its chain starts clean).
//   - the challenger (a verifier with the oracle's CHALLENGER key) deletes a forged output root (true state
//     root and block hash, a message passer root holding a withdrawal nobody made) that the thief already
//     proved a withdrawal against; that withdrawal cannot finalize after the window; a forgery posted while
//     the challenger is down (kill -9) is deleted after its restart; a true output is left alone; a deletion
//     dropped from the L1 mempool is sent again; one L1 transaction per forgery.
// Env: BAI_BIN, E2E_TMP, E2E_ROOT.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ethers, ETHER, devWallet, sleep, waitFor, L1_BLOCK_PREDEPLOY as L1_BLOCK, rpcAt, jsonRpc } from '../lib/common.mjs';
import { startNode, startInference, TMP } from '../lib/node.mjs';
import { startAnvil, deployL1, PORTAL_ABI, ORACLE_ABI, ERC20_ABI, hashWithdrawal, passerSlot, outputRootOf } from '../lib/l1.mjs';
import { postedBatches } from '../lib/batches.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { MARKETPLACE, MARKET_ABI, WITNESS_STORE, EMBED_ID, head, waitHead, waitSafe, assertSameChain } from '../lib/l2.mjs';

let l1, proxy, verifierProxy, infer, seq, verifier;
const alsoStop = [];
after(async () => {
  for (const p of alsoStop.reverse()) await p.stop();
  await verifier?.stop(); await seq?.stop(); await infer?.stop(); proxy?.close(); verifierProxy?.close(); await l1?.stop();
});

/** Asserts every block 1..n appears in the batches on L1 with its transactions. */
async function assertAllPosted(l1p, addrs, url, n, ms) {
  const t0 = Date.now();
  let posted;
  for (;;) {
    posted = await postedBatches(l1p, addrs.batcher, addrs.batchInbox);
    const parents = new Set(posted.batches.map((b) => b.parentHash));
    let missing = 0;
    for (let i = 1; i <= n; i++) {
      const block = await rpcAt(url, 'eth_getBlockByNumber', [ethers.toQuantity(i), false]);
      if (!parents.has(block.parentHash)) missing++;
    }
    if (missing === 0) break;
    assert.ok(Date.now() - t0 < ms, `blocks 1..${n} on L1 within ${ms / 1000} s (${missing} missing)`);
    await sleep(1000);
  }
  const byParent = new Map();
  for (const b of posted.batches) {
    const seen = byParent.get(b.parentHash);
    if (seen) assert.deepEqual(b, seen, 'a block posted twice is posted identically');
    byParent.set(b.parentHash, b);
  }
  for (let i = 1; i <= n; i++) {
    const block = await rpcAt(url, 'eth_getBlockByNumber', [ethers.toQuantity(i), true]);
    const b = byParent.get(block.parentHash);
    assert.equal(b.timestamp, BigInt(block.timestamp), `block ${i} timestamp`);
    // Non-deposit transactions, plus the witness deposit a model-calling block records.
    const expected = block.transactions.filter((tx) => tx.type !== '0x7e' || tx.to?.toLowerCase() === WITNESS_STORE.toLowerCase()).map((tx) => tx.hash);
    assert.deepEqual(b.txs.map((raw) => ethers.keccak256(raw)), expected, `block ${i}: the batch carries its transactions`);
  }
  return posted;
}

test('the chain is on L1 and a verifier rebuilds it from L1 alone', { timeout: 600_000 }, async (t) => {
  l1 = await startAnvil({ name: 'rollup-l1', blockTime: 1 });
  const addrs = await deployL1(l1.url);
  proxy = await startProxy(l1.url);
  verifierProxy = await startProxy(l1.url); // the verifier's own way to L1, to fail its calls alone
  const l1p = jsonRpc(l1.url);
  infer = await startInference({ name: 'rollup-infer' });
  const common = ['--l1.rpc-url', proxy.url, '--l1.system-config', addrs.SystemConfig, '--l1.confirmations', '1', '--l1.poll-interval', '250ms'];
  const seqArgs = (extra) => ['--inference.url', infer.url, ...common, '--batcher.key', devWallet(3).privateKey,
    '--batcher.max-blocks', '6', '--batcher.max-delay', '2s', ...extra];
  seq = await startNode({ name: 'rollup-seq', blockTime: '500ms', extraArgs: seqArgs(['--batcher.da', 'blobs']) });
  const l2 = jsonRpc(seq.url);
  let aiBlock, depositBlock;

  await t.test('a deposit and a model call land on L2', async () => {
    const treasury = devWallet(0, l1p);
    const token = new ethers.Contract(addrs.BaiToken, ERC20_ABI, treasury);
    const portal = new ethers.Contract(addrs.OptimismPortal, PORTAL_ABI, treasury);
    const recipient = ethers.Wallet.createRandom().address;
    await (await token.approve(addrs.OptimismPortal, 4n * ETHER)).wait();
    await (await portal.depositERC20Transaction(recipient, 4n * ETHER, 4n * ETHER, 100_000, false, '0x')).wait();
    const t0 = Date.now();
    while ((await l2.getBalance(recipient)) !== 4n * ETHER) {
      assert.ok(Date.now() - t0 < 60_000, 'deposit credited on L2 within 60 s');
      await sleep(250);
    }
    depositBlock = await head(seq.url);

    const user = devWallet(5, l2);
    const market = new ethers.Contract(MARKETPLACE, MARKET_ABI, user);
    const { price } = await market.getModel(EMBED_ID);
    const tx = await market.embed(EMBED_ID, 'rollups post their blocks to L1', { value: price, gasLimit: 3_000_000 });
    const receipt = await tx.wait();
    assert.equal(receipt.status, 1, 'the model call succeeded');
    aiBlock = receipt.blockNumber;
    const block = await rpcAt(seq.url, 'eth_getBlockByNumber', [ethers.toQuantity(aiBlock), true]);
    assert.equal(block.transactions[1].to.toLowerCase(), WITNESS_STORE.toLowerCase(), 'the block records a witness deposit');
    for (let i = 0; i < 3; i++) await (await user.sendTransaction({ to: ethers.Wallet.createRandom().address, value: 1n })).wait();
  });

  await t.test('the batcher posts blob transactions that carry every block', async () => {
    const target = await head(seq.url);
    const posted = await assertAllPosted(l1p, addrs, seq.url, target, 90_000);
    assert.ok(posted.txs.length > 0, 'batcher transactions on L1');
    assert.ok(posted.txs.every((tx) => tx.type === 3 && tx.blobs >= 1), 'all of them EIP-4844 blob transactions');
  });

  await t.test('a verifier from genesis with only the L1 RPC reaches the same chain', async () => {
    const viaOwnProxy = common.map((a) => (a === proxy.url ? verifierProxy.url : a));
    verifier = await startNode({ name: 'rollup-verifier', extraArgs: ['--verifier', ...viaOwnProxy] });
    const target = await head(seq.url);
    await waitHead(verifier.url, target, 90_000, 'verifier');
    assert.ok(target >= aiBlock && target >= depositBlock);
    await assertSameChain(seq.url, verifier.url, target);
    // (the safe head may trail the head for a moment: the block-by-block comparison used to take that long)
    const status = await waitSafe(verifier.url, target, 30_000, 'verifier');
    assert.ok(status.current_l1.number > 0 && status.head_l1.number >= status.current_l1.number, 'L1 position reported');
    const [a, b] = await Promise.all([seq.url, verifier.url].map((u) => rpcAt(u, 'optimism_outputAtBlock', [ethers.toQuantity(aiBlock)])));
    assert.equal(b.outputRoot, a.outputRoot, 'same output root for the AI block');
    const blk = await rpcAt(seq.url, 'eth_getBlockByNumber', [ethers.toQuantity(aiBlock), false]);
    const expected = ethers.keccak256(ethers.concat([ethers.ZeroHash, blk.stateRoot, blk.withdrawalsRoot, blk.hash]));
    assert.equal(a.outputRoot, expected, 'output root v0 = keccak(version ‖ state root ‖ message passer root ‖ block hash)');
    assert.equal(a.blockRef.hash, blk.hash);
  });

  await t.test('batcher killed mid-channel: no gap on L1 after restart', async () => {
    const datadir = seq.datadir;
    await seq.stop();
    // Small calldata frames so one channel takes several L1 transactions (one per L1 block).
    seq = await startNode({ name: 'rollup-seq-2', datadir, blockTime: '500ms', extraArgs: seqArgs(['--batcher.da', 'calldata', '--batcher.max-frame-size', '1200']) });
    const user = devWallet(6, jsonRpc(seq.url));
    let nonce = await user.getNonce();
    for (let i = 0; i < 24; i++) {
      await user.sendTransaction({ to: ethers.Wallet.createRandom().address, data: ethers.hexlify(randomBytes(300)), gasLimit: 100_000, nonce: nonce++ });
    }
    // Watch L1 for a channel whose first frame landed but whose last has not.
    const t0 = Date.now();
    let killed = false;
    while (!killed) {
      assert.ok(Date.now() - t0 < 90_000, 'saw a half-posted channel within 90 s');
      const { channels } = await postedBatches(l1p, addrs.batcher, addrs.batchInbox);
      for (const ch of channels.values()) {
        if (ch.last < 0 && ch.frames.size >= 1) { seq.kill('SIGKILL'); killed = true; break; }
      }
      if (!killed) await sleep(200);
    }
    await seq.exited;
    seq = await startNode({ name: 'rollup-seq-3', datadir, blockTime: '500ms', extraArgs: seqArgs(['--batcher.da', 'calldata', '--batcher.max-frame-size', '1200']) });
    const target = await waitHead(seq.url, (await head(seq.url)) + 2, 30_000, 'sequencer after restart');
    await assertAllPosted(l1p, addrs, seq.url, target, 120_000);
    await waitHead(verifier.url, target, 120_000, 'verifier after the batcher restart');
    await assertSameChain(seq.url, verifier.url, target);
  });

  await t.test('L1 unreachable for a while: the sequencer serves on, the rest catch up', async () => {
    proxy.setDown(true);
    verifierProxy.setDown(true);
    const from = await head(seq.url);
    await sleep(6000);
    const during = await head(seq.url);
    assert.ok(during >= from + 5, `blocks continue with L1 down (${from} → ${during})`);
    const balance = await rpcAt(seq.url, 'eth_getBalance', [devWallet(5).address, 'latest']);
    assert.ok(BigInt(balance) > 0n, 'reads are served');
    proxy.setDown(false);
    verifierProxy.setDown(false);
    const target = await head(seq.url);
    await assertAllPosted(l1p, addrs, seq.url, target, 120_000);
    await waitHead(verifier.url, target, 120_000, 'verifier after L1 came back');
    await assertSameChain(seq.url, verifier.url, target);
    await waitSafe(verifier.url, target, 30_000, 'verifier after L1 came back');
  });

  await t.test('an L1 call failing while a channel is applied: the verifier reads the block again and loses no batch', async () => {
    // The verifier calls eth_getLogs only to read a new epoch's deposits, i.e. while applying a batch
    // of a channel some L1 block just completed. Dropping those calls fails the step in the middle of
    // that channel (seen in CI when the L1 went away at that moment: the rest of the channel was lost
    // and the verifier stuck at its last block).
    const from = await head(verifier.url);
    verifierProxy.failNext('eth_getLogs', 2);
    await waitFor('the verifier to hit the dropped eth_getLogs calls', () => verifierProxy.failsLeft('eth_getLogs') === 0, { timeoutMs: 60_000, intervalMs: 200 });
    const target = (await head(seq.url)) + 4;
    await waitHead(seq.url, target, 30_000, 'sequencer');
    await assertAllPosted(l1p, addrs, seq.url, target, 120_000);
    await waitHead(verifier.url, target, 60_000, `verifier past the failed calls (it was at ${from})`);
    await assertSameChain(seq.url, verifier.url, target);
  });
});

test('an L1 reorg that drops a derived batch: the verifier resets and converges', { timeout: 300_000 }, async () => {
  const l1b = await startAnvil({ name: 'reorg-l1', blockTime: 1 });
  alsoStop.push(l1b);
  const addrs = await deployL1(l1b.url);
  const l1p = jsonRpc(l1b.url);
  const base = ['--inference.disable', '--l1.rpc-url', l1b.url, '--l1.system-config', addrs.SystemConfig, '--l1.poll-interval', '250ms'];
  // The sequencer builds on L1 blocks 4 deep, so a 1–3 block reorg only moves batches, never origins.
  const s = await startNode({ name: 'reorg-seq', blockTime: '500ms', extraArgs: [...base, '--l1.confirmations', '4',
    '--batcher.key', devWallet(3).privateKey, '--batcher.da', 'calldata', '--batcher.max-blocks', '4', '--batcher.max-delay', '1s'] });
  alsoStop.push(s);
  // The verifier reads L1 at its tip, so it derives from the batch before the reorg drops it.
  const v = await startNode({ name: 'reorg-verifier', extraArgs: ['--verifier', ...base, '--l1.confirmations', '0'] });
  alsoStop.push(v);
  const user = devWallet(7, jsonRpc(s.url));
  for (let i = 0; i < 3; i++) await (await user.sendTransaction({ to: ethers.Wallet.createRandom().address, value: 1n })).wait();

  const t0 = Date.now();
  let reorged = null;
  while (!reorged) {
    assert.ok(Date.now() - t0 < 90_000, 'a batch derived at the L1 tip within 90 s');
    const { txs } = await postedBatches(l1p, addrs.batcher, addrs.batchInbox);
    const latest = txs.at(-1);
    const tip = await l1p.getBlockNumber();
    const status = await rpcAt(v.url, 'optimism_syncStatus');
    if (latest && status.current_l1.number >= latest.block && tip - latest.block <= 2) {
      await l1p.send('anvil_reorg', [tip - latest.block + 1, []]);
      reorged = { ...latest, depth: tip - latest.block + 1 };
    } else {
      await sleep(100);
    }
  }
  await sleep(3000);
  const target = await head(s.url);
  await assertAllPosted(l1p, addrs, s.url, target, 120_000);
  await waitHead(v.url, target, 120_000, 'verifier after the L1 reorg');
  await assertSameChain(s.url, v.url, target);
  const vlog = readFileSync(v.log, 'utf8');
  assert.match(vlog, /L1 reorg: resetting derivation/, 'the verifier noticed the reorg and reset');
  await waitSafe(v.url, target, 30_000, 'and its safe head moved past it again');
});

test('forced inclusion: a censored deposit lands after the sequencing window; the sequencer reorgs onto it', { timeout: 300_000 }, async () => {
  const WINDOW = 6;
  const l1c = await startAnvil({ name: 'censor-l1' });
  alsoStop.push(l1c);
  const addrs = await deployL1(l1c.url);
  const l1p = jsonRpc(l1c.url);
  // Automine may put the whole deployment in one block; the start block needs a confirmation on top.
  await l1p.send('anvil_mine', ['0x2']);
  const base = ['--inference.disable', '--l1.rpc-url', l1c.url, '--l1.system-config', addrs.SystemConfig,
    '--l1.poll-interval', '250ms', '--l1.confirmations', '1', '--rollup.seq-window', String(WINDOW)];
  // A sequencer that never adopts an L1 origin carrying deposits (test-only flag). It batches every 4 s,
  // so it always has blocks L1 has not confirmed yet: those are what the forced blocks replace.
  const s = await startNode({ name: 'censor-seq', blockTime: '500ms', extraArgs: [...base, '--sequencer.censor-deposits',
    '--batcher.key', devWallet(3).privateKey, '--batcher.da', 'calldata', '--batcher.max-blocks', '100', '--batcher.max-delay', '4s'] });
  alsoStop.push(s);
  const v = await startNode({ name: 'censor-verifier', extraArgs: ['--verifier', ...base] });
  alsoStop.push(v);
  const sp = jsonRpc(s.url);
  const vp = jsonRpc(v.url);
  // Honest until a deposit appears: the verifier follows the sequencer.
  await waitHead(s.url, 6, 60_000, 'sequencer');
  const early = await head(s.url);
  await waitHead(v.url, early, 90_000, 'verifier before the deposit');
  await assertSameChain(s.url, v.url, early);

  const depositor = devWallet(5, l1p);
  const amount = 3n * ETHER;
  const before = await sp.getBalance(depositor.address);
  const token = new ethers.Contract(addrs.BaiToken, ERC20_ABI, devWallet(0, l1p));
  await (await token.transfer(depositor.address, amount)).wait();
  // Explicit nonces: ethers caches eth_getTransactionCount for a moment, and automine is quicker.
  await (await new ethers.Contract(addrs.BaiToken, ERC20_ABI, depositor).approve(addrs.OptimismPortal, amount, { nonce: 0 })).wait();
  const rcpt = await (await new ethers.Contract(addrs.OptimismPortal, PORTAL_ABI, depositor)
    .depositERC20Transaction(depositor.address, amount, 0n, 100000n, false, '0x', { nonce: 1 })).wait();
  const depositL1 = rcpt.blockNumber;

  // Censored: the sequencer keeps building, on an L1 origin older than the deposit, and does not credit it.
  const censoredHead = (await waitHead(s.url, (await head(s.url)) + 6, 30_000, 'sequencer while censoring'));
  const origin = await new ethers.Contract(L1_BLOCK, ['function number() view returns (uint64)'], sp).number({ blockTag: censoredHead });
  assert.ok(Number(origin) < depositL1, `the sequencer's L1 origin (${origin}) stays before the deposit's L1 block ${depositL1}`);
  assert.equal(await sp.getBalance(depositor.address, censoredHead), before, 'the deposit is not credited by the censoring sequencer');

  // L1 moves past the window of the pinned origin, while the sequencer has unconfirmed blocks. Their hashes
  // are noted from before the mine until the sequencer has reorged: a batch can still confirm the older ones
  // just before the mine, but what is built after the last batch before it (on the pinned origin, until the
  // sequencer learns of the forced blocks) can only be confirmed by a batch landing after the window, which
  // derivation drops. (Noting only right after the mine missed them once: a batch had just confirmed every
  // block noted, and the one block replaced was built 0.3 s later.)
  const safeThen = (await rpcAt(s.url, 'optimism_syncStatus')).safe_l2.number;
  const unconfirmed = new Map();
  const note = async () => {
    for (let n = safeThen + 1, top = await head(s.url); n <= top; n++) {
      if (unconfirmed.has(n)) continue;
      const block = await rpcAt(s.url, 'eth_getBlockByNumber', [ethers.toQuantity(n), false]);
      if (block) unconfirmed.set(n, block.hash); // null: rewound meanwhile
    }
  };
  await note();
  assert.ok(unconfirmed.size > 0, `the sequencer is ahead of what L1 confirmed (safe ${safeThen})`);
  let reorged = false;
  const noting = (async () => { while (!reorged) { await note(); await sleep(100); } })();
  await l1p.send('anvil_mine', [ethers.toQuantity(WINDOW + 2)]);
  const credited = async (p) => (await p.getBalance(depositor.address)) === before + amount;
  try {
    await waitFor('the verifier to include the censored deposit', () => credited(vp), { timeoutMs: 90_000, intervalMs: 500 });
    assert.match(readFileSync(v.log, 'utf8'), /sequencing window expired/, 'the verifier forced the epoch on');
    await waitFor('the sequencer to reorg onto the derived chain', () => credited(sp), { timeoutMs: 90_000, intervalMs: 500 });
  } finally {
    reorged = true;
    await noting;
  }
  assert.match(readFileSync(s.log, 'utf8'), /L2 reorg: rewound the chain/, 'the sequencer detected the divergence and rewound');
  const replaced = [];
  for (const [n, hash] of unconfirmed) {
    if ((await rpcAt(s.url, 'eth_getBlockByNumber', [ethers.toQuantity(n), false]))?.hash !== hash) replaced.push(n);
  }
  assert.ok(replaced.length > 0, `some of its unconfirmed blocks ${[...unconfirmed.keys()].join(', ')} were replaced`);

  // After recovery both nodes build one chain again: new sequencer blocks are posted and derived.
  const user = devWallet(8, sp);
  const tx = await (await user.sendTransaction({ to: ethers.Wallet.createRandom().address, value: 1n })).wait();
  const target = Math.max(tx.blockNumber, await head(s.url));
  await waitFor('the verifier to derive past the recovery', async () => (await rpcAt(v.url, 'optimism_syncStatus')).safe_l2.number >= target,
    { timeoutMs: 120_000, intervalMs: 500 });
  await assertSameChain(s.url, v.url, target);
  const depositBlock = await waitFor('the deposit transaction on L2', async () => {
    for (let n = early; n <= target; n++) {
      const b = await rpcAt(v.url, 'eth_getBlockByNumber', [ethers.toQuantity(n), true]);
      if (b.transactions.some((t) => t.type === '0x7e' && t.to?.toLowerCase() === depositor.address.toLowerCase())) return b;
    }
    return null;
  });
  const l1Origin = await new ethers.Contract(L1_BLOCK, ['function number() view returns (uint64)'], vp).number({ blockTag: Number(depositBlock.number) });
  assert.equal(Number(l1Origin), depositL1, 'the deposit opens the epoch of its own L1 block');
  assert.equal(depositBlock.transactions.filter((t) => t.type !== '0x7e').length, 0, 'in a deposit-only block');
  const status = await rpcAt(s.url, 'optimism_syncStatus');
  assert.ok(status.safe_l2.number >= Number(depositBlock.number), "the sequencer's safe head (derived from L1) includes it");
});

test('the proposer posts output roots of safe blocks, matching a verifier, and resumes after kill -9 without a double post', { timeout: 300_000 }, async () => {
  const INTERVAL = 4;
  const l1d = await startAnvil({ name: 'proposer-l1', blockTime: 1 });
  alsoStop.push(l1d);
  const addrs = await deployL1(l1d.url, { BAI_SUBMISSION_INTERVAL: String(INTERVAL) });
  const l1p = jsonRpc(l1d.url);
  const oracle = new ethers.Contract(addrs.L2OutputOracle, ORACLE_ABI, l1p);
  const base = ['--inference.disable', '--l1.rpc-url', l1d.url, '--l1.system-config', addrs.SystemConfig,
    '--l1.poll-interval', '250ms', '--l1.confirmations', '1'];
  const datadir = `${TMP}/proposer-seq-data`;
  const seqArgs = [...base, '--batcher.key', devWallet(3).privateKey, '--batcher.da', 'calldata', '--batcher.max-blocks', '4',
    '--batcher.max-delay', '1s', '--proposer.key', devWallet(2).privateKey];

  // A key the oracle does not accept is refused at startup, with the reason.
  const wrong = await startNode({ name: 'proposer-wrong', extraArgs: [...base, '--proposer.key', devWallet(4).privateKey] }).catch((e) => e);
  assert.ok(wrong instanceof Error, 'a node with the wrong proposer key does not start');
  assert.match(readFileSync(`${TMP}/proposer-wrong.log`, 'utf8'), /oracle's proposer is 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC/i);

  let s = await startNode({ name: 'proposer-seq', datadir, blockTime: '500ms', extraArgs: seqArgs });
  alsoStop.push(s);
  const v = await startNode({ name: 'proposer-verifier', extraArgs: ['--verifier', ...base] });
  alsoStop.push(v);
  const outputs = async () => Number(await oracle.nextOutputIndex());
  await waitFor('two outputs on L1', async () => (await outputs()) >= 2, { timeoutMs: 120_000, intervalMs: 500 });

  // kill -9 while it is proposing, then restart on the same data dir: it asks the oracle what is due.
  s.proc.kill('SIGKILL');
  await s.exited;
  const before = await outputs();
  s = await startNode({ name: 'proposer-seq-2', datadir, blockTime: '500ms', extraArgs: seqArgs });
  alsoStop.push(s);
  await waitFor('outputs after the restart', async () => (await outputs()) >= before + 2, { timeoutMs: 120_000, intervalMs: 500 });

  const count = await outputs();
  const start = Number(await oracle.startingBlockNumber());
  for (let i = 0; i < count; i++) {
    const o = await oracle.getL2Output(i);
    const n = Number(o.l2BlockNumber);
    assert.equal(n, start + (i + 1) * INTERVAL, `output ${i} is for block ${start + (i + 1) * INTERVAL}: none skipped, none twice`);
    await waitFor(`the verifier deriving block ${n}`, async () => (await rpcAt(v.url, 'optimism_syncStatus')).safe_l2.number >= n, { timeoutMs: 90_000, intervalMs: 500 });
    const theirs = await rpcAt(v.url, 'optimism_outputAtBlock', [ethers.toQuantity(n)]);
    assert.equal(o.outputRoot, theirs.outputRoot, `output ${i} (block ${n}) equals what a verifier computes from L1 alone`);
  }
  // Every proposer transaction on L1 succeeded: nothing was sent twice and reverted.
  const latest = await l1p.getBlockNumber();
  let sent = 0;
  for (let b = 1; b <= latest; b++) {
    const block = await l1p.getBlock(b, true);
    for (const tx of block.prefetchedTransactions) {
      if (tx.from.toLowerCase() !== devWallet(2).address.toLowerCase()) continue;
      sent++;
      assert.equal((await l1p.getTransactionReceipt(tx.hash)).status, 1, `proposer tx ${tx.hash} succeeded`);
    }
  }
  assert.equal(sent, count, 'one L1 transaction per output');
});


/**
 * What a dishonest proposer would post: the real state root and block hash of `block`, but a message
 * passer storage root of its own making whose trie holds one withdrawal nobody initiated on L2. Returns
 * the output root, its preimage and the withdrawal with its (valid, against the fake root) proof.
 */
function forgedOutput(stateRoot, blockHash, thief) {
  const w = { nonce: BigInt(ethers.hexlify(randomBytes(8))), sender: thief, target: thief, value: 50n * ETHER, gasLimit: 0n, data: '0x' };
  // A one-leaf trie: [hex-prefix(leaf, even) ‖ keccak(slot), rlp(1)].
  const leaf = ethers.encodeRlp([ethers.concat(['0x20', ethers.keccak256(passerSlot(hashWithdrawal(w)))]), '0x01']);
  const proof = { version: ethers.ZeroHash, stateRoot, messagePasserStorageRoot: ethers.keccak256(leaf), latestBlockhash: blockHash };
  const root = outputRootOf(proof);
  return { root, proof, withdrawal: w, withdrawalProof: [leaf] };
}

test('the challenger deletes a forged output before a withdrawal proven against it can finalize, also after kill -9', { timeout: 300_000 }, async () => {
  const INTERVAL = 4;
  const PERIOD = 60;
  const l1d = await startAnvil({ name: 'challenger-l1', blockTime: 1 });
  alsoStop.push(l1d);
  const addrs = await deployL1(l1d.url, { BAI_SUBMISSION_INTERVAL: String(INTERVAL), BAI_FINALIZATION_PERIOD: String(PERIOD) });
  const l1p = jsonRpc(l1d.url);
  // The test is the (dishonest) proposer: dev #2 holds the oracle's PROPOSER role.
  const proposer = new ethers.NonceManager(devWallet(2, l1p));
  const oracle = new ethers.Contract(addrs.L2OutputOracle, ORACLE_ABI, proposer);
  const thief = devWallet(2).address;
  const portal = new ethers.Contract(addrs.OptimismPortal, PORTAL_ABI, proposer);
  const base = ['--inference.disable', '--l1.rpc-url', l1d.url, '--l1.system-config', addrs.SystemConfig,
    '--l1.poll-interval', '250ms', '--l1.confirmations', '1'];
  const seq = await startNode({ name: 'challenger-seq', blockTime: '500ms', extraArgs: [...base, '--batcher.key', devWallet(3).privateKey,
    '--batcher.da', 'calldata', '--batcher.max-blocks', '4', '--batcher.max-delay', '1s'] });
  alsoStop.push(seq);

  // A key that is not the oracle's CHALLENGER is refused at startup.
  const wrong = await startNode({ name: 'challenger-wrong', extraArgs: ['--verifier', ...base, '--challenger.key', devWallet(4).privateKey] }).catch((e) => e);
  assert.ok(wrong instanceof Error, 'a challenger with the wrong key does not start');
  assert.match(readFileSync(`${TMP}/challenger-wrong.log`, 'utf8'), /oracle's challenger is 0x70997970C51812dc3A010C7d01b50e0d17dc79C8/i);

  const datadir = `${TMP}/challenger-data`;
  const challengerArgs = ['--verifier', ...base, '--challenger.key', devWallet(1).privateKey];

  // Posts the output due next: the true one from the sequencer, or a forged one.
  const postNext = async (forge) => {
    const block = Number(await oracle.nextBlockNumber());
    await waitFor(`L2 block ${block} safe on the sequencer`, async () => (await rpcAt(seq.url, 'optimism_syncStatus')).safe_l2.number >= block, { timeoutMs: 90_000, intervalMs: 250 });
    const honest = await rpcAt(seq.url, 'optimism_outputAtBlock', [ethers.toQuantity(block)]);
    const forged = forgedOutput(honest.stateRoot, honest.blockRef.hash, thief);
    const root = forge ? forged.root : honest.outputRoot;
    // The oracle wants the block's time (by its own clock) to have passed on L1.
    const due = Number(await oracle.computeL2Timestamp(block));
    await waitFor('the output due on L1', async () => (await l1p.getBlock('latest')).timestamp > due, { timeoutMs: 30_000, intervalMs: 250 });
    await (await oracle.proposeL2Output(root, block, ethers.ZeroHash, 0)).wait();
    const index = Number(await oracle.nextOutputIndex()) - 1;
    return { index, block, root, forged };
  };
  const outputs = async () => Number(await oracle.nextOutputIndex());

  const good = await postNext(false);
  assert.equal(good.index, 0);
  const bad = await postNext(true);
  assert.equal(bad.index, 1);
  // The thief proves the forged withdrawal at once: proving has no delay.
  const { withdrawal, proof, withdrawalProof } = bad.forged;
  await (await portal.proveWithdrawalTransaction(withdrawal, bad.index, proof, withdrawalProof)).wait();
  // The challenger starts only now, so the thief's proof is on L1 before the deletion can race it.
  let ch = await startNode({ name: 'challenger', datadir, extraArgs: challengerArgs });
  alsoStop.push(ch);

  await waitFor('the challenger deleting the forged output', async () => (await outputs()) === 1, { timeoutMs: 60_000, intervalMs: 250 });
  assert.equal((await oracle.getL2Output(0)).outputRoot, good.root, 'the true output is left alone');

  // Once every window has passed, the forged withdrawal still cannot finalize.
  await l1p.send('evm_increaseTime', [PERIOD + 5]);
  await l1p.send('evm_mine', []);
  await assert.rejects(portal.finalizeWithdrawalTransaction.staticCall(withdrawal), 'a withdrawal proven against a deleted output cannot finalize');

  // kill -9 the challenger, forge again while it is down, restart it: the forgery is found and deleted.
  ch.proc.kill('SIGKILL');
  await ch.exited;
  const again = await postNext(true);
  assert.equal(again.index, 1);
  await sleep(2000);
  assert.equal(await outputs(), 2, 'nobody deleted it while the challenger was down');
  ch = await startNode({ name: 'challenger-2', datadir, extraArgs: challengerArgs });
  alsoStop.push(ch);
  await waitFor('the restarted challenger deleting the forged output', async () => (await outputs()) === 1, { timeoutMs: 60_000, intervalMs: 250 });
  // An honest output for the same block after that is left alone.
  const honestAgain = await postNext(false);
  assert.equal(honestAgain.index, 1);
  await sleep(4000);
  assert.equal(await outputs(), 2, 'the challenger leaves a true output alone');

  // A deletion dropped from the L1 mempool is sent again (the transaction manager's resubmission),
  // not waited for forever: L1 mining pauses, the challenger's deleteL2Outputs is dropped, mining resumes.
  const third = await postNext(true);
  assert.equal(third.index, 2);
  await l1p.send('evm_setIntervalMining', [0]);
  let dropped;
  try {
    await waitFor('the challenger\'s deletion in the L1 mempool', async () => {
      const pool = await l1p.send('txpool_content', []);
      const ours = Object.entries(pool.pending ?? {}).find(([from]) => from.toLowerCase() === devWallet(1).address.toLowerCase());
      dropped = ours && Object.values(ours[1])[0]?.hash;
      return Boolean(dropped);
    }, { timeoutMs: 30_000, intervalMs: 100 });
    await l1p.send('anvil_dropTransaction', [dropped]);
  } finally {
    await l1p.send('evm_setIntervalMining', [1]);
  }
  await waitFor('the challenger deleting the output after its transaction was dropped', async () => (await outputs()) === 2, { timeoutMs: 90_000, intervalMs: 250 });
  assert.equal(await l1p.getTransactionReceipt(dropped), null, 'the dropped transaction never landed');

  // Exactly one deletion per forgery, each a successful L1 transaction from the challenger.
  const deletions = await oracle.queryFilter(oracle.filters.OutputsDeleted(), 0, 'latest');
  assert.deepEqual(deletions.map((e) => [Number(e.args[0]), Number(e.args[1])]), [[2, 1], [2, 1], [3, 2]]);
  const latest = await l1p.getBlockNumber();
  let sent = 0;
  for (let b = 1; b <= latest; b++) {
    for (const tx of (await l1p.getBlock(b, true)).prefetchedTransactions) {
      if (tx.from.toLowerCase() !== devWallet(1).address.toLowerCase()) continue;
      sent++;
      assert.equal((await l1p.getTransactionReceipt(tx.hash)).status, 1, `challenger tx ${tx.hash} succeeded`);
    }
  }
  assert.equal(sent, 3, 'one L1 transaction per forged output');
});
