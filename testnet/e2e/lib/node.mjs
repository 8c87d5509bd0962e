// Spawning the node under test from JS (the crash suite restarts it on the same datadir).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { TARGET } from './common.mjs';

const ROOT = process.env.E2E_ROOT || new URL('../../..', import.meta.url).pathname;
const BAI_BIN = process.env.BAI_BIN || `${process.env.HOME}/.cache/bai/target/debug/bai`;
const ANVIL_BIN = process.env.ANVIL_BIN || join(ROOT, '.tools/bin/anvil');
export const TMP = process.env.E2E_TMP || mkdtempSync(join(tmpdir(), 'bai-e2e-'));
const live = new Set();
process.on('exit', () => { for (const p of live) { try { p.kill('SIGKILL'); } catch { /* gone */ } } });

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/**
 * Spawns `cmd` with output appended to TMP/<name>.log, a pid file run.sh's cleanup can find, and a kill
 * on exit of this process; `env` is added to this process's environment. Returns { proc, log, exited }
 * (exited resolves to { code, sig }).
 */
export function spawnTracked(name, cmd, args, env = {}) {
  const log = join(TMP, `${name}.log`);
  const fd = openSync(log, 'a');
  const proc = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
  live.add(proc);
  const pidFile = join(TMP, `${name}-${proc.pid}.pid`);
  writeFileSync(pidFile, String(proc.pid));
  const exited = new Promise((resolve) => proc.once('exit', (code, sig) => { live.delete(proc); rmSync(pidFile, { force: true }); resolve({ code, sig }); }));
  return { proc, log, exited };
}

async function ready(url, proc, timeoutMs) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`node exited during startup (${proc.exitCode ?? proc.signalCode})`);
    try {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' });
      if ((await r.json()).result) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`node not ready at ${url} within ${timeoutMs} ms`);
}

/**
 * Starts bai (or anvil) and waits until it answers. Returns { proc, url, ws, port, datadir, log, kill(sig), stop() }.
 * For anvil, persistence across restarts uses --state <datadir>/state.json (dumped on graceful exit only).
 * `env` is added to the node's environment (e.g. a RUST_LOG of its own); `readyMs`: how long it may take
 * to answer (a node loading models first takes longer).
 */
export async function startNode({ name = 'node', datadir, blockTime = '1s', port, extraArgs = [], env = {}, readyMs = 60000 } = {}) {
  port = port ?? (await freePort());
  datadir = datadir ?? mkdtempSync(join(TMP, `${name}-data-`));
  let cmd, args;
  if (TARGET === 'bai') {
    cmd = BAI_BIN;
    args = ['node', '--dev', '--datadir', datadir, '--http.addr', '127.0.0.1', '--http.port', String(port), '--block-time', blockTime, ...extraArgs];
  } else {
    const secs = blockTime.endsWith('ms') ? Number(blockTime.slice(0, -2)) / 1000 : Number(blockTime.replace(/s$/, ''));
    cmd = ANVIL_BIN;
    args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', '2977', '--block-time', String(secs),
      '--state', join(datadir, 'state.json'), '--preserve-historical-states', ...extraArgs];
  }
  const { proc, log, exited } = spawnTracked(name, cmd, args, env);
  const url = `http://127.0.0.1:${port}`;
  try {
    await ready(url, proc, readyMs);
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${e.message}; see ${log}`);
  }
  return {
    proc, url, ws: `ws://127.0.0.1:${port}`, port, datadir, log, exited,
    async kill(sig = 'SIGKILL') { proc.kill(sig); return exited; },
    async stop(graceMs = 10000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
}

/**
 * Starts `bai infer serve` on `port` (default: a free one) with the models `make setup` fetched (or those
 * in `modelsDir`); waits for bai_health. Returns { proc, url, port, log, kill(sig), stop() }.
 */
export async function startInference({ name = 'infer', port, modelsDir = join(ROOT, '.models'), extraArgs = [] } = {}) {
  port = port ?? (await freePort());
  const args = ['infer', 'serve', '--addr', `127.0.0.1:${port}`, '--models-dir', modelsDir, ...extraArgs];
  const { proc, log, exited } = spawnTracked(name, BAI_BIN, args);
  const url = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`inference server exited during startup; see ${log}`);
    try {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"bai_health","params":[]}' });
      if ((await r.json()).result === 'ok') break;
    } catch { /* loading models */ }
    if (Date.now() - t0 > 180000) { proc.kill('SIGKILL'); throw new Error(`inference server not ready within 180 s; see ${log}`); }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    proc, url, port, log, exited,
    async kill(sig = 'SIGKILL') { proc.kill(sig); return exited; },
    async stop() { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM'); return exited; },
  };
}

/**
 * A models directory holding only the named models of the repo's .models (symlinks), for suites that need
 * one model and not the time it takes a debug build on a small machine to load the others.
 */
export function modelsSubset(names, dir = join(TMP, `models-${names.join('+')}`)) {
  mkdirSync(dir, { recursive: true });
  for (const n of names) if (!existsSync(join(dir, n))) symlinkSync(join(ROOT, '.models', n), join(dir, n));
  return dir;
}
