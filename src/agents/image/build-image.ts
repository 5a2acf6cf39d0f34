// Builds the agent image on a host that cannot pull: mmdebstrap makes a minimal Debian root
// filesystem from the host's apt sources, `docker import` turns it into a base image, and the
// shipped Dockerfile is built FROM that base (its RUN installs nothing then, so no network).
// The helper is compiled on the host (helper-binary.ts) and copied in, so the agent image
// needs no compiler. Cached: the base is only rebuilt with force, the final image only when
// the helper or the Dockerfile changed.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { ERROR_CODES, SecureSphereError, describeError } from '../../core/errors.js';
import { HELPER_SOURCE, helperBinary, helperSourceSha256, imageContextDir } from './helper-binary.js';

export { imageContextDir } from './helper-binary.js';

export interface BuildImageOptions {
  image: string;
  docker?: Docker;
  /** Rebuild the Debian base and the image even if they exist. */
  force?: boolean;
  /** Debian suite for mmdebstrap; defaults to the host's (bookworm here). */
  suite?: string;
  onProgress?: (line: string) => void;
}

export interface BuildImageResult {
  image: string;
  base: string;
  built: boolean;
  baseBuilt: boolean;
  helperSha256: string;
  durationMs: number;
}

export const HELPER_PATH_IN_IMAGE = '/opt/securesphere/agent-helper';
const HELPER_LABEL = 'org.securesphere.helper-sha256';
const PACKAGES = ['nodejs', 'python3', 'busybox'];

/** Hash of the build context (helper source, its flags, Dockerfile): the image is rebuilt when any changes. */
export function helperSha256(): string {
  return createHash('sha256').update(helperSourceSha256()).update(readFileSync(join(imageContextDir(), 'Dockerfile'))).digest('hex');
}

function baseTagFor(image: string, suite: string): string {
  const repo = image.includes(':') && !image.endsWith(']') ? image.slice(0, image.lastIndexOf(':')) : image;
  return `${repo}-base:${suite}`;
}

function hostSuite(): string {
  try {
    const match = /VERSION_CODENAME=(\w+)/.exec(readFileSync('/etc/os-release', 'utf8'));
    if (match?.[1]) return match[1];
  } catch {
    /* fall through */
  }
  return 'bookworm';
}

async function imageLabels(docker: Docker, tag: string): Promise<Record<string, string> | null> {
  try {
    const info = await docker.getImage(tag).inspect();
    return info.Config?.Labels ?? {};
  } catch {
    return null;
  }
}

function run(cmd: string, args: string[], onLine: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const feed = (buf: Buffer): void => {
      const text = buf.toString('utf8');
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) onLine(line.trimEnd());
    };
    child.stdout.on('data', feed);
    child.stderr.on('data', feed);
    child.on('error', (cause) =>
      reject(new SecureSphereError(ERROR_CODES.SANDBOX_UNAVAILABLE, `Cannot run ${cmd}: install it (apt-get install ${cmd}).`, { cause })),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new SecureSphereError(ERROR_CODES.SANDBOX_UNAVAILABLE, `${cmd} failed with exit code ${code}: ${tail.slice(-600)}`)),
    );
  });
}

/** Reads a Docker JSON progress stream, forwarding messages and failing on an error entry. */
function followProgress(docker: Docker, stream: NodeJS.ReadableStream, onLine: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: Array<{ error?: string }>) => {
        const failed = output?.find((o) => o.error);
        if (err || failed) reject(new SecureSphereError(ERROR_CODES.SANDBOX_UNAVAILABLE, `Image build failed: ${err ? describeError(err) : failed?.error}`));
        else resolve();
      },
      (event: { stream?: string; status?: string }) => {
        const text = (event.stream ?? event.status ?? '').trimEnd();
        if (text) onLine(text);
      },
    );
  });
}

export async function buildSandboxImage(options: BuildImageOptions): Promise<BuildImageResult> {
  const started = Date.now();
  const docker = options.docker ?? new Docker();
  const say = options.onProgress ?? (() => {});
  const suite = options.suite ?? hostSuite();
  const base = baseTagFor(options.image, suite);
  const sha = helperSha256();

  const existing = await imageLabels(docker, options.image);
  if (!options.force && existing && existing[HELPER_LABEL] === sha) {
    say(`image ${options.image} is up to date (helper ${sha.slice(0, 12)})`);
    return { image: options.image, base, built: false, baseBuilt: false, helperSha256: sha, durationMs: Date.now() - started };
  }

  let baseBuilt = false;
  if (options.force || (await imageLabels(docker, base)) === null) {
    const work = mkdtempSync(join(tmpdir(), 'securesphere-rootfs-'));
    const tarball = join(work, 'rootfs.tar');
    try {
      say(`[1/3] mmdebstrap --variant=minbase ${suite} with ${PACKAGES.join(', ')} (host apt sources; about 30-60 s)`);
      await run(
        'mmdebstrap',
        ['--variant=minbase', `--include=${PACKAGES.join(',')}`, '--aptopt=Acquire::Retries "3"',
          '--customize-hook=rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*', suite, tarball],
        (line) => say(`  ${line}`),
      );
      say(`[2/3] docker import -> ${base}`);
      const [repo, tag] = [base.slice(0, base.lastIndexOf(':')), base.slice(base.lastIndexOf(':') + 1)];
      const stream = await docker.importImage(tarball, { repo, tag });
      await followProgress(docker, stream, (l) => say(`  ${l}`));
      baseBuilt = true;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  } else {
    say(`[1/3] base ${base} exists, skipping mmdebstrap (use --force to rebuild)`);
    say('[2/3] skipped');
  }

  say(`[3/3] gcc agent helper, docker build FROM ${base} -> ${options.image}`);
  const context = mkdtempSync(join(tmpdir(), 'securesphere-image-'));
  try {
    copyFileSync(join(imageContextDir(), 'Dockerfile'), join(context, 'Dockerfile'));
    copyFileSync(join(imageContextDir(), HELPER_SOURCE), join(context, HELPER_SOURCE));
    // The prebuilt binary makes the Dockerfile's helper stage skip its own compile.
    copyFileSync(await helperBinary(), join(context, 'agent-helper'));
    const stream = await docker.buildImage(
      { context, src: ['Dockerfile', HELPER_SOURCE, 'agent-helper'] },
      {
        t: options.image,
        buildargs: { BASE: base, HELPER_BUILDER: base },
        labels: { [HELPER_LABEL]: sha },
        rm: true,
        forcerm: true,
        nocache: options.force === true,
      } as Record<string, unknown>,
    );
    await followProgress(docker, stream, (l) => say(`  ${l}`));
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  const check = await imageLabels(docker, options.image);
  if (check?.[HELPER_LABEL] !== sha) {
    throw new SecureSphereError(ERROR_CODES.SANDBOX_UNAVAILABLE, `Built ${options.image} but it does not carry the expected helper label; see the build output above.`);
  }
  say(`done: ${options.image} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { image: options.image, base, built: true, baseBuilt, helperSha256: sha, durationMs: Date.now() - started };
}

// Run from a shell: node --import tsx src/agents/image/build-image.ts [--force] [--image TAG]
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--image');
  const image = at >= 0 && args[at + 1] ? args[at + 1]! : 'securesphere-agent:latest';
  buildSandboxImage({ image, force: args.includes('--force'), onProgress: (l) => console.log(l) }).then(
    (r) => console.log(JSON.stringify(r)),
    (err: unknown) => {
      console.error(describeError(err));
      process.exit(1);
    },
  );
}
