import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing but Node; `cloud` talks to the real local OpenStack
// (test/cloud), Redis and the object stores. `npm test` runs both (scripts/test.sh starts the
// cloud first); `npm run test:unit` runs only the pure-logic suites.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'cloud',
          include: ['test/cloud-e2e/**/*.test.ts'],
          globalSetup: ['test/cloud-e2e/global-setup.ts'],
          testTimeout: 15 * 60_000,
          hookTimeout: 15 * 60_000,
          fileParallelism: false,
          sequence: { concurrent: false },
        },
      },
    ],
  },
});
