// Input depth: arguments nested deeper than the fixed limit (64) are refused before anything
// walks them — a 400 at the API, an invalid-arguments answer to the model with the turn going
// on — and nothing on the way (parsing, redaction, canonical JSON, validation) overflows the
// stack, however deep the input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { isSecureSphereError } from '../../src/core/errors.js';
import { exceedsDepth, MAX_INPUT_DEPTH } from '../../src/core/input-depth.js';
import { createSecretRedactor } from '../../src/security/secret-redactor.js';
import { turns } from '../fakes/ollama-server.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** `{"x":{"x":…1…}}` nested n levels, as JSON text (built without recursion). */
const deepJson = (n: number, key = 'x') => `{"${key}":`.repeat(n) + '1' + '}'.repeat(n);
const deepValue = (n: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = { x: v };
  return v;
};

let g: TestGateway;
beforeAll(async () => {
  g = await startTestGateway({ config: { logging: { level: 'warn' }, policy: { admins: ['root'] } } });
});
afterAll(async () => {
  await g?.close();
});

const action = (argumentsJson: string) =>
  g.api('POST', '/api/actions', `{"action_type":"skill_execution","conversation_id":"deep","skill":"calc","operation":"note","arguments":${argumentsJson}}`);

describe('argument depth limit', () => {
  it('measures depth without recursion, at the boundary', () => {
    expect(MAX_INPUT_DEPTH).toBe(64);
    expect(exceedsDepth(deepValue(64))).toBe(false);
    expect(exceedsDepth(deepValue(65))).toBe(true);
    expect(exceedsDepth(deepValue(200_000))).toBe(true);
    let arrays: unknown = [];
    for (let i = 0; i < 70; i++) arrays = [1, arrays];
    expect(exceedsDepth(arrays)).toBe(true);
    expect(exceedsDepth('plain')).toBe(false);
  });

  it.each([3000, 20_000])('answers %i-deep arguments on POST /api/actions with 400 naming the limit', async (n) => {
    const res = await action(`{"text":"a","extra":${deepJson(n)}}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/deeper than 64 levels/);
    // Even with a key the JSON parser treats specially at the bottom.
    const proto = await action(`{"text":"a","extra":${deepJson(n, '__proto__')}}`);
    expect(proto.status).toBe(400);
  });

  it('lets arguments at the limit through to validation as before', async () => {
    const res = await action(`{"text":"a","extra":${deepJson(MAX_INPUT_DEPTH - 1)}}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/Unrecognized key: "extra"/);
  });

  it('answers deep bodies on the other routes that take JSON with 400, never 500', async () => {
    for (const [path, body] of [
      ['/api/approvals/apr_none/approve', `{"approver":${deepJson(3000)}}`],
      ['/api/messages', `{"conversation_id":"deep","text":"hi","x":${deepJson(3000)}}`],
      ['/api/web/messages', `{"conversation_id":"deep","text":${deepJson(3000)}}`],
    ] as const) {
      const res = await g.api('POST', path, body);
      expect(res.status, path).toBe(400);
    }
  });

  it.each([3000])('tells the model a %i-deep tool call has invalid arguments, and the turn completes', async (n) => {
    let toolMessage = '';
    g.fake.enqueue(turns.toolCall('calc_note', { text: 'a', extra: deepValue(n) as Record<string, unknown> }), (req) => {
      toolMessage = req.messages.at(-1)!.content;
      return turns.text('understood, flatter next time');
    });
    const res = await g.api('POST', '/api/messages', { conversation_id: `deep-model-${n}`, user: 'u', text: 'go' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'completed', reply: { text: 'understood, flatter next time' } });
    expect(toolMessage).toMatch(/Invalid arguments for calc_note: they nest deeper than 64 levels/);
    // The conversation goes on: its history (with the dropped arguments) is sent to the model again.
    g.fake.enqueue(turns.text('still here'));
    const next = await g.api('POST', '/api/messages', { conversation_id: `deep-model-${n}`, user: 'u', text: 'again' });
    expect(next.body).toMatchObject({ status: 'completed', reply: { text: 'still here' } });
  });

  it('canonical JSON and redaction stop at a depth guard instead of overflowing the stack', () => {
    const deep = deepValue(50_000);
    let thrown: unknown;
    try {
      canonicalJson(deep);
    } catch (err) {
      thrown = err;
    }
    expect(isSecureSphereError(thrown)).toBe(true);
    const redactor = createSecretRedactor(['hunter2-secret']);
    expect(() => redactor.redactDeep(deep)).not.toThrow();
  });
});
