import { existsSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { CloudError } from '../core/errors.js'
import { commitError, doomedError, driverErrorCode, toStoreError } from './errors.js'
import { KyselyStore } from './kysely-store.js'
import { CachedSqliteDatabase, DEFAULT_STATEMENT_CACHE_SIZE } from './sqlite-database.js'
import { type HookErrorHandler, sleep, type TransactionRunner, warnHookError } from './transaction.js'
import type { Db, Store } from './types.js'

/** Options of {@link sqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file (created if missing; its directory must exist), or `':memory:'` for a private test store. */
  path: string
  /** How long to wait for another connection's write transaction before giving up with UNAVAILABLE. Default 5000 ms. */
  busyTimeoutMs?: number
  /** How many prepared statements to keep, by SQL text. Default 500. */
  statementCacheSize?: number
  /** Where exceptions of `afterCommit` hooks go. Default: a process warning (see `warnHookError`). */
  onHookError?: HookErrorHandler
}

/**
 * The embedded store: SQLite through better-sqlite3, one connection per store.
 *
 * A file database runs in WAL mode (readers never wait for the writer) with `synchronous=NORMAL` (durable
 * against a process crash; a power cut may lose the last commits) and foreign keys on. Transactions start with
 * BEGIN IMMEDIATE: a deferred transaction that later writes can fail with SQLITE_BUSY_SNAPSHOT, which no
 * amount of waiting cures. Several processes may share one file; they take turns for writes.
 *
 * Within one store, transactions run one after another. Inside a transaction callback use `tx.db`, never the
 * store itself: the store's single connection is held by the transaction, so `store.db` or a nested
 * `store.transaction` would wait for it forever.
 *
 * Throws `INVALID` at once when the file cannot be opened.
 *
 * @example
 * const store = sqliteStore({ path: 'cloud.db' })
 * await store.migrate(migrations)
 */
export function sqliteStore(options: SqliteStoreOptions): Store {
  return new SqliteStore(options)
}

class SqliteStore extends KyselyStore {
  readonly dialect = 'sqlite' as const
  readonly db: Db
  private readonly database: CachedSqliteDatabase
  protected readonly runner: TransactionRunner
  private readonly busyTimeoutMs: number
  // BEGIN, COMMIT and ROLLBACK go straight to better-sqlite3: the transaction holds Kysely's only connection
  // already, and skipping the query builder makes a small transaction measurably cheaper.
  private readonly begin: Database.Statement
  private readonly commit: Database.Statement
  private readonly rollback: Database.Statement

  constructor(private readonly options: SqliteStoreOptions) {
    super()
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5000
    const raw = openDatabase(options.path, this.busyTimeoutMs)
    this.database = new CachedSqliteDatabase(
      raw,
      this.busyTimeoutMs,
      options.statementCacheSize ?? DEFAULT_STATEMENT_CACHE_SIZE,
    )
    this.begin = raw.prepare('BEGIN IMMEDIATE')
    this.commit = raw.prepare('COMMIT')
    this.rollback = raw.prepare('ROLLBACK')
    this.db = new Kysely({ dialect: new SqliteDialect({ database: this.database }) })
    this.runner = {
      dialect: 'sqlite',
      onHookError: options.onHookError ?? warnHookError,
      attempt: (body) =>
        this.db.connection().execute(async (db) => {
          await this.beginImmediate()
          let result: Awaited<ReturnType<typeof body>>
          try {
            result = await body(db)
          } catch (error) {
            this.rollbackQuietly()
            throw error
          }
          const doomed = this.database.doomed
          if (doomed !== undefined) {
            this.rollbackQuietly()
            throw doomedError(doomed)
          }
          try {
            this.commit.run()
          } catch (error) {
            this.rollbackQuietly()
            throw commitError(error)
          }
          return result
        }),
    }
  }

  protected override release(): void {
    this.database.close()
  }

  /**
   * BEGIN IMMEDIATE, waiting for another connection's write transaction without blocking the event loop: the
   * connection's busy_timeout is 0, so a busy database fails at once and is polled here with short sleeps.
   * (Blocking would deadlock two stores of one process on one file until the timeout.)
   */
  private async beginImmediate(): Promise<void> {
    this.database.doomed = undefined
    const started = performance.now()
    for (let round = 0; ; round++) {
      try {
        this.begin.run()
        return
      } catch (error) {
        if (!driverErrorCode(error)?.startsWith('SQLITE_BUSY')) throw toStoreError(error)
        const waited = performance.now() - started
        if (waited >= this.busyTimeoutMs) {
          throw new CloudError(
            'UNAVAILABLE',
            `The SQLite database ${this.options.path} stayed locked by another connection for ${Math.round(waited)} ms`,
            { cause: error },
          )
        }
        const pause = Math.min(1 + Math.random() * Math.min(2 ** round, 20), this.busyTimeoutMs - waited)
        await sleep(pause)
      }
    }
  }

  private rollbackQuietly(): void {
    // SQLite may already have rolled back by itself (e.g. after SQLITE_FULL); ROLLBACK would then fail.
    if (!this.database.raw.open || !this.database.raw.inTransaction) return
    try {
      this.rollback.run()
    } catch {
      // The error that caused the rollback is the one worth reporting.
    }
  }
}

/** Opens and configures the file; any failure is a clear `INVALID` naming the path. */
function openDatabase(path: string, busyTimeoutMs: number): Database.Database {
  const memory = path === ':memory:' || path === ''
  if (!memory && !path.startsWith('file:') && !existsSync(dirname(path))) {
    throw new CloudError(
      'INVALID',
      `Cannot open the SQLite database ${path}: directory ${dirname(path)} does not exist`,
      {
        details: { path },
      },
    )
  }
  let raw: Database.Database | undefined
  try {
    // A real busy timeout while configuring: another process may be checkpointing the same file right now.
    raw = new Database(path, { timeout: busyTimeoutMs })
    raw.pragma('journal_mode = WAL') // answers 'memory' for :memory:, which is fine
    raw.pragma('synchronous = NORMAL')
    raw.pragma('foreign_keys = ON')
    raw.pragma('busy_timeout = 0')
    return raw
  } catch (error) {
    raw?.close()
    const reason = error instanceof Error ? error.message : String(error)
    throw new CloudError('INVALID', `Cannot open the SQLite database ${path}: ${reason}`, {
      details: { path },
      cause: error,
    })
  }
}
