// Per-skill limits inside one conversation's agent, on real runsc agents: processes and open
// files are limited per call (the helper's rlimits), memory/CPU/tmpfs by recreating the agent
// with enough when a call needs more than it has, never past the operator's maxima.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { conversationKey } from '../../src/agents/agent-manager.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestAgents, createTestAgents, describeSandbox } from '../helpers/sandbox.js';

await describeSandbox('per-skill limits in a runsc agent', () => {
  let t: TestAgents;
  const docker = new Docker();
  const C = 'skill-limits';
  const memoryOf = async (): Promise<number> => {
    const row = t.manager.list().find((a) => a.conversationId === C && a.state === 'running')!;
    return (await docker.getContainer(row.containerId!).inspect()).HostConfig.Memory!;
  };

  beforeAll(async () => {
    t = await createTestAgents({
      limits: { memory_mb: 128, pids: 256, nofile: 256 },
      max_limits: { memory_mb: 384, cpus: 2, pids: 512, nofile: 1024, tmpfs_mb: 512, workspace_mb: 2048, timeout_ms: 60_000, output_cap_bytes: 1_048_576 },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('limits processes and open files per call, up to the maxima', async () => {
    const agent = (limits?: Record<string, number>) => t.manager.agentFor(C, limits ? { limits } : undefined);
    const forks = ['sh', '-c', 'n=0; for i in $(seq 60); do sleep 3 & n=$((n+1)); done; echo started $n'];
    const few = await agent({ pids: 20 }).exec({ argv: forks });
    expect(few.stdout).not.toContain('started 60');
    expect(few.stderr).toMatch(/fork/i);
    const many = await agent().exec({ argv: forks });
    expect(many.stdout).toContain('started 60');

    const files = ['python3', '-c', 'import os,resource\nprint(resource.getrlimit(resource.RLIMIT_NOFILE)[0])\nfs=[]\ntry:\n  [fs.append(os.open("/dev/null",0)) for _ in range(100)]\n  print("opened", len(fs))\nexcept OSError as e:\n  print("refused", len(fs))'];
    expect((await agent({ nofile: 40 }).exec({ argv: files })).stdout).toMatch(/^40\nrefused/);
    expect((await agent().exec({ argv: files })).stdout).toMatch(/^256\nopened 100/);
    // Asking past the maximum gets the maximum, not more.
    expect((await agent({ nofile: 100_000 }).exec({ argv: files })).stdout).toMatch(/^1024\n/);
  });

  it('recreates the agent with more memory when a skill needs it, keeps the workspace, and never exceeds the maximum', async () => {
    const agent = (limits?: Record<string, number>) => t.manager.agentFor(C, limits ? { limits } : undefined);
    await agent().exec({ argv: ['sh', '-c', 'echo kept > note.txt'] });
    expect(await memoryOf()).toBe(128 * 1024 * 1024);
    const alloc = ['python3', '-c', 'b = bytearray(200 << 20); print("allocated", len(b) >> 20)'];
    const small = await agent().exec({ argv: alloc });
    expect(small.stdout).not.toContain('allocated');

    const big = await agent({ memoryMb: 320 }).exec({ argv: alloc });
    expect(big.stdout).toContain('allocated 200');
    expect(await memoryOf()).toBe(320 * 1024 * 1024);
    expect((await agent().exec({ argv: ['cat', 'note.txt'] })).stdout).toBe('kept\n');
    // A later default call keeps the bigger agent rather than shrinking it.
    expect(await memoryOf()).toBe(320 * 1024 * 1024);

    await agent({ memoryMb: 100_000 }).exec({ argv: ['true'] });
    expect(await memoryOf()).toBe(384 * 1024 * 1024);
  }, 120_000);

  it("a skill's workspace size applies when the conversation's workspace is first made", async () => {
    const W = 'skill-limits-workspace';
    await t.manager.agentFor(W, { limits: { workspaceMb: 40 } }).exec({ argv: ['true'] });
    const image = join(t.dataDir, 'workspaces', `${conversationKey(W)}.img`);
    expect(statSync(image).size).toBe(40 * 1024 * 1024);
    const df = await t.manager.agentFor(W).exec({ argv: ['df', '-k', '/workspace'] });
    expect(Number(df.stdout.trim().split('\n').at(-1)!.split(/\s+/)[1])).toBeLessThan(41 * 1024);
  }, 60_000);

  it('a call that arrives while the agent is being recreated runs in the new agent, not the one going away', async () => {
    const R = 'skill-limits-race';
    await t.manager.agentFor(R).exec({ argv: ['true'] });
    const [big, small] = await Promise.all([
      t.manager.agentFor(R, { limits: { memoryMb: 256 } }).exec({ argv: ['echo', 'big'] }),
      t.manager.agentFor(R).exec({ argv: ['echo', 'small'] }),
    ]);
    expect([big.stdout, small.stdout]).toEqual(['big\n', 'small\n']);
    expect(t.manager.list().filter((a) => a.conversationId === R && a.state === 'running')).toHaveLength(1);
  }, 60_000);
});
