// execute() of the action runner runs a skill only after winning the approved -> running
// compare-and-set: a denied, expired or already finished action, or the loser of two racing
// resumes, must not reach the skill. A counting in-process skill shows what really ran.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import pino from 'pino';
import { createActionRunner } from '../../src/orchestrator/action-runner.js';
import type { OrchestratorDeps } from '../../src/orchestrator/deps.js';
import { createToolCatalog } from '../../src/orchestrator/tool-catalog.js';
import type { Sandbox } from '../../src/agents/sandbox.js';
import type { Skill } from '../../src/skills/skill.js';
import { RecordingOutbound, openTempStore, type TempStore } from '../policy/fakes.js';

describe('action runner: execute() runs only after winning the compare-and-set', () => {
  let store: TempStore;
  let runs: string[];
  let runner: ReturnType<typeof createActionRunner>;

  beforeEach(() => {
    store = openTempStore();
    runs = [];
    const counter: Skill = {
      manifest: {
        name: 'counter',
        description: 'Counts its executions.',
        version: '1.0.0',
        operations: { bump: { description: 'Count one run.', input: z.strictObject({ tag: z.string() }), level: 'high' } },
      },
      async execute(_ctx, _operation, args) {
        runs.push((args as { tag: string }).tag);
        // Yield so a racing second caller really interleaves with this one.
        await new Promise((r) => setTimeout(r, 20));
        return { ran: true };
      },
    };
    const deps = {
      settings: { model: 'm', systemPrompt: 's', maxToolRounds: 4, turnTimeoutMs: 10_000, historyMessages: 50 },
      db: store.db,
      conversations: store.conversations,
      actions: store.actions,
      chat: async () => ({ text: '', toolCalls: [] }),
      describeProviderError: () => 'error',
      tools: createToolCatalog({ counter }),
      policy: { decide: () => ({ decision: 'require_approval', level: 'high', reason: 'test', approvers: ['alice'] }) },
      approvals: { open: async () => { throw new Error('not used'); }, bindingHolds: () => true },
      sandbox: { agentFor: () => ({}) } as unknown as Sandbox,
      audit: store.audit,
      outbound: new RecordingOutbound(),
      scanner: { assess: async () => ({ score: 0, flagged: false, reasons: [] }) },
      frameUntrusted: ({ text }: { text: string }) => text,
      secretsFor: () => ({}),
      skillSettings: () => ({}),
      logger: pino({ level: 'silent' }),
    } as unknown as OrchestratorDeps;
    runner = createActionRunner(deps);
  });
  afterEach(() => store.cleanup());

  function action(tag: string, path: Array<'awaiting_approval' | 'approved' | 'denied' | 'expired' | 'running' | 'succeeded'>) {
    store.conversations.ensure('conv-1', 'web');
    const created = store.actions.create({ id: `act_${tag}`, conversationId: 'conv-1', skill: 'counter', operation: 'bump', arguments: { tag }, securityLevel: 'high', requester: 'alice' });
    let from: string = 'pending';
    for (const to of path) {
      expect(store.actions.transition(created.id, from as never, to)).toBe(true);
      from = to;
    }
    return created.id;
  }

  it('two racing executes of one approved action run the skill once', async () => {
    const id = action('race', ['awaiting_approval', 'approved']);
    const [a, b] = await Promise.all([runner.execute(id), runner.execute(id)]);
    expect(runs).toEqual(['race']);
    expect([a.kind, b.kind].sort()).toEqual(['failed', 'succeeded']);
    expect(store.actions.get(id)!.status).toBe('succeeded');
  });

  it.each([
    ['denied', ['awaiting_approval', 'denied']],
    ['expired', ['awaiting_approval', 'expired']],
    ['already succeeded', ['awaiting_approval', 'approved', 'running', 'succeeded']],
    ['still awaiting approval', ['awaiting_approval']],
  ] as const)('an action that is %s is not run and keeps its status', async (_name, path) => {
    const id = action(`s${path.length}${path.at(-1)}`, [...path]);
    const outcome = await runner.execute(id);
    expect(runs).toEqual([]);
    expect(outcome.kind).toBe('failed');
    expect(store.actions.get(id)!.status).toBe(path.at(-1));
  });
});
