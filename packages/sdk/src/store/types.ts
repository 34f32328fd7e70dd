import type { Kysely } from 'kysely'

/**
 * The tables of the state store, as Kysely sees them. Each module adds its own tables by augmenting this
 * interface next to its migration (`declare module '../store/types.js' { interface Tables { … } }`).
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in each module
export interface Tables {}

/** A query builder over the store's tables; inside a transaction it is bound to that transaction. */
export type Db = Kysely<Tables>

/** Which SQL dialect a store speaks. */
export type Dialect = 'sqlite' | 'postgres'

/**
 * One schema change. Migrations run once each, in the order given, inside a transaction, and are recorded
 * in the store's `nubis_migrations` table.
 */
export interface Migration {
  /** Unique and stable forever, e.g. `core/001-tasks`. */
  id: string
  // biome-ignore lint/suspicious/noExplicitAny: a migration works below the typed schema it creates
  up(db: Kysely<any>, dialect: Dialect): Promise<void>
}

/** A unit of work handed to the callback of {@link Store.transaction}. */
export interface Transaction {
  /** Queries run inside the transaction. */
  readonly db: Db
  /** Which dialect, for the few statements that differ. */
  readonly dialect: Dialect
  /** Runs `fn` once the transaction has committed (never on rollback); events are emitted this way. */
  afterCommit(fn: () => void): void
}

/** Options of {@link Store.transaction}. */
export interface TransactionOptions {
  /**
   * How many times to run the whole callback again after a serialization failure, deadlock or busy database.
   * Safe because the callback's only side effects are its queries and its `afterCommit` hooks. Default 5.
   */
  retries?: number
  /** Abort before the next attempt; a transaction in flight is rolled back. */
  signal?: AbortSignal
}

/**
 * The state store: one relational schema on SQLite (embedded) or PostgreSQL (several control planes).
 * Errors are CloudErrors: `CONFLICT` for uniqueness and revision conflicts, `UNAVAILABLE` (retryable) when the
 * database cannot be reached.
 */
export interface Store {
  readonly dialect: Dialect
  /** Query builder for reads outside a transaction. */
  readonly db: Db
  /** Runs `fn` in a transaction (BEGIN IMMEDIATE on SQLite; READ COMMITTED + row revisions on PostgreSQL). */
  transaction<T>(fn: (tx: Transaction) => Promise<T>, options?: TransactionOptions): Promise<T>
  /** Applies the migrations not yet applied. */
  migrate(migrations: readonly Migration[]): Promise<void>
  /** Throws `UNAVAILABLE` when the database does not answer. */
  ping(): Promise<void>
  /** Closes connections; the store cannot be used afterwards. */
  close(): Promise<void>
}
