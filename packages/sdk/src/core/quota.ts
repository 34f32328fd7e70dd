import { sql } from 'kysely'
import type { Db, Dialect, Migration, Transaction } from '../store/types.js'
import { CloudError } from './errors.js'

/** A row of the `quotas` table: one project's limit for one resource. */
export interface QuotaTable {
  project_id: string
  resource: string
  /** Nova's column name; `limit` is a reserved word in SQL. `-1` means unlimited. */
  hard_limit: number
}

declare module '../store/types.js' {
  interface Tables {
    quotas: QuotaTable
  }
}

/** Creates the `quotas` table of per-project overrides; defaults live in configuration, not in the store. */
export const quotaMigrations: Migration[] = [
  {
    id: 'core/001-quotas',
    async up(db) {
      await db.schema
        .createTable('quotas')
        .addColumn('project_id', 'varchar(64)', (col) => col.notNull())
        .addColumn('resource', 'varchar(255)', (col) => col.notNull())
        // bigint: byte quotas (object storage, gigabytes as bytes) outgrow 32 bits.
        .addColumn('hard_limit', 'bigint', (col) => col.notNull())
        .addPrimaryKeyConstraint('quotas_pkey', ['project_id', 'resource'])
        .execute()
    },
  },
]

/** Counts what a project holds of one resource, with real rows read inside the transaction given. */
export type UsageCounter = (tx: Transaction, projectId: string) => Promise<number>

/** Where quota reads and writes go: a {@link Transaction} or the store itself. */
export interface QuotaDb {
  readonly db: Db
  readonly dialect: Dialect
}

/** Limit and usage of one resource, as `os-quota-sets/{id}/detail` shows them. */
export interface QuotaUsage {
  limit: number
  inUse: number
}

/** Options of {@link createQuota}. */
export interface QuotaOptions {
  /** Default limit of each resource from configuration; `-1` is unlimited, as is a resource left out. */
  defaults?: Readonly<Record<string, number>>
}

/** The quota engine: services register counters, then check requested amounts inside their transaction. */
export interface Quota {
  /** Registers how `resource` is counted; each resource has one counter. */
  registerUsage(resource: string, counter: UsageCounter): void
  /** Sets `projectId`'s limit of `resource` (an integer ≥ -1), overriding the default. */
  setLimit(db: QuotaDb, projectId: string, resource: string, limit: number): Promise<void>
  /** Drops `projectId`'s overrides (of one resource, or all), back to the defaults. */
  resetLimits(db: QuotaDb, projectId: string, resource?: string): Promise<void>
  /** The configured default limit of `resource` (`-1`, unlimited, when none is configured). */
  defaultLimit(resource: string): number
  /** Effective limits of `projectId` for every resource with a default, an override or a counter. */
  getLimits(db: QuotaDb, projectId: string): Promise<Record<string, number>>
  /** Limits and current usage of `projectId` for every registered resource. */
  usage(tx: Transaction, projectId: string): Promise<Record<string, QuotaUsage>>
  /**
   * Throws `QUOTA_EXCEEDED` unless `projectId` may take `requested` more of each resource. Call it in the
   * transaction that creates the rows: on PostgreSQL it holds a lock per (project, resource) until commit, so two
   * concurrent creates cannot both pass; SQLite serialises whole transactions already (BEGIN IMMEDIATE).
   */
  check(tx: Transaction, projectId: string, requested: Readonly<Record<string, number>>): Promise<void>
}

/** Creates a {@link Quota} engine with the configured defaults. */
export function createQuota(options: QuotaOptions = {}): Quota {
  const defaults = { ...options.defaults }
  const counters = new Map<string, UsageCounter>()

  const overrides = async (db: QuotaDb, projectId: string): Promise<Map<string, number>> => {
    const rows = await db.db
      .selectFrom('quotas')
      .select(['resource', 'hard_limit'])
      .where('project_id', '=', projectId)
      .execute()
    // pg returns bigint columns as strings.
    return new Map(rows.map((row) => [row.resource, Number(row.hard_limit)]))
  }
  const limitOf = (resource: string, custom: ReadonlyMap<string, number>): number =>
    custom.get(resource) ?? defaults[resource] ?? -1

  const getLimits = async (db: QuotaDb, projectId: string) => {
    const custom = await overrides(db, projectId)
    const names = new Set([...Object.keys(defaults), ...counters.keys(), ...custom.keys()])
    return Object.fromEntries([...names].sort().map((name) => [name, limitOf(name, custom)]))
  }

  return {
    defaultLimit: (resource) => defaults[resource] ?? -1,
    registerUsage(resource, counter) {
      if (counters.has(resource)) {
        throw new CloudError(
          'CONFLICT',
          `A usage counter for quota resource ${resource} is already registered`,
        )
      }
      counters.set(resource, counter)
    },
    async setLimit(db, projectId, resource, limit) {
      if (!Number.isSafeInteger(limit) || limit < -1) {
        throw new CloudError(
          'INVALID',
          `Quota limit for ${resource} must be an integer of -1 or more, not ${limit}`,
          {
            details: { path: 'limit' },
          },
        )
      }
      await db.db
        .insertInto('quotas')
        .values({ project_id: projectId, resource, hard_limit: limit })
        .onConflict((oc) => oc.columns(['project_id', 'resource']).doUpdateSet({ hard_limit: limit }))
        .execute()
    },
    async resetLimits(db, projectId, resource) {
      let query = db.db.deleteFrom('quotas').where('project_id', '=', projectId)
      if (resource !== undefined) query = query.where('resource', '=', resource)
      await query.execute()
    },
    getLimits,
    async usage(tx, projectId) {
      const limits = await getLimits(tx, projectId)
      const out: Record<string, QuotaUsage> = {}
      for (const [name, counter] of [...counters].sort(([a], [b]) => (a < b ? -1 : 1))) {
        out[name] = { limit: limits[name] ?? -1, inUse: await counter(tx, projectId) }
      }
      return out
    },
    async check(tx, projectId, requested) {
      const wanted = Object.entries(requested).filter(([resource, amount]) => {
        if (!Number.isSafeInteger(amount)) {
          throw new CloudError(
            'INVALID',
            `Requested quota amount for ${resource} must be an integer, not ${amount}`,
          )
        }
        return amount > 0 // releasing never fails
      })
      if (wanted.length === 0) return
      const custom = await overrides(tx, projectId)
      // Sorted, so that two transactions wanting the same resources take their locks in the same order.
      const limited = wanted
        .filter(([resource]) => limitOf(resource, custom) !== -1)
        .sort(([a], [b]) => (a < b ? -1 : 1))
      for (const [resource] of limited) {
        if (!counters.has(resource)) {
          throw new CloudError('INTERNAL', `No usage counter is registered for quota resource ${resource}`)
        }
        if (tx.dialect === 'postgres') {
          await sql`select pg_advisory_xact_lock(hashtext(${`${projectId}:${resource}`}))`.execute(tx.db)
        }
      }
      for (const [resource, amount] of limited) {
        const limit = limitOf(resource, custom)
        const inUse = await counters.get(resource)!(tx, projectId)
        if (inUse + amount > limit) {
          throw new CloudError(
            'QUOTA_EXCEEDED',
            `Quota exceeded for ${resource}: Requested ${amount}, but already used ${inUse} of ${limit} ${resource}`,
            {
              resource: { type: 'quota', id: resource },
              details: { resource, limit, inUse, requested: amount },
            },
          )
        }
      }
    },
  }
}
