import type { CreateTableBuilder, Kysely, Selectable, Updateable } from 'kysely'
import { sql } from 'kysely'
import { isoTime } from '../core/clock.js'
import { CloudError } from '../core/errors.js'
import { runCasUpdate, selectById } from './cas-sql.js'
import { backoffDelay, sleep } from './transaction.js'
import type { Store, Tables, Transaction } from './types.js'

/** The columns every resource row has. `revision` starts at 1 and grows by one with every update. */
export interface ResourceColumns {
  id: string
  revision: number
  /** ISO-8601 UTC. */
  created_at: string
  /** ISO-8601 UTC. */
  updated_at: string
}

/** Names of the {@link ResourceColumns}; the CAS helpers own them, so patches may not set them. */
export type ResourceColumnName = keyof ResourceColumns

/** Tables of the store whose rows carry the {@link ResourceColumns}. */
export type ResourceTableName = {
  [K in keyof Tables & string]: Tables[K] extends ResourceColumns ? K : never
}[keyof Tables & string]

/** A row of resource table `N`. */
export type ResourceRow<N extends ResourceTableName> = Selectable<Tables[N]>

/** The columns an update of table `N` may set: anything but the {@link ResourceColumns}. */
export type ResourcePatch<N extends ResourceTableName> = Omit<Updateable<Tables[N]>, ResourceColumnName>

/** Options of {@link casUpdate}. */
export interface CasOptions {
  /** Resource type named in NOT_FOUND and CONFLICT errors, e.g. `server`. Default: the table name. */
  type?: string
  /** The `updated_at` to write. Default: now. */
  now?: string
}

// The table is chosen at run time, so the queries below work beneath the typed schema; the exported
// signatures are what keeps callers typed.
// biome-ignore lint/suspicious/noExplicitAny: see above
type AnyDb = Kysely<any>

/**
 * Adds the {@link ResourceColumns} to a `createTable` builder: `id text primary key`, `revision integer not
 * null`, `created_at text not null`, `updated_at text not null`. Works on both dialects.
 *
 * @example
 * await addResourceColumns(db.schema.createTable('servers')).addColumn('name', 'text', (c) => c.notNull()).execute()
 */
export function addResourceColumns<TB extends string, C extends string>(
  builder: CreateTableBuilder<TB, C>,
): CreateTableBuilder<TB, C | ResourceColumnName> {
  return builder
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
}

/** The {@link ResourceColumns} of a row about to be inserted: revision 1, both timestamps `now`. */
export function newResourceColumns(id: string, now: string = isoTime()): ResourceColumns {
  return { id, revision: 1, created_at: now, updated_at: now }
}

/**
 * Compare-and-swap update: applies `patch` to row `id` of `table` only if its revision is still
 * `expectedRevision`, bumping `revision` and setting `updated_at`. Returns the updated row.
 *
 * Throws `NOT_FOUND` when the row does not exist, and `CONFLICT` (see {@link isRevisionConflict}) when it
 * was changed since it was read: the caller decides whether to re-read and try again.
 */
export async function casUpdate<N extends ResourceTableName>(
  tx: Pick<Transaction, 'db' | 'dialect'>,
  table: N,
  id: string,
  expectedRevision: number,
  patch: ResourcePatch<N>,
  options: CasOptions = {},
): Promise<ResourceRow<N>> {
  const name: string = table
  const updatedAt = options.now ?? isoTime()
  const values = patch as Record<string, unknown>
  let updated = await runCasUpdate(tx.db, tx.dialect, name, values, updatedAt, id, expectedRevision)
  const db = tx.db as unknown as AnyDb
  if (updated === null) {
    updated = await db
      .updateTable(name)
      .set({ ...values, revision: sql`revision + 1`, updated_at: updatedAt })
      .where('id', '=', id)
      .where('revision', '=', expectedRevision)
      .returningAll()
      .executeTakeFirst()
  }
  if (updated) return updated as ResourceRow<N>
  // Nothing matched: tell a missing row from a stale revision, since only the latter is worth a retry.
  const current = await db.selectFrom(name).select('revision').where('id', '=', id).executeTakeFirst()
  const type = options.type ?? name
  if (!current) throw notFound(type, id)
  throw new CloudError(
    'CONFLICT',
    `${type} ${id} was changed concurrently (revision ${current.revision} is not ${expectedRevision})`,
    {
      resource: { type, id },
      details: { reason: 'stale-revision', expectedRevision, actualRevision: Number(current.revision) },
    },
  )
}

/** True for the CONFLICT {@link casUpdate} throws when the row's revision moved on. */
export function isRevisionConflict(error: unknown): error is CloudError {
  return (
    error instanceof CloudError && error.code === 'CONFLICT' && error.details?.reason === 'stale-revision'
  )
}

/** Options of {@link updateWithRetry}. */
export interface UpdateWithRetryOptions extends CasOptions {
  /** How many times to try in all before the CONFLICT goes to the caller. Default 10. */
  attempts?: number
  /** Stops retrying. */
  signal?: AbortSignal
  /** Runs once the update has committed, with the new and the previous row (to emit an event, say). */
  afterCommit?: (updated: Selectable<ResourceColumns>, previous: Selectable<ResourceColumns>) => void
}

/**
 * Read-modify-write of one row with optimistic concurrency: reads row `id`, computes a patch with `mutate`
 * and writes it with {@link casUpdate}; when another writer got there first, starts again from a fresh read.
 * This is the one place where retrying a CONFLICT is safe, because the retry re-reads and recomputes.
 *
 * `mutate` must be pure: it may run several times. It may throw (e.g. `INVALID` for a forbidden state
 * transition) to abort, or return `undefined` to leave the row as it is (no write, revision unchanged).
 *
 * @example
 * await updateWithRetry(store, 'hosts', hostId, (host) => ({ ram_used: host.ram_used + flavor.ram }))
 */
export async function updateWithRetry<N extends ResourceTableName>(
  store: Store,
  table: N,
  id: string,
  mutate: (current: ResourceRow<N>) => ResourcePatch<N> | undefined,
  options: UpdateWithRetryOptions = {},
): Promise<ResourceRow<N>> {
  const attempts = options.attempts ?? 10
  const type = options.type ?? table
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.transaction(
        async (tx) => {
          const current = (await selectById(tx.db, tx.dialect, table, id)) as ResourceRow<N> | undefined
          if (!current) throw notFound(type, id)
          const patch = mutate(current)
          if (patch === undefined) return current
          const previous = current as unknown as ResourceColumns
          const updated = await casUpdate(tx, table, id, Number(previous.revision), patch, options)
          const { afterCommit } = options
          if (afterCommit) tx.afterCommit(() => afterCommit(updated as unknown as ResourceColumns, previous))
          return updated
        },
        { signal: options.signal },
      )
    } catch (error) {
      if (!isRevisionConflict(error) || attempt >= attempts) throw error
      await sleep(backoffDelay(attempt - 1), options.signal)
    }
  }
}

function notFound(type: string, id: string): CloudError {
  return new CloudError('NOT_FOUND', `${type} ${id} could not be found`, { resource: { type, id } })
}
