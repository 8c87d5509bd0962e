// BAI governance end to end, everything real: anvil (prague) as L1 with the L1 contracts and governance
// deployed by forge script (DeployL1, then DeployGovernance: timelock + Governor, every L1 admin role
// handed to the timelock), a bai sequencer following that L1, and the `bai gov` CLI for every step.
//
// Checks:
//   - the hand-over: SystemConfig is owned by the timelock (the deployer can no longer change it);
//   - on L2, L2HandOver.s.sol (forge script broadcast to the node) hands every governance role to the
//     timelock's aliased address and the genesis admin renounces them: the admin is refused afterwards;
//   - the L2 guardian (dev #4, given the marketplace's GUARDIAN_ROLE by the hand-over) pauses the marketplace at
//     once, with no proposal, and cannot lift the pause itself; governance lifts it;
//   - holders delegate (`bai gov delegate`), one proposal carries an L1 action (SystemConfig fee scalars) and
//     L2 actions (ModelMarketplace.setPriceIncreaseDelay and unpause, and acceptOwnership of the three fee
//     vaults whose transfer the hand-over started), each sent as a portal deposit from the timelock;
//     `bai gov status` follows it through pending → active → succeeded → queued → executed with the votes
//     cast by `bai gov vote` (for and against); `queue`, `execute` after the timelock delay; the L1 value is
//     read back on L1 and the L2 value arrives through the deposit and is read back on L2;
//   - a proposal whose action is outside SystemConfig's bounds fails at execution (`bai gov execute` exits
//     with the decoded error) and changes nothing: still queued, the old value in place.
// Env: BAI_BIN, E2E_TMP, E2E_ROOT.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ethers, ETHER, devWallet, jsonRpc, waitFor } from '../lib/common.mjs';
import { startNode } from '../lib/node.mjs';
import { startAnvil, deployL1, deployGovernance, l2HandOver, ERC20_ABI } from '../lib/l1.mjs';

const BAI_BIN = process.env.BAI_BIN || `${process.env.HOME}/.cache/bai/target/debug/bai`;
const MARKETPLACE = '0x4200000000000000000000000000000000000B00';
const SYSTEM_CONFIG_ABI = ['function owner() view returns (address)', 'function basefeeScalar() view returns (uint32)',
  'function blobbasefeeScalar() view returns (uint32)', 'function setGasConfigEcotone(uint32, uint32)'];
const MARKETPLACE_ABI = ['function GOVERNOR_ROLE() view returns (bytes32)', 'function grantRole(bytes32, address)',
  'function renounceRole(bytes32, address)', 'function hasRole(bytes32, address) view returns (bool)',
  'function priceIncreaseDelay() view returns (uint256)', 'function setPriceIncreaseDelay(uint256)',
  'function GUARDIAN_ROLE() view returns (bytes32)', 'function pause()', 'function unpause()', 'function paused() view returns (bool)'];
const FEE_VAULTS = ['0x4200000000000000000000000000000000000011', '0x4200000000000000000000000000000000000019',
  '0x420000000000000000000000000000000000001A'];
const OWNABLE_ABI = ['function owner() view returns (address)', 'function pendingOwner() view returns (address)'];
const GUARDIAN = 4;
// Short periods, passed in real time (anvil makes a block a second): moving L1's clock ahead with
// evm_increaseTime or anvil_mine would hold the sequencer's L1 origin back until L2 time caught up.
const VOTING_DELAY = 3;
const VOTING_PERIOD = 15;
const TIMELOCK_DELAY = 5;

let l1, seq;
after(async () => { await seq?.stop(); await l1?.stop(); });

/** Runs `bai gov …` as dev #`who` (key from the environment, as a user would); resolves to stdout. */
async function gov(who, args, { govAddrs, l1Url }) {
  const { stdout } = await promisify(execFile)(BAI_BIN, ['gov', ...args, '--l1.rpc-url', l1Url,
    '--governor', govAddrs.BaiGovernor, '--portal', govAddrs.OptimismPortal], {
    env: who === null ? { ...process.env, RUST_LOG: 'warn' } : { ...process.env, BAI_PRIVATE_KEY: devWallet(who).privateKey, RUST_LOG: 'warn' },
  });
  return stdout;
}

test('a proposal with an L1 and an L2 action goes through vote, queue and execute with `bai gov`', { timeout: 300_000 }, async (t) => {
  l1 = await startAnvil({ name: 'gov-l1', blockTime: 1 });
  const addrs = await deployL1(l1.url);
  const govAddrs = await deployGovernance(l1.url, addrs, {
    BAI_GOV_VOTING_DELAY: String(VOTING_DELAY), BAI_GOV_VOTING_PERIOD: String(VOTING_PERIOD), BAI_GOV_TIMELOCK_DELAY: String(TIMELOCK_DELAY),
  });
  const ctx = { govAddrs, l1Url: l1.url };
  const l1p = jsonRpc(l1.url);
  const waitBlocks = async (n) => {
    const target = (await l1p.getBlockNumber()) + n;
    await waitFor(`L1 block ${target}`, async () => (await l1p.getBlockNumber()) >= target, { timeoutMs: 10_000 + n * 2000, intervalMs: 250 });
  };
  const waitTimelock = () => new Promise((r) => setTimeout(r, (TIMELOCK_DELAY + 2) * 1000));

  // The hand-over left nothing with the deployer on L1.
  const systemConfig = new ethers.Contract(addrs.SystemConfig, SYSTEM_CONFIG_ABI, devWallet(0, l1p));
  assert.equal(await systemConfig.owner(), govAddrs.TimelockController, 'the timelock owns SystemConfig');
  await assert.rejects(systemConfig.setGasConfigEcotone.staticCall(1, 1), 'the deployer can no longer change SystemConfig');

  // A sequencer following this L1, so governance's L2 actions arrive as deposits.
  seq = await startNode({ name: 'gov-seq', blockTime: '500ms', extraArgs: ['--inference.disable', '--l1.rpc-url', l1.url,
    '--l1.system-config', addrs.SystemConfig, '--l1.confirmations', '1', '--l1.poll-interval', '250ms'] });
  const l2 = jsonRpc(seq.url);
  // The production L2 hand-over, run against this node: every governance role to the timelock's alias.
  const handOver = await l2HandOver(seq.url, govAddrs, { BAI_L2_GUARDIAN: devWallet(GUARDIAN).address });
  t.diagnostic(`L2 hand-over: ${JSON.stringify(handOver).slice(0, 300)}`);
  const market = new ethers.Contract(MARKETPLACE, MARKETPLACE_ABI, devWallet(0, l2));
  const role = await market.GOVERNOR_ROLE();
  assert.ok(await market.hasRole(role, govAddrs.timelockL2Alias), 'the alias governs the marketplace');
  assert.equal(await market.hasRole(role, devWallet(0).address), false, 'the genesis admin does not');
  await assert.rejects(market.setPriceIncreaseDelay.staticCall(7200), 'the dev admin no longer governs the marketplace');
  const delayBefore = await market.priceIncreaseDelay();
  for (const vault of FEE_VAULTS) {
    const v = new ethers.Contract(vault, OWNABLE_ABI, l2);
    assert.equal(await v.pendingOwner(), govAddrs.timelockL2Alias, `${vault}: transfer to the alias started`);
    assert.equal(await v.owner(), devWallet(0).address, `${vault}: the admin owns it until the alias accepts`);
  }

  // The emergency path needs no proposal: the guardian pauses the marketplace at once, and only governance
  // lifts it (below, in the same proposal as the other L2 actions).
  const guardianMarket = market.connect(devWallet(GUARDIAN, l2));
  assert.ok(await market.hasRole(await market.GUARDIAN_ROLE(), devWallet(GUARDIAN).address), 'the guardian holds GUARDIAN_ROLE');
  await assert.rejects(market.pause.staticCall(), 'the old admin cannot pause');
  await (await guardianMarket.pause()).wait();
  assert.equal(await market.paused(), true, 'paused by the guardian at once');
  await assert.rejects(guardianMarket.unpause.staticCall(), 'the guardian cannot lift the pause');

  // Holders: dev #0 (the deployer, the whole supply) gives dev #5 some BAI; both delegate to themselves.
  const token = new ethers.Contract(addrs.BaiToken, ERC20_ABI, devWallet(0, l1p));
  await (await token.transfer(devWallet(5).address, 1000n * ETHER)).wait();
  for (const who of [0, 5]) {
    const out = await gov(who, ['delegate'], ctx);
    assert.match(out, new RegExp(`delegates to ${devWallet(who).address}, who now has \\d`), out);
  }
  await waitBlocks(1);

  // One proposal, an L1 and an L2 action.
  const propose = async (description, l1Calls, l2Calls = []) => {
    const args = ['propose', '--description', description];
    for (const c of l1Calls) args.push('--l1', c);
    for (const c of l2Calls) args.push('--l2', c);
    const out = await gov(0, args, ctx);
    const id = out.match(/^proposal (\d+)$/m)?.[1];
    assert.ok(id, `propose printed the proposal id: ${out}`);
    return { id, out };
  };
  const status = async (id) => gov(null, ['status', id], ctx);
  const { id, out: proposed } = await propose('Cheaper L1 data and a longer price notice\n\nscalars 1000/600000; price increase delay 2 h',
    [`${addrs.SystemConfig} setGasConfigEcotone(uint32,uint32) 1000 600000`],
    [`${MARKETPLACE} setPriceIncreaseDelay(uint256) 7200`, `${MARKETPLACE} unpause()`,
      ...FEE_VAULTS.map((vault) => `${vault} acceptOwnership()`)]);
  assert.match(proposed, /L1 0x[0-9a-fA-F]{40} call 0x/, 'the L1 action is listed');
  assert.match(proposed, new RegExp(`L2 ${MARKETPLACE} call 0x[0-9a-f]{8} .* via a portal deposit`, 'i'), 'the L2 action is listed as a deposit');
  assert.match(await status(id), /: pending\n/);

  await waitBlocks(VOTING_DELAY + 1);
  assert.match(await status(id), /: active\n[^]*voting closes at block \d+ \(\d+ blocks from now\)/);
  assert.match(await gov(0, ['vote', id, 'for', '--reason', 'cheaper data'], ctx), /voted For on proposal \d+ with \d/);
  assert.match(await gov(5, ['vote', id, 'against'], ctx), /voted Against on proposal \d+ with 1000 votes/);
  await assert.rejects(gov(5, ['vote', id, 'for'], ctx), /refuses the vote/, 'a second vote is refused');

  await waitBlocks(VOTING_PERIOD + 1);
  const succeeded = await status(id);
  assert.match(succeeded, /: succeeded\n/);
  assert.match(succeeded, /against 1000, abstain 0; quorum \d/);

  assert.match(await gov(5, ['queue', id], ctx), /queued; executable from L1 time \d+/);
  await assert.rejects(gov(5, ['execute', id], ctx), /executing proposal \d+ fails/, 'not before the timelock delay');
  await waitTimelock();
  assert.match(await gov(5, ['execute', id], ctx), /executed in L1 block \d+/);
  assert.match(await status(id), /: executed\n/);

  // L1 read back at once; L2 once the sequencer includes the timelock's deposit.
  assert.equal(await systemConfig.basefeeScalar(), 1000n);
  assert.equal(await systemConfig.blobbasefeeScalar(), 600000n);
  assert.notEqual(delayBefore, 7200n);
  await waitFor('the L2 actions arriving as deposits', async () => (await market.priceIncreaseDelay()) === 7200n, { timeoutMs: 60_000, intervalMs: 500 });
  await waitFor('every L2 action applied', async () => {
    const owners = await Promise.all(FEE_VAULTS.map((vault) => new ethers.Contract(vault, OWNABLE_ABI, l2).owner()));
    return owners.every((o) => o === govAddrs.timelockL2Alias) && !(await market.paused());
  }, { timeoutMs: 60_000, intervalMs: 500 });
  // The hand-over's strict re-run verifies the final state: vaults accepted, nothing left with the admin.
  await l2HandOver(seq.url, govAddrs, { BAI_L2_GUARDIAN: devWallet(GUARDIAN).address, BAI_L2_HANDOVER_REQUIRE_ACCEPTED: 'true' });

  // Outside the bounds: fails at execution, changes nothing.
  const { id: bad } = await propose('Scalar far outside the bounds', [`${addrs.SystemConfig} setGasConfigEcotone(uint32,uint32) 20000000 0`]);
  await waitBlocks(VOTING_DELAY + 1);
  await gov(0, ['vote', bad, 'for'], ctx);
  await waitBlocks(VOTING_PERIOD + 1);
  await gov(0, ['queue', bad], ctx);
  await waitTimelock();
  await assert.rejects(gov(0, ['execute', bad], ctx), /executing proposal \d+ fails/);
  assert.match(await status(bad), /: queued\n/, 'still queued after the failed execution');
  assert.equal(await systemConfig.basefeeScalar(), 1000n, 'nothing changed');

  const list = await gov(null, ['list'], ctx);
  assert.match(list, new RegExp(`${id} executed +Cheaper L1 data`));
  assert.match(list, new RegExp(`${bad} queued +Scalar far outside`));
  t.diagnostic(list.trim());
});
