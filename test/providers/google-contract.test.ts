// The shared Provider contract against the Google provider, on the official `@google/genai`
// SDK pointed (httpOptions.baseUrl) at the Gemini API stand-in.
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/core/errors.js';
import { createGoogleProvider } from '../../src/providers/vendors/google/provider.js';
import { startFakeGoogle } from '../fakes/google-server.js';
import { vendorTurns } from '../fakes/vendor-script.js';
import { closedPortUrl } from '../helpers/ports.js';
import { describeProviderContract } from './provider-contract.js';

describeProviderContract('google', async () => {
  const fake = await startFakeGoogle({ apiKey: 'g-test', models: ['gemini-test'] });
  const down = await closedPortUrl();
  const make = (baseUrl: string, timeoutMs = 5_000) => createGoogleProvider({ name: 'p', model: 'gemini-test', baseUrl, apiKey: 'g-test', timeoutMs });
  const last = () => fake.generateRequests().at(-1)?.body;
  return {
    provider: make(fake.url),
    unreachable: make(down),
    impatient: make(fake.url, 150),
    model: 'gemini-test',
    missingModel: 'gemini-none',
    scriptText: (text) => fake.enqueue(vendorTurns.text(text)),
    scriptToolCalls: (calls) => fake.enqueue(vendorTurns.toolCalls(calls.map((c) => ({ name: c.name, arguments: c.args })))),
    scriptDelay: (ms) => fake.enqueue(vendorTurns.delay(ms)),
    scriptError: (status, message, retryAfterSec) => fake.enqueue(vendorTurns.error(status, message, retryAfterSec)),
    scriptMalformedStream: () => fake.enqueue(vendorTurns.malformed()),
    lastToolResults: () =>
      (last()?.contents ?? []).flatMap((c) => c.parts.filter((p) => p.functionResponse).map((p): [string, string] => [p.functionResponse!.name, String(p.functionResponse!.response.result)])),
    lastSystemPrompt: () => (last()?.systemInstruction?.parts ?? []).map((p) => p.text ?? '').join(''),
    lastToolNames: () => (last()?.tools ?? []).flatMap((t) => (t.functionDeclarations ?? []).map((f) => f.name)),
    lastUsage: () => fake.usages.at(-1)!,
    resultsKeyedBy: 'name',
    close: () => fake.close(),
  };
});

describe('Google provider specifics', () => {
  it('treats 400 API_KEY_INVALID as an auth failure, and sends tool schemas as parametersJsonSchema with the call id on results', async () => {
    const fake = await startFakeGoogle({ apiKey: 'right', models: ['g'] });
    try {
      const wrong = createGoogleProvider({ name: 'p', model: 'g', baseUrl: fake.url, apiKey: 'wrong', timeoutMs: 5_000 });
      await expect(wrong.chat({ model: 'g', messages: [{ role: 'user', content: 'x' }], tools: [] })).rejects.toMatchObject({ code: ERROR_CODES.PROVIDER_AUTH });
      const p = createGoogleProvider({ name: 'p', model: 'g', baseUrl: fake.url, apiKey: 'right', timeoutMs: 5_000, maxOutputTokens: 64 });
      fake.enqueue(vendorTurns.text('ok'));
      await p.chat({
        model: 'g',
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'a_b', arguments: { q: 1 } }] },
          { role: 'tool', content: 'r1', toolCallId: 'c1', toolName: 'a_b' },
        ],
        tools: [{ name: 'a_b', description: 'd', parameters: { type: 'object', properties: { q: { type: 'number' } } } }],
      });
      const sent = fake.generateRequests().at(-1)!.body;
      expect(sent.tools![0]!.functionDeclarations![0]!.parametersJsonSchema).toEqual({ type: 'object', properties: { q: { type: 'number' } } });
      expect(sent.contents[1]!.parts[0]!.functionCall).toEqual({ id: 'c1', name: 'a_b', args: { q: 1 } });
      expect(sent.contents[2]!.parts[0]!.functionResponse).toEqual({ id: 'c1', name: 'a_b', response: { result: 'r1' } });
      expect(sent.generationConfig?.maxOutputTokens).toBe(64);
    } finally {
      await fake.close();
    }
  });
});
