// Vendor SDKs are large (@mistralai/mistralai alone is ~120 MB resident): building the gateway's
// providers loads none of them, and the first use of a profile loads only that vendor's SDK.
// Checked in a child process that records every module it resolves.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PROBE = fileURLToPath(new URL('./fixtures/sdk-loading.ts', import.meta.url));

describe('vendor SDKs load lazily', () => {
  it('none at build time; only the used vendor on first use', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', PROBE], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { before: string[]; after: string[] };
    expect(result.before).toEqual([]);
    expect(result.after).toEqual(['openai']);
  }, 60_000);
});
