// Structured logging with pino. Every line passes through the secret redactor before it is
// written, so a secret value that slipped into a message or a field still never reaches the
// log. Pass `destination` to capture logs (tests search them for planted canaries).
import { pino, type Logger } from 'pino';

export interface LineRedactor {
  redact(text: string): string;
}

export interface LoggerOptions {
  level: string;
  redactor: LineRedactor;
  destination?: { write(line: string): unknown };
}

export function createLogger(options: LoggerOptions): Logger {
  const target = options.destination ?? process.stderr;
  const stream = { write: (line: string) => target.write(options.redactor.redact(line)) };
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
