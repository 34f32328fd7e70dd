import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestStore, testStore } from '@nubis/testing'
import Database from 'better-sqlite3'
import { type Kysely, sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CloudError } from '../../src/core/errors.js'
import {
  appliedMigrations,
  casUpdate,
  isRevisionConflict,
  type Migration,
  postgresStore,
  type Store,
  sqliteStore,
  updateWithRetry,
} from '../../src/store/index.js'
import { migrationRuns, testMigrations, widget } from './fixtures.js'

describe.each(['sqlite', 'postgres'] as const)('store conformance: %s', (dialect) => {
  let store: TestStore
  beforeEach(async () => {
    store = await testStore(dialect, { migrations: testMigrations })
  })
  afterEach(async () => {
    await store.close()
  })

  const widgets = () => store.db.selectFrom('test_widgets').selectAll().orderBy('id').execute()

  describe('migrations', () => {
    it('records each migration once; migrating again is a no-op', async () => {
      const ids = testMigrations.map((m) => m.id)
      expect(await appliedMigrations(store)).toEqual(ids)
      const before = ids.map((id) => migrationRuns.get(id))
      await store.migrate(testMigrations)
      await store.migrate(testMigrations)
      expect(ids.map((id) => migrationRuns.get(id))).toEqual(before)
      expect(await appliedMigrations(store)).toEqual(ids)
    })

    it('applies only the missing ones, in order, and rolls a failing one back entirely', async () => {
      const order: string[] = []
      await store.migrate([
        ...testMigrations,
        {
          id: 'test/extra-1',
          up: async (db) => {
            order.push('1')
            await db.schema.createTable('extra').addColumn('a', 'text').execute()
          },
        },
        {
          id: 'test/extra-2',
          up: async (db) => void order.push(`2 after ${await tableExists(db, 'extra')}`),
        },
      ])
      expect(order).toEqual(['1', '2 after true'])
      const failing = store.migrate([
        {
          id: 'test/broken',
          up: async (db) => {
            await db.schema.createTable('half_done').addColumn('a', 'text').execute()
            throw new Error('boom')
          },
        },
      ])
      await expect(failing).rejects.toMatchObject({
        code: 'INTERNAL',
        message: 'Migration test/broken failed: boom',
      })
      expect(await appliedMigrations(store)).not.toContain('test/broken')
      // The CREATE TABLE of the failed migration was rolled back with it (DDL is transactional on both).
      await expect(sql`select * from half_done`.execute(store.db)).rejects.toBeInstanceOf(CloudError)
    })

    it('survives several stores migrating the same database at once', async () => {
      const race: Migration[] = [
        { id: 'test/race-1', up: (db) => db.schema.createTable('race1').addColumn('a', 'text').execute() },
        { id: 'test/race-2', up: (db) => db.schema.createTable('race2').addColumn('a', 'text').execute() },
      ]
      const dir = mkdtempSync(join(tmpdir(), 'nubis-store-'))
      const open = () =>
        dialect === 'postgres'
          ? postgresStore({ url: store.url })
          : sqliteStore({ path: join(dir, 'race.db') })
      const stores = [open(), open(), open()]
      try {
        await Promise.all(stores.map((s) => s.migrate([...testMigrations, ...race])))
        const ids = [...testMigrations, ...race].map((m) => m.id)
        for (const s of stores) expect(await appliedMigrations(s)).toEqual(ids)
      } finally {
        await Promise.all(stores.map((s) => s.close()))
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })

  it('inserts and selects rows, with JSON in text and nulls intact', async () => {
    await store.transaction(async ({ db }) => {
      await db
        .insertInto('test_widgets')
        .values(widget('a', 'alpha', 3))
        .execute()
      await db
        .insertInto('test_widgets')
        .values({ ...widget('b'), tags: JSON.stringify({ k: [1, 'two'] }), note: 'hi' })
        .execute()
    })
    const rows = await widgets()
    expect(rows.map((r) => [r.id, r.name, r.size, r.revision, r.note])).toEqual([
      ['a', 'alpha', 3, 1, null],
      ['b', 'widget-b', 1, 1, 'hi'],
    ])
    expect(JSON.parse(rows[1]!.tags)).toEqual({ k: [1, 'two'] })
    const counted = await store.db
      .selectFrom('test_widgets')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow()
    expect(counted.n).toBe(2) // a number on both dialects, not PostgreSQL's bigint string
  })

  it('turns a unique violation into CONFLICT and writes nothing of the transaction', async () => {
    await store.db.insertInto('test_widgets').values(widget('a', 'taken')).execute()
    const attempt = store.transaction(async ({ db }) => {
      await db.insertInto('test_widgets').values(widget('b', 'fresh')).execute()
      await db.insertInto('test_widgets').values(widget('c', 'taken')).execute()
    })
    await expect(attempt).rejects.toMatchObject({ name: 'CloudError', code: 'CONFLICT', retryable: false })
    expect((await widgets()).map((r) => r.id)).toEqual(['a'])
    // Outside a transaction, and for a duplicate primary key, the same.
    await expect(
      store.db.insertInto('test_widgets').values(widget('a', 'other')).execute(),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    })
  })

  it('turns a foreign-key violation into CONFLICT', async () => {
    await expect(
      store.transaction(({ db }) =>
        db.insertInto('test_parts').values({ id: 'p', widget_id: 'nope' }).execute(),
      ),
    ).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(await store.db.selectFrom('test_parts').selectAll().execute()).toEqual([])
  })

  describe('compare-and-swap', () => {
    beforeEach(async () => {
      await store.db
        .insertInto('test_widgets')
        .values(widget('a', 'alpha', 1))
        .execute()
    })

    it('applies the patch, bumps the revision and updated_at', async () => {
      const now = '2030-01-01T00:00:00.000Z'
      const row = await store.transaction((tx) => casUpdate(tx, 'test_widgets', 'a', 1, { size: 5 }, { now }))
      expect(row).toMatchObject({ id: 'a', size: 5, revision: 2, updated_at: now, name: 'alpha' })
      expect(await widgets()).toEqual([row])
    })

    it('refuses a stale revision with CONFLICT naming the resource, and changes nothing', async () => {
      await store.transaction((tx) => casUpdate(tx, 'test_widgets', 'a', 1, { size: 2 }))
      const stale = store.transaction((tx) =>
        casUpdate(tx, 'test_widgets', 'a', 1, { size: 3 }, { type: 'widget' }),
      )
      await expect(stale).rejects.toMatchObject({
        code: 'CONFLICT',
        resource: { type: 'widget', id: 'a' },
        details: { expectedRevision: 1, actualRevision: 2 },
      })
      await expect(stale).rejects.toSatisfy(isRevisionConflict)
      expect(await widgets()).toMatchObject([{ size: 2, revision: 2 }])
    })

    it('reports a missing row as NOT_FOUND', async () => {
      await expect(
        store.transaction((tx) => casUpdate(tx, 'test_widgets', 'zz', 1, { size: 3 })),
      ).rejects.toMatchObject({
        code: 'NOT_FOUND',
        resource: { type: 'test_widgets', id: 'zz' },
      })
      await expect(
        updateWithRetry(store, 'test_widgets', 'zz', (w) => ({ size: w.size + 1 })),
      ).rejects.toMatchObject({
        code: 'NOT_FOUND',
      })
    })

    it('updateWithRetry applies a pure mutation, skips a no-op and reports after commit', async () => {
      const seen: Array<[number, number]> = []
      const row = await updateWithRetry(store, 'test_widgets', 'a', (w) => ({ size: w.size + 10 }), {
        afterCommit: (updated, previous) => seen.push([previous.revision, updated.revision]),
      })
      expect(row).toMatchObject({ size: 11, revision: 2 })
      expect(seen).toEqual([[1, 2]])
      const same = await updateWithRetry(store, 'test_widgets', 'a', () => undefined)
      expect(same.revision).toBe(2)
      const invalid = updateWithRetry(store, 'test_widgets', 'a', () => {
        throw new CloudError('INVALID', 'not now')
      })
      await expect(invalid).rejects.toMatchObject({ code: 'INVALID' })
    })
  })

  describe('transactions', () => {
    it('rolls everything back when the callback throws, and passes its error through', async () => {
      const thrown = new Error('changed my mind')
      const attempt = store.transaction(async ({ db }) => {
        await db.insertInto('test_widgets').values(widget('a')).execute()
        await db.insertInto('test_widgets').values(widget('b')).execute()
        throw thrown
      })
      await expect(attempt).rejects.toBe(thrown)
      expect(await widgets()).toEqual([])
    })

    it('returns the callback value and runs afterCommit hooks in order, only after COMMIT', async () => {
      const log: string[] = []
      const value = await store.transaction(async (tx) => {
        tx.afterCommit(() => log.push('first'))
        await tx.db.insertInto('test_widgets').values(widget('a')).execute()
        tx.afterCommit(() => log.push('second'))
        log.push('body done')
        return 42
      })
      expect(value).toBe(42)
      expect(log).toEqual(['body done', 'first', 'second'])
    })

    it('never runs afterCommit hooks of a rolled-back transaction', async () => {
      const log: string[] = []
      await expect(
        store.transaction(async (tx) => {
          tx.afterCommit(() => log.push('hook'))
          await tx.db.insertInto('test_widgets').values(widget('a')).execute()
          throw new CloudError('INVALID', 'no')
        }),
      ).rejects.toMatchObject({ code: 'INVALID' })
      expect(log).toEqual([])
    })

    it('refuses to commit a transaction whose statement failed, even if the callback swallowed the error', async () => {
      const attempt = store.transaction(async ({ db }) => {
        await db.insertInto('test_widgets').values(widget('a', 'same')).execute()
        await db
          .insertInto('test_widgets')
          .values(widget('b', 'same'))
          .execute()
          .catch(() => undefined)
      })
      await expect(attempt).rejects.toMatchObject({ code: 'INTERNAL', cause: { code: 'CONFLICT' } })
      expect(await widgets()).toEqual([])
    })

    it('reruns the whole callback after a serialization failure, deadlock or busy database', async () => {
      const runs = dialect === 'sqlite' ? await provokeSqliteBusy() : await provokeDeadlock(store)
      expect(runs).toBe(dialect === 'sqlite' ? 2 : 3)
    })
  })

  it('answers ping, and refuses everything once closed', async () => {
    await store.ping()
    await store.close()
    await expect(store.ping()).rejects.toMatchObject({ code: 'UNAVAILABLE', retryable: false })
    await expect(store.transaction(async () => 1)).rejects.toMatchObject({ code: 'UNAVAILABLE' })
  })
})

/**
 * SQLite: the first attempt's callback meets a real SQLITE_BUSY (a second connection to the file cannot write
 * while the store's transaction holds the lock) and throws it; the store must rerun the callback.
 */
async function provokeSqliteBusy(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'nubis-store-'))
  const path = join(dir, 'busy.db')
  const store: Store = sqliteStore({ path })
  const intruder = new Database(path, { timeout: 0 })
  try {
    await store.migrate(testMigrations)
    let runs = 0
    await store.transaction(async ({ db }) => {
      runs++
      await db.insertInto('test_widgets').values(widget('a')).execute()
      if (runs === 1) intruder.prepare(`insert into test_parts (id, widget_id) values ('x', 'a')`).run()
    })
    expect(await store.db.selectFrom('test_widgets').select('id').execute()).toEqual([{ id: 'a' }])
    return runs
  } finally {
    intruder.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** PostgreSQL: two transactions lock two rows in opposite orders; the server kills one (40P01), which reruns. */
async function provokeDeadlock(store: Store): Promise<number> {
  await store.db
    .insertInto('test_widgets')
    .values([widget('a'), widget('b')])
    .execute()
  let runs = 0
  let arrived = 0
  let release!: () => void
  const bothHoldOneRow = new Promise<void>((resolve) => {
    release = resolve
  })
  const crosswise = (first: string, second: string) =>
    store.transaction(async ({ db }) => {
      runs++
      const rerun = runs > 2
      await db
        .updateTable('test_widgets')
        .set((eb) => ({ size: eb('size', '+', 1) }))
        .where('id', '=', first)
        .execute()
      if (!rerun && ++arrived === 2) release()
      if (!rerun) await bothHoldOneRow
      await db
        .updateTable('test_widgets')
        .set((eb) => ({ size: eb('size', '+', 1) }))
        .where('id', '=', second)
        .execute()
    })
  await Promise.all([crosswise('a', 'b'), crosswise('b', 'a')])
  // Both committed exactly once: each row was bumped once by each transaction.
  expect((await store.db.selectFrom('test_widgets').select('size').execute()).map((r) => r.size)).toEqual([
    3, 3,
  ])
  return runs
}

// biome-ignore lint/suspicious/noExplicitAny: migrations work beneath the typed schema
async function tableExists(db: Kysely<any>, name: string): Promise<boolean> {
  const tables = await db.introspection.getTables()
  return tables.some((t) => t.name === name)
}
