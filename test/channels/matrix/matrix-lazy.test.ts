// matrix-js-sdk (and its Rust crypto wasm) is large, and the registry is imported by every
// gateway: only a started Matrix channel may load it. Checked in a fresh Node process with a
// module resolve hook that records every matrix-js-sdk import (the test runner's own loader
// would hide it); the positive control imports the SDK as adapter.start() does.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function sdkLoadedAfter(imports: string[]): boolean {
  const script = [
    "import { registerHooks } from 'node:module';",
    'let loaded = false;',
    "registerHooks({ resolve(specifier, context, next) { if (specifier.startsWith('matrix-js-sdk')) loaded = true; return next(specifier, context); } });",
    ...imports.map((target) => `await import(${JSON.stringify(target.startsWith('.') ? `${ROOT}${target.slice(2)}` : target)});`),
    "console.log(loaded ? 'loaded' : 'not loaded');",
  ].join('\n');
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.trim().endsWith('loaded') && !run.stdout.trim().endsWith('not loaded');
}

describe('Matrix channel loading', () => {
  it('the registry and the Matrix definition do not load matrix-js-sdk; starting the channel does', () => {
    expect(sdkLoadedAfter(['./channels/registry.ts', './channels/matrix/index.ts'])).toBe(false);
    expect(sdkLoadedAfter(['./channels/registry.ts', 'matrix-js-sdk'])).toBe(true);
  });
});
