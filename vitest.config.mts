// The one test runner: vitest with three projects. unit: unit, integration, engine and CLI tests under plain Node (no
// Electron binary needed). serial: tests that measure the event loop while a worker trains. browser: the built UI
// served by `rnnlab serve`, driven in Debian's Chromium through playwright-core.
// serial runs after unit, one file at a time (a group order of its own), so that no other test file competes for the
// two cores and makes a measurement about the machine instead of the app. browser runs last.
// unit and browser run two files at once even on two cores (vitest's default there is one): most of their time is
// spent waiting on child processes, SQLite locks, sockets and Chromium's frames, not computing; no browser test
// measures time. expect.poll waits up to 10 s by default (vitest's own
// 1 s is shorter than one redraw of a busy machine); a test that needs longer says so.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    expect: { poll: { timeout: 10_000, interval: 50 } },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.{ts,mjs}'],
          exclude: ['test/browser/**', 'test/serial/**', 'test/native/worker.test.mjs', 'node_modules/**'],
          testTimeout: 30_000
        }
      },
      {
        extends: true,
        test: {
          name: 'serial',
          // worker.test.mjs measures the event loop too, beside the engine tests it belongs with.
          include: ['test/serial/**/*.test.ts', 'test/native/worker.test.mjs'],
          testTimeout: 120_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 }
        }
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          sequence: { groupOrder: 2 }
        }
      }
    ]
  }
})
