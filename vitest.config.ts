import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // packages/* carry their own tests (the typed client's run against a sandbox gateway too).
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
