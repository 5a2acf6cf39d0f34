# Runs INSIDE the conversation's agent (python3 -S -I -c). The conversation's notes live in
# <workspace>/.notes.json; this script reads one JSON request on stdin ({ op, args, limits })
# and prints one JSON answer. The notes file is opened with O_NOFOLLOW and replaced through a
# temp file + rename, so a symlink planted at .notes.json is never followed. An unusable file
# (invalid JSON, a symlink, not a regular file) is set aside as .notes.json.corrupt-<time>-<hex>
# and the notes start afresh, with a warning in the answer: it never disables the skill.
# Python rather than Node for start-up time under gVisor. Python 3.11 stdlib only.
import errno
import json
import os
import posixpath
import re
import stat
import sys
import time

ROOT = posixpath.normpath(posixpath.join(os.getcwd(), os.environ.get('SECURESPHERE_WORKSPACE') or '/workspace'))
FILE = posixpath.join(ROOT, '.notes.json')


class Refusal(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.refusal = code
        self.message = message


def fail(code, message):
    raise Refusal(code, message)


# Names of unusable notes files set aside during this request (told to the caller).
SET_ASIDE = []


def set_aside(reason):
    # Keeps the unusable file (or symlink: rename moves the entry, never its target) next to the
    # new one for a person to look at, and lets the notes start afresh instead of failing forever.
    name = f'.notes.json.corrupt-{time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())}-{os.urandom(3).hex()}'
    os.rename(FILE, posixpath.join(ROOT, name))
    SET_ASIDE.append({'file': name, 'reason': reason})
    return []


def load():
    try:
        fd = os.open(FILE, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        if e.errno == errno.ENOENT:
            return []
        if e.errno == errno.ELOOP:
            return set_aside('it was a symlink')
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            fd = None
            return set_aside('it was not a regular file')
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
        try:
            data = json.loads(b''.join(chunks).decode('utf-8'))
        except (ValueError, RecursionError):
            data = None
        notes = data.get('notes') if isinstance(data, dict) else None
        if not isinstance(notes, list):
            os.close(fd)
            fd = None
            return set_aside('it was not a valid notes file')
        return [n for n in notes if isinstance(n, dict) and isinstance(n.get('id'), str) and isinstance(n.get('text'), str)]
    finally:
        if fd is not None:
            os.close(fd)


def save(notes):
    tmp = posixpath.join(ROOT, f'.notes.json.{os.urandom(6).hex()}.tmp')
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        view = memoryview(to_json({'version': 1, 'notes': notes}))
        while len(view) > 0:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, FILE)


def iso_now():
    # JavaScript's Date.toISOString(): UTC, milliseconds, "Z".
    ms = int(time.time() * 1000)
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(ms // 1000)) + '.%03dZ' % (ms % 1000)


# JavaScript's \s, so queries split exactly as the gateway's other code would split them.
JS_SPACE = re.compile('[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+')


def remember(args, limits):
    notes = load()
    if len(notes) >= limits['maxNotes']:
        fail('too_many_notes', f'there are already {len(notes)} notes; forget some first')
    note = {'id': f'n_{os.urandom(5).hex()}'}
    if 'text' in args:
        note['text'] = args['text']
    note['created_at'] = iso_now()
    notes.append(note)
    save(notes)
    return {'note': note, 'count': len(notes)}


def recall(args, limits):
    notes = load()
    query = args.get('query')
    words = [w for w in JS_SPACE.split(query.lower()) if w] if isinstance(query, str) else []
    hits = notes if not words else [n for n in notes if all(w in n['text'].lower() for w in words)]
    # JavaScript's hits.slice(-maxResults), including its reading of 0 as "all".
    return {'notes': hits[-int(limits['maxResults']):], 'total': len(hits), 'truncated': len(hits) > limits['maxResults']}


def forget(args, limits):
    notes = load()
    wanted = args.get('id')
    kept = [n for n in notes if n['id'] != wanted]
    if len(kept) == len(notes):
        return {'forgotten': False, 'count': len(notes)}
    save(kept)
    return {'forgotten': True, 'count': len(kept)}


OPS = {'remember': remember, 'recall': recall, 'forget': forget}
LONE_SURROGATE = re.compile('[\ud800-\udfff]')


def to_json(value):
    # Like JSON.stringify: compact, UTF-8, and a lone surrogate (from a "\ud800" in the request)
    # written as an escape rather than failing to encode.
    text = json.dumps(value, ensure_ascii=False, separators=(',', ':'))
    return LONE_SURROGATE.sub(lambda m: '\\u%04x' % ord(m.group(0)), text).encode('utf-8')


def main():
    try:
        req = json.loads(sys.stdin.buffer.read().decode('utf-8', 'replace'))
        if not isinstance(req, dict):
            if req is None:
                raise TypeError('the request is null')
            req = {}
        op = req.get('op')
        if not isinstance(op, str) or op not in OPS:
            fail('unknown_operation', 'unknown operation')
        limits = {'maxNotes': 1000, 'maxResults': 100}
        if isinstance(req.get('limits'), dict):
            limits.update(req['limits'])
        args = req.get('args') or {}
        result = OPS[op](args if isinstance(args, dict) else {}, limits)
        if SET_ASIDE:
            result['set_aside'] = SET_ASIDE[0]['file']
            result['warning'] = f'The notes file was unusable ({SET_ASIDE[0]["reason"]}); it was kept as {SET_ASIDE[0]["file"]} and the notes started afresh.'
        out = {'ok': True, 'result': result}
    except Refusal as e:
        out = {'ok': False, 'error': {'code': e.refusal, 'message': e.message}}
    except Exception as e:  # noqa: BLE001 - every failure becomes an answer, like the Node version
        code = errno.errorcode.get(e.errno, '') if isinstance(e, OSError) and e.errno else ''
        out = {'ok': False, 'error': {'code': 'failed', 'message': f'notes failed: {code or "error"}'}}
    sys.stdout.buffer.write(to_json(out))


main()
