import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['@nubis/source'] },
  ssr: { resolve: { conditions: ['@nubis/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
})
