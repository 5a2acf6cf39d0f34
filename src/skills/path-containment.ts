// Pure path-containment decisions (no filesystem access). The filesystem skill runs the same
// rules again inside the agent, where it also resolves symlinks; this module is the lexical
// half, used by the gateway to refuse obviously bad paths before anything reaches the agent
// and tested against the shared containment cases. It must never say "inside" for a path that
// only shares a string prefix with a root (`/workspace2` is not inside `/workspace`).
import path from 'node:path';

export type PathPlatform = 'posix' | 'win32';

export interface ContainmentOptions {
  /** Relative candidates and relative roots are resolved against this directory. When no
   * usable root is given, the base itself is the only root. Without a base, relative paths
   * and an empty root list are refused. */
  base?: string;
  platform?: PathPlatform;
}

function usable(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && !value.includes('\0');
}

/** True when `candidate` is one of `roots` or lies inside one, comparing whole segments. */
export function isPathAllowed(candidate: unknown, roots: readonly unknown[], options: ContainmentOptions = {}): boolean {
  const p = options.platform === 'win32' ? path.win32 : path.posix;
  if (!usable(candidate) || !Array.isArray(roots)) return false;
  const base = usable(options.base) && p.isAbsolute(options.base) ? p.normalize(options.base) : undefined;
  const resolve = (value: string): string | undefined => {
    if (p.isAbsolute(value)) return p.resolve(value);
    return base === undefined ? undefined : p.resolve(base, value);
  };
  const target = resolve(candidate);
  if (target === undefined) return false;
  // A root containing NUL is refused outright, never skipped: it signals a corrupted config.
  if (roots.some((r) => typeof r === 'string' && r.includes('\0'))) return false;
  const given = roots.filter(usable);
  const effective = given.length > 0 ? given : base !== undefined && roots.every((r) => r === '') ? [base] : [];
  return effective.some((root) => {
    const resolvedRoot = resolve(root);
    return resolvedRoot !== undefined && isWithin(p, resolvedRoot, target);
  });
}

function isWithin(p: typeof path.posix, root: string, target: string): boolean {
  const rel = p.relative(root, target);
  if (rel === '') return true;
  if (p.isAbsolute(rel)) return false; // another drive or UNC share on win32
  const first = rel.split(p.sep)[0];
  return first !== '..';
}

/** Thrown-free result of mapping a model-supplied path onto the workspace. */
export type WorkspacePathResult = { ok: true; path: string; relative: string } | { ok: false; reason: string };

export const MAX_PATH_CHARS = 4096;

/**
 * Maps a path as the model writes it (relative to the workspace root; a leading `/` means the
 * workspace root, never the host's) to an absolute path under `root`, or says why not.
 * Purely lexical: symlinks are checked inside the agent.
 */
export function toWorkspacePath(input: unknown, root = '/workspace'): WorkspacePathResult {
  if (typeof input !== 'string') return { ok: false, reason: 'path must be a string' };
  if (input.includes('\0')) return { ok: false, reason: 'path contains a NUL byte' };
  if (input.length > MAX_PATH_CHARS) return { ok: false, reason: `path longer than ${MAX_PATH_CHARS} characters` };
  const stripped = input.replace(/^\/+/, '');
  const absolute = path.posix.resolve(root, stripped === '' ? '.' : stripped);
  if (!isPathAllowed(absolute, [root])) {
    return { ok: false, reason: 'path leaves the workspace' };
  }
  const relative = path.posix.relative(root, absolute);
  return { ok: true, path: absolute, relative: relative === '' ? '.' : relative };
}
