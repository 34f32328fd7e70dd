import type BetterSqlite3 from 'better-sqlite3'
import type { SqliteDatabase, SqliteStatement } from 'kysely'
import { toStoreError } from './errors.js'

/** Statements kept prepared when the caller does not say; a schema's worth of queries fits comfortably. */
export const DEFAULT_STATEMENT_CACHE_SIZE = 500

// Blocks the thread without spinning, like SQLite's own busy handler does.
const sleeper = new Int32Array(new SharedArrayBuffer(4))

/**
 * The better-sqlite3 handle as Kysely's SqliteDialect sees it, with three additions:
 *
 * - **Statement cache.** Kysely's SqliteDriver calls `prepare(sql)` for every query, and preparing costs as
 *   much as running a small query. Statements are cached by SQL text in a bounded LRU map.
 * - **Error mapping.** Every driver error leaves as a CloudError (see `toStoreError`), inside a transaction
 *   or not, so callers never see `SqliteError`.
 * - **Doomed transactions.** PostgreSQL aborts a whole transaction when one statement fails; SQLite only
 *   undoes the statement. To keep one behaviour on both dialects, a failed statement inside a transaction is
 *   remembered and the store refuses to COMMIT it (see {@link CachedSqliteDatabase.doomed}).
 *
 * The connection's own `busy_timeout` is 0 so that BEGIN IMMEDIATE never blocks the event loop (the store
 * retries it asynchronously). Statements outside a transaction still wait for a busy database, synchronously
 * as SQLite itself would, for up to `busyTimeoutMs`.
 */
export class CachedSqliteDatabase implements SqliteDatabase {
  private readonly cache = new Map<string, CachedStatement>()
  /** Set when a statement failed inside the current transaction; cleared at BEGIN. */
  doomed: unknown = undefined

  constructor(
    readonly raw: BetterSqlite3.Database,
    private readonly busyTimeoutMs: number,
    private readonly capacity = DEFAULT_STATEMENT_CACHE_SIZE,
  ) {}

  prepare(sql: string): SqliteStatement {
    const cached = this.cache.get(sql)
    if (cached) {
      // Re-insert to mark it most recently used: Map iteration order is insertion order.
      this.cache.delete(sql)
      this.cache.set(sql, cached)
      return cached
    }
    let statement: BetterSqlite3.Statement
    try {
      statement = this.raw.prepare(sql)
    } catch (error) {
      throw this.failed(error)
    }
    const created = new CachedStatement(this, statement)
    this.cache.set(sql, created)
    if (this.cache.size > this.capacity) {
      const oldest = this.cache.keys().next().value
      if (oldest !== undefined) this.cache.delete(oldest)
    }
    return created
  }

  close(): void {
    this.cache.clear()
    if (this.raw.open) this.raw.close()
  }

  /** Number of statements currently cached (for tests and diagnostics). */
  get cachedStatements(): number {
    return this.cache.size
  }

  /**
   * Called when a statement threw: outside a transaction a busy database is waited out and `operation`
   * tried again, for up to `busyTimeoutMs`; any other failure is mapped and thrown. Kept off the success path
   * so that a query that works costs no closure or loop.
   */
  recover<R>(error: unknown, operation: () => R): R {
    let waited = 0
    for (let round = 0; ; round++) {
      const code = (error as { code?: unknown }).code
      const busy = typeof code === 'string' && code.startsWith('SQLITE_BUSY') && !this.raw.inTransaction
      if (!busy || waited >= this.busyTimeoutMs) throw this.failed(error)
      const pause = Math.min(1 + round * 2, 25, this.busyTimeoutMs - waited)
      Atomics.wait(sleeper, 0, 0, pause)
      waited += pause
      try {
        return operation()
      } catch (next) {
        error = next
      }
    }
  }

  private failed(error: unknown): Error {
    if (this.raw.open && this.raw.inTransaction) this.doomed ??= error
    return toStoreError(error)
  }
}

/** A prepared statement whose failures go through {@link CachedSqliteDatabase.recover}. */
class CachedStatement implements SqliteStatement {
  readonly reader: boolean

  constructor(
    private readonly db: CachedSqliteDatabase,
    private readonly statement: BetterSqlite3.Statement,
  ) {
    this.reader = statement.reader
  }

  all(parameters: ReadonlyArray<unknown>): unknown[] {
    try {
      return this.statement.all(parameters)
    } catch (error) {
      return this.db.recover(error, () => this.statement.all(parameters))
    }
  }

  run(parameters: ReadonlyArray<unknown>): { changes: number | bigint; lastInsertRowid: number | bigint } {
    try {
      return this.statement.run(parameters)
    } catch (error) {
      return this.db.recover(error, () => this.statement.run(parameters))
    }
  }

  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    try {
      return this.statement.iterate(parameters)
    } catch (error) {
      return this.db.recover(error, () => this.statement.iterate(parameters))
    }
  }
}
