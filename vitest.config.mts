// Unit and integration tests under plain Node (no Electron binary needed).
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'test/serial/**', 'node_modules/**'],
    environment: 'node',
    testTimeout: 30_000,
    pool: 'forks'
  }
})
