import { sql } from 'kysely'
import { isoTime } from '../core/clock.js'
import { CloudError, isCloudError } from '../core/errors.js'
import type { Migration, Store, Transaction } from './types.js'

/** The row of the table that records applied migrations. */
export interface MigrationsTable {
  id: string
  applied_at: string
}

declare module './types.js' {
  interface Tables {
    nubis_migrations: MigrationsTable
  }
}

/** Name of the table that records which migrations have run. */
export const MIGRATIONS_TABLE = 'nubis_migrations'

// Any constant works as long as nothing else in the database uses it; these are the bytes of "nubi".
const ADVISORY_LOCK_KEY = 0x6e756269

/**
 * Applies the migrations of `migrations` not yet recorded in `nubis_migrations`, in the order given, each in
 * its own transaction together with its record, so a crash leaves every migration either fully applied or
 * not at all. Returns the ids applied now.
 *
 * Safe when several processes migrate one database at once: on PostgreSQL each migration transaction first
 * takes a transaction-scoped advisory lock and re-checks the record; on SQLite BEGIN IMMEDIATE serialises
 * writers already. The loser of the race finds the record and skips the migration.
 */
export async function applyMigrations(store: Store, migrations: readonly Migration[]): Promise<string[]> {
  const seen = new Set<string>()
  for (const migration of migrations) {
    if (seen.has(migration.id)) throw new CloudError('INVALID', `Migration ${migration.id} is listed twice`)
    seen.add(migration.id)
  }

  // Under the lock too: two processes racing on CREATE TABLE IF NOT EXISTS can both miss the table on
  // PostgreSQL, and the second then fails on a duplicate catalog row.
  await store.transaction(async (tx) => {
    await lock(tx)
    await tx.db.schema
      .createTable(MIGRATIONS_TABLE)
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('applied_at', 'text', (c) => c.notNull())
      .execute()
  })

  const recorded = await store.db.selectFrom(MIGRATIONS_TABLE).select('id').execute()
  const applied = new Set(recorded.map((row) => row.id))
  const now: string[] = []
  for (const migration of migrations) {
    if (applied.has(migration.id)) continue
    const ran = await store.transaction(async (tx) => {
      await lock(tx)
      const done = await tx.db
        .selectFrom(MIGRATIONS_TABLE)
        .select('id')
        .where('id', '=', migration.id)
        .executeTakeFirst()
      if (done) return false // another process applied it while we were looking
      try {
        await migration.up(tx.db, tx.dialect)
      } catch (error) {
        throw migrationError(migration.id, error)
      }
      await tx.db.insertInto(MIGRATIONS_TABLE).values({ id: migration.id, applied_at: isoTime() }).execute()
      return true
    })
    if (ran) now.push(migration.id)
  }
  return now
}

/** Ids of the migrations recorded as applied, by time of application (ties, within a millisecond, by id). */
export async function appliedMigrations(store: Store): Promise<string[]> {
  const rows = await store.db
    .selectFrom(MIGRATIONS_TABLE)
    .select('id')
    .orderBy('applied_at')
    .orderBy('id')
    .execute()
  return rows.map((row) => row.id)
}

async function lock(tx: Transaction): Promise<void> {
  if (tx.dialect === 'postgres')
    await sql`select pg_advisory_xact_lock(${sql.lit(ADVISORY_LOCK_KEY)})`.execute(tx.db)
}

/** Names the migration in the error; connection trouble and transient errors keep their code so they retry. */
function migrationError(id: string, error: unknown): unknown {
  if (isCloudError(error) && (error.code === 'UNAVAILABLE' || error.retryable)) return error
  const message = error instanceof Error ? error.message : String(error)
  return new CloudError('INTERNAL', `Migration ${id} failed: ${message}`, {
    cause: error,
    details: { migration: id },
  })
}
