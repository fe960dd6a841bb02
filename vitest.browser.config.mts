// Browser tests: the built UI served by `rnnlab serve`, driven in Debian's Chromium through playwright-core.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    pool: 'forks'
  }
})
