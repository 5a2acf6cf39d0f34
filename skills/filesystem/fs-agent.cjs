'use strict';
// Runs INSIDE the conversation's agent (node -e), never in the gateway. Reads one JSON request
// on stdin: { op, args, limits } or { batch: [{ op, args }...], limits }, and prints one JSON
// answer. Every path is relative to the workspace root (a leading "/" is the workspace root).
// Containment: NUL refused, whole-segment comparison, symlinks resolved and the real path
// re-checked, new files checked through their nearest existing parent, writes go to a temp
// file renamed into place, opens use O_NOFOLLOW so a symlink swapped in after the check fails.
// Plain Node 18, no dependencies.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { TextDecoder } = require('node:util');

const ROOT = path.resolve(process.env.SECURESPHERE_WORKSPACE || '/workspace');
const C = fs.constants;

class Refusal extends Error {
  constructor(code, message) { super(message); this.code = code; }
}
const refuse = (code, message) => { throw new Refusal(code, message); };

function isWithin(root, target) {
  const rel = path.relative(root, target);
  return rel === '' || (!path.isAbsolute(rel) && rel.split(path.sep)[0] !== '..');
}

function display(real, realRoot) {
  const rel = path.relative(realRoot, real);
  return rel === '' ? '.' : rel.split(path.sep).join('/');
}

// Lexical step: the user's path mapped under ROOT, or a refusal.
function lexical(input) {
  if (typeof input !== 'string') refuse('invalid_path', 'path must be a string');
  if (input.includes('\0')) refuse('invalid_path', 'path contains a NUL byte');
  if (input.length > 4096) refuse('invalid_path', 'path is too long');
  const stripped = input.replace(/^\/+/, '');
  const abs = path.resolve(ROOT, stripped === '' ? '.' : stripped);
  if (!isWithin(ROOT, abs)) refuse('outside_workspace', 'path leaves the workspace');
  return abs;
}

function lstatOrNull(p) {
  try { return fs.lstatSync(p); } catch (e) { if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null; throw e; }
}

let realRootCache = null;
function realRoot() {
  if (realRootCache === null) realRootCache = fs.realpathSync(ROOT);
  return realRootCache;
}

function checkReal(real) {
  if (!isWithin(realRoot(), real)) refuse('outside_workspace', 'path resolves (through a symlink) outside the workspace');
  return real;
}

// Resolves an existing path through every symlink and re-checks the real path.
function resolveExisting(input) {
  const abs = lexical(input);
  if (lstatOrNull(abs) === null) refuse('not_found', `${input} does not exist`);
  return checkReal(fs.realpathSync(abs));
}

// For a path that may not exist yet: the real parent is checked, the final name is kept as
// given (it may itself be a symlink, which the caller handles without following it).
function resolveEntry(input) {
  const abs = lexical(input);
  if (abs === ROOT) return { parent: null, name: null, real: realRoot() };
  const name = path.basename(abs);
  let parentAbs = path.dirname(abs);
  const missing = [];
  while (lstatOrNull(parentAbs) === null) {
    missing.unshift(path.basename(parentAbs));
    parentAbs = path.dirname(parentAbs);
  }
  const realParent = checkReal(fs.realpathSync(parentAbs));
  const parent = missing.length > 0 ? path.join(realParent, ...missing) : realParent;
  return { parent, name, missing, realParent, real: path.join(parent, name) };
}

function checkExtension(real, limits) {
  const list = limits.extensions;
  if (!Array.isArray(list)) return;
  const ext = path.extname(real).toLowerCase();
  if (!list.map((e) => String(e).toLowerCase()).includes(ext)) {
    refuse('extension_not_allowed', `files with extension "${ext || '(none)'}" are not allowed; allowed: ${list.join(', ')}`);
  }
}

function looksBinary(buf) {
  const head = buf.subarray(0, 8192);
  if (head.includes(0)) return true;
  try { new TextDecoder('utf-8', { fatal: true }).decode(buf); return false; } catch { return true; }
}

function ensureDirs(entry) {
  let current = entry.realParent;
  for (const part of entry.missing || []) {
    current = path.join(current, part);
    try { fs.mkdirSync(current); } catch (e) { if (e.code !== 'EEXIST') throw e; }
    const st = fs.lstatSync(current);
    if (!st.isDirectory()) refuse('not_a_directory', `${part} is not a directory`);
  }
}

function opRead(args, limits) {
  const real = resolveExisting(args.path);
  checkExtension(real, limits);
  let fd;
  try { fd = fs.openSync(real, C.O_RDONLY | C.O_NOFOLLOW | (C.O_NONBLOCK || 0)); } catch (e) {
    if (e.code === 'ELOOP') refuse('symlink_swapped', 'the file changed into a symlink while it was being opened');
    if (e.code === 'EISDIR') refuse('is_directory', `${args.path} is a directory; use list`);
    throw e;
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) refuse('is_directory', `${args.path} is a directory; use list`);
    if (!st.isFile()) refuse('not_a_file', `${args.path} is not a regular file`);
    if (st.size > limits.maxReadBytes) refuse('too_large', `file is ${st.size} bytes; the read limit is ${limits.maxReadBytes}`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) { const n = fs.readSync(fd, buf, off, st.size - off, off); if (n === 0) break; off += n; }
    const data = buf.subarray(0, off);
    if (looksBinary(data)) return { path: display(real, realRoot()), size: off, binary: true, content: null };
    return { path: display(real, realRoot()), size: off, binary: false, content: data.toString('utf8') };
  } finally { fs.closeSync(fd); }
}

function contentBuffer(args, limits) {
  if (typeof args.content !== 'string') refuse('invalid_content', 'content must be a string');
  const buf = Buffer.from(args.content, 'utf8');
  if (buf.length > limits.maxWriteBytes) refuse('too_large', `content is ${buf.length} bytes; the write limit is ${limits.maxWriteBytes}`);
  return buf;
}

// A symlink at the target is followed only if its real target is inside the workspace.
function writeTarget(input) {
  const entry = resolveEntry(input);
  if (entry.name === null) refuse('is_directory', 'cannot write to the workspace root');
  const st = lstatOrNull(entry.real);
  if (st !== null && st.isSymbolicLink()) {
    const real = checkReal(fs.realpathSync(entry.real));
    return { entry: Object.assign({}, entry, { real, parent: path.dirname(real), name: path.basename(real), missing: [] }), st: fs.lstatSync(real) };
  }
  return { entry, st };
}

function opWrite(args, limits) {
  const buf = contentBuffer(args, limits);
  if (buf.length > limits.maxFileBytes) refuse('too_large', `content is ${buf.length} bytes; files may not exceed ${limits.maxFileBytes}`);
  const t = writeTarget(args.path);
  checkExtension(t.entry.real, limits);
  if (t.st !== null && !t.st.isFile()) refuse('not_a_file', `${args.path} exists and is not a regular file`);
  ensureDirs(t.entry);
  const tmp = path.join(t.entry.parent, `.${t.entry.name}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, t.st ? t.st.mode & 0o777 : 0o644);
  try {
    fs.writeSync(fd, buf, 0, buf.length, 0);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd); fs.rmSync(tmp, { force: true }); throw e;
  }
  fs.closeSync(fd);
  // rename replaces the directory entry itself: it never follows a symlink placed at the target.
  fs.renameSync(tmp, t.entry.real);
  return { path: display(t.entry.real, realRoot()), bytes: buf.length, created: t.st === null };
}

function opAppend(args, limits) {
  const buf = contentBuffer(args, limits);
  const t = writeTarget(args.path);
  checkExtension(t.entry.real, limits);
  ensureDirs(t.entry);
  let fd;
  try { fd = fs.openSync(t.entry.real, C.O_WRONLY | C.O_APPEND | C.O_CREAT | C.O_NOFOLLOW | (C.O_NONBLOCK || 0), 0o644); } catch (e) {
    if (e.code === 'ELOOP') refuse('symlink_swapped', 'the file changed into a symlink while it was being opened');
    throw e;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) refuse('not_a_file', `${args.path} is not a regular file`);
    if (st.size + buf.length > limits.maxFileBytes) refuse('too_large', `the file would grow past ${limits.maxFileBytes} bytes`);
    fs.writeSync(fd, buf);
    return { path: display(t.entry.real, realRoot()), bytes: buf.length, size: st.size + buf.length };
  } finally { fs.closeSync(fd); }
}

// delete and move act on the directory entry itself: a symlink is removed or moved, not followed.
function existingEntry(input) {
  const entry = resolveEntry(input);
  if (entry.name === null) refuse('is_root', 'the workspace root cannot be deleted or moved');
  const st = lstatOrNull(entry.real);
  if (st === null) refuse('not_found', `${input} does not exist`);
  return { entry, st };
}

function opDelete(args) {
  const { entry, st } = existingEntry(args.path);
  if (st.isDirectory()) {
    try { fs.rmdirSync(entry.real); } catch (e) {
      if (e.code === 'ENOTEMPTY' || e.code === 'EEXIST') refuse('not_empty', `${args.path} is a directory that is not empty; delete its contents first`);
      throw e;
    }
  } else fs.unlinkSync(entry.real);
  return { path: display(entry.real, realRoot()), deleted: true, type: st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'file' };
}

function opMove(args, limits) {
  const from = existingEntry(args.from);
  const to = resolveEntry(args.to);
  if (to.name === null) refuse('is_root', 'cannot move onto the workspace root');
  if (lstatOrNull(to.real) !== null) refuse('exists', `${args.to} already exists; delete it first`);
  if (from.st.isFile()) checkExtension(to.real, limits);
  if (from.st.isDirectory() && isWithin(from.entry.real, to.real)) refuse('invalid_move', 'cannot move a directory into itself');
  ensureDirs(to);
  fs.renameSync(from.entry.real, to.real);
  return { from: display(from.entry.real, realRoot()), to: display(to.real, realRoot()) };
}

function typeOf(d) {
  return d.isSymbolicLink() ? 'symlink' : d.isDirectory() ? 'directory' : d.isFile() ? 'file' : 'other';
}

function opList(args, limits) {
  const real = resolveExisting(args.path === undefined ? '.' : args.path);
  if (!fs.statSync(real).isDirectory()) refuse('not_a_directory', `${args.path} is not a directory`);
  const names = fs.readdirSync(real, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  const entries = [];
  for (const d of names.slice(0, limits.maxEntries)) {
    const item = { name: d.name, type: typeOf(d) };
    if (d.isFile()) { try { item.size = fs.lstatSync(path.join(real, d.name)).size; } catch { /* vanished */ } }
    entries.push(item);
  }
  return { path: display(real, realRoot()), entries, truncated: names.length > limits.maxEntries };
}

function globToRegExp(pattern) {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

// Name search: a glob (* and ?) or, without wildcards, a case-insensitive substring. Symlinked
// directories are not descended into.
function opSearch(args, limits) {
  if (typeof args.pattern !== 'string' || args.pattern.length === 0) refuse('invalid_pattern', 'pattern must be a non-empty string');
  const start = resolveExisting(args.path === undefined ? '.' : args.path);
  const wild = /[*?]/.test(args.pattern);
  const re = wild ? globToRegExp(args.pattern) : null;
  const needle = args.pattern.toLowerCase();
  const matches = [];
  let visited = 0;
  let truncated = false;
  const stack = [start];
  while (stack.length > 0 && !truncated) {
    const dir = stack.pop();
    let list;
    try { list = fs.readdirSync(dir, { withFileTypes: true }); } catch { continue; }
    for (const d of list) {
      visited += 1;
      if (visited > limits.maxVisited || matches.length >= limits.maxResults) { truncated = true; break; }
      const full = path.join(dir, d.name);
      if (wild ? re.test(d.name) : d.name.toLowerCase().includes(needle)) matches.push({ path: display(full, realRoot()), type: typeOf(d) });
      if (d.isDirectory()) stack.push(full);
    }
  }
  return { matches, truncated };
}

// Lexical containment only, for testing this script's rules against shared cases.
function opCheck(args) {
  return args.cases.map((c) => {
    try {
      if (typeof c.path !== 'string' || c.path.includes('\0')) return false;
      if (!Array.isArray(c.roots) || c.roots.some((r) => typeof r === 'string' && r.includes('\0'))) return false;
      const roots = c.roots.filter((r) => typeof r === 'string' && r !== '');
      const effective = roots.length > 0 ? roots : c.base ? [c.base] : [];
      const target = path.resolve(c.base || '/', c.path);
      return effective.some((r) => isWithin(path.resolve(c.base || '/', r), target));
    } catch { return false; }
  });
}

const OPS = { read: opRead, write: opWrite, append: opAppend, delete: opDelete, move: opMove, list: opList, search: opSearch, check: opCheck };

function runOne(op, args, limits) {
  if (!Object.prototype.hasOwnProperty.call(OPS, op)) refuse('unknown_operation', 'unknown operation');
  if (typeof args !== 'object' || args === null) refuse('invalid_arguments', 'arguments must be an object');
  return OPS[op](args, limits);
}

function answer(fn) {
  try { return { ok: true, result: fn() }; } catch (e) {
    if (e instanceof Refusal) return { ok: false, error: { code: e.code, message: e.message } };
    const code = e && e.code ? String(e.code) : 'failed';
    const known = { ENOENT: 'not_found', EACCES: 'permission_denied', EPERM: 'permission_denied', ENOTDIR: 'not_a_directory', ELOOP: 'symlink_loop', EISDIR: 'is_directory', ENOSPC: 'no_space', EROFS: 'read_only', EXDEV: 'cross_device' };
    return { ok: false, error: { code: known[code] || 'failed', message: `${known[code] || 'failed'}: ${code}` } };
  }
}

let raw = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { raw += c; });
process.stdin.on('end', () => {
  let req;
  try { req = JSON.parse(raw); } catch { process.stdout.write(JSON.stringify({ ok: false, error: { code: 'invalid_request', message: 'request is not JSON' } })); return; }
  const limits = Object.assign({ maxReadBytes: 1048576, maxWriteBytes: 1048576, maxFileBytes: 10485760, maxEntries: 1000, maxResults: 200, maxVisited: 20000, extensions: null }, req.limits || {});
  let out;
  if (Array.isArray(req.batch)) out = { ok: true, result: req.batch.map((item) => answer(() => runOne(item.op, item.args, limits))) };
  else out = answer(() => runOne(req.op, req.args, limits));
  process.stdout.write(JSON.stringify(out));
});
