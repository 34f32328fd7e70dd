import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestStore, testStore } from '@nubis/testing'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  casUpdate,
  isRevisionConflict,
  newResourceColumns,
  postgresStore,
  type Store,
  sqliteStore,
  updateWithRetry,
} from '../../src/store/index.js'
import { testMigrations } from './fixtures.js'

// Two workers stand for two control-plane processes: each has its own Store (its own SQLite connection to
// one file, or its own pg pool), and they increment one counter row concurrently in two ways:
//  - `inc`: updateWithRetry, which re-reads and retries on a stale revision, so it must always land;
//  - `cas`: read outside any transaction, pause, then one casUpdate, which may lose the race (CONFLICT).
// Whatever the interleaving, the counter must equal the number of increments acknowledged to the workers.

type Op = { kind: 'inc' } | { kind: 'cas'; pauseMs: number }
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constant({ kind: 'inc' as const }),
  fc.record({ kind: fc.constant('cas' as const), pauseMs: fc.integer({ min: 0, max: 3 }) }),
)
const workload = fc.tuple(fc.array(opArb, { maxLength: 12 }), fc.array(opArb, { maxLength: 12 }))

interface Tally {
  acked: number
  conflicts: number
}

async function runWorker(store: Store, id: string, ops: readonly Op[], tally: Tally): Promise<void> {
  for (const op of ops) {
    if (op.kind === 'inc') {
      await updateWithRetry(store, 'test_counters', id, (row) => ({ value: row.value + 1 }), { attempts: 50 })
      tally.acked++
      continue
    }
    const seen = await store.db
      .selectFrom('test_counters')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    await new Promise((resolve) => setTimeout(resolve, op.pauseMs))
    try {
      await store.transaction((tx) =>
        casUpdate(tx, 'test_counters', id, seen.revision, { value: seen.value + 1 }),
      )
      tally.acked++
    } catch (error) {
      if (!isRevisionConflict(error)) throw error
      tally.conflicts++
    }
  }
}

describe.each(['sqlite', 'postgres'] as const)('no lost updates between two processes: %s', (dialect) => {
  let primary: TestStore | undefined
  let workers: [Store, Store]
  let dir: string
  let runNumber = 0
  const totals: Tally = { acked: 0, conflicts: 0 }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nubis-lost-update-'))
    if (dialect === 'sqlite') {
      const path = join(dir, 'shared.db')
      workers = [sqliteStore({ path }), sqliteStore({ path })]
      await workers[0].migrate(testMigrations)
    } else {
      primary = await testStore('postgres', { migrations: testMigrations })
      workers = [postgresStore({ url: primary.url, max: 3 }), postgresStore({ url: primary.url, max: 3 })]
    }
  })
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()))
    await primary?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('the counter always equals the acknowledged increments', async () => {
    await fc.assert(
      fc.asyncProperty(workload, async ([opsA, opsB]) => {
        const id = `counter-${++runNumber}`
        await workers[0].db
          .insertInto('test_counters')
          .values({ ...newResourceColumns(id), value: 0 })
          .execute()
        const tally: Tally = { acked: 0, conflicts: 0 }
        await Promise.all([runWorker(workers[0], id, opsA, tally), runWorker(workers[1], id, opsB, tally)])
        const row = await workers[1].db
          .selectFrom('test_counters')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
        expect(row.value).toBe(tally.acked)
        expect(row.revision).toBe(1 + tally.acked)
        const incs = [...opsA, ...opsB].filter((op) => op.kind === 'inc').length
        expect(tally.acked).toBeGreaterThanOrEqual(incs)
        totals.acked += tally.acked
        totals.conflicts += tally.conflicts
      }),
      { numRuns: dialect === 'sqlite' ? 40 : 25 },
    )
    expect(totals.acked).toBeGreaterThan(0)
  }, 120_000)

  it('of two writers that read the same revision, exactly one wins', async () => {
    const id = 'contended'
    await workers[0].db
      .insertInto('test_counters')
      .values({ ...newResourceColumns(id), value: 0 })
      .execute()
    const read = (store: Store) =>
      store.db.selectFrom('test_counters').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    const [a, b] = await Promise.all([read(workers[0]), read(workers[1])])
    const outcomes = await Promise.allSettled([
      workers[0].transaction((tx) => casUpdate(tx, 'test_counters', id, a.revision, { value: a.value + 1 })),
      workers[1].transaction((tx) => casUpdate(tx, 'test_counters', id, b.revision, { value: b.value + 1 })),
    ])
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected'])
    const loser = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult
    expect(isRevisionConflict(loser.reason)).toBe(true)
    expect(await read(workers[0])).toMatchObject({ value: 1, revision: 2 })
  })
})
