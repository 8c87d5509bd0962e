// Minimal JSON-RPC-over-WebSocket client with eth_subscribe support (raw, so the tests see exactly what
// the node sends).
import WebSocket from 'ws';

export class WsRpc {
  static async connect(url) {
    const c = new WsRpc(url);
    await new Promise((resolve, reject) => {
      c.ws.once('open', resolve);
      c.ws.once('error', reject);
    });
    return c;
  }

  constructor(url) {
    this.ws = new WebSocket(url);
    this.nextId = 1;
    this.pending = new Map();
    this.subs = new Map(); // id -> { items: [], waiters: [], error? }
    this.ws.on('message', (buf) => this.#onMessage(JSON.parse(buf.toString())));
    this.ws.on('close', () => {
      for (const { reject } of this.pending.values()) reject(new Error('websocket closed'));
      this.pending.clear();
    });
  }

  #sub(id) {
    let s = this.subs.get(id);
    if (!s) this.subs.set(id, (s = { items: [], waiters: [] }));
    return s;
  }

  #onMessage(msg) {
    if (Array.isArray(msg)) return msg.forEach((m) => this.#onMessage(m));
    if (msg.method === 'eth_subscription') {
      const s = this.#sub(msg.params.subscription);
      // a subscription the node ends with an error (jsonrpsee: `params.error`, no `result`) gets no more items
      if ('error' in msg.params && !('result' in msg.params)) s.error = msg.params.error;
      else s.items.push(msg.params.result);
      s.waiters.splice(0).forEach((w) => w());
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.error) {
      const e = new Error(`${p.method}: ${msg.error.code} ${msg.error.message}`);
      e.rpcError = msg.error;
      p.reject(e);
    } else p.resolve(msg.result);
  }

  request(method, params = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  async subscribe(...params) {
    const id = await this.request('eth_subscribe', params);
    this.#sub(id);
    return id;
  }

  /** Waits until `n` notifications (optionally matching `pred`) arrived on subscription `id`. */
  async take(id, n, { timeoutMs = 20000, pred = () => true } = {}) {
    const s = this.#sub(id);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = s.items.filter(pred);
      if (got.length >= n) return got.slice(0, n);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`subscription ${id}: got ${got.length}/${n} notifications within ${timeoutMs} ms`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        s.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  items(id) {
    return this.#sub(id).items;
  }

  /** The error the node ended subscription `id` with, if it did (undefined while it runs). */
  subscriptionError(id) {
    return this.#sub(id).error;
  }

  close() {
    this.ws.close();
  }
}
