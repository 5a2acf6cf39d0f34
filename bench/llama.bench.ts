// The embedded llama-cpp provider on this machine's CPU cores, with the real SmolLM2-135M:
// time to first token, decode speed, one whole turn that makes a tool call under the grammar,
// and the provider's own overhead over node-llama-cpp called directly with the same settings
// (same model instance size, same context, greedy decoding), all in one run.
import { availableParallelism } from 'node:os';
import { getLlama, LlamaChat, LlamaLogLevel } from 'node-llama-cpp';
import { createLlamaCppProvider } from '../src/providers/vendors/llama-cpp/llama-cpp.js';
import type { ToolDefinition } from '../src/providers/provider.js';
import { embeddedTestModel } from '../test/helpers/embedded-model.js';
import { pct } from './lib.js';

const modelFile = embeddedTestModel();
if (!modelFile) {
  console.log('llama: skipped (no embedded model; `securesphere model pull` or SECURESPHERE_TEST_MODEL)');
  process.exit(0);
}
const ROUNDS = Number(process.env.BENCH_LLAMA_ROUNDS ?? 5);
const MAX_TOKENS = 48;
const SYSTEM = 'You are brief.';
const USER = 'Name three colours of the rainbow.';
const question = [{ role: 'system' as const, content: SYSTEM }, { role: 'user' as const, content: USER }];
const tools: ToolDefinition[] = [
  { name: 'filesystem_list', description: 'List the files and folders in a directory of the workspace.', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } },
];

// node-llama-cpp directly: the same model file, context, prompt and sampling.
const llama = await getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: LlamaLogLevel.warn });
const model = await llama.loadModel({ modelPath: modelFile });
const context = await model.createContext({ contextSize: 2048, threads: availableParallelism() });
const chat = new LlamaChat({ contextSequence: context.getSequence() });
const direct: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const t0 = performance.now();
  await chat.generateResponse(
    [{ type: 'system', text: SYSTEM }, { type: 'user', text: USER }, { type: 'model', response: [] }],
    { maxTokens: MAX_TOKENS, temperature: 0, repeatPenalty: { penalty: 1.15, lastTokens: 64 }, onTextChunk: () => undefined },
  );
  direct.push(performance.now() - t0);
}
await context.dispose();
await model.dispose();

const provider = createLlamaCppProvider({ modelPath: modelFile, contextSize: 2048, maxOutputTokens: MAX_TOKENS, temperature: 0 });
await provider.preload();

const ttft: number[] = [];
const decode: number[] = [];
const viaProvider: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const t0 = performance.now();
  let first = 0;
  const res = await provider.chatStream({ model: 'm', tools: [], messages: question }, { onText: () => (first ||= performance.now()) });
  const done = performance.now();
  ttft.push(first - t0);
  decode.push((res.usage!.outputTokens! - 1) / ((done - first) / 1000));
  viaProvider.push(done - t0);
}
const turn: number[] = [];
let calls = 0;
for (let i = 0; i < ROUNDS; i++) {
  const t0 = performance.now();
  const res = await provider.chat({ model: 'm', tools, messages: [{ role: 'system', content: 'You are SecureSphere.' }, { role: 'user', content: 'List the files in the workspace.' }] });
  turn.push(performance.now() - t0);
  calls += res.toolCalls.length;
}
await provider.close();



const f = (n: number) => n.toFixed(1);
console.log(`llama: ${ROUNDS} rounds, ${MAX_TOKENS}-token replies, ${modelFile.split('/').pop()}`);
console.log(`  time to first token     p50 ${f(pct(ttft, 50))} ms  (min ${f(Math.min(...ttft))}, max ${f(Math.max(...ttft))})`);
console.log(`  decode                  p50 ${f(pct(decode, 50))} tokens/s`);
console.log(`  turn with one tool call p50 ${f(pct(turn, 50))} ms  (${calls}/${ROUNDS} replies were tool calls)`);
console.log(`  reply via provider      p50 ${f(pct(viaProvider, 50))} ms; node-llama-cpp directly p50 ${f(pct(direct, 50))} ms; ratio ${(pct(viaProvider, 50) / pct(direct, 50)).toFixed(3)}x`);
