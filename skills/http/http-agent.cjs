'use strict';
// Runs INSIDE the conversation's agent (node -e), never in the gateway. Reads one JSON request
// on stdin: { socket, token, url, method, headers, body, max_bytes, timeout_ms }, sends it to
// the host's egress proxy over the mounted Unix socket (absolute-form request target, the
// one-time token in x-securesphere-token), and prints one JSON answer:
// { ok: true, result: { status, headers, body_base64, truncated, refused } } or
// { ok: false, error: { code, message } }. The proxy does every check; this script only
// relays and caps what it keeps at max_bytes. Plain Node 18, no dependencies.
const http = require('node:http');

function answer(value) {
  process.stdout.write(JSON.stringify(value));
}

function fail(code, message) {
  answer({ ok: false, error: { code, message } });
}

function main(input) {
  let req;
  try {
    req = JSON.parse(input);
  } catch {
    return fail('bad_input', 'the request is not JSON');
  }
  const max = Number.isInteger(req.max_bytes) && req.max_bytes > 0 ? req.max_bytes : 1048576;
  const headers = Object.assign({}, req.headers || {}, { 'x-securesphere-token': String(req.token || '') });
  const body = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : null;
  if (body) headers['content-length'] = String(body.length);
  const r = http.request({ socketPath: req.socket, method: req.method || 'GET', path: req.url, headers, timeout: req.timeout_ms || 30000 });
  r.on('timeout', () => r.destroy(new Error('the egress proxy did not answer in time')));
  // ENOENT: the agent has no socket mount; EPERM: runsc without --host-uds=open; EACCES: permissions.
  const unreachable = ['ENOENT', 'ECONNREFUSED', 'EPERM', 'EACCES'];
  r.on('error', (e) => fail(unreachable.includes(e.code) ? 'proxy_unreachable' : 'proxy_failed', `egress proxy: ${e.message}`));
  r.on('response', (res) => {
    const chunks = [];
    let size = 0;
    let truncated = res.headers['x-securesphere-truncated'] === '1';
    res.on('data', (c) => {
      if (size >= max) { truncated = true; return; }
      const room = max - size;
      if (c.length > room) { chunks.push(c.subarray(0, room)); size = max; truncated = true; return; }
      chunks.push(c);
      size += c.length;
    });
    res.on('error', (e) => fail('proxy_failed', `egress proxy: ${e.message}`));
    res.on('end', () => {
      const flat = {};
      for (const [k, v] of Object.entries(res.headers)) {
        if (v !== undefined && k !== 'x-securesphere-refused' && k !== 'x-securesphere-truncated') flat[k] = Array.isArray(v) ? v.join(', ') : String(v);
      }
      const refused = typeof res.headers['x-securesphere-refused'] === 'string' ? res.headers['x-securesphere-refused'] : null;
      answer({ ok: true, result: { status: res.statusCode || 0, headers: flat, body_base64: Buffer.concat(chunks).toString('base64'), truncated, refused } });
    });
  });
  r.end(body || undefined);
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => main(input));
