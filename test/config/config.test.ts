import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SANDBOX_BACKENDS } from '../../src/agents/backends/index.js';
import { loadConfig } from '../../src/config/load.js';
import { resolveSecretRef } from '../../src/config/secret-ref.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'securesphere-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('config loading', () => {
  it('uses built-in defaults and freezes the result', () => {
    const { config, file } = loadConfig({ env: {}, cwd: dir });
    expect(file).toBeNull();
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8787 });
    expect(config.data_dir).toBe(join(dir, 'data'));
    expect(Object.isFrozen(config.server)).toBe(true);
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow();
  });

  it('accepts the documented example file', () => {
    const { config } = loadConfig({ configPath: join(process.cwd(), 'config/securesphere.example.yaml'), env: {}, cwd: dir });
    expect(config.sandbox.limits.pids).toBeGreaterThanOrEqual(256);
  });

  it('applies file, then environment, then flags', () => {
    const file = write('order.yaml', 'server:\n  port: 9000\n  host: 127.0.0.2\nprovider:\n  model: from-file\n');
    const { config } = loadConfig({ configPath: file, env: { SECURESPHERE_PORT: '9100', OLLAMA_HOST: 'http://127.0.0.1:1234' }, cwd: dir, flags: { host: '127.0.0.3' } });
    expect(config.server.port).toBe(9100);
    expect(config.server.host).toBe('127.0.0.3');
    expect(config.provider.model).toBe('from-file');
    expect(config.provider.host).toBe('http://127.0.0.1:1234');
  });

  it('names the file, the key path and the reason for a bad value', () => {
    const file = write('bad.yaml', 'sandbox:\n  limits:\n    memory_mb: "lots"\n');
    expect(() => loadConfig({ configPath: file, env: {}, cwd: dir })).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: sandbox\\.limits\\.memory_mb: .*number`));
  });

  it('refuses unknown keys, invalid YAML and bad environment values clearly', () => {
    expect(() => loadConfig({ configPath: write('typo.yaml', 'sever:\n  port: 1\n'), env: {}, cwd: dir })).toThrow(/\(root\): unknown key\(s\): sever/);
    expect(() => loadConfig({ configPath: write('yaml.yaml', 'server: [\n'), env: {}, cwd: dir })).toThrow(/yaml\.yaml(:\d+)?: invalid YAML/);
    expect(() => loadConfig({ env: { SECURESPHERE_PORT: 'eighty' }, cwd: dir })).toThrow(/SECURESPHERE_PORT: expected a whole number/);
    expect(() => loadConfig({ configPath: join(dir, 'missing.yaml'), env: {}, cwd: dir })).toThrow(/config file not found/);
  });

  it('sandbox.backend takes auto or a backend registered in src/agents/backends/index.ts', () => {
    expect(SANDBOX_BACKENDS.map((b) => b.name)).toEqual(['docker', 'bubblewrap']);
    for (const name of ['auto', ...SANDBOX_BACKENDS.map((b) => b.name)]) {
      const file = write(`backend-${name}.yaml`, `sandbox:\n  backend: ${name}\n`);
      expect(loadConfig({ configPath: file, env: {}, cwd: dir }).config.sandbox.backend).toBe(name);
    }
    const podman = write('backend-podman.yaml', 'sandbox:\n  backend: podman\n');
    expect(() => loadConfig({ configPath: podman, env: {}, cwd: dir })).toThrow(/sandbox\.backend: .*"auto".*"docker".*"bubblewrap"/);
  });

  it('server.allowed_hosts takes host names (optionally with a port), nothing else', () => {
    const good = write('hosts.yaml', 'server:\n  allowed_hosts: [chat.internal, "localhost:9000", "[::1]:8443"]\n');
    expect(loadConfig({ configPath: good, env: {}, cwd: dir }).config.server.allowed_hosts).toEqual(['chat.internal', 'localhost:9000', '[::1]:8443']);
    for (const bad of ['http://evil.example', '*', 'a b', 'evil.example/path']) {
      const file = write('bad-hosts.yaml', `server:\n  allowed_hosts: [${JSON.stringify(bad)}]\n`);
      expect(() => loadConfig({ configPath: file, env: {}, cwd: dir }), bad).toThrow(/server\.allowed_hosts\.0: a host name, optionally with :port/);
    }
  });

  it('refuses a literal secret and resolves references', () => {
    const literal = write('literal.yaml', 'server:\n  api_token: hunter2hunter2\n');
    expect(() => loadConfig({ configPath: literal, env: {}, cwd: dir })).toThrow(/server\.api_token: secret values must be references/);
    const ref = write('ref.yaml', 'server:\n  api_token: ${env:MY_TOKEN}\n');
    const { config } = loadConfig({ configPath: ref, env: {}, cwd: dir });
    expect(resolveSecretRef(config.server.api_token!, 'server.api_token', { env: { MY_TOKEN: 'abc123' } })).toBe('abc123');
    expect(() => resolveSecretRef(config.server.api_token!, 'server.api_token', { env: {} })).toThrow(/MY_TOKEN is not set/);
  });

  it('`securesphere config check` prints the same error without starting', async () => {
    const file = write('cli-bad.yaml', 'orchestrator:\n  max_tool_rounds: 0\n');
    const bad = await runCli(['config', 'check', '--config', file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${file}: orchestrator.max_tool_rounds:`);
    const good = await runCli(['config', 'check', '--config', join(process.cwd(), 'config/securesphere.example.yaml')]);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/config ok/);
    expect(good.stderr).not.toMatch(/deprecated/);
    const old = write('cli-old.yaml', 'channels:\n  cli:\n    enabled: true\n');
    const warned = await runCli(['config', 'check', '--config', old]);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain(`${old}: channels.cli.enabled is deprecated`);
  });

  it('still accepts the obsolete channels.cli.enabled, reporting it with the file and key', () => {
    const file = write('old-cli.yaml', 'channels:\n  cli:\n    enabled: false\n');
    const loaded = loadConfig({ configPath: file, env: {}, cwd: dir });
    expect(loaded.config.channels.cli?.enabled).toBe(false);
    expect(loaded.deprecations).toEqual([{ file, key: 'channels.cli.enabled', message: expect.stringContaining(`${file}: channels.cli.enabled is deprecated`) as string }]);
    expect(loadConfig({ configPath: write('no-cli.yaml', 'channels: {}\n'), env: {}, cwd: dir }).deprecations).toEqual([]);
  });
});
