// Builds the dApp (dapp/) when its sources changed since the last build: `npm ci` when its lock file
// changed, then `npm run build` (tsc + vite) into dapp/dist, stamped with a hash of the sources.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = process.env.E2E_ROOT || new URL('../../..', import.meta.url).pathname;
export const DAPP_DIR = join(ROOT, 'dapp');
export const DAPP_DIST = join(DAPP_DIR, 'dist');
const INPUTS = ['index.html', 'package.json', 'package-lock.json', 'tsconfig.json', 'vite.config.ts', 'src', 'public'];

function files(p) {
  if (!existsSync(p)) return [];
  if (statSync(p).isFile()) return [p];
  return readdirSync(p).sort().flatMap((f) => files(join(p, f)));
}

/** Hash of everything the build reads (sources, config, lock file). */
export function sourceHash() {
  const h = createHash('sha256');
  for (const f of INPUTS.flatMap((i) => files(join(DAPP_DIR, i)))) {
    if (relative(DAPP_DIR, f) === join('public', 'config.json')) continue;
    h.update(relative(DAPP_DIR, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  return h.digest('hex');
}

/** Returns the dist folder, rebuilding it when stale. */
export function ensureDappBuilt(log = () => {}) {
  const stamp = join(DAPP_DIST, '.bai-src-hash');
  const want = sourceHash();
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want && existsSync(join(DAPP_DIST, 'index.html'))) return DAPP_DIST;
  const lockStamp = join(DAPP_DIR, 'node_modules', '.bai-lock');
  if (!existsSync(lockStamp) || readFileSync(lockStamp, 'utf8') !== readFileSync(join(DAPP_DIR, 'package-lock.json'), 'utf8')) {
    log('npm ci in dapp/');
    execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: DAPP_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
    copyFileSync(join(DAPP_DIR, 'package-lock.json'), lockStamp);
  }
  log('building dapp/ (tsc + vite)');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: DAPP_DIR, stdio: ['ignore', 'pipe', 'inherit'] });
  writeFileSync(stamp, want);
  return DAPP_DIST;
}
