# Runs INSIDE the conversation's agent (python3 -S -I -c). The conversation's notes live in
# <workspace>/.notes.json; this script reads one JSON request on stdin ({ op, args, limits })
# and prints one JSON answer. The notes file is opened with O_NOFOLLOW and replaced through a
# temp file + rename, so a symlink planted at .notes.json is refused, never followed.
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


def load():
    try:
        fd = os.open(FILE, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as e:
        if e.errno == errno.ENOENT:
            return []
        if e.errno == errno.ELOOP:
            fail('unsafe_notes_file', '.notes.json is a symlink; delete it to start fresh')
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            fail('unsafe_notes_file', '.notes.json is not a regular file')
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
        data = json.loads(b''.join(chunks).decode('utf-8', 'replace'))
        if data is None:
            raise ValueError('null')
        notes = data.get('notes') if isinstance(data, dict) else None
        if not isinstance(notes, list):
            return []
        return [n for n in notes if isinstance(n, dict) and isinstance(n.get('id'), str) and isinstance(n.get('text'), str)]
    except Refusal:
        raise
    except Exception:  # noqa: BLE001 - anything unreadable is a corrupt file
        fail('corrupt_notes_file', '.notes.json is not valid; delete it to start fresh')
    finally:
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
        out = {'ok': True, 'result': OPS[op](args if isinstance(args, dict) else {}, limits)}
    except Refusal as e:
        out = {'ok': False, 'error': {'code': e.refusal, 'message': e.message}}
    except Exception as e:  # noqa: BLE001 - every failure becomes an answer, like the Node version
        code = errno.errorcode.get(e.errno, '') if isinstance(e, OSError) and e.errno else ''
        out = {'ok': False, 'error': {'code': 'failed', 'message': f'notes failed: {code or "error"}'}}
    sys.stdout.buffer.write(to_json(out))


main()
