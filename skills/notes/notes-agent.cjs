'use strict';
// Runs INSIDE the conversation's agent (node -e). The conversation's notes live in
// <workspace>/.notes.json; this script reads one JSON request on stdin ({ op, args, limits })
// and prints one JSON answer. The notes file is opened with O_NOFOLLOW and replaced through a
// temp file + rename, so a symlink planted at .notes.json is refused, never followed.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const ROOT = path.resolve(process.env.SECURESPHERE_WORKSPACE || '/workspace');
const FILE = path.join(ROOT, '.notes.json');

function fail(code, message) { const e = new Error(message); e.refusal = code; throw e; }

function load() {
  let fd;
  try { fd = fs.openSync(FILE, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW); } catch (e) {
    if (e.code === 'ENOENT') return [];
    if (e.code === 'ELOOP') fail('unsafe_notes_file', '.notes.json is a symlink; delete it to start fresh');
    throw e;
  }
  try {
    if (!fs.fstatSync(fd).isFile()) fail('unsafe_notes_file', '.notes.json is not a regular file');
    const data = JSON.parse(fs.readFileSync(fd, 'utf8'));
    return Array.isArray(data.notes) ? data.notes.filter((n) => n && typeof n.id === 'string' && typeof n.text === 'string') : [];
  } catch (e) {
    if (e.refusal) throw e;
    fail('corrupt_notes_file', '.notes.json is not valid; delete it to start fresh');
  } finally { fs.closeSync(fd); }
}

function save(notes) {
  const tmp = path.join(ROOT, `.notes.json.${crypto.randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  try { fs.writeSync(fd, JSON.stringify({ version: 1, notes })); fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  fs.renameSync(tmp, FILE);
}

const OPS = {
  remember(args, limits) {
    const notes = load();
    if (notes.length >= limits.maxNotes) fail('too_many_notes', `there are already ${notes.length} notes; forget some first`);
    const note = { id: `n_${crypto.randomBytes(5).toString('hex')}`, text: args.text, created_at: new Date().toISOString() };
    notes.push(note);
    save(notes);
    return { note, count: notes.length };
  },
  recall(args, limits) {
    const notes = load();
    const words = typeof args.query === 'string' ? args.query.toLowerCase().split(/\s+/).filter(Boolean) : [];
    const hits = words.length === 0 ? notes : notes.filter((n) => { const t = n.text.toLowerCase(); return words.every((w) => t.includes(w)); });
    return { notes: hits.slice(-limits.maxResults), total: hits.length, truncated: hits.length > limits.maxResults };
  },
  forget(args) {
    const notes = load();
    const kept = notes.filter((n) => n.id !== args.id);
    if (kept.length === notes.length) return { forgotten: false, count: notes.length };
    save(kept);
    return { forgotten: true, count: kept.length };
  },
};

let raw = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { raw += c; });
process.stdin.on('end', () => {
  let out;
  try {
    const req = JSON.parse(raw);
    if (!Object.prototype.hasOwnProperty.call(OPS, req.op)) fail('unknown_operation', 'unknown operation');
    const limits = Object.assign({ maxNotes: 1000, maxResults: 100 }, req.limits || {});
    out = { ok: true, result: OPS[req.op](req.args || {}, limits) };
  } catch (e) {
    out = { ok: false, error: { code: e.refusal || 'failed', message: e.refusal ? e.message : `notes failed: ${e.code || 'error'}` } };
  }
  process.stdout.write(JSON.stringify(out));
});
