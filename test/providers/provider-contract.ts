// The contract every Provider must keep, as one suite to run against each vendor with that
// vendor's fake server. A new vendor is done when this suite passes against its fake.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, isSecureSphereError } from '../../src/core/errors.js';
import type { Provider, ToolDefinition } from '../../src/providers/provider.js';

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
  scriptToolCall(name: string, args: Record<string, unknown>): void;
  scriptDelay(ms: number): void;
  /** The tool messages the server received in its last chat request, as [name, content]. */
  lastToolResults(): Array<[string, string]>;
  close(): Promise<void>;
}

const tool: ToolDefinition = {
  name: 'calc_add',
  description: 'Add two numbers',
  parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
};

export function describeProviderContract(vendor: string, setup: () => Promise<ContractHarness>): void {
  describe(`Provider contract: ${vendor}`, () => {
    let h: ContractHarness;
    beforeAll(async () => {
      h = await setup();
    });
    afterAll(async () => {
      await h.close();
    });

    it('answers text', async () => {
      h.scriptText('plain answer');
      const res = await h.provider.chat({ model: h.model, messages: [{ role: 'user', content: 'q' }], tools: [tool] });
      expect(res).toMatchObject({ text: 'plain answer', toolCalls: [] });
    });

    it('returns tool calls with an id, a name and object arguments, and accepts their results', async () => {
      h.scriptToolCall('calc_add', { a: 1, b: 2 });
      const res = await h.provider.chat({ model: h.model, messages: [{ role: 'user', content: 'add' }], tools: [tool] });
      expect(res.toolCalls).toHaveLength(1);
      const call = res.toolCalls[0]!;
      expect(call).toMatchObject({ name: 'calc_add', arguments: { a: 1, b: 2 } });
      expect(typeof call.id).toBe('string');
      expect(call.id.length).toBeGreaterThan(0);
      h.scriptText('3');
      await h.provider.chat({
        model: h.model,
        messages: [
          { role: 'user', content: 'add' },
          { role: 'assistant', content: '', toolCalls: [call] },
          { role: 'tool', content: '{"sum":3}', toolCallId: call.id, toolName: 'calc_add' },
        ],
        tools: [tool],
      });
      expect(h.lastToolResults()).toEqual([['calc_add', '{"sum":3}']]);
    });

    it('streams when it can, ending with the same text', async () => {
      if (!h.provider.chatStream) return;
      h.scriptText('streamed words here');
      const deltas: string[] = [];
      const res = await h.provider.chatStream({ model: h.model, messages: [], tools: [] }, { onText: (d) => deltas.push(d) });
      expect(deltas.join('')).toBe('streamed words here');
      expect(res.text).toBe('streamed words here');
    });

    it('types its failures: model not found, unreachable, timeout', async () => {
      const codeOf = async (p: Promise<unknown>) => {
        const err = await p.then(() => undefined, (e: unknown) => e);
        expect(isSecureSphereError(err)).toBe(true);
        return (err as { code: string }).code;
      };
      expect(await codeOf(h.provider.chat({ model: h.missingModel, messages: [], tools: [] }))).toBe(ERROR_CODES.PROVIDER_MODEL_NOT_FOUND);
      expect(await codeOf(h.unreachable.chat({ model: h.model, messages: [], tools: [] }))).toBe(ERROR_CODES.PROVIDER_UNREACHABLE);
      h.scriptDelay(10_000);
      expect(await codeOf(h.impatient.chat({ model: h.model, messages: [], tools: [] }))).toBe(ERROR_CODES.PROVIDER_TIMEOUT);
    });

    it('reports health without throwing', async () => {
      expect((await h.provider.health()).ok).toBe(true);
      expect((await h.unreachable.health()).ok).toBe(false);
    });
  });
}
