// Client side of the in-agent helper protocol: newline-delimited JSON requests written to the
// helper's stdin, one JSON answer line per request read from its stdout. Used over a Docker
// attach stream and over a bubblewrap child's pipes alike. Answers are matched by id; a line
// that is not an answer (the helper is code running inside the sandbox) is ignored.
// Every exec carries a lease this client renews while it waits: if this process dies or loses
// the stream, the helper stops the call once the lease runs out, so no program keeps running
// for a gateway that can no longer record its outcome.
import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import type { ExecResult, LimitKind } from './sandbox.js';

export interface HelperExecRequest {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  stdin?: string;
  timeoutMs: number;
  outputCapBytes: number;
  /** Per-call process limits the helper sets before exec (never above the agent's own). */
  rlimits?: { nproc?: number; nofile?: number };
  /** The action this call belongs to; a restarted gateway asks the helper about it by this tag. */
  tag?: string;
}

/** What became of the calls carrying one tag (see the helper's "calls" operation). */
export interface TaggedCalls {
  running: number;
  /** Finished on their own (whatever their exit code). */
  completed: number;
  /** Stopped because their gateway went away (lease ran out) or a restarted gateway cancelled them. */
  cut: number;
  /** The last completed call's outcome. */
  exitCode: number | null;
  signal: string | null;
  limit: string | null;
}

export interface HelperClientOptions {
  /** How long a call outlives this client's silence; renewed every third of it. 0 = no lease. */
  leaseMs?: number;
}

/** Default lease: a gateway silent this long (dead, or its stream gone) gets its calls stopped. */
export const DEFAULT_CALL_LEASE_MS = 3_000;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  /** Longest answer line this request can get (JSON escapes up to 6 characters per output byte). */
  maxAnswer: number;
}

const MIN_ANSWER = 1024 * 1024;

const LIMITS: ReadonlySet<string> = new Set<LimitKind>(['timeout', 'memory', 'pids', 'output', 'killed']);

export class HelperClient {
  // Several clients may be attached to one helper (every attach sees every answer), so ids
  // carry a random per-client prefix and a client ignores answers that are not its own.
  private readonly prefix = randomBytes(6).toString('hex');
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private buffer = '';
  // A UTF-8 character can be split between two chunks: decode across chunk borders.
  private readonly decoder = new StringDecoder('utf8');
  private closedReason: string | null = null;
  private readonly leaseMs: number;
  private leaseTimer: NodeJS.Timeout | undefined;
  private execsWaiting = 0;

  constructor(
    private readonly input: Writable,
    output: Readable,
    options: HelperClientOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? DEFAULT_CALL_LEASE_MS;
    output.on('data', (chunk: Buffer | string) => this.onData(chunk));
    output.on('end', () => this.close('helper output ended'));
    output.on('close', () => this.close('helper output closed'));
    output.on('error', (err) => this.close(`helper output failed: ${err.message}`));
    input.on('error', (err) => this.close(`helper input failed: ${err.message}`));
  }

  get alive(): boolean {
    return this.closedReason === null;
  }

  ping(timeoutMs: number): Promise<{ pong: true; pid: number; uid: number; helper: string }> {
    return this.request({ op: 'ping' }, timeoutMs) as Promise<{ pong: true; pid: number; uid: number; helper: string }>;
  }

  async exec(req: HelperExecRequest): Promise<ExecResult> {
    const lease = this.leaseMs > 0 ? { owner: this.prefix, leaseMs: this.leaseMs } : {};
    this.execStarted();
    try {
      // The helper enforces the timeout itself; the extra margin covers a helper that died.
      const raw = (await this.request({ op: 'exec', ...req, ...lease }, req.timeoutMs + 5_000, 2 * 6 * req.outputCapBytes + 64 * 1024)) as Record<string, unknown>;
      return toExecResult(raw);
    } finally {
      this.execEnded();
    }
  }

  /** What became of the calls tagged `tag`; with `cancel`, running ones are stopped first. */
  async calls(tag: string, cancel: boolean, timeoutMs: number): Promise<TaggedCalls> {
    const raw = (await this.request({ op: 'calls', tag, cancel }, timeoutMs)) as Record<string, unknown>;
    const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
    return {
      running: count(raw.running),
      completed: count(raw.completed),
      cut: count(raw.cut),
      exitCode: typeof raw.exitCode === 'number' ? raw.exitCode : null,
      signal: typeof raw.signal === 'string' ? raw.signal : null,
      limit: typeof raw.limit === 'string' ? raw.limit : null,
    };
  }

  private execStarted(): void {
    this.execsWaiting += 1;
    if (this.leaseMs <= 0 || this.leaseTimer) return;
    // Renew while any call waits; the answer to a renewal is not awaited (its id is not pending).
    this.leaseTimer = setInterval(() => {
      if (this.closedReason !== null) return;
      this.input.write(`${JSON.stringify({ op: 'lease', owner: this.prefix, id: `${this.prefix}-lease` })}\n`);
    }, Math.max(100, Math.floor(this.leaseMs / 3)));
    this.leaseTimer.unref();
  }

  private execEnded(): void {
    this.execsWaiting -= 1;
    if (this.execsWaiting > 0 || !this.leaseTimer) return;
    clearInterval(this.leaseTimer);
    this.leaseTimer = undefined;
  }

  request(body: Record<string, unknown>, timeoutMs: number, maxAnswer = MIN_ANSWER): Promise<unknown> {
    if (this.closedReason !== null) {
      return Promise.reject(new SecureSphereError(ERROR_CODES.SANDBOX_EXEC, `The agent's helper is gone (${this.closedReason}).`));
    }
    const id = `${this.prefix}-${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SecureSphereError(ERROR_CODES.SANDBOX_EXEC, `The agent's helper did not answer within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, maxAnswer: Math.max(MIN_ANSWER, maxAnswer) });
      this.input.write(`${JSON.stringify({ ...body, id })}\n`);
    });
  }

  close(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    this.leaseTimer = undefined;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new SecureSphereError(ERROR_CODES.SANDBOX_EXEC, `The agent's helper is gone (${reason}).`));
      this.pending.delete(id);
    }
  }

  private onData(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    // Only the new text can hold the next newline: a long answer is not searched again per chunk.
    let nl = text.indexOf('\n');
    if (nl >= 0) nl += this.buffer.length;
    this.buffer += text;
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      this.onLine(line);
      nl = this.buffer.indexOf('\n');
    }
    // An answer is bounded by its request's output caps (escaped); a longer line is garbage.
    let limit = MIN_ANSWER;
    for (const p of this.pending.values()) limit = Math.max(limit, p.maxAnswer);
    if (this.buffer.length > limit) this.buffer = '';
  }

  private onLine(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg === null || typeof msg !== 'object') return;
    const { id, result, error } = msg as { id?: unknown; result?: unknown; error?: unknown };
    if (typeof id !== 'string') return;
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (typeof error === 'string') p.reject(new SecureSphereError(ERROR_CODES.SANDBOX_EXEC, `The agent refused the request: ${error}`));
    else p.resolve(result);
  }
}

function toExecResult(raw: Record<string, unknown>): ExecResult {
  const limit = typeof raw.limit === 'string' && LIMITS.has(raw.limit) ? (raw.limit as LimitKind) : null;
  return {
    exitCode: typeof raw.exitCode === 'number' ? raw.exitCode : null,
    signal: typeof raw.signal === 'string' ? raw.signal : null,
    stdout: typeof raw.stdout === 'string' ? raw.stdout : '',
    stderr: typeof raw.stderr === 'string' ? raw.stderr : '',
    durationMs: typeof raw.durationMs === 'number' ? raw.durationMs : 0,
    truncated: raw.truncated === true,
    limit,
  };
}
