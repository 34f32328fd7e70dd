import { type TestStore, testStore } from '@nubis/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { preparedStatement } from '../../src/store/prepared.js'
import { testMigrations, widget } from './fixtures.js'

describe.each(['sqlite', 'postgres'] as const)('preparedStatement on %s', (dialect) => {
  let store: TestStore
  beforeEach(async () => {
    store = await testStore(dialect, { migrations: testMigrations })
  })
  afterEach(() => store.close())

  it('compiles once and runs again with new parameters', async () => {
    await store.transaction(async ({ db }) => {
      await db
        .insertInto('test_widgets')
        .values([widget('1', 'a', 1), widget('2', 'b', 2)])
        .execute()
    })
    const byName = preparedStatement((db, name: string) =>
      db.selectFrom('test_widgets').select(['name', 'size']).where('name', '=', name),
    )
    expect((await byName(store, 'a')).rows).toEqual([{ name: 'a', size: 1 }])
    expect((await byName(store, 'b')).rows).toEqual([{ name: 'b', size: 2 }])
    const grow = preparedStatement((db, size: number, name: string) =>
      db.updateTable('test_widgets').set({ size }).where('name', '=', name),
    )
    expect((await store.transaction((tx) => grow(tx, 5, 'a'))).numAffectedRows).toBe(1n)
    expect((await byName(store, 'a')).rows).toEqual([{ name: 'a', size: 5 }])
  })

  it('refuses a statement whose parameters are not the ones given, in order', async () => {
    const swapped = preparedStatement((db, name: string, size: number) =>
      db.updateTable('test_widgets').set({ size }).where('name', '=', name),
    )
    await expect(swapped(store, 'a', 3)).rejects.toMatchObject({ code: 'INTERNAL' })
  })
})
