// Which Node.js runs the gateway and whether it still gets security fixes. A security-first
// gateway must say so when it runs on an end-of-life runtime (Node 20 ended on 2026-04-30):
// `securesphere doctor` warns and GET /api/health reports it. Dates are the Node.js release
// schedule's end-of-life dates; a major newer than the table is assumed supported.

/** End of life per major (even majors are LTS lines; odd ones live about 8 months). */
const END_OF_LIFE: Readonly<Record<number, string>> = {
  16: '2023-09-11',
  17: '2022-06-01',
  18: '2025-04-30',
  19: '2023-06-01',
  20: '2026-04-30',
  21: '2024-06-01',
  22: '2027-04-30',
  23: '2025-06-01',
  24: '2028-04-30',
  25: '2026-06-01',
  26: '2029-04-30',
};

/** The oldest major the gateway runs on (`engines.node` in package.json says the same). */
export const MIN_NODE_MAJOR = 22;

export interface NodeRuntimeReport {
  version: string;
  major: number;
  execPath: string;
  /** End-of-life date of this major, when known. */
  endOfLife: string | null;
  /** False when the major is past its end of life or older than MIN_NODE_MAJOR. */
  ok: boolean;
  detail: string;
}

export function describeNodeRuntime(
  runtime: { version: string; execPath: string } = { version: process.versions.node, execPath: process.execPath },
  now: Date = new Date(),
): NodeRuntimeReport {
  const major = Number(runtime.version.split('.')[0]);
  const endOfLife = Object.hasOwn(END_OF_LIFE, major) ? END_OF_LIFE[major]! : major < 16 ? 'long ago' : null;
  const ended = endOfLife !== null && (endOfLife === 'long ago' || now.getTime() >= Date.parse(`${endOfLife}T00:00:00Z`));
  const tooOld = major < MIN_NODE_MAJOR;
  const ok = !ended && !tooOld;
  const detail = ended
    ? `Node.js ${runtime.version} (${runtime.execPath}) reached end of life on ${endOfLife} and gets no security fixes`
    : tooOld
      ? `Node.js ${runtime.version} (${runtime.execPath}) is older than the supported ${MIN_NODE_MAJOR}`
      : `Node.js ${runtime.version} (${runtime.execPath})${endOfLife ? `, supported until ${endOfLife}` : ''}`;
  return { version: runtime.version, major, execPath: runtime.execPath, endOfLife: endOfLife === 'long ago' ? null : endOfLife, ok, detail };
}
