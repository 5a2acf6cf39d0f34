// Child process for the rate-limit concurrency test: its own SQLite connection to the shared
// file, a fixed clock, N checks for one user as fast as it can; prints how many were admitted.
import { openDatabase } from '../../src/store/database.js';
import { createRateLimiter } from '../../src/security/rate-limiter.js';

const [dataDir, nowArg, countArg, perUser] = process.argv.slice(2);
const db = openDatabase(dataDir!);
const limiter = createRateLimiter({
  db,
  now: () => Number(nowArg),
  config: {
    per_user_per_minute: Number(perUser),
    per_conversation_per_minute: 100_000,
    per_channel_per_minute: 100_000,
    llm_calls_per_minute: 100_000,
    auth_failures_per_minute: 100_000,
  },
});
let admitted = 0;
for (let i = 0; i < Number(countArg); i++) {
  if (limiter.checkMessage({ channel: 'web', conversationId: 'c1', userId: 'flooder' }).allowed) admitted += 1;
}
db.close();
process.stdout.write(JSON.stringify({ admitted }));
