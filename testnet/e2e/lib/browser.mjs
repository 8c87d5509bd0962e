// Browser-side helpers for the dApp suite: Debian's Chromium driven by playwright-core (which never
// downloads a browser), a tiny static file server, and an injected EIP-1193 wallet backed by a dev key.
import { createServer } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import { ethers } from 'ethers';

export const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

export async function launchChromium() {
  if (!existsSync(CHROMIUM_BIN)) throw new Error(`no Chromium at ${CHROMIUM_BIN}: run scripts/setup.sh (apt package chromium) or set CHROMIUM_BIN`);
  return chromium.launch({
    executablePath: CHROMIUM_BIN,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions'],
  });
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon' };

/**
 * Serves `dir` on 127.0.0.1 (a free port); `extra` maps URL paths to in-memory bodies (e.g. the
 * dApp's /config.json). Returns { url, close() }.
 */
export async function serveStatic(dir, extra = {}) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (Object.hasOwn(extra, path)) {
      res.writeHead(200, { 'content-type': TYPES[extname(path)] || 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(extra[path]);
      return;
    }
    const file = normalize(join(dir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(normalize(dir)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(r)) };
}

async function rpcRaw(url, method, params) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return r.json();
}

const PAGE_PROVIDER = `(() => {
  const listeners = {};
  const emit = (ev, arg) => (listeners[ev] || []).slice().forEach((fn) => { try { fn(arg); } catch (e) { console.error(e); } });
  const provider = {
    isBaiTestWallet: true,
    async request(args) {
      const { method, params } = args || {};
      const res = JSON.parse(await window.__baiWalletRequest(JSON.stringify({ method, params: params ?? [] })));
      for (const [ev, arg] of res.events || []) emit(ev, arg);
      if (res.error) {
        const e = new Error(res.error.message);
        e.code = res.error.code;
        if (res.error.data !== undefined) e.data = res.error.data;
        throw e;
      }
      return res.result;
    },
    on(ev, fn) { (listeners[ev] = listeners[ev] || []).push(fn); return provider; },
    removeListener(ev, fn) { listeners[ev] = (listeners[ev] || []).filter((f) => f !== fn); return provider; },
  };
  window.ethereum = provider;
})();`;

/**
 * Injects window.ethereum into every page of `context`, backed by `privateKey` in Node:
 * eth_requestAccounts / eth_accounts, eth_chainId, wallet_addEthereumChain (checks the RPC answers the
 * chain id, like MetaMask, then selects it), wallet_switchEthereumChain (4902 for unknown chains),
 * eth_sendTransaction (filled and signed here, sent raw to the current chain's RPC); everything else is
 * forwarded to the current chain's RPC. `chains` maps chain id → RPC URL of the networks the wallet
 * knows from the start; `chainId` is the one selected. Returns the wallet's state and a log of requests.
 */
export async function installTestWallet(context, { privateKey, chains, chainId }) {
  const signer = new ethers.Wallet(privateKey);
  const state = { chainId, chains: new Map(Object.entries(chains).map(([k, v]) => [Number(k), v])), connected: false, log: [], sent: [], added: [] };
  const hex = (n) => `0x${n.toString(16)}`;
  const select = (id) => {
    if (state.chainId === id) return [];
    state.chainId = id;
    return [['chainChanged', hex(id)]];
  };
  const handle = async (method, params) => {
    const rpc = state.chains.get(state.chainId);
    switch (method) {
      case 'eth_requestAccounts':
        state.connected = true;
        return { result: [signer.address], events: [['connect', { chainId: hex(state.chainId) }], ['accountsChanged', [signer.address]]] };
      case 'eth_accounts':
        return { result: state.connected ? [signer.address] : [] };
      case 'eth_chainId':
        return { result: hex(state.chainId) };
      case 'net_version':
        return { result: String(state.chainId) };
      case 'wallet_addEthereumChain': {
        const p = params?.[0] ?? {};
        const id = Number(p.chainId);
        const url = p.rpcUrls?.[0];
        if (!Number.isSafeInteger(id) || !/^0x[0-9a-f]+$/.test(p.chainId ?? '') || !url) return { error: { code: -32602, message: 'invalid chain parameters' } };
        if (p.nativeCurrency && (typeof p.nativeCurrency.symbol !== 'string' || p.nativeCurrency.decimals !== 18)) return { error: { code: -32602, message: 'nativeCurrency.decimals must be 18' } };
        let answered;
        try { answered = (await rpcRaw(url, 'eth_chainId', [])).result; } catch (e) { return { error: { code: -32603, message: `RPC ${url} unreachable: ${e.message}` } }; }
        if (Number(answered) !== id) return { error: { code: -32603, message: `RPC ${url} answers chain ${answered}, not ${p.chainId}` } };
        state.chains.set(id, url);
        state.added.push(p);
        return { result: null, events: select(id) };
      }
      case 'wallet_switchEthereumChain': {
        const id = Number(params?.[0]?.chainId);
        if (!state.chains.has(id)) return { error: { code: 4902, message: `Unrecognized chain ID ${params?.[0]?.chainId}. Try adding the chain using wallet_addEthereumChain first.` } };
        return { result: null, events: select(id) };
      }
      case 'eth_sendTransaction': {
        const tx = params?.[0] ?? {};
        if (!state.connected) return { error: { code: 4100, message: 'not connected' } };
        if (tx.from && tx.from.toLowerCase() !== signer.address.toLowerCase()) return { error: { code: 4100, message: `unknown account ${tx.from}` } };
        if (tx.chainId !== undefined && Number(tx.chainId) !== state.chainId) return { error: { code: -32602, message: `chainId ${tx.chainId} is not the selected chain ${state.chainId}` } };
        const provider = new ethers.JsonRpcProvider(rpc, state.chainId, { staticNetwork: true });
        try {
          const sent = await signer.connect(provider).sendTransaction({
            to: tx.to, data: tx.data ?? tx.input ?? '0x', value: tx.value ? BigInt(tx.value) : 0n,
            gasLimit: tx.gas ? BigInt(tx.gas) : undefined, nonce: tx.nonce !== undefined ? Number(tx.nonce) : undefined,
          });
          state.sent.push({ chainId: state.chainId, hash: sent.hash, to: tx.to, value: tx.value ?? '0x0', data: tx.data });
          return { result: sent.hash };
        } catch (e) {
          const inner = e?.info?.error ?? e?.error;
          return { error: { code: inner?.code ?? -32603, message: inner?.message ?? e.shortMessage ?? e.message, data: inner?.data ?? e?.data } };
        } finally {
          provider.destroy();
        }
      }
      case 'personal_sign':
      case 'eth_sign':
      case 'eth_signTypedData_v4':
        return { error: { code: 4200, message: `${method} is not supported by the test wallet` } };
      default: {
        const r = await rpcRaw(rpc, method, params);
        return r.error ? { error: r.error } : { result: r.result };
      }
    }
  };
  await context.exposeFunction('__baiWalletRequest', async (json) => {
    const { method, params } = JSON.parse(json);
    state.log.push({ method, params, chainId: state.chainId });
    let res;
    try {
      res = await handle(method, params);
    } catch (e) {
      res = { error: { code: -32603, message: e.message } };
    }
    return JSON.stringify(res);
  });
  await context.addInitScript({ content: PAGE_PROVIDER });
  return { address: signer.address, state };
}
