import { sql } from 'kysely'
import type { Transaction } from '../store/types.js'

// SQLite runs every write transaction under BEGIN IMMEDIATE, so it is serialized already. PostgreSQL runs READ
// COMMITTED: a check-then-insert that no unique index can express (a free block of a pool, a project's single
// default group, a rule that must not be a duplicate) needs a lock taken before the check.

/**
 * Locks rows `ids` of `table` until the transaction ends (PostgreSQL `FOR UPDATE`; nothing on SQLite). Rows are
 * locked in id order, so two transactions locking the same rows cannot deadlock on each other.
 */
export async function lockRows(
  tx: Transaction,
  table: 'net_subnet_pools' | 'net_security_groups' | 'net_routers' | 'net_ports',
  ids: readonly string[],
): Promise<void> {
  if (tx.dialect !== 'postgres' || ids.length === 0) return
  await tx.db
    .selectFrom(table)
    .select('id')
    .where('id', 'in', [...new Set(ids)].sort())
    .orderBy('id')
    .forUpdate()
    .execute()
}

/**
 * Takes a transaction-scoped lock on a name (PostgreSQL advisory lock; nothing on SQLite), for a row that does
 * not exist yet: whoever holds it checks and inserts, the other waits and then sees the insert.
 */
export async function lockName(tx: Transaction, name: string): Promise<void> {
  if (tx.dialect !== 'postgres') return
  await sql`select pg_advisory_xact_lock(hashtext(${name}))`.execute(tx.db)
}
