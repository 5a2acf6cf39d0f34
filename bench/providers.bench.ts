// Provider translation cost and failover cost, against the vendor stand-ins on 127.0.0.1:
// (1) for each vendor, the latency a SecureSphere provider adds over calling the same official
// SDK directly with the same request (same stand-in, same answer), plain and streamed;
// (2) the time to the backup's answer when the first profile refuses at once (HTTP 503, or a
// closed port), against asking the backup directly. Prints numbers; never fails on a timing.
import { performance } from 'node:perf_hooks';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { Mistral } from '@mistralai/mistralai';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import type { ChatRequest, Provider } from '../src/providers/provider.js';
import { createHttpFetch } from '../src/providers/http-fetch.js';
import { createProviderManager } from '../src/providers/provider-manager.js';
import { createAnthropicProvider } from '../src/providers/vendors/anthropic/provider.js';
import { createGoogleProvider } from '../src/providers/vendors/google/provider.js';
import { createMistralProvider } from '../src/providers/vendors/mistral/provider.js';
import { createOllamaProvider } from '../src/providers/vendors/ollama/provider.js';
import { createOpenAIProvider } from '../src/providers/vendors/openai/provider.js';
import { startFakeAnthropic } from '../test/fakes/anthropic-server.js';
import { startFakeChatCompletions } from '../test/fakes/chat-completions-server.js';
import { startFakeGoogle } from '../test/fakes/google-server.js';
import { startFakeOllama } from '../test/fakes/ollama-server.js';
import { vendorTurns } from '../test/fakes/vendor-script.js';
import { closedPortUrl } from '../test/helpers/ports.js';
import { pct } from './lib.js';

const CALLS = Number(process.env.BENCH_PROVIDER_CALLS ?? 300);
const WARMUP = 30;
const KEY = 'bench-key';
const PROMPT = 'Summarise the last three messages of this conversation in one sentence, please.';
const TOOL = { name: 'calc_add', description: 'Add two numbers', parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] } };
const request: ChatRequest = { model: 'm', messages: [{ role: 'system', content: 'You are a bench.' }, { role: 'user', content: PROMPT }], tools: [TOOL] };

async function samples(fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const start = performance.now();
    await fn();
    out.push(performance.now() - start);
  }
  return out;
}

/** Interleaves the two so machine noise hits both alike; returns p50s in ms. */
async function compare(label: string, direct: () => Promise<unknown>, viaProvider: () => Promise<unknown>, names: [string, string] = ['direct SDK', 'provider']): Promise<void> {
  const d1 = await samples(direct);
  const p1 = await samples(viaProvider);
  const d2 = await samples(direct);
  const p2 = await samples(viaProvider);
  const d = pct([...d1, ...d2], 50);
  const p = pct([...p1, ...p2], 50);
  console.log(`${label.padEnd(26)} ${names[0]} p50 ${d.toFixed(3).padStart(7)} ms   ${names[1]} p50 ${p.toFixed(3).padStart(7)} ms   added ${(p - d).toFixed(3).padStart(7)} ms (${((p / d - 1) * 100).toFixed(1)}%)`);
}

const drain = async (stream: AsyncIterable<unknown>) => {
  for await (const _ of stream) void _;
};

console.log(`provider translation overhead (${CALLS} calls x2 each, p50)`);

{
  const fake = await startFakeOllama({ record: false });
  // The same node:http fetch the provider uses, so only the translation differs.
  const direct = new Ollama({ host: fake.url, fetch: createHttpFetch() });
  const provider = createOllamaProvider({ host: fake.url, timeoutMs: 10_000 });
  const wire = { model: 'llama3.1', messages: [{ role: 'system', content: 'You are a bench.' }, { role: 'user', content: PROMPT }], tools: [{ type: 'function', function: { ...TOOL } }] };
  await compare('ollama', () => direct.chat({ ...wire, stream: false }), () => provider.chat({ ...request, model: 'llama3.1' }));
  await compare('ollama (stream)', async () => drain(await direct.chat({ ...wire, stream: true })), () => provider.chatStream({ ...request, model: 'llama3.1' }, { onText: () => undefined }));
  await fake.close();
}
{
  const fake = await startFakeChatCompletions({ flavor: 'openai', apiKey: KEY, models: ['m'], record: false });
  const direct = new OpenAI({ apiKey: KEY, baseURL: `${fake.url}/v1`, maxRetries: 0 });
  const provider = createOpenAIProvider({ name: 'b', model: 'm', baseUrl: `${fake.url}/v1`, apiKey: KEY, timeoutMs: 10_000 });
  const wire = { model: 'm', messages: [{ role: 'system' as const, content: 'You are a bench.' }, { role: 'user' as const, content: PROMPT }], tools: [{ type: 'function' as const, function: TOOL }] };
  await compare('openai', () => direct.chat.completions.create(wire), () => provider.chat(request));
  await compare('openai (stream)', async () => drain(await direct.chat.completions.create({ ...wire, stream: true, stream_options: { include_usage: true } })), () => provider.chatStream!(request, { onText: () => undefined }));
  await fake.close();
}
{
  const fake = await startFakeAnthropic({ apiKey: KEY, models: ['m'], record: false });
  const direct = new Anthropic({ apiKey: KEY, baseURL: fake.url, maxRetries: 0 });
  const provider = createAnthropicProvider({ name: 'b', model: 'm', baseUrl: fake.url, apiKey: KEY, timeoutMs: 10_000 });
  const wire = { model: 'm', max_tokens: 4096, system: 'You are a bench.', messages: [{ role: 'user' as const, content: PROMPT }], tools: [{ name: TOOL.name, description: TOOL.description, input_schema: { ...TOOL.parameters, type: 'object' as const } }] };
  await compare('anthropic', () => direct.messages.create(wire), () => provider.chat(request));
  await compare('anthropic (stream)', async () => drain(await direct.messages.create({ ...wire, stream: true })), () => provider.chatStream!(request, { onText: () => undefined }));
  await fake.close();
}
{
  const fake = await startFakeGoogle({ apiKey: KEY, models: ['m'], record: false });
  const direct = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: fake.url } });
  const provider = createGoogleProvider({ name: 'b', model: 'm', baseUrl: fake.url, apiKey: KEY, timeoutMs: 10_000 });
  const wire = { model: 'm', contents: [{ role: 'user', parts: [{ text: PROMPT }] }], config: { systemInstruction: 'You are a bench.', tools: [{ functionDeclarations: [{ name: TOOL.name, description: TOOL.description, parametersJsonSchema: TOOL.parameters }] }] } };
  await compare('google', () => direct.models.generateContent(wire), () => provider.chat(request));
  await compare('google (stream)', async () => drain(await direct.models.generateContentStream(wire)), () => provider.chatStream!(request, { onText: () => undefined }));
  await fake.close();
}
{
  const fake = await startFakeChatCompletions({ flavor: 'mistral', apiKey: KEY, models: ['m'], record: false });
  const direct = new Mistral({ apiKey: KEY, serverURL: fake.url, retryConfig: { strategy: 'none' } });
  const provider = createMistralProvider({ name: 'b', model: 'm', baseUrl: fake.url, apiKey: KEY, timeoutMs: 10_000 });
  const wire = { model: 'm', messages: [{ role: 'system' as const, content: 'You are a bench.' }, { role: 'user' as const, content: PROMPT }], tools: [{ type: 'function' as const, function: TOOL }] };
  await compare('mistral', () => direct.chat.complete(wire), () => provider.chat(request));
  await compare('mistral (stream)', async () => drain(await direct.chat.stream(wire)), () => provider.chatStream!(request, { onText: () => undefined }));
  await fake.close();
}

console.log(`\nfailover cost (${CALLS} calls x2 each, p50): time to the backup's answer when the first profile refuses at once`);
{
  const backupFake = await startFakeAnthropic({ apiKey: KEY, models: ['m'], record: false });
  const refusing = await startFakeChatCompletions({ flavor: 'openai', apiKey: KEY, models: ['m'], record: false });
  const backup = createAnthropicProvider({ name: 'backup', model: 'm', baseUrl: backupFake.url, apiKey: KEY, timeoutMs: 10_000 });
  const managerWith = (first: Provider) =>
    // cooldownMs 0: the refusing profile is tried first on every call, so every call pays the failover.
    createProviderManager({ profiles: [{ name: 'main', provider: first, model: 'm' }, { name: 'backup', provider: backup, model: 'm' }], cooldownMs: 0 });
  const ask = { messages: request.messages, tools: request.tools };

  const answers503 = managerWith(createOpenAIProvider({ name: 'main', model: 'm', baseUrl: `${refusing.url}/v1`, apiKey: KEY, timeoutMs: 10_000 }));
  const refuse = () => refusing.enqueue(vendorTurns.error(503, 'overloaded'));
  await compare('503 then backup', () => backup.chat(request), () => {
    refuse();
    return answers503.chat(ask);
  }, ['backup alone', 'with failover']);
  const closed = await closedPortUrl();
  const refused = managerWith(createOpenAIProvider({ name: 'main', model: 'm', baseUrl: `${closed}/v1`, apiKey: KEY, timeoutMs: 10_000 }));
  await compare('connection refused, backup', () => backup.chat(request), () => refused.chat(ask), ['backup alone', 'with failover']);
  await refusing.close();
  await backupFake.close();
}
