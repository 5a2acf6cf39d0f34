// Test helper: prepares and inspects files inside an agent (real or the host stand-in) with a
// small node script, so the same scenarios run against both. Paths are absolute in the
// agent's view: `ws` is the workspace root there, `outside` a directory outside it.
import type { AgentHandle } from '../../src/agents/sandbox.js';

export type SetupOp =
  | { kind: 'mkdir'; path: string }
  | { kind: 'write'; path: string; content: string; mode?: number }
  | { kind: 'symlink'; path: string; target: string };

export interface Probe { exists: boolean; symlink: boolean; content: string | null }

const SCRIPT = `
const fs = require('node:fs');
let raw = '';
process.stdin.on('data', (c) => { raw += c; });
process.stdin.on('end', () => {
  const req = JSON.parse(raw);
  for (const op of req.setup) {
    if (op.kind === 'mkdir') fs.mkdirSync(op.path, { recursive: true });
    else if (op.kind === 'write') fs.writeFileSync(op.path, op.content, { mode: op.mode || 0o644 });
    else if (op.kind === 'symlink') { try { fs.unlinkSync(op.path); } catch {} fs.symlinkSync(op.target, op.path); }
  }
  const probes = {};
  for (const p of req.probe) {
    let st = null;
    try { st = fs.lstatSync(p); } catch {}
    let content = null;
    if (st && st.isFile()) content = fs.readFileSync(p, 'utf8');
    probes[p] = { exists: st !== null, symlink: !!(st && st.isSymbolicLink()), content };
  }
  process.stdout.write(JSON.stringify(probes));
});`;

export interface AgentFsFixture {
  agent: AgentHandle;
  ws: string;
  outside: string;
  setup(ops: SetupOp[]): Promise<void>;
  probe(paths: string[]): Promise<Record<string, Probe>>;
}

export function agentFsFixture(agent: AgentHandle, ws: string, outside: string): AgentFsFixture {
  async function run(setup: SetupOp[], probe: string[]): Promise<Record<string, Probe>> {
    const result = await agent.exec({ argv: ['node', '-e', SCRIPT], stdin: JSON.stringify({ setup, probe }), timeoutMs: 30_000, outputCapBytes: 1_000_000 });
    if (result.exitCode !== 0) throw new Error(`fixture script failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as Record<string, Probe>;
  }
  return {
    agent,
    ws,
    outside,
    setup: async (ops) => void (await run(ops, [])),
    probe: (paths) => run([], paths),
  };
}
