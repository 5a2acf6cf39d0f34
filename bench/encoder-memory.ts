// Run by injection.bench.ts in a process of its own: the resident memory the detector's sentence
// encoder adds when it loads and after a hundred scans. (In the bench's own process the encoder
// is already loaded by the time it could be measured.) Prints one JSON line, in MiB.
import { createInjectionDetector } from '../src/security/injection/detector.js';

const modelPath = process.argv[2]!;
const mib = (): number => Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10;
const detector = createInjectionDetector({ sentenceModelPath: modelPath });
const before = mib();
await detector.assess('Translate the following sentence into German: the meeting is postponed.');
const loaded = mib();
for (let i = 0; i < 100; i += 1) await detector.assess(`Translate the following sentence into German: the meeting number ${i} is postponed.`);
console.log(JSON.stringify({ before, loaded, afterScans: mib() }));
