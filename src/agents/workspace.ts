// Per-conversation workspaces on the host, bound at /workspace in the agent. A directory is
// named by the SHA-256 of the conversation id (ids are hostile; never a path component).
//
// Size limit: when we may mount (root, loop devices), each workspace is a sparse ext4 image
// loop-mounted at its directory, so a full workspace really is full (ENOSPC) no matter what
// runs inside. Otherwise ("plain" mode) it is a plain directory and the size is not enforced
// (reported as such by health()).
//
// Warm pool: a pool agent starts with a fresh slot workspace. Claiming it for a conversation
// that has no workspace yet re-homes the slot under the conversation's name: in plain mode a
// rename (the running container's bind follows the inode), in loop mode a second mount of the
// same loop device at the conversation's directory plus a rename of the image file. A
// conversation that already has a workspace cannot use a pool agent and cold-starts instead.
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, ftruncateSync, openSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ERROR_CODES, SecureSphereError, describeError } from '../core/errors.js';

const run = promisify(execFile);

export type QuotaMode = 'loop' | 'plain';

export interface Workspaces {
  readonly mode: QuotaMode;
  readonly root: string;
  dirFor(key: string): string;
  exists(key: string): boolean;
  prepare(key: string, sizeMb: number): Promise<string>;
  /** The workspace path at once (the directory exists), and a promise for the mount. */
  prepareEarly(key: string, sizeMb: number): { dir: string; ready: Promise<string> };
  preparePoolSlot(slot: string, sizeMb: number): Promise<string>;
  /** Re-home a pool slot as the conversation's workspace; false if the conversation has one. */
  claim(slot: string, key: string): boolean;
  /** Resolves when pending mounts/unmounts of this workspace are done. */
  settled(key: string): Promise<void>;
  /** Unmount (loop mode) unless inUse() says an agent (re)started for it meanwhile; the data stays. */
  release(key: string, inUse?: () => boolean): Promise<void>;
  discardPoolSlot(slot: string): Promise<void>;
  /** At start-up, before any pool agent exists: unmount and delete every leftover slot. */
  discardAllPoolSlots(): Promise<void>;
}

const SAFE = /^[A-Za-z0-9_-]{1,80}$/;

function assertSafe(name: string): void {
  // Keys are our own hashes and slot ids; anything else is a bug, never a path.
  if (!SAFE.test(name)) throw new SecureSphereError(ERROR_CODES.SANDBOX_EXEC, 'Refusing an unsafe workspace name.');
}

/** mountinfo escapes space, tab, newline and backslash in paths as octal. */
const unescapeMount = (p: string | undefined): string | undefined => p?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

function mountFields(dir: string): string[] | undefined {
  const info = readFileSync('/proc/self/mountinfo', 'utf8');
  return info
    .split('\n')
    .map((l) => l.split(' '))
    .find((f) => unescapeMount(f[4]) === dir);
}

function mountedAt(dir: string): boolean {
  return mountFields(dir) !== undefined;
}

async function canLoopMount(): Promise<boolean> {
  if (process.getuid?.() !== 0 || !existsSync('/dev/loop-control')) return false;
  try {
    await run('mkfs.ext4', ['-V']);
    return true;
  } catch {
    return false;
  }
}

export async function createWorkspaces(opts: { dataDir: string; uid: number; mode?: QuotaMode | 'auto' }): Promise<Workspaces> {
  const root = join(opts.dataDir, 'workspaces');
  const poolRoot = join(root, '.pool');
  mkdirSync(poolRoot, { recursive: true, mode: 0o700 });
  // Private like the rest of the data directory; an agent reaches its own workspace through
  // the bind mount, never through these parents.
  chmodSync(root, 0o700);
  chmodSync(poolRoot, 0o700);
  const mode: QuotaMode = opts.mode === 'loop' || opts.mode === 'plain' ? opts.mode : (await canLoopMount()) ? 'loop' : 'plain';

  const own = (dir: string): void => {
    try {
      chownSync(dir, opts.uid, opts.uid);
    } catch {
      /* not root: the agent may be unable to write; reported by the exec result */
    }
  };

  async function mountImage(image: string, dir: string, sizeMb: number): Promise<void> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (mountedAt(dir)) return;
    try {
      let attached: string | undefined;
      if (!existsSync(image)) {
        const fd = openSync(image, 'wx', 0o600);
        try {
          ftruncateSync(fd, sizeMb * 1024 * 1024); // sparse
        } finally {
          closeSync(fd);
        }
        await run('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', `root_owner=${opts.uid}:${opts.uid}`, image]);
      } else {
        // An image still attached to a loop device (e.g. a pool slot re-homed just before a crash)
        // must be mounted through that same device: two devices on one ext4 image corrupt it.
        attached = (await run('losetup', ['-j', image])).stdout.split(':')[0]?.trim();
      }
      if (attached) await run('mount', ['-o', 'nosuid,nodev', attached, dir]);
      else await run('mount', ['-o', 'loop,nosuid,nodev', image, dir]);
      rmSync(join(dir, 'lost+found'), { recursive: true, force: true });
      // The image's root (owned by the agent user) is listable by that user only; 0711, not 0700,
      // because bubblewrap enters it as root with every capability dropped (--chdir).
      chmodSync(dir, 0o711);
    } catch (cause) {
      throw new SecureSphereError(ERROR_CODES.SANDBOX_UNAVAILABLE, `Cannot mount the workspace image: ${describeError(cause)}`, { cause });
    }
  }

  async function unmount(dir: string): Promise<void> {
    if (!mountedAt(dir)) return;
    try {
      await run('umount', [dir]);
    } catch {
      await run('umount', ['-l', dir]).catch(() => undefined);
    }
  }

  // prepare/claim/release of one workspace run one at a time, so a release that was decided
  // for a dead agent cannot unmount the workspace under its freshly started successor.
  const locks = new Map<string, Promise<unknown>>();
  const locked = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const prev = locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    locks.set(key, tail);
    void tail.then(() => {
      if (locks.get(key) === tail) locks.delete(key);
    });
    return next;
  };

  const dirFor = (key: string): string => {
    assertSafe(key);
    return join(root, key);
  };

  // Synchronous on purpose (the warm-pool claim is on the user's path): the running pool
  // container already sees the filesystem, so the caller need not wait for the host-side
  // re-mount, which runs next under the workspace's lock (prepare/release queue behind it).
  function claimSlot(slot: string, key: string): boolean {
    const from = join(poolRoot, slot);
    const to = dirFor(key);
    if (existsSync(to) || existsSync(`${to}.img`)) return false;
    if (mode === 'plain') {
      renameSync(from, to);
      return true;
    }
    const source = mountFields(from);
    const sep = source ? source.indexOf('-') : -1;
    const device = source && sep > 0 ? source[sep + 2] : undefined;
    if (!device) return false;
    renameSync(`${from}.img`, `${to}.img`);
    mkdirSync(to, { recursive: true, mode: 0o700 });
    void locked(key, async () => {
      await run('mount', ['-o', 'nosuid,nodev', device, to]);
      await unmount(from);
      rmdirSync(from);
    }).catch(() => undefined);
    return true;
  }

  async function discardPoolSlot(slot: string): Promise<void> {
    assertSafe(slot);
    const dir = join(poolRoot, slot);
    if (mode === 'loop') await unmount(dir);
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}.img`, { force: true });
  }

  function prepare(key: string, sizeMb: number): Promise<string> {
    const dir = dirFor(key);
    return locked(key, async () => {
      if (mode === 'loop') await mountImage(`${dir}.img`, dir, sizeMb);
      else if (!existsSync(dir)) {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        own(dir);
      }
      return dir;
    });
  }

  return {
    mode,
    root,
    dirFor,
    exists: (key) => existsSync(dirFor(key)),
    prepareEarly(key, sizeMb) {
      const dir = dirFor(key);
      if (!existsSync(dir)) {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        if (mode === 'plain') own(dir);
      }
      return { dir, ready: prepare(key, sizeMb) };
    },
    prepare,
    async preparePoolSlot(slot, sizeMb) {
      assertSafe(slot);
      const dir = join(poolRoot, slot);
      if (mode === 'loop') await mountImage(`${dir}.img`, dir, sizeMb);
      else {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        own(dir);
      }
      return dir;
    },
    claim(slot, key) {
      assertSafe(slot);
      dirFor(key);
      return claimSlot(slot, key);
    },
    settled: (key) => locked(key, async () => undefined),
    release(key, inUse) {
      const dir = dirFor(key);
      return locked(key, async () => {
        if (mode === 'loop' && !inUse?.()) await unmount(dir);
      });
    },
    async discardAllPoolSlots() {
      for (const name of readdirSync(poolRoot)) {
        const slot = name.endsWith('.img') ? name.slice(0, -4) : name;
        if (SAFE.test(slot)) await discardPoolSlot(slot);
      }
    },
    discardPoolSlot,
  };
}
