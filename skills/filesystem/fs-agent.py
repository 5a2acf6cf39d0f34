# Runs INSIDE the conversation's agent (python3 -S -I -c), never in the gateway. Reads one JSON
# request on stdin: { op, args, limits } or { batch: [{ op, args }...], limits }, and prints one
# JSON answer. Every path is relative to the workspace root (a leading "/" is the workspace root).
# Containment: NUL refused, whole-segment comparison, symlinks resolved and the real path
# re-checked, new files checked through their nearest existing parent, writes go to a temp
# file renamed into place, opens use O_NOFOLLOW so a symlink swapped in after the check fails.
# File names are normalised to NFC (two names that display the same are the same file), unless
# only the given, unnormalised name exists (a file a program created). The notes skill's file
# (.notes.json at the root, and its temp and set-aside copies) is not writable, movable or
# deletable here: only the notes skill changes it.
# Python rather than Node for start-up time under gVisor. Python 3.11 stdlib only.
# Strings follow the Node version's semantics where they could differ: lone surrogates in the
# request become U+FFFD (as Node's UTF-8 encoding does), undecodable file name bytes are
# answered as U+FFFD, directories are walked in libuv's bytewise order, listings sort by UTF-16
# code units, globs fold case like JavaScript's /i.
import errno
import json
import os
import posixpath
import re
import stat
import sys
import unicodedata

UNDEFINED = object()


class Refusal(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def refuse(code, message):
    raise Refusal(code, message)


def resolve(*parts):
    # Node's path.posix.resolve: the rightmost absolute part wins, '//x' collapses to '/x'.
    joined = ''
    for part in reversed(parts):
        if part == '':
            continue
        joined = part if joined == '' else part + '/' + joined
        if part.startswith('/'):
            break
    if not joined.startswith('/'):
        joined = os.getcwd() + ('/' + joined if joined else '')
    normal = posixpath.normpath(joined)
    return '/' + normal.lstrip('/')


ROOT = resolve(os.environ.get('SECURESPHERE_WORKSPACE') or '/workspace')


def is_within(root, target):
    root = resolve(root)
    target = resolve(target)
    if root == target:
        return True
    return target.startswith(root if root.endswith('/') else root + '/')


def relative(frm, to):
    rel = posixpath.relpath(to, frm)
    return '' if rel == '.' else rel


def display(real, real_root):
    rel = relative(real_root, real)
    return '.' if rel == '' else rel


def extname(p):
    # Node's path.posix.extname, ported as is ('...' -> '.', '.bashrc' -> '').
    start_dot = -1
    start_part = 0
    end = -1
    matched_slash = True
    pre_dot_state = 0
    for i in range(len(p) - 1, -1, -1):
        ch = p[i]
        if ch == '/':
            if not matched_slash:
                start_part = i + 1
                break
            continue
        if end == -1:
            matched_slash = False
            end = i + 1
        if ch == '.':
            if start_dot == -1:
                start_dot = i
            elif pre_dot_state != 1:
                pre_dot_state = 1
        elif start_dot != -1:
            pre_dot_state = -1
    if start_dot == -1 or end == -1 or pre_dot_state == 0 or (pre_dot_state == 1 and start_dot == end - 1 and start_dot == start_part + 1):
        return ''
    return p[start_dot:end]


def js_str(value, in_join=False):
    if isinstance(value, str):
        return value
    if value is None:
        return '' if in_join else 'null'
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return ','.join(js_str(v, True) for v in value)
    return '[object Object]'


def utf16_len(s):
    return len(s) + sum(1 for c in s if ord(c) > 0xFFFF)


def arg(args, key):
    return args.get(key, UNDEFINED)


def err_code(e):
    return errno.errorcode.get(e.errno, '') if isinstance(e, OSError) and e.errno else ''


# Lexical step: the user's path mapped under ROOT, or a refusal.
def lexical(value):
    if not isinstance(value, str):
        refuse('invalid_path', 'path must be a string')
    if '\0' in value:
        refuse('invalid_path', 'path contains a NUL byte')
    if utf16_len(value) > 4096:
        refuse('invalid_path', 'path is too long')
    absolute = under_root(value)
    nfc = unicodedata.normalize('NFC', value)
    if nfc != value:
        normalised = under_root(nfc)
        # The NFC name, unless only the name as given exists (created by a program, not by us).
        if lstat_or_none(normalised) is not None or lstat_or_none(absolute) is None:
            absolute = normalised
    if not is_within(ROOT, absolute):
        refuse('outside_workspace', 'path leaves the workspace')
    return absolute


def under_root(value):
    stripped = value.lstrip('/')
    absolute = resolve(ROOT, '.' if stripped == '' else stripped)
    if not is_within(ROOT, absolute):
        refuse('outside_workspace', 'path leaves the workspace')
    return absolute


NOTES_FILE = '.notes.json'


# The notes skill's own file: refused as the target of any change made through this skill.
def refuse_notes_file(real):
    if posixpath.dirname(real) == real_root() and posixpath.basename(real).startswith(NOTES_FILE):
        refuse('protected_file', f'{NOTES_FILE} belongs to the notes skill; use notes_remember, notes_recall and notes_forget')


def lstat_or_none(p):
    try:
        return os.lstat(p)
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise


_real_root = None


def real_root():
    global _real_root
    if _real_root is None:
        _real_root = os.path.realpath(ROOT, strict=True)
    return _real_root


def realpath(p):
    return os.path.realpath(p, strict=True)


def check_real(real):
    if not is_within(real_root(), real):
        refuse('outside_workspace', 'path resolves (through a symlink) outside the workspace')
    return real


# Resolves an existing path through every symlink and re-checks the real path.
def resolve_existing(value):
    absolute = lexical(value)
    if lstat_or_none(absolute) is None:
        refuse('not_found', f'{value} does not exist')
    return check_real(realpath(absolute))


# For a path that may not exist yet: the real parent is checked, the final name is kept as
# given (it may itself be a symlink, which the caller handles without following it).
def resolve_entry(value):
    absolute = lexical(value)
    if absolute == ROOT:
        return {'parent': None, 'name': None, 'missing': [], 'real_parent': None, 'real': real_root()}
    name = posixpath.basename(absolute)
    parent_abs = posixpath.dirname(absolute)
    missing = []
    while lstat_or_none(parent_abs) is None:
        missing.insert(0, posixpath.basename(parent_abs))
        parent_abs = posixpath.dirname(parent_abs)
    real_parent = check_real(realpath(parent_abs))
    parent = posixpath.join(real_parent, *missing) if missing else real_parent
    return {'parent': parent, 'name': name, 'missing': missing, 'real_parent': real_parent, 'real': posixpath.join(parent, name)}


def check_extension(real, limits):
    allowed = limits.get('extensions')
    if not isinstance(allowed, list):
        return
    ext = extname(real).lower()
    if ext not in [js_str(e).lower() for e in allowed]:
        refuse('extension_not_allowed', f'files with extension "{ext or "(none)"}" are not allowed; allowed: {", ".join(js_str(e, True) for e in allowed)}')


def looks_binary(data):
    if 0 in data[:8192]:
        return True
    try:
        data.decode('utf-8')
        return False
    except UnicodeDecodeError:
        return True


def ensure_dirs(entry):
    current = entry['real_parent']
    for part in entry['missing']:
        current = posixpath.join(current, part)
        try:
            os.mkdir(current)
        except FileExistsError:
            pass
        if not stat.S_ISDIR(os.lstat(current).st_mode):
            refuse('not_a_directory', f'{part} is not a directory')


def js_num(n):
    return js_str(n)


def op_read(args, limits):
    p = arg(args, 'path')
    real = resolve_existing(p)
    check_extension(real, limits)
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        if e.errno == errno.ELOOP:
            refuse('symlink_swapped', 'the file changed into a symlink while it was being opened')
        if e.errno == errno.EISDIR:
            refuse('is_directory', f'{p} is a directory; use list')
        raise
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            refuse('is_directory', f'{p} is a directory; use list')
        if not stat.S_ISREG(st.st_mode):
            refuse('not_a_file', f'{p} is not a regular file')
        if st.st_size > limits['maxReadBytes']:
            refuse('too_large', f'file is {st.st_size} bytes; the read limit is {js_num(limits["maxReadBytes"])}')
        chunks = []
        off = 0
        while off < st.st_size:
            chunk = os.pread(fd, st.st_size - off, off)
            if not chunk:
                break
            chunks.append(chunk)
            off += len(chunk)
        data = b''.join(chunks)
        shown = display(real, real_root())
        if looks_binary(data):
            return {'path': shown, 'size': off, 'binary': True, 'content': None}
        return {'path': shown, 'size': off, 'binary': False, 'content': data.decode('utf-8')}
    finally:
        os.close(fd)


def content_bytes(args, limits):
    content = arg(args, 'content')
    if not isinstance(content, str):
        refuse('invalid_content', 'content must be a string')
    data = content.encode('utf-8')
    if len(data) > limits['maxWriteBytes']:
        refuse('too_large', f'content is {len(data)} bytes; the write limit is {js_num(limits["maxWriteBytes"])}')
    return data


# A symlink at the target is followed only if its real target is inside the workspace.
def write_target(value):
    entry = resolve_entry(value)
    if entry['name'] is None:
        refuse('is_directory', 'cannot write to the workspace root')
    refuse_notes_file(entry['real'])
    st = lstat_or_none(entry['real'])
    if st is not None and stat.S_ISLNK(st.st_mode):
        real = check_real(realpath(entry['real']))
        refuse_notes_file(real)
        entry = dict(entry, real=real, parent=posixpath.dirname(real), name=posixpath.basename(real), missing=[])
        return entry, os.lstat(real)
    return entry, st


def write_all(fd, data):
    view = memoryview(data)
    while len(view) > 0:
        view = view[os.write(fd, view):]


def op_write(args, limits):
    data = content_bytes(args, limits)
    if len(data) > limits['maxFileBytes']:
        refuse('too_large', f'content is {len(data)} bytes; files may not exceed {js_num(limits["maxFileBytes"])}')
    p = arg(args, 'path')
    entry, st = write_target(p)
    check_extension(entry['real'], limits)
    if st is not None and not stat.S_ISREG(st.st_mode):
        refuse('not_a_file', f'{js_str(p)} exists and is not a regular file')
    ensure_dirs(entry)
    tmp = posixpath.join(entry['parent'], f'.{entry["name"]}.{os.urandom(6).hex()}.tmp')
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, (st.st_mode & 0o777) if st is not None else 0o644)
    try:
        write_all(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    os.close(fd)
    # rename replaces the directory entry itself: it never follows a symlink placed at the target.
    os.rename(tmp, entry['real'])
    return {'path': display(entry['real'], real_root()), 'bytes': len(data), 'created': st is None}


def op_append(args, limits):
    data = content_bytes(args, limits)
    p = arg(args, 'path')
    entry, _ = write_target(p)
    check_extension(entry['real'], limits)
    ensure_dirs(entry)
    try:
        fd = os.open(entry['real'], os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
    except OSError as e:
        if e.errno == errno.ELOOP:
            refuse('symlink_swapped', 'the file changed into a symlink while it was being opened')
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            refuse('not_a_file', f'{p} is not a regular file')
        if st.st_size + len(data) > limits['maxFileBytes']:
            refuse('too_large', f'the file would grow past {js_num(limits["maxFileBytes"])} bytes')
        write_all(fd, data)
        return {'path': display(entry['real'], real_root()), 'bytes': len(data), 'size': st.st_size + len(data)}
    finally:
        os.close(fd)


# delete and move act on the directory entry itself: a symlink is removed or moved, not followed.
def existing_entry(value):
    entry = resolve_entry(value)
    if entry['name'] is None:
        refuse('is_root', 'the workspace root cannot be deleted or moved')
    st = lstat_or_none(entry['real'])
    if st is None:
        refuse('not_found', f'{value} does not exist')
    refuse_notes_file(entry['real'])
    return entry, st


def op_delete(args, limits):
    p = arg(args, 'path')
    entry, st = existing_entry(p)
    if stat.S_ISDIR(st.st_mode):
        try:
            os.rmdir(entry['real'])
        except OSError as e:
            if e.errno in (errno.ENOTEMPTY, errno.EEXIST):
                refuse('not_empty', f'{p} is a directory that is not empty; delete its contents first')
            raise
    else:
        os.unlink(entry['real'])
    kind = 'directory' if stat.S_ISDIR(st.st_mode) else 'symlink' if stat.S_ISLNK(st.st_mode) else 'file'
    return {'path': display(entry['real'], real_root()), 'deleted': True, 'type': kind}


def op_move(args, limits):
    frm, frm_st = existing_entry(arg(args, 'from'))
    to_arg = arg(args, 'to')
    to = resolve_entry(to_arg)
    if to['name'] is None:
        refuse('is_root', 'cannot move onto the workspace root')
    refuse_notes_file(to['real'])
    if lstat_or_none(to['real']) is not None:
        refuse('exists', f'{to_arg} already exists; delete it first')
    if stat.S_ISREG(frm_st.st_mode):
        check_extension(to['real'], limits)
    if stat.S_ISDIR(frm_st.st_mode) and is_within(frm['real'], to['real']):
        refuse('invalid_move', 'cannot move a directory into itself')
    ensure_dirs(to)
    os.rename(frm['real'], to['real'])
    return {'from': display(frm['real'], real_root()), 'to': display(to['real'], real_root())}


def type_of(d):
    if d.is_symlink():
        return 'symlink'
    if d.is_dir(follow_symlinks=False):
        return 'directory'
    if d.is_file(follow_symlinks=False):
        return 'file'
    return 'other'


def shown_name(name):
    # Node decodes file names as UTF-8 with U+FFFD for bad bytes; os gives surrogate escapes.
    try:
        name.encode('utf-8')
        return name
    except UnicodeEncodeError:
        return os.fsencode(name).decode('utf-8', 'replace')


def utf16_key(s):
    return s.encode('utf-16-be', 'surrogatepass')


def count(limit):
    return int(limit) if isinstance(limit, (int, float)) else 0


def op_list(args, limits):
    p = arg(args, 'path')
    real = resolve_existing('.' if p is UNDEFINED else p)
    if not stat.S_ISDIR(os.stat(real).st_mode):
        refuse('not_a_directory', f'{"undefined" if p is UNDEFINED else p} is not a directory')
    with os.scandir(real) as it:
        found = sorted(((shown_name(d.name), d) for d in it), key=lambda x: utf16_key(x[0]))
    entries = []
    for name, d in found[:count(limits['maxEntries'])]:
        item = {'name': name, 'type': type_of(d)}
        if d.is_file(follow_symlinks=False):
            try:
                item['size'] = os.lstat(posixpath.join(real, d.name)).st_size
            except OSError:
                pass  # vanished
        entries.append(item)
    return {'path': display(real, real_root()), 'entries': entries, 'truncated': len(found) > limits['maxEntries']}


def js_units(s):
    # One character per UTF-16 code unit, so '?' matches what it matches in JavaScript.
    if all(ord(c) <= 0xFFFF for c in s):
        return s
    b = s.encode('utf-16-le', 'surrogatepass')
    return ''.join(chr(b[i] | (b[i + 1] << 8)) for i in range(0, len(b), 2))


def js_fold(s):
    # JavaScript's /i without /u: each code unit upper-cased when that gives one code unit, and
    # never mapped from non-ASCII onto ASCII.
    out = []
    for c in s:
        if 0xD800 <= ord(c) <= 0xDFFF:
            out.append(c)
            continue
        u = c.upper()
        out.append(c if len(u) != 1 or (ord(c) >= 128 and ord(u) < 128) else u)
    return ''.join(out)


ANY_BUT_NEWLINE = '[^\n\r\u2028\u2029]'


def glob_matcher(pattern):
    body = []
    for c in js_fold(js_units(pattern)):
        if c == '*':
            body.append(ANY_BUT_NEWLINE + '*')
        elif c == '?':
            body.append(ANY_BUT_NEWLINE)
        else:
            body.append(re.escape(c))
    rx = re.compile(''.join(body) + r'\Z')
    return lambda name: rx.match(js_fold(js_units(name))) is not None


# Name search: a glob (* and ?) or, without wildcards, a case-insensitive substring. Symlinked
# directories are not descended into.
def op_search(args, limits):
    pattern = arg(args, 'pattern')
    if not isinstance(pattern, str) or len(pattern) == 0:
        refuse('invalid_pattern', 'pattern must be a non-empty string')
    p = arg(args, 'path')
    start = resolve_existing('.' if p is UNDEFINED else p)
    wild = '*' in pattern or '?' in pattern
    matches_glob = glob_matcher(pattern) if wild else None
    needle = pattern.lower()
    matches = []
    visited = 0
    truncated = False
    stack = [start]
    while stack and not truncated:
        directory = stack.pop()
        try:
            with os.scandir(directory) as it:
                # libuv (Node's readdir) hands names back sorted bytewise; keep its visiting order.
                listing = sorted(it, key=lambda d: os.fsencode(d.name))
        except OSError:
            continue
        for d in listing:
            visited += 1
            if visited > limits['maxVisited'] or len(matches) >= limits['maxResults']:
                truncated = True
                break
            full = posixpath.join(directory, d.name)
            name = shown_name(d.name)
            if (matches_glob(name) if wild else needle in name.lower()):
                matches.append({'path': display(full, real_root()), 'type': type_of(d)})
            if d.is_dir(follow_symlinks=False):
                stack.append(full)
    return {'matches': matches, 'truncated': truncated}


OPS = {'read': op_read, 'write': op_write, 'append': op_append, 'delete': op_delete, 'move': op_move, 'list': op_list, 'search': op_search}

KNOWN = {'ENOENT': 'not_found', 'EACCES': 'permission_denied', 'EPERM': 'permission_denied', 'ENOTDIR': 'not_a_directory', 'ELOOP': 'symlink_loop', 'EISDIR': 'is_directory', 'ENOSPC': 'no_space', 'EROFS': 'read_only', 'EXDEV': 'cross_device'}


def run_one(op, args, limits):
    if not isinstance(op, str) or op not in OPS:
        refuse('unknown_operation', 'unknown operation')
    if isinstance(args, list):
        args = {}
    if not isinstance(args, dict):
        refuse('invalid_arguments', 'arguments must be an object')
    return OPS[op](args, limits)


def answer(fn):
    try:
        return {'ok': True, 'result': fn()}
    except Refusal as e:
        return {'ok': False, 'error': {'code': e.code, 'message': e.message}}
    except Exception as e:  # noqa: BLE001 - every failure becomes an answer, like the Node version
        code = err_code(e) or 'failed'
        known = KNOWN.get(code, 'failed')
        return {'ok': False, 'error': {'code': known, 'message': f'{known}: {code}'}}


LONE_SURROGATE = re.compile('[\ud800-\udfff]')


def clean(value):
    # Lone surrogates (JSON "\ud800") become U+FFFD, as Node's UTF-8 encoding of them does.
    if isinstance(value, str):
        return LONE_SURROGATE.sub('\ufffd', value) if LONE_SURROGATE.search(value) else value
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    return value


def emit(out):
    text = json.dumps(out, ensure_ascii=False, separators=(',', ':'))
    try:
        data = text.encode('utf-8')
    except UnicodeEncodeError:
        # Only undecodable file name bytes (surrogate escapes) remain; answer them as U+FFFD.
        data = text.encode('utf-8', 'surrogateescape').decode('utf-8', 'replace').encode('utf-8')
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def main():
    raw = sys.stdin.buffer.read().decode('utf-8', 'replace')
    try:
        req = clean(json.loads(raw))
    except (ValueError, RecursionError):
        emit({'ok': False, 'error': {'code': 'invalid_request', 'message': 'request is not JSON'}})
        return
    if req is None:
        raise TypeError('the request is null')  # no answer at all, as the Node version gave
    if not isinstance(req, dict):
        req = {}
    limits = {'maxReadBytes': 1048576, 'maxWriteBytes': 1048576, 'maxFileBytes': 10485760, 'maxEntries': 1000, 'maxResults': 200, 'maxVisited': 20000, 'extensions': None}
    if isinstance(req.get('limits'), dict):
        limits.update(req['limits'])
    if isinstance(req.get('batch'), list):
        def item_answer(item):
            def run():
                if item is None:
                    raise TypeError('batch item is null')
                fields = item if isinstance(item, dict) else {}
                return run_one(fields.get('op'), fields.get('args'), limits)
            return answer(run)
        out = {'ok': True, 'result': [item_answer(item) for item in req['batch']]}
    else:
        out = answer(lambda: run_one(req.get('op'), req.get('args'), limits))
    emit(out)


main()
