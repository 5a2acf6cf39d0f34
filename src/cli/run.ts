// Process entry for running the CLI from source (tests, `npx tsx src/cli/run.ts`).
import { main } from './main.js';

await main(process.argv);
