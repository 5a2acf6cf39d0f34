// The platform SDKs are large (discord.js ~500 modules, Bolt ~40 MB, matrix-js-sdk with its Rust
// crypto wasm), and the registry is imported by every gateway and CLI command: only a started
// channel may load its SDK. Checked in a fresh Node process with a module resolve hook that
// records every import of each SDK (the test runner's own loader would hide them); the positive
// controls import each adapter module as its first start() does, so the hook is known to see it.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SDKS = { telegram: 'grammy', slack: '@slack/bolt', discord: 'discord.js', matrix: 'matrix-js-sdk' } as const;

/** Which of the SDKs were imported (directly or through any module) after importing `files`. */
function sdksLoadedAfter(files: string[]): string[] {
  const script = [
    "import { registerHooks } from 'node:module';",
    `const sdks = ${JSON.stringify(Object.values(SDKS))};`,
    'const loaded = new Set();',
    'registerHooks({ resolve(specifier, context, next) { for (const sdk of sdks) if (specifier === sdk || specifier.startsWith(sdk + "/")) loaded.add(sdk); return next(specifier, context); } });',
    ...files.map((file) => `await import(${JSON.stringify(file.includes('/') && !file.startsWith('@') ? `${ROOT}${file}` : file)});`),
    'console.log(JSON.stringify([...loaded].sort()));',
  ].join('\n');
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as string[];
}

describe('platform SDK loading', () => {
  it('the registry, every channel definition and the gateway load no platform SDK', () => {
    const definitions = Object.keys(SDKS).map((name) => `channels/${name}/index.ts`);
    expect(sdksLoadedAfter(['channels/registry.ts', ...definitions, 'src/gateway.ts'])).toEqual([]);
  });

  // Telegram, Slack and Discord import their SDK at the top of adapter.ts (loaded by start());
  // the Matrix adapter imports matrix-js-sdk inside start() itself.
  const startImports: Record<keyof typeof SDKS, string> = {
    telegram: 'channels/telegram/adapter.ts',
    slack: 'channels/slack/adapter.ts',
    discord: 'channels/discord/adapter.ts',
    matrix: 'matrix-js-sdk',
  };
  it.each(Object.entries(SDKS))('what the %s channel imports on start loads %s (the hook sees it)', (channel, sdk) => {
    expect(sdksLoadedAfter([startImports[channel as keyof typeof SDKS]])).toContain(sdk);
  });
});
