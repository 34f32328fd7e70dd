import { type Dialect, type Migration, postgresStore, type Store, sqliteStore } from '@nubis/sdk'
import { createTestDatabase } from './postgres.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the PostgreSQL server the test run shares (see test/global-setup.ts). */
    postgresUrl: string
  }
}

/** A fresh store for one test; `close()` also throws its database away. */
export interface TestStore extends Store {
  /** Where it lives: `:memory:` for SQLite, the database URL for PostgreSQL (to open a second pool on it). */
  readonly url: string
}

/** Options of {@link testStore}. */
export interface TestStoreOptions {
  /** Applied before the store is handed over. */
  migrations?: readonly Migration[]
  /** Admin URL of the PostgreSQL server; default: the run's shared server (`inject('postgresUrl')`). */
  postgresUrl?: string
}

/**
 * A fresh, migrated store for a test: private `:memory:` SQLite, or a new database on the shared test
 * PostgreSQL server. Close it at the end of the test; for PostgreSQL that drops the database.
 *
 * @example
 * describe.each(['sqlite', 'postgres'] as const)('%s', (dialect) => {
 *   let store: TestStore
 *   beforeEach(async () => { store = await testStore(dialect, { migrations }) })
 *   afterEach(() => store.close())
 * })
 */
export async function testStore(dialect: Dialect, options: TestStoreOptions = {}): Promise<TestStore> {
  if (dialect === 'sqlite') {
    const store = sqliteStore({ path: ':memory:' })
    return migrated(
      withExtras(store, ':memory:', () => store.close()),
      options.migrations,
    )
  }
  const admin = options.postgresUrl ?? (await sharedPostgresUrl())
  const database = await createTestDatabase(admin)
  const store = postgresStore({ url: database.url, max: 5, applicationName: 'nubis-test' })
  const close = async () => {
    try {
      await store.close()
    } finally {
      await database.drop()
    }
  }
  return migrated(withExtras(store, database.url, close), options.migrations)
}

/** The admin URL of the run's shared PostgreSQL, as provided by the global setup. */
export async function sharedPostgresUrl(): Promise<string> {
  const fromEnv = process.env.NUBIS_TEST_POSTGRES_URL
  if (fromEnv) return fromEnv
  // Imported lazily: @nubis/testing must stay usable outside a vitest run.
  const { inject } = await import('vitest')
  const url = inject('postgresUrl')
  if (!url) {
    throw new Error(
      'No test PostgreSQL server: run the tests with the repository vitest config (its globalSetup starts ' +
        'one) or set NUBIS_TEST_POSTGRES_URL to an admin URL',
    )
  }
  return url
}

async function migrated(store: TestStore, migrations: readonly Migration[] | undefined): Promise<TestStore> {
  if (!migrations?.length) return store
  try {
    await store.migrate(migrations)
  } catch (error) {
    await store.close()
    throw error
  }
  return store
}

// A delegating object rather than a spread: the stores are class instances whose methods live on prototypes.
function withExtras(store: Store, url: string, close: () => Promise<void>): TestStore {
  let closed: Promise<void> | undefined
  return {
    url,
    dialect: store.dialect,
    db: store.db,
    transaction: (fn, options) => store.transaction(fn, options),
    migrate: (migrations) => store.migrate(migrations),
    ping: () => store.ping(),
    close: () => {
      closed ??= close()
      return closed
    },
  }
}
