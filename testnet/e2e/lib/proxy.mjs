// A JSON-RPC (HTTP) proxy between the nodes and their L1, to put faults on the way: refuse connections,
// drop the calls of one method, or stall (accept, then answer nothing until resumed).
import http from 'node:http';

/**
 * An HTTP proxy to `target` that can be taken down (connections refused) and brought back, made to
 * drop the connection of the next `n` calls of one JSON-RPC method, or stalled: while stalled every
 * request is read and then held, unanswered, until `resume()` forwards it (a hung endpoint, as a client
 * sees an overloaded or partitioned L1 node; a client's own deadline may give up on it first).
 */
export function startProxy(target) {
  let down = false;
  let stalled = null; // { promise, release } while stalled
  let held = 0; // requests held by stalls so far
  const failing = new Map(); // method -> calls still to drop
  const server = http.createServer(async (req, res) => {
    if (down) { req.socket.destroy(); return; }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    if (stalled) { held++; await stalled.promise; }
    let method;
    try { method = JSON.parse(Buffer.concat(chunks).toString()).method; } catch { /* a batch or not JSON */ }
    if (failing.get(method) > 0) {
      failing.set(method, failing.get(method) - 1);
      req.socket.destroy();
      return;
    }
    try {
      const r = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) });
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(Buffer.from(await r.arrayBuffer()));
    } catch { req.socket.destroy(); }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    setDown(value) { down = value; },
    failNext(method, n) { failing.set(method, n); },
    failsLeft(method) { return failing.get(method) ?? 0; },
    /** Stops answering: requests are accepted and held until `resume()`. */
    stall() {
      if (stalled) return;
      let release;
      const promise = new Promise((r) => { release = r; });
      stalled = { promise, release };
    },
    /** Answers again, the held requests first (their clients may have given up meanwhile). */
    resume() { stalled?.release(); stalled = null; },
    /** How many requests stalls have held so far. */
    get held() { return held; },
    close() { this.resume(); server.closeAllConnections?.(); server.close(); },
  })));
}

/**
 * A JSON-RPC proxy to `target` that hands each answer to `rewrite(request, answer)` before passing it on
 * (`request` and `answer` parsed; `rewrite` edits `answer` in place): an operator's fault planted between a
 * node and its inference server.
 */
export function startRewritingProxy(target, rewrite) {
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    try {
      const r = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const answer = await r.json();
      rewrite(JSON.parse(body), answer);
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    } catch { req.socket.destroy(); }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    close() { server.closeAllConnections?.(); server.close(); },
  })));
}
