// A local L1 for suites that need one: anvil (--hardfork prague, the standard test mnemonic) with the
// BalanceAI L1 contracts deployed by contracts/script/DeployL1.s.sol.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, spawnTracked, TMP } from './node.mjs';

const ROOT = process.env.E2E_ROOT || new URL('../../..', import.meta.url).pathname;
const ANVIL_BIN = process.env.ANVIL_BIN || join(ROOT, '.tools/bin/anvil');
const FORGE_BIN = join(ROOT, '.tools/bin/forge');
const run = promisify(execFile);

/**
 * Starts anvil on a free port and waits until it answers. Automine (a block per transaction) unless
 * blockTime (seconds) is given. Returns { proc, url, log, stop() }.
 */
export async function startAnvil({ name = 'l1', blockTime } = {}) {
  const port = await freePort();
  const args = ['--host', '127.0.0.1', '--port', String(port), '--hardfork', 'prague'];
  if (blockTime) args.push('--block-time', String(blockTime));
  const { proc, log, exited } = spawnTracked(name, ANVIL_BIN, args);
  const url = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`anvil exited during startup; see ${log}`);
    try {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' });
      if ((await r.json()).result) break;
    } catch { /* not yet */ }
    if (Date.now() - t0 > 30000) { proc.kill('SIGKILL'); throw new Error(`anvil not ready within 30 s; see ${log}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    proc, url, log, exited,
    async stop() { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM'); return exited; },
  };
}

/**
 * Deploys BaiToken, L2OutputOracle, BaiPortal and SystemConfig with the repo's forge script (signer: dev
 * key 0, which also receives the whole BAI supply as treasury). Returns the script's JSON output
 * ({ BaiToken, L2OutputOracle, OptimismPortal, SystemConfig, batchInbox, batcher, l1ChainId, … }).
 */
export async function deployL1(rpcUrl, env = {}) {
  const out = join(TMP, `l1-deploy-${Date.now()}.json`);
  await run(FORGE_BIN, ['script', 'script/DeployL1.s.sol:DeployL1', '--rpc-url', rpcUrl, '--broadcast', '--non-interactive'], {
    cwd: join(ROOT, 'contracts'),
    env: { ...process.env, ...env, BAI_L1_DEPLOY_OUT: out },
    maxBuffer: 64 << 20,
  });
  return JSON.parse(readFileSync(out, 'utf8'));
}
