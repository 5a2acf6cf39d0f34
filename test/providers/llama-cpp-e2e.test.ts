// A real model end to end: a user message through the HTTP API, the embedded SmolLM2 choosing
// a tool under the grammar, the skill running in a real gVisor agent, and a reply. Asserts on
// structure (a valid tool call was made and ran, a reply arrived, the turn ended), never on the
// model's wording. Needs the sandbox and the pulled model; both fail, not skip, under
// REQUIRE_SANDBOX=1.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { embeddedTestModel } from '../helpers/embedded-model.js';
import { describeSandbox } from '../helpers/sandbox.js';

const modelFile = embeddedTestModel();

await describeSandbox('a real embedded model drives a skill in a gVisor agent', () => {
  let t: TestGateway;

  beforeAll(async () => {
    if (!modelFile) return;
    t = await startTestGateway({
      config: {
        provider: { type: 'llama-cpp', model_path: modelFile, context_size: 4096, max_output_tokens: 256, timeout_ms: 120_000 },
        skills: { extra_dirs: [], enabled: ['filesystem'] },
        sandbox: { warm_pool: 0, require_strong_isolation: true },
        orchestrator: { turn_timeout_ms: 240_000, max_tool_rounds: 3 },
      },
    });
  }, 120_000);
  afterAll(async () => {
    await (await t?.gateway.agents().catch(() => undefined))?.manager.close({ stopAgents: true });
    await t?.close();
  });

  it.skipIf(!modelFile)('a user message becomes a model-chosen tool call, run in the agent, and a reply', async () => {
    const res = await t.api('POST', '/api/messages', { conversation_id: 'real-model-1', text: 'List the files in the workspace.' });
    expect(res.status).toBe(200);
    // The turn ended with a reply (the model's answer, or the gateway's word that the model kept
    // calling tools past orchestrator.max_tool_rounds): bounded, whatever a 135M model chooses.
    expect(['completed', 'failed', 'awaiting_approval']).toContain(res.body.status);
    expect(res.body.reply.text.length).toBeGreaterThan(0);
    // The model chose a tool under the grammar; its arguments passed the skill's own validation
    // (nothing rejected) and the step really ran in the conversation's gVisor agent.
    expect(res.body.actions.length).toBeGreaterThanOrEqual(1);
    const first = (await t.api('GET', `/api/actions/${res.body.actions[0].id}`)).body;
    expect(first.skill).toBe('filesystem');
    expect(['succeeded', 'failed', 'awaiting_approval']).toContain(first.status);
    if (first.status !== 'awaiting_approval') expect(first.transitions.map((x: { to: string }) => x.to)).toContain('running');
    const audit = await t.api('GET', '/api/audit?limit=500');
    expect(audit.body.events.filter((e: { type: string }) => e.type === 'tool-call-rejected')).toEqual([]);
    const agents = await t.api('GET', '/api/agents');
    expect(JSON.stringify(agents.body)).toContain('real-model-1');
    const history = await t.api('GET', '/api/conversations/real-model-1/messages');
    expect(history.body.messages.map((m: { role: string }) => m.role).slice(0, 3)).toEqual(['user', 'assistant', 'tool']);
  }, 300_000);
});
