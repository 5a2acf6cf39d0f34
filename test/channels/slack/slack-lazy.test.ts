// Loading Bolt costs about a second and 40 MB, so the registry must not load it: a gateway
// without Slack never does, and one with Slack loads it when the channel starts. Checked in a
// fresh Node process (the test runner's own module loader would hide it).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function slackModulesAfter(imports: string[]): boolean {
  const script = [
    "import { createRequire } from 'node:module';",
    ...imports.map((file) => `await import(${JSON.stringify(`${ROOT}${file}`)});`),
    "const cache = createRequire(import.meta.url).cache;",
    "console.log(Object.keys(cache).some((k) => k.includes('/node_modules/@slack/')) ? 'loaded' : 'not loaded');",
  ].join('\n');
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.trim() === 'loaded';
}

describe('Slack channel loading', () => {
  it('the registry (and so every gateway) does not load the Slack SDK; the adapter module does', () => {
    expect(slackModulesAfter(['channels/registry.ts'])).toBe(false);
    expect(slackModulesAfter(['channels/registry.ts', 'channels/slack/adapter.ts'])).toBe(true);
  });
});
