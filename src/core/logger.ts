// Structured logging with pino. Every line passes through the secret redactor before it is
// written, so a secret value that slipped into a message or a field still never reaches the
// log. Pass `destination` to capture logs (tests search them for planted canaries).
// On a terminal (or with format `pretty`) the redacted JSON line is shown as a readable line;
// services, pipes and CI get the JSON itself.
import { pino, type Logger } from 'pino';
import { formatLogLine } from './log-pretty.js';

export interface LineRedactor {
  redact(text: string): string;
}

export interface LogDestination {
  write(line: string): unknown;
  /** Set on a terminal stream (process.stderr when it is a TTY). */
  isTTY?: boolean;
  /** A terminal stream's colour support (tty.WriteStream#hasColors honours NO_COLOR/FORCE_COLOR). */
  hasColors?: () => boolean;
}

export interface LoggerOptions {
  level: string;
  /** `auto` (default): pretty when the destination is a terminal, JSON otherwise. */
  format?: 'auto' | 'json' | 'pretty';
  redactor: LineRedactor;
  destination?: LogDestination;
}

export function createLogger(options: LoggerOptions): Logger {
  const target: LogDestination = options.destination ?? process.stderr;
  const format = options.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && target.isTTY === true);
  const colours = pretty && target.isTTY === true && (target.hasColors?.() ?? false);
  const stream = {
    write: (line: string) => {
      const redacted = options.redactor.redact(line);
      return target.write(pretty ? formatLogLine(redacted, { colours }) : redacted);
    },
  };
  return pino(
    {
      level: options.level,
      base: { service: 'securesphere' },
      // Field-name redaction as a first line; the stream redactor catches values anywhere.
      redact: { paths: ['*.token', '*.apiKey', '*.api_key', '*.password', '*.secret', 'headers.authorization'], censor: '[REDACTED]' },
    },
    stream,
  );
}
