import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CloudError } from '../../src/core/errors.js'
import { createQuota, type Quota, quotaMigrations } from '../../src/core/quota.js'
import { sqliteStore } from '../../src/store/sqlite.js'
import type { Db, Store, Transaction } from '../../src/store/types.js'

// Servers as a service would count them: real rows, read in the caller's transaction.
interface ServerRow {
  id: string
  project_id: string
  vcpus: number
}
declare module '../../src/store/types.js' {
  interface Tables {
    test_quota_servers: ServerRow
  }
}

let store: Store
let quota: Quota
let nextId = 0
const boot = (tx: Transaction, projectId: string, vcpus: number) =>
  tx.db
    .insertInto('test_quota_servers')
    .values({ id: String(nextId++), project_id: projectId, vcpus })
    .execute()
const create = (projectId: string, vcpus: number) =>
  store.transaction(async (tx) => {
    await quota.check(tx, projectId, { instances: 1, cores: vcpus })
    await boot(tx, projectId, vcpus)
  })

beforeEach(async () => {
  store = sqliteStore({ path: ':memory:' })
  await store.migrate([
    ...quotaMigrations,
    {
      id: 'test/quota-servers',
      up: (db) =>
        db.schema
          .createTable('test_quota_servers')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('project_id', 'text', (c) => c.notNull())
          .addColumn('vcpus', 'integer', (c) => c.notNull())
          .execute(),
    },
  ])
  quota = createQuota({ defaults: { instances: 3, cores: 8, ram: -1 } })
  quota.registerUsage('instances', async (tx, projectId) => {
    const row = await tx.db
      .selectFrom('test_quota_servers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('project_id', '=', projectId)
      .executeTakeFirstOrThrow()
    return Number(row.n)
  })
  quota.registerUsage('cores', async (tx, projectId) => {
    const row = await tx.db
      .selectFrom('test_quota_servers')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('vcpus'), eb.lit(0)).as('n'))
      .where('project_id', '=', projectId)
      .executeTakeFirstOrThrow()
    return Number(row.n)
  })
})
afterEach(() => store.close())

async function quotaError(promise: Promise<unknown>): Promise<CloudError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(CloudError)
  return error as CloudError
}

describe('quota.check', () => {
  it('passes within the limits and counts rows created in earlier transactions', async () => {
    await create('p1', 4)
    await create('p1', 4)
    const error = await quotaError(create('p1', 1))
    expect(error.code).toBe('QUOTA_EXCEEDED')
    expect(error.message).toBe('Quota exceeded for cores: Requested 1, but already used 8 of 8 cores')
    expect(error.details).toEqual({ resource: 'cores', limit: 8, inUse: 8, requested: 1 })
    expect(error.resource).toEqual({ type: 'quota', id: 'cores' })
    await create('p2', 8) // projects are counted apart
  })

  it('counts rows created earlier in the same transaction', async () => {
    const error = await quotaError(
      store.transaction(async (tx) => {
        for (let i = 0; i < 4; i++) {
          await quota.check(tx, 'p1', { instances: 1 })
          await boot(tx, 'p1', 1)
        }
      }),
    )
    expect(error.message).toBe('Quota exceeded for instances: Requested 1, but already used 3 of 3 instances')
    // The failed transaction rolled back: nothing was created.
    expect(await store.db.selectFrom('test_quota_servers').selectAll().execute()).toEqual([])
  })

  it('treats -1 and unconfigured resources as unlimited, and releases (<= 0) as always allowed', async () => {
    await store.transaction(async (tx) => {
      await quota.check(tx, 'p1', { ram: 1_000_000, floating_ips: 50, cores: 0, instances: -2 })
    })
  })

  it('refuses non-integer amounts and limited resources nobody counts', async () => {
    expect((await quotaError(store.transaction((tx) => quota.check(tx, 'p1', { cores: 1.5 })))).code).toBe(
      'INVALID',
    )
    const bare = createQuota({ defaults: { volumes: 10 } })
    expect((await quotaError(store.transaction((tx) => bare.check(tx, 'p1', { volumes: 1 })))).code).toBe(
      'INTERNAL',
    )
    expect(() => quota.registerUsage('cores', async () => 0)).toThrow(/already registered/)
  })
})

describe('limits', () => {
  it('setLimit overrides the default per project; resetLimits restores it', async () => {
    await quota.setLimit(store, 'p1', 'cores', 2)
    await quota.setLimit(store, 'p1', 'cores', 20) // an upsert, not a second row
    await quota.setLimit(store, 'p1', 'instances', 0)
    expect(await quota.getLimits(store, 'p1')).toEqual({ cores: 20, instances: 0, ram: -1 })
    expect(await quota.getLimits(store, 'p2')).toEqual({ cores: 8, instances: 3, ram: -1 })
    expect((await quotaError(create('p1', 1))).message).toContain(
      'for instances: Requested 1, but already used 0 of 0',
    )
    await quota.resetLimits(store, 'p1', 'instances')
    await create('p1', 10)
    await quota.resetLimits(store, 'p1')
    expect(await quota.getLimits(store, 'p1')).toEqual({ cores: 8, instances: 3, ram: -1 })
  })

  it('setLimit takes integers of -1 or more', async () => {
    for (const bad of [-2, 1.5, Number.NaN]) {
      expect((await quotaError(quota.setLimit(store, 'p1', 'cores', bad))).code).toBe('INVALID')
    }
    await quota.setLimit(store, 'p1', 'cores', -1)
    await create('p1', 100)
  })

  it('usage reports limit and in-use count per registered resource', async () => {
    await create('p1', 3)
    expect(await store.transaction((tx) => quota.usage(tx, 'p1'))).toEqual({
      cores: { limit: 8, inUse: 3 },
      instances: { limit: 3, inUse: 1 },
    })
  })
})

describe('on PostgreSQL', () => {
  // A driver that records the SQL Kysely sends, to see the advisory locks a real server would take.
  const log: string[] = []
  const connection: DatabaseConnection = {
    async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      log.push(`${query.sql} ${JSON.stringify(query.parameters)}`)
      return { rows: [] }
    },
    // biome-ignore lint/correctness/useYield: never streamed here
    async *streamQuery() {
      throw new Error('not used')
    },
  }
  const driver: Driver = {
    init: async () => {},
    acquireConnection: async () => connection,
    beginTransaction: async () => {},
    commitTransaction: async () => {},
    rollbackTransaction: async () => {},
    releaseConnection: async () => {},
    destroy: async () => {},
  }
  const pg = new Kysely({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  }) as Db

  it('takes pg_advisory_xact_lock per (project, resource), in sorted order, before counting', async () => {
    log.length = 0
    const engine = createQuota({ defaults: { instances: 10, cores: 10, ram: -1 } })
    engine.registerUsage('instances', async () => {
      log.push('count instances')
      return 0
    })
    engine.registerUsage('cores', async () => {
      log.push('count cores')
      return 0
    })
    const tx: Transaction = { db: pg, dialect: 'postgres', afterCommit: () => {} }
    await engine.check(tx, 'p1', { instances: 1, ram: 512, cores: 2 })
    expect(log.slice(1)).toEqual([
      'select pg_advisory_xact_lock(hashtext($1)) ["p1:cores"]',
      'select pg_advisory_xact_lock(hashtext($1)) ["p1:instances"]',
      'count cores',
      'count instances',
    ])
    expect(log[0]).toMatch(/^select "resource", "hard_limit" from "quotas" where "project_id" = \$1/)
  })
})
