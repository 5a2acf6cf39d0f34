// Call leases in the in-agent helper (the real static binary, run on the host): a call whose
// client goes silent (its gateway died) is stopped once its lease runs out, while a client
// that stays renews it for as long as the call takes; a restarted gateway asks by tag what
// became of an action's calls (finished on their own, or cut) and can cut the ones still running.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src/agents/helper-client.js';
import { helperBinary } from '../../src/agents/image/helper-binary.js';

describe('agent helper: call leases and tagged outcomes', () => {
  let child: ChildProcess;
  let dir: string;
  const clients: HelperClient[] = [];
  // Every client shares the helper's pipes, as every attach to a container does.
  const client = (leaseMs: number) => {
    const c = new HelperClient(child.stdin!, child.stdout!, { leaseMs });
    clients.push(c);
    return c;
  };
  const sleepThenTouch = (c: HelperClient, file: string, tag: string, seconds: number) =>
    c.exec({ argv: ['sh', '-c', `sleep ${seconds}; touch ${file}`], cwd: '/tmp', env: {}, timeoutMs: 20_000, outputCapBytes: 1000, tag });
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ss-helper-lease-'));
    child = spawn(await helperBinary(), [], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdout!.setMaxListeners(50);
  }, 120_000);
  afterAll(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a client that stays renews the lease: a call several leases long runs to its end', async () => {
    const file = join(dir, 'kept');
    const r = await sleepThenTouch(client(400), file, 'act-kept', 2);
    expect(r).toMatchObject({ exitCode: 0, limit: null });
    expect(existsSync(file)).toBe(true);
    expect(await client(0).calls('act-kept', false, 5_000)).toMatchObject({ running: 0, completed: 1, cut: 0, exitCode: 0 });
  });

  it('a client that goes silent (its gateway died) gets its call stopped when the lease runs out', async () => {
    const file = join(dir, 'orphaned');
    const dying = client(400);
    const call = sleepThenTouch(dying, file, 'act-orphaned', 3).catch((err: unknown) => err);
    await wait(300);
    dying.close('gateway killed');
    expect(await call).toBeInstanceOf(Error);
    const other = client(0);
    await expect.poll(() => other.calls('act-orphaned', false, 5_000), { timeout: 5_000, interval: 200 }).toMatchObject({ running: 0, completed: 0, cut: 1 });
    await wait(3_500);
    expect(existsSync(file)).toBe(false);
  });

  it('a restarted gateway cancels a call still running under its tag; a finished one reads as completed', async () => {
    const file = join(dir, 'cancelled');
    const first = client(60_000);
    const running = sleepThenTouch(first, file, 'act-cancel', 3);
    await wait(300);
    const restarted = client(0);
    const seen = await restarted.calls('act-cancel', true, 5_000);
    expect(seen.running).toBe(1);
    expect(await running).toMatchObject({ signal: 'SIGKILL', limit: 'killed' });
    expect(await restarted.calls('act-cancel', false, 5_000)).toMatchObject({ running: 0, completed: 0, cut: 1 });
    await wait(3_200);
    expect(existsSync(file)).toBe(false);
    expect(await restarted.calls('act-unknown', true, 5_000)).toMatchObject({ running: 0, completed: 0, cut: 0 });
    await expect(restarted.calls('', false, 5_000)).rejects.toThrow(/needs a tag/);
  }, 20_000);
});
