// Trivial JSON-RPC sink: answers every request (single or batch) at once with a fixed result. Used to
// measure the load generator's own ceiling (no node behind it).
import http from 'node:http';

const port = Number(process.argv[2] || 0);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body;
    try { body = JSON.parse(Buffer.concat(chunks).toString()); } catch { body = { id: null }; }
    const one = (r) => ({ jsonrpc: '2.0', id: r.id, result: '0x0000000000000000000000000000000000000000000000000000000000000001' });
    const out = JSON.stringify(Array.isArray(body) ? body.map(one) : one(body));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
});
server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`SINK ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
