import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts', 'skills/**/*.test.ts', 'channels/**/*.test.ts'],
    globalSetup: ['test/setup/runtime-banner.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Sandbox tests share one Docker engine on a 2-core machine; keep parallelism modest.
    maxWorkers: 2,
  },
});
