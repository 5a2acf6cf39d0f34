// matrix-js-sdk logs through its own logger (console by default). This routes it into the
// gateway's channel logger at the matching level (trace/debug -> debug, info, warn, error),
// one line per call with the SDK's namespace. Must never pass the access token through: any
// occurrence is replaced before the line is written.
import type { ChannelLogger } from '../channel.js';

export interface SdkLogger {
  trace(...msg: unknown[]): void;
  debug(...msg: unknown[]): void;
  info(...msg: unknown[]): void;
  warn(...msg: unknown[]): void;
  error(...msg: unknown[]): void;
  getChild(namespace: string): SdkLogger;
}

function describe(part: unknown): string {
  if (part instanceof Error) return `${part.name}: ${part.message}`;
  if (typeof part === 'string') return part;
  try {
    return JSON.stringify(part) ?? String(part);
  } catch {
    return String(part);
  }
}

export function createSdkLogger(target: ChannelLogger, secrets: () => readonly string[], namespace = 'matrix-sdk'): SdkLogger {
  const line = (msg: unknown[]): string => {
    let text = msg.map(describe).join(' ');
    for (const secret of secrets()) if (secret.length >= 8) text = text.split(secret).join('[REDACTED]');
    return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
  };
  return {
    trace: (...msg) => target.debug({ sdk: namespace }, line(msg)),
    debug: (...msg) => target.debug({ sdk: namespace }, line(msg)),
    info: (...msg) => target.info({ sdk: namespace }, line(msg)),
    warn: (...msg) => target.warn({ sdk: namespace }, line(msg)),
    error: (...msg) => target.error({ sdk: namespace }, line(msg)),
    getChild: (child) => createSdkLogger(target, secrets, `${namespace}${child}`),
  };
}
