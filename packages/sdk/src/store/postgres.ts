import { CompiledQuery, Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { CloudError } from '../core/errors.js'
import { commitError, toStoreError } from './errors.js'
import { KyselyStore } from './kysely-store.js'
import { BEGIN_SQL, COMMIT_SQL, kyselyPool, ROLLBACK_SQL } from './postgres-pool.js'
import { type HookErrorHandler, type TransactionRunner, warnHookError } from './transaction.js'
import type { Db, Store } from './types.js'

/** Options of {@link postgresStore}. */
export interface PostgresStoreOptions {
  /** Connection URL, e.g. `postgres://nubis:secret@db:5432/nubis`. Or give the same settings in `pool`. */
  url?: string
  /** Further pg Pool settings (host, user, ssl, idleTimeoutMillis …); `url`, `max` and the options below win. */
  pool?: pg.PoolConfig
  /** Most connections the pool opens. Default 10. */
  max?: number
  /** Shown in `pg_stat_activity`, to tell control-plane processes apart. Default `nubis`. */
  applicationName?: string
  /** How long to wait for a connection before failing with UNAVAILABLE. Default 10000 ms. */
  connectionTimeoutMillis?: number
  /** Where exceptions of `afterCommit` hooks go. Default: a process warning (see `warnHookError`). */
  onHookError?: HookErrorHandler
  /**
   * Called when an idle pooled connection fails (the server restarted, say). The pool drops the connection and
   * opens a new one when needed; without this option the error is ignored, never thrown.
   */
  onPoolError?: (error: CloudError) => void
}

const BEGIN = CompiledQuery.raw(BEGIN_SQL)
const COMMIT = CompiledQuery.raw(COMMIT_SQL)
const ROLLBACK = CompiledQuery.raw(ROLLBACK_SQL)

/**
 * The scale-out store: PostgreSQL through a pg connection pool, for several control-plane processes on one
 * database. Transactions run at READ COMMITTED on one pooled connection; concurrent writers are kept apart
 * by unique constraints and row revisions (see `casUpdate`), and a serialization failure or deadlock reruns
 * the transaction.
 *
 * `bigint` columns (and `count(*)`) come back as numbers, as on SQLite, when they fit in a double's safe
 * integer range, else as strings.
 *
 * @example
 * const store = postgresStore({ url: process.env.DATABASE_URL, max: 20 })
 * await store.migrate(migrations)
 */
export function postgresStore(options: PostgresStoreOptions): Store {
  return new PostgresStore(options)
}

class PostgresStore extends KyselyStore {
  readonly dialect = 'postgres' as const
  readonly db: Db
  protected readonly runner: TransactionRunner

  constructor(options: PostgresStoreOptions) {
    super()
    const types = new pg.TypeOverrides()
    types.setTypeParser(pg.types.builtins.INT8, 'text', parseInt8)
    const pool = new pg.Pool({
      ...options.pool,
      ...(options.url !== undefined && { connectionString: options.url }),
      max: options.max ?? options.pool?.max ?? 10,
      application_name: options.applicationName ?? options.pool?.application_name ?? 'nubis',
      connectionTimeoutMillis:
        options.connectionTimeoutMillis ?? options.pool?.connectionTimeoutMillis ?? 10_000,
      types,
    })
    // An unhandled 'error' event would crash the process; a lost idle connection is routine.
    pool.on('error', (error) => options.onPoolError?.(toStoreError(error)))
    this.db = new Kysely({ dialect: new PostgresDialect({ pool: kyselyPool(pool) }) })
    this.runner = {
      dialect: 'postgres',
      onHookError: options.onHookError ?? warnHookError,
      attempt: (body) =>
        this.db.connection().execute(async (db) => {
          await db.executeQuery(BEGIN)
          let result: Awaited<ReturnType<typeof body>>
          try {
            result = await body(db)
          } catch (error) {
            await rollbackQuietly(db)
            throw error
          }
          try {
            await db.executeQuery(COMMIT)
          } catch (error) {
            // Harmless when the server already ended the transaction; needed when it did not.
            await rollbackQuietly(db)
            throw commitError(error)
          }
          return result
        }),
    }
  }
}

async function rollbackQuietly(db: Db): Promise<void> {
  try {
    await db.executeQuery(ROLLBACK)
  } catch {
    // The connection is probably gone, which rolls the transaction back too; the original error matters.
  }
}

function parseInt8(text: string): number | string {
  const value = Number(text)
  return Number.isSafeInteger(value) ? value : text
}
