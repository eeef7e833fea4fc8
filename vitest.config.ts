import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// Projects split by environment and cost: fast node tests (unit + contract), DOM component tests,
// integration tests against real databases / SMTP / HTTP receivers, and browser specs in Chromium.
const quiet = (log: string) => !log.includes('RxDB Open Core RxStorage');

export default defineConfig({
  test: {
    onConsoleLog: quiet,
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: ['test/unit/**/*.test.ts', 'test/contract/**/*.test.ts'],
          // Contract suites create a PostgreSQL database and seed it through the API in beforeAll.
          hookTimeout: 60_000,
          testTimeout: 30_000,
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'dom',
          environment: 'happy-dom',
          include: ['test/**/*.dom.test.tsx'],
        },
      },
      {
        test: {
          name: 'integration',
          environment: 'node',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.spec.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
