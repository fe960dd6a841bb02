// Tests that measure the event loop while a worker trains: run alone, one file at a time, so that other test
// files do not compete for the two cores and make the measurement about the machine instead of the app.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/serial/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    fileParallelism: false,
    pool: 'forks'
  }
})
