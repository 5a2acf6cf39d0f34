// The contract every Provider must keep, as one suite run against each vendor with that
// vendor's stand-in under test/fakes/ (its real wire format, driven through the official SDK).
// A new vendor is done when this suite passes against its fake.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, isSecureSphereError } from '../../src/core/errors.js';
import { MAX_INPUT_DEPTH, TOO_DEEP_ARGUMENTS } from '../../src/core/input-depth.js';
import type { ChatRequest, Provider, ToolCallDelta, ToolDefinition } from '../../src/providers/provider.js';

export interface ScriptCall {
  name: string;
  args: Record<string, unknown>;
}

/** What a vendor's fake must be able to script for the contract. */
export interface ContractHarness {
  provider: Provider;
  /** A provider whose server is not listening. */
  unreachable: Provider;
  /** A provider with a deadline shorter than `scriptDelay`. */
  impatient: Provider;
  model: string;
  missingModel: string;
  scriptText(text: string): void;
  scriptToolCalls(calls: ScriptCall[]): void;
  scriptDelay(ms: number): void;
  scriptError(status: number, message: string, retryAfterSec?: number): void;
  /** Streaming: one good chunk, then one that is not JSON. */
  scriptMalformedStream(): void;
  /** The tool results the server received in its last chat request, as [name or call id, content]. */
  lastToolResults(): Array<[string, string]>;
  /** The system prompt and tool names the server received in its last chat request. */
  lastSystemPrompt(): string;
  lastToolNames(): string[];
  /** The usage the fake reported for its last answer. */
  lastUsage(): { input: number; output: number };
  /** How tool results are matched to their calls on this vendor's wire: by tool name or by call id. */
  resultsKeyedBy: 'name' | 'id';
  close(): Promise<void>;
}

const tool: ToolDefinition = {
  name: 'calc_add',
  description: 'Add two numbers',
  parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
};
const tool2: ToolDefinition = {
  name: 'calc_mul',
  description: 'Multiply two numbers',
  parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
};

async function codeOf(p: Promise<unknown>): Promise<{ code: string; details?: Record<string, unknown> }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isSecureSphereError(err), `expected a SecureSphereError, got ${String(err)}`).toBe(true);
  return err as { code: string; details?: Record<string, unknown> };
}

export function describeProviderContract(vendor: string, setup: () => Promise<ContractHarness>): void {
  describe(`Provider contract: ${vendor}`, () => {
    let h: ContractHarness;
    beforeAll(async () => {
      h = await setup();
    });
    afterAll(async () => {
      await h.close();
    });
    const ask = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
      model: h.model,
      messages: [
        { role: 'system', content: 'You are the contract bot.' },
        { role: 'user', content: 'q' },
      ],
      tools: [tool, tool2],
      ...extra,
    });

    it('answers text, sends the system prompt and the tool definitions, reports stop reason and usage', async () => {
      h.scriptText('plain answer');
      const res = await h.provider.chat(ask());
      expect(res).toMatchObject({ text: 'plain answer', toolCalls: [], stopReason: 'end' });
      expect(h.lastSystemPrompt()).toBe('You are the contract bot.');
      expect(h.lastToolNames()).toEqual(['calc_add', 'calc_mul']);
      const usage = h.lastUsage();
      expect(usage.input).toBeGreaterThan(0);
      expect(res.usage).toEqual({ inputTokens: usage.input, outputTokens: usage.output });
    });

    it('returns one tool call with an id, its name and object arguments', async () => {
      h.scriptToolCalls([{ name: 'calc_add', args: { a: 1, b: 2 } }]);
      const res = await h.provider.chat(ask());
      expect(res.stopReason).toBe('tool_calls');
      expect(res.toolCalls).toHaveLength(1);
      expect(res.toolCalls[0]).toMatchObject({ name: 'calc_add', arguments: { a: 1, b: 2 } });
      expect(res.toolCalls[0]!.id.length).toBeGreaterThan(0);
    });

    it('drops tool-call arguments nested deeper than the input limit for the marker', async () => {
      let deep: Record<string, unknown> = { leaf: 1 };
      for (let i = 0; i < MAX_INPUT_DEPTH + 5; i++) deep = { d: deep };
      h.scriptToolCalls([{ name: 'calc_add', args: deep }]);
      const res = await h.provider.chat(ask());
      expect(res.toolCalls[0]).toMatchObject({ name: 'calc_add', arguments: TOO_DEEP_ARGUMENTS });
    });

    it('returns several tool calls of one turn with ids, names and object arguments, and accepts their results', async () => {
      h.scriptToolCalls([
        { name: 'calc_add', args: { a: 1, b: 2 } },
        { name: 'calc_mul', args: { a: 3, b: 4 } },
      ]);
      const res = await h.provider.chat(ask());
      expect(res.stopReason).toBe('tool_calls');
      expect(res.toolCalls.map((c) => [c.name, c.arguments])).toEqual([
        ['calc_add', { a: 1, b: 2 }],
        ['calc_mul', { a: 3, b: 4 }],
      ]);
      for (const call of res.toolCalls) expect(call.id.length).toBeGreaterThan(0);
      expect(new Set(res.toolCalls.map((c) => c.id)).size).toBe(2);
      const [add, mul] = res.toolCalls as [(typeof res.toolCalls)[0], (typeof res.toolCalls)[0]];
      h.scriptText('3 and 12');
      const final = await h.provider.chat(
        ask({
          messages: [
            { role: 'system', content: 'You are the contract bot.' },
            { role: 'user', content: 'add and multiply' },
            { role: 'assistant', content: '', toolCalls: res.toolCalls },
            { role: 'tool', content: '{"sum":3}', toolCallId: add.id, toolName: 'calc_add' },
            { role: 'tool', content: '{"product":12}', toolCallId: mul.id, toolName: 'calc_mul' },
          ],
        }),
      );
      expect(final.text).toBe('3 and 12');
      const key = (c: { id: string; name: string }) => (h.resultsKeyedBy === 'id' ? c.id : c.name);
      expect(h.lastToolResults()).toEqual([
        [key(add), '{"sum":3}'],
        [key(mul), '{"product":12}'],
      ]);
    });

    it('streams text deltas ending with the same text, with stop reason and usage', async () => {
      if (!h.provider.chatStream) return;
      h.scriptText('streamed words here');
      const deltas: string[] = [];
      const res = await h.provider.chatStream(ask({ tools: [] }), { onText: (d) => deltas.push(d) });
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.join('')).toBe('streamed words here');
      expect(res.text).toBe('streamed words here');
      expect(res.stopReason).toBe('end');
      const usage = h.lastUsage();
      expect(res.usage).toEqual({ inputTokens: usage.input, outputTokens: usage.output });
    });

    it('streams tool-call deltas and returns the calls only whole', async () => {
      if (!h.provider.chatStream) return;
      h.scriptToolCalls([
        { name: 'calc_add', args: { a: 5, b: 6 } },
        { name: 'calc_mul', args: { a: 7, b: 8 } },
      ]);
      const deltas: ToolCallDelta[] = [];
      const res = await h.provider.chatStream(ask(), { onText: () => undefined, onToolCallDelta: (d) => deltas.push(d) });
      expect(res.stopReason).toBe('tool_calls');
      expect(res.toolCalls.map((c) => [c.name, c.arguments])).toEqual([
        ['calc_add', { a: 5, b: 6 }],
        ['calc_mul', { a: 7, b: 8 }],
      ]);
      expect(new Set(deltas.map((d) => d.index))).toEqual(new Set([0, 1]));
      const argsOf = (i: number) => deltas.filter((d) => d.index === i).map((d) => d.argumentsDelta ?? '').join('');
      expect(JSON.parse(argsOf(0))).toEqual({ a: 5, b: 6 });
    });

    it('types HTTP failures: 401 auth, 429 with its retry time, 500 unavailable, missing model', async () => {
      h.scriptError(401, 'bad key');
      expect((await codeOf(h.provider.chat(ask()))).code).toBe(ERROR_CODES.PROVIDER_AUTH);
      h.scriptError(429, 'slow down', 7);
      const limited = await codeOf(h.provider.chat(ask()));
      expect(limited.code).toBe(ERROR_CODES.PROVIDER_RATE_LIMITED);
      expect(limited.details?.retryAfterMs).toBe(7_000);
      h.scriptError(500, 'internal failure');
      expect((await codeOf(h.provider.chat(ask()))).code).toBe(ERROR_CODES.PROVIDER_UNAVAILABLE);
      expect((await codeOf(h.provider.chat(ask({ model: h.missingModel })))).code).toBe(ERROR_CODES.PROVIDER_MODEL_NOT_FOUND);
    });

    it('types a malformed stream chunk, an unreachable server and a timeout', async () => {
      if (h.provider.chatStream) {
        h.scriptMalformedStream();
        const err = await codeOf(h.provider.chatStream(ask(), { onText: () => undefined }));
        expect(err.code).toBe(ERROR_CODES.PROVIDER_ERROR);
      }
      expect((await codeOf(h.unreachable.chat(ask()))).code).toBe(ERROR_CODES.PROVIDER_UNREACHABLE);
      h.scriptDelay(10_000);
      const late = await codeOf(h.impatient.chat(ask()));
      expect(late.code).toBe(ERROR_CODES.PROVIDER_TIMEOUT);
      // Typed by the provider (its deadline, host and model), not the bare abort reason.
      expect(late.details).toMatchObject({ timeoutMs: expect.any(Number) });
    });

    it("hands a call the caller cancelled back with the caller's own reason, not as a provider failure", async () => {
      const controller = new AbortController();
      const reason = new Error('the turn was cancelled');
      controller.abort(reason);
      await expect(h.provider.chat(ask({ signal: controller.signal }))).rejects.toBe(reason);
      if (h.provider.chatStream) await expect(h.provider.chatStream(ask({ signal: controller.signal }), { onText: () => undefined })).rejects.toBe(reason);
    });

    it('reports health without throwing, a down server with the typed reason', async () => {
      expect((await h.provider.health()).ok).toBe(true);
      const down = await h.unreachable.health();
      expect(down.ok).toBe(false);
      expect(down.detail).toMatch(/^Cannot reach /);
    });
  });
}
