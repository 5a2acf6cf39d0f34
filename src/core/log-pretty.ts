// The human-readable form of the gateway's log lines, for a person watching `securesphere start`
// in a terminal: `12:03:04.512 INFO  gateway listening address=http://… ms=431`. It formats the
// JSON line pino wrote (after the secret redactor has run over it), so both forms carry the
// same redacted content. Text from models, tools and platform users is shown with control
// characters made visible: a log line must never drive the terminal that shows it.

import { visibleText as visible } from './visible-text.js';

const LEVELS: Readonly<Record<number, { label: string; colour: string }>> = {
  10: { label: 'TRACE', colour: '90' },
  20: { label: 'DEBUG', colour: '36' },
  30: { label: 'INFO ', colour: '32' },
  40: { label: 'WARN ', colour: '33' },
  50: { label: 'ERROR', colour: '31' },
  60: { label: 'FATAL', colour: '35' },
};

/** Fields every line has that a person does not need to read. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service']);

function paint(colours: boolean, code: string, text: string): string {
  return colours ? `\u001b[${code}m${text}\u001b[0m` : text;
}

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : visible(value);
  return visible(JSON.stringify(value) ?? String(value));
}

/** One pino JSON line as one readable line (with its newline); a line that is not JSON passes through visible. */
export function formatLogLine(line: string, options: { colours: boolean }): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${visible(line.replace(/\n$/, ''))}\n`;
  }
  const when = typeof entry.time === 'number' ? new Date(entry.time) : new Date();
  const time = `${String(when.getHours()).padStart(2, '0')}:${String(when.getMinutes()).padStart(2, '0')}:${String(when.getSeconds()).padStart(2, '0')}.${String(when.getMilliseconds()).padStart(3, '0')}`;
  const level = LEVELS[Number(entry.level)] ?? { label: String(entry.level).toUpperCase().padEnd(5), colour: '0' };
  const message = typeof entry.msg === 'string' ? visible(entry.msg) : '';
  const fields = Object.entries(entry)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${paint(options.colours, '2', `${visible(key)}=`)}${fieldValue(value)}`);
  const head = `${paint(options.colours, '2', time)} ${paint(options.colours, level.colour, level.label)} ${message}`;
  return `${[head, ...fields].join(' ')}\n`;
}
