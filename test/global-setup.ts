// One real PostgreSQL server for the whole test run. Tests get its admin URL with `inject('postgresUrl')`
// (or through `testStore('postgres')` from @nubis/testing) and create their own databases on it.
import type { TestProject } from 'vitest/node'
// Imported by path, not through @nubis/testing's index: the setup must not load every helper of the package.
import { startPostgres } from '../packages/testing/src/postgres.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the PostgreSQL server the test run shares. */
    postgresUrl: string
  }
}

/** Starts the shared PostgreSQL server and returns the teardown that stops it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgres()
  project.provide('postgresUrl', server.url)
  return async () => {
    await server.stop()
  }
}
