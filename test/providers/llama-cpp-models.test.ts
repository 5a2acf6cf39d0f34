// `securesphere model pull|list|rm` with a local GGUF file: installed under <data dir>/models
// with its SHA-256, refused when it is not a GGUF file, listed, removed; progress on stderr.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'securesphere-models-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const env = { SECURESPHERE_CONFIG: '', SECURESPHERE_API_TOKEN: '' };

describe('securesphere model', () => {
  it('pulls a local GGUF file, lists it with its checksum, and removes it', async () => {
    const dataDir = join(root, 'data');
    const source = join(root, 'Tiny-Model.gguf');
    const bytes = Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(3 * 2 ** 20, 7)]);
    writeFileSync(source, bytes);
    const sha = createHash('sha256').update(bytes).digest('hex');

    const pull = await runCli(['model', 'pull', source, '--data-dir', dataDir], env);
    expect(pull.code).toBe(0);
    expect(pull.stdout).toContain(`tiny-model: ${join(dataDir, 'models', 'tiny-model.gguf')}`);
    expect(pull.stdout).toContain(`sha256 ${sha}`);
    expect(pull.stderr).toMatch(/verify 100% 3\.0\/3\.0 MiB/);
    expect(statSync(join(dataDir, 'models', 'tiny-model.gguf')).mode & 0o777).toBe(0o600);

    const list = await runCli(['model', 'list', '--json', '--data-dir', dataDir], env);
    const listed = JSON.parse(list.stdout) as { installed: Array<{ name: string; sha256: string; bytes: number }>; known: Array<{ name: string }> };
    expect(listed.installed).toEqual([expect.objectContaining({ name: 'tiny-model', sha256: sha, bytes: bytes.length })]);
    expect(listed.known.map((k) => k.name)).toContain('smollm2-135m-instruct');

    const rm = await runCli(['model', 'rm', 'tiny-model', '--data-dir', dataDir], env);
    expect(rm.code).toBe(0);
    expect(existsSync(join(dataDir, 'models', 'tiny-model.gguf'))).toBe(false);
    const again = await runCli(['model', 'rm', 'tiny-model', '--data-dir', dataDir], env);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/No installed model "tiny-model"/);
  }, 60_000);

  it('refuses a file that is not a GGUF model and leaves nothing behind', async () => {
    const dataDir = join(root, 'data2');
    const source = join(root, 'notes.gguf');
    writeFileSync(source, 'just text');
    const res = await runCli(['model', 'pull', source, '--data-dir', dataDir], env);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/is not a GGUF model file/);
    const list = await runCli(['model', 'list', '--data-dir', dataDir], env);
    expect(list.stdout).toMatch(/No models installed/);
  }, 60_000);

  it('names what it accepts for an unknown source', async () => {
    const res = await runCli(['model', 'pull', 'no-such-model', '--data-dir', join(root, 'data3')], env);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/give a known name \(smollm2-135m-instruct, minilm-l6-v2-int8\), an https URL of a GGUF file, or a path/);
  }, 60_000);
});
