// Prompt size per turn: the bytes of the /api/chat request the model receives, with every
// built-in skill loaded, on the first turn and after 20 turns of history. The peer gateway sends
// about 53 kB per turn.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { createGateway } from '../src/gateway.js';
import { startFakeOllama } from '../test/fakes/ollama-server.js';

const fake = await startFakeOllama();
const dataDir = mkdtempSync(join(tmpdir(), 'securesphere-prompt-'));
const { config } = loadConfig({
  env: { OLLAMA_HOST: fake.url, SECURESPHERE_DATA_DIR: dataDir, SECURESPHERE_LOG_LEVEL: 'silent', SECURESPHERE_API_TOKEN: 'prompt-bench-token' },
  cwd: dataDir,
});
const gateway = await createGateway({ config, env: { SECURESPHERE_API_TOKEN: 'prompt-bench-token' }, lazySandbox: true });
const say = (text: string) =>
  gateway.orchestrator.handleMessage({ channel: 'api', conversationId: 'prompt', senderId: 'u', senderName: 'u', text, time: new Date() });

await say('What can you do?');
const first = JSON.stringify(fake.chatRequests.at(-1));
const tools = JSON.stringify(fake.chatRequests.at(-1)!.tools ?? []);
for (let i = 0; i < 19; i++) await say(`Question ${i}: tell me something about the number ${i * 7}.`);
const twentieth = JSON.stringify(fake.chatRequests.at(-1));
const kb = (s: string) => (Buffer.byteLength(s) / 1024).toFixed(1);
console.log(`skills loaded:            ${Object.keys(gateway.skills).sort().join(', ')} (${fake.chatRequests.at(-1)!.tools?.length ?? 0} tools)`);
console.log(`prompt, first turn:       ${kb(first)} kB (tool definitions ${kb(tools)} kB)   (peer: ~53 kB per turn)`);
console.log(`prompt, turn 20:          ${kb(twentieth)} kB`);
console.log(`ratio vs peer:            ${(53 / (Buffer.byteLength(first) / 1024)).toFixed(1)}x smaller on the first turn`);
await gateway.close();
await fake.close();
rmSync(dataDir, { recursive: true, force: true });
