'use strict';
// The in-agent helper: the main process of every SecureSphere agent. It reads newline-delimited
// JSON requests on stdin and answers one JSON line per request on stdout. It is baked into the
// image (files copied into a runsc container's root filesystem are invisible inside it).
// It must stay dependency-free plain Node (node 18+, whatever Debian ships) and must never trust
// a request to be well-formed: a bad line is answered with an error, never a crash.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const BASE_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/workspace',
  LANG: 'C.UTF-8',
  TMPDIR: '/tmp',
};
const DEFAULT_TIMEOUT_MS = 30000;
const DEFAULT_CAP = 65536;
// Output beyond the cap is discarded; a program that keeps writing far past it is killed.
const RUNAWAY_FACTOR = 64;
const RUNAWAY_MIN_BYTES = 8 * 1024 * 1024;

function send(message) {
  process.stdout.write(JSON.stringify(message) + '\n');
}

function killGroup(pid, signal) {
  try { process.kill(-pid, signal); } catch { /* already gone */ }
  try { process.kill(pid, signal); } catch { /* already gone */ }
}

function collector(cap) {
  const chunks = [];
  let kept = 0;
  let total = 0;
  return {
    add(chunk) {
      total += chunk.length;
      if (kept < cap) {
        const part = chunk.length > cap - kept ? chunk.subarray(0, cap - kept) : chunk;
        chunks.push(part);
        kept += part.length;
      }
    },
    get total() { return total; },
    text() {
      const body = Buffer.concat(chunks).toString('utf8');
      return total > cap ? body + `\n[securesphere: output truncated, ${total - cap} of ${total} bytes dropped]\n` : body;
    },
    get truncated() { return total > cap; },
  };
}

function exec(request) {
  return new Promise((resolve) => {
    const argv = request.argv;
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string')) {
      resolve({ error: 'argv must be a non-empty array of strings' });
      return;
    }
    const timeoutMs = Number.isFinite(request.timeoutMs) && request.timeoutMs > 0 ? request.timeoutMs : DEFAULT_TIMEOUT_MS;
    const cap = Number.isFinite(request.outputCapBytes) && request.outputCapBytes > 0 ? request.outputCapBytes : DEFAULT_CAP;
    const env = Object.assign({}, BASE_ENV);
    if (request.env && typeof request.env === 'object') {
      for (const [k, v] of Object.entries(request.env)) if (typeof v === 'string') env[k] = v;
    }
    const started = process.hrtime.bigint();
    const out = collector(cap);
    const err = collector(cap);
    let limit = null;
    let finished = false;
    let child;
    try {
      child = spawn(argv[0], argv.slice(1), {
        cwd: typeof request.cwd === 'string' ? request.cwd : '/workspace',
        env,
        detached: true, // own process group, so a timeout kills every descendant
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    } catch (e) {
      resolve({ exitCode: 127, signal: null, stdout: '', stderr: String(e && e.message), durationMs: 0, truncated: false, limit: null });
      return;
    }
    const finish = (exitCode, signal, spawnError) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (limit === null && signal === 'SIGKILL') limit = 'killed';
      let stderr = err.text();
      if (spawnError) stderr += (stderr ? '\n' : '') + spawnError;
      resolve({
        exitCode, signal, stdout: out.text(), stderr, durationMs,
        truncated: out.truncated || err.truncated, limit,
      });
    };
    const timer = setTimeout(() => {
      if (limit === null) limit = 'timeout';
      killGroup(child.pid, 'SIGKILL');
    }, timeoutMs);
    const onData = (c) => (chunk) => {
      c.add(chunk);
      if (c.total > Math.max(cap * RUNAWAY_FACTOR, RUNAWAY_MIN_BYTES) && limit === null) {
        limit = 'output';
        killGroup(child.pid, 'SIGKILL');
      }
    };
    child.stdout.on('data', onData(out));
    child.stderr.on('data', onData(err));
    child.stdin.on('error', () => { /* program did not read its stdin */ });
    child.on('error', (e) => {
      finish(e && e.code === 'ENOENT' ? 127 : 126, null, `securesphere: cannot run ${argv[0]}: ${e && e.code ? e.code : e}`);
    });
    let exitInfo = null;
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      // Background descendants would keep the pipes open and outlive the request.
      killGroup(child.pid, 'SIGKILL');
      setTimeout(() => finish(code, signal), 1000).unref();
    });
    child.on('close', (code, signal) => {
      const info = exitInfo || { code, signal };
      finish(info.code, info.signal);
    });
    if (typeof request.stdin === 'string' && request.stdin.length > 0) child.stdin.end(request.stdin);
    else child.stdin.end();
  });
}

function usage(dir) {
  let bytes = 0;
  let files = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop();
    let entries;
    try { entries = fs.readdirSync(current, { withFileTypes: true }); } catch { continue; }
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      try {
        const st = fs.lstatSync(full);
        bytes += st.blocks * 512;
        files += 1;
        if (entry.isDirectory()) stack.push(full);
      } catch { /* vanished */ }
    }
  }
  return { bytes, files };
}

async function handle(line) {
  let request;
  try { request = JSON.parse(line); } catch { send({ id: null, error: 'request is not JSON' }); return; }
  if (request === null || typeof request !== 'object') { send({ id: null, error: 'request is not an object' }); return; }
  const id = request.id;
  try {
    if (request.op === 'ping') send({ id, result: { pong: true, pid: process.pid, uid: process.getuid(), node: process.version } });
    else if (request.op === 'usage') send({ id, result: usage(typeof request.dir === 'string' ? request.dir : '/workspace') });
    else if (request.op === 'exec') {
      const result = await exec(request);
      if (result.error) send({ id, error: result.error });
      else send({ id, result });
    } else send({ id, error: 'unknown op' });
  } catch (e) {
    send({ id, error: String(e && e.message ? e.message : e) });
  }
}

process.stdout.on('error', () => process.exit(0));
const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
let pending = 0;
let closed = false;
lines.on('line', (line) => {
  if (line.trim() === '') return;
  pending += 1;
  void handle(line).finally(() => {
    pending -= 1;
    if (closed && pending === 0) process.exit(0);
  });
});
// stdin stays open across detaches (OpenStdin without StdinOnce); EOF means the agent is done.
lines.on('close', () => {
  closed = true;
  if (pending === 0) process.exit(0);
});
process.on('SIGTERM', () => process.exit(143));
