// The logger Bolt and the Slack SDK clients get: their warnings and errors go to the channel's
// logger as one line each; their debug and info output is dropped, because the SDK's debug lines
// print whole envelopes and request bodies (user text, tokens in headers it did not redact).
// Must never forward SDK debug output.
import type { ChannelLogger } from '../channel.js';

/** @slack/logger's Logger shape, declared here so the SDK's types stay inside this folder. */
export interface BoltLogger {
  debug(...msg: unknown[]): void;
  info(...msg: unknown[]): void;
  warn(...msg: unknown[]): void;
  error(...msg: unknown[]): void;
  setLevel(level: never): void;
  getLevel(): never;
  setName(name: string): void;
}

function line(msg: unknown[]): string {
  return msg
    .map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : ''))
    .filter((s) => s !== '')
    .join(' ')
    .slice(0, 500);
}

export function createBoltLogger(logger: ChannelLogger): BoltLogger {
  let name = 'slack';
  return {
    debug() {},
    info() {},
    warn: (...msg) => logger.warn({ sdk: name }, line(msg)),
    error: (...msg) => logger.error({ sdk: name }, line(msg)),
    setLevel() {},
    getLevel: () => 'warn' as never,
    setName(next) {
      name = next;
    },
  };
}
