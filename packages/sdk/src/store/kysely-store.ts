import { sql } from 'kysely'
import { closedError } from './errors.js'
import { applyMigrations } from './migrate.js'
import { runTransaction, type TransactionRunner } from './transaction.js'
import type { Db, Dialect, Migration, Store, Transaction, TransactionOptions } from './types.js'

/**
 * What both dialects' stores share once their Kysely instance and transaction runner exist: transactions,
 * migrations, ping and an idempotent close. Each dialect supplies how a transaction is begun and committed
 * (`runner`) and what else to release on close.
 */
export abstract class KyselyStore implements Store {
  abstract readonly dialect: Dialect
  abstract readonly db: Db
  protected abstract readonly runner: TransactionRunner
  private closed = false

  transaction<T>(fn: (tx: Transaction) => Promise<T>, options?: TransactionOptions): Promise<T> {
    if (this.closed) return Promise.reject(closedError())
    return runTransaction(this.runner, fn, options)
  }

  migrate(migrations: readonly Migration[]): Promise<void> {
    return applyMigrations(this, migrations).then(() => undefined)
  }

  async ping(): Promise<void> {
    if (this.closed) throw closedError()
    await sql`select 1`.execute(this.db)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.db.destroy()
    await this.release()
  }

  /** Releases what the dialect holds beside the Kysely instance, after it was destroyed. */
  protected release(): void | Promise<void> {}
}
