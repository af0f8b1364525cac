import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/plain-summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration suites start servers and processes; keep them from starving each other on 2 cores.
    maxWorkers: 2,
  },
});
