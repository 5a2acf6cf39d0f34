// Replays every fs_traversal_payloads.jsonl payload against the filesystem skill's in-agent
// script in ONE agent exec (read and write per payload), with {FILE} pointing at a canary
// outside the workspace. Used by the unit test and the sandbox test.
import { expect } from 'vitest';
import { loadAgentScript, runAgentScript } from '../../src/skills/agent-script.js';
import { toWorkspacePath } from '../../src/skills/path-containment.js';
import type { AgentFsFixture } from './agent-fs-fixture.js';
import { readJsonl } from './shared-data.js';

const CANARY = 'CANARY-CONTENT-7f3a';

export async function replayTraversalPayloads(f: AgentFsFixture): Promise<{ payloads: number; gatewayRefused: number; agentRefused: number }> {
  const rows = readJsonl<{ payload: string }>('fs_traversal_payloads.jsonl');
  const canaryPath = `${f.outside}/canary.txt`;
  await f.setup([{ kind: 'mkdir', path: f.outside }, { kind: 'write', path: canaryPath, content: CANARY }]);
  const fileRef = canaryPath.replace(/^\/+/, '');
  const payloads = rows.map((r) => r.payload.split('{FILE}').join(fileRef));
  // Gateway layer: count what the lexical check refuses; the agent still gets every payload.
  const gatewayRefused = payloads.filter((p) => !toWorkspacePath(p).ok).length;
  const script = loadAgentScript(new URL('../../skills/filesystem/index.ts', import.meta.url).href, 'fs-agent.py');
  const batch = payloads.flatMap((p) => [
    { op: 'read', args: { path: p } },
    { op: 'write', args: { path: p, content: 'PWNED' } },
    { op: 'append', args: { path: p, content: 'PWNED' } },
  ]);
  const answers = (await runAgentScript(f.agent, script, { batch, limits: {} }, { outputCapBytes: 900_000, timeoutMs: 120_000 })) as Array<{ ok: boolean; result?: { content?: string } }>;
  expect(answers).toHaveLength(batch.length);
  for (const [i, a] of answers.entries()) {
    expect(JSON.stringify(a), `payload ${JSON.stringify(batch[i])}`).not.toContain(CANARY);
  }
  const probe = await f.probe([canaryPath]);
  expect(probe[canaryPath]).toEqual({ exists: true, symlink: false, content: CANARY });
  return { payloads: payloads.length, gatewayRefused, agentRefused: answers.filter((a) => !a.ok).length };
}
