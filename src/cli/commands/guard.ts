// `securesphere guard scan`: scores JSONL texts from stdin with the injection detector and
// writes one JSON result per input line, in order. A bad line yields an error object for
// that line instead of stopping the stream, so a caller can keep lines and results aligned.
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { InvalidArgumentError, type Command } from 'commander';
import type { InjectionDetector } from '../../security/injection/detector.js';

export type GuardScanResult =
  | { readonly score: number; readonly flagged: boolean; readonly reasons: string[] }
  | { readonly error: string; readonly line: number };

/** Scores one JSONL line with both of the detector's stages; never throws. */
export async function scanLine(line: string, lineNumber: number, detector: Pick<InjectionDetector, 'assess'>): Promise<GuardScanResult> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { error: 'line is not valid JSON', line: lineNumber };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.prototype.hasOwnProperty.call(parsed, 'text')) {
    return { error: 'expected a JSON object with a "text" field', line: lineNumber };
  }
  const text = (parsed as { text: unknown }).text;
  if (typeof text !== 'string') return { error: 'the "text" field must be a string', line: lineNumber };
  const { score, flagged, reasons } = await detector.assess(text);
  return { score, flagged, reasons };
}

/** Reads JSONL from `input`, writes one result line per non-blank input line to `output`. */
export async function guardScan(input: Readable, output: Writable, detector: Pick<InjectionDetector, 'assess'>): Promise<{ lines: number; flagged: number; errors: number }> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  const totals = { lines: 0, flagged: 0, errors: 0 };
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    const result = await scanLine(line, lineNumber, detector);
    totals.lines += 1;
    if ('error' in result) totals.errors += 1;
    else if (result.flagged) totals.flagged += 1;
    if (!output.write(`${JSON.stringify(result)}\n`)) await once(output, 'drain');
  }
  return totals;
}

export function parseThreshold(value: string): number {
  const threshold = Number(value);
  if (value.trim() === '' || !Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
    throw new InvalidArgumentError('the threshold must be a number between 0 and 1');
  }
  return threshold;
}

export interface GuardIo {
  readonly input: Readable;
  readonly output: Writable;
}

/**
 * Adds `guard scan` to the program. `getDetector(threshold)` builds the detector; the caller
 * applies the configured threshold when `--threshold` is absent. `io` defaults to stdin/stdout.
 */
export function registerGuardCommands(
  program: Command,
  getDetector: (threshold?: number) => InjectionDetector,
  io: GuardIo = { input: process.stdin, output: process.stdout },
): Command {
  const guard = program.command('guard').description('prompt-injection defense tools');
  guard
    .command('scan')
    .description('score JSONL objects with a "text" field from stdin; writes {"score","flagged","reasons"} per line')
    .option('--threshold <number>', 'flag at or above this score (0..1), overriding the configured threshold', parseThreshold)
    .action(async (options: { threshold?: number }) => {
      await guardScan(io.input, io.output, getDetector(options.threshold));
    });
  return guard;
}
