// The state store's public API: two dialects behind one Store interface, migrations and the CAS helpers.
export {
  addResourceColumns,
  type CasOptions,
  casUpdate,
  isRevisionConflict,
  newResourceColumns,
  type ResourceColumnName,
  type ResourceColumns,
  type ResourcePatch,
  type ResourceRow,
  type ResourceTableName,
  type UpdateWithRetryOptions,
  updateWithRetry,
} from './cas.js'
export { isTransientStoreError, toStoreError } from './errors.js'
export { appliedMigrations, applyMigrations, MIGRATIONS_TABLE, type MigrationsTable } from './migrate.js'
export { type PostgresStoreOptions, postgresStore } from './postgres.js'
export { type SqliteStoreOptions, sqliteStore } from './sqlite.js'
export { DEFAULT_RETRIES, type HookErrorHandler, warnHookError } from './transaction.js'
export type { Db, Dialect, Migration, Store, Tables, Transaction, TransactionOptions } from './types.js'
