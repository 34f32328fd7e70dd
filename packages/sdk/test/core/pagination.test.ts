import fc from 'fast-check'
import type { Kysely } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isCloudError } from '../../src/core/errors.js'
import {
  type ListQueryInput,
  listQuerySchema,
  type PaginateOptions,
  paginate,
  resolveSort,
  type SortSpec,
} from '../../src/core/pagination.js'
import { sqliteStore } from '../../src/store/sqlite.js'
import type { Store } from '../../src/store/types.js'

interface Row {
  id: string
  project_id: string
  name: string | null
  size: number | null
}
type TestDb = Kysely<{ servers: Row }>

const options: PaginateOptions = { sortable: ['name', 'size'], maxLimit: 5 }
const hex = (n: number) => n.toString(16).padStart(32, '0')

let store: Store
let db: TestDb
beforeEach(async () => {
  store = sqliteStore({ path: ':memory:' })
  // The test's own table sits outside the store's typed schema.
  db = store.db as unknown as TestDb
  await db.schema
    .createTable('servers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('size', 'integer')
    .execute()
})
afterEach(() => store.close())

const insert = (rows: Row[]) =>
  rows.length ? db.insertInto('servers').values(rows).execute() : Promise.resolve()
const list = (query: ListQueryInput, opts: PaginateOptions = options, project = 'p1') =>
  paginate(db.selectFrom('servers').selectAll().where('project_id', '=', project), 'servers', query, opts)

/** Follows `next` markers to the end and returns every id seen, in order. */
async function walk(query: ListQueryInput, opts: PaginateOptions = options): Promise<string[]> {
  const ids: string[] = []
  let marker: string | undefined
  for (let pages = 0; pages < 1000; pages++) {
    const page = await list({ ...query, marker }, opts)
    ids.push(...page.items.map((row) => row.id))
    if (!page.next) return ids
    expect(page.items).toHaveLength(Math.min(query.limit ? Number(query.limit) : 5, 5))
    marker = page.next
  }
  throw new Error('pagination does not end')
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    expect(isCloudError(error, 'INVALID')).toBe(true)
    return error as Error
  }
  throw new Error('expected a rejection')
}

describe('listQuerySchema', () => {
  it('takes one or several sort keys and directions, and query-string limits', () => {
    expect(listQuerySchema.parse({ limit: '20', sortKey: 'name', sortDir: 'desc' })).toEqual({
      limit: 20,
      sortKey: ['name'],
      sortDir: ['desc'],
    })
    expect(listQuerySchema.parse({})).toEqual({ sortKey: [], sortDir: [] })
    for (const bad of [
      { limit: 0 },
      { limit: '-1' },
      { limit: 1.5 },
      { sortDir: 'up' },
      { sortKey: 'a;drop' },
    ]) {
      expect(listQuerySchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false)
    }
  })

  it('resolveSort appends id, fills directions as Nova does and refuses extra directions', () => {
    const q = (input: ListQueryInput) => listQuerySchema.parse(input)
    expect(resolveSort(q({ sortKey: ['name', 'size'], sortDir: 'desc' }), options)).toEqual([
      { key: 'name', dir: 'desc' },
      { key: 'size', dir: 'desc' },
      { key: 'id', dir: 'desc' },
    ])
    const defaultSort: SortSpec[] = [{ key: 'size', dir: 'desc' }]
    expect(resolveSort(q({}), { ...options, defaultSort })).toEqual([
      ...defaultSort,
      { key: 'id', dir: 'desc' },
    ])
    expect(resolveSort(q({ sortDir: 'asc' }), { ...options, defaultSort })[0]).toEqual({
      key: 'size',
      dir: 'asc',
    })
    expect(resolveSort(q({ sortKey: 'id', sortDir: 'desc' }), options)).toEqual([{ key: 'id', dir: 'desc' }])
    expect(() => resolveSort(q({ sortKey: 'name', sortDir: ['asc', 'desc'] }), options)).toThrow(
      'Sort direction size exceeds sort key size',
    )
  })
})

describe('paginate', () => {
  const rows = Array.from({ length: 12 }, (_, i) => ({
    id: hex(i),
    project_id: i % 4 === 3 ? 'p2' : 'p1',
    name: `vm-${String(i % 3)}`,
    size: i,
  }))

  it('pages by id by default with limit+1 look-ahead: next only when more rows exist', async () => {
    await insert(rows.slice(0, 4).map((row) => ({ ...row, project_id: 'p1' })))
    const first = await list({ limit: 2 })
    expect(first.items.map((row) => row.size)).toEqual([0, 1])
    expect(first.next).toBe(hex(1))
    const second = await list({ limit: 2, marker: first.next })
    expect(second.items.map((row) => row.size)).toEqual([2, 3])
    expect(second.next).toBeUndefined()
    expect(await list({ limit: 2, marker: hex(3) })).toEqual({ items: [] })
  })

  it('clamps the limit to maxLimit and uses it when no limit is given', async () => {
    await insert(rows.map((row) => ({ ...row, project_id: 'p1' })))
    expect((await list({ limit: 1000 })).items).toHaveLength(5)
    expect((await list({})).items).toHaveLength(5)
  })

  it('keeps the caller filters and sorts on several keys with mixed directions', async () => {
    await insert(rows)
    const ids = await walk({ limit: 2, sortKey: ['name', 'size'], sortDir: ['asc', 'desc'] })
    const expected = rows
      .filter((row) => row.project_id === 'p1')
      .sort((a, b) => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : b.size! - a.size!))
      .map((row) => row.id)
    expect(ids).toEqual(expected)
  })

  it('refuses a marker that does not exist or is filtered out: INVALID as Nova says it', async () => {
    await insert(rows)
    const missing = await rejection(list({ marker: 'nope' }))
    expect(missing.message).toBe('marker [nope] not found')
    const otherProject = await rejection(list({ marker: hex(3) }))
    expect(otherProject.message).toBe(`marker [${hex(3)}] not found`)
  })

  it('refuses unknown sort keys and bad queries with INVALID', async () => {
    const error = await rejection(list({ sortKey: 'project_id' }))
    expect(error.message).toContain('Sort key [project_id] is not supported')
    await rejection(list({ limit: 0 }))
    await rejection(list({ sortDir: ['asc', 'desc'] }))
  })

  it('property: walking all pages returns every row once, in the requested order (NULLs smallest)', async () => {
    const row = fc.record({
      name: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: null }),
      size: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
    })
    const spec = fc.record({
      key: fc.constantFrom('name', 'size'),
      dir: fc.constantFrom('asc' as const, 'desc' as const),
    })
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { maxLength: 25 }),
        fc.uniqueArray(spec, { selector: (s) => s.key, maxLength: 2 }),
        fc.integer({ min: 1, max: 5 }),
        async (data, specs, limit) => {
          await db.deleteFrom('servers').execute()
          const all = data.map((r, i) => ({ ...r, id: hex(i * 7919), project_id: 'p1' }))
          await insert(all)
          const order = [...specs, { key: 'id', dir: specs.at(-1)?.dir ?? 'asc' }] as const
          const compare = (a: Row, b: Row) => {
            for (const { key, dir } of order) {
              const x = a[key as keyof Row]
              const y = b[key as keyof Row]
              const c = x === y ? 0 : x === null ? -1 : y === null ? 1 : x < y ? -1 : 1
              if (c !== 0) return dir === 'asc' ? c : -c
            }
            return 0
          }
          const ids = await walk({
            limit,
            sortKey: specs.map((s) => s.key),
            sortDir: specs.map((s) => s.dir),
          })
          expect(ids).toEqual([...all].sort(compare).map((r) => r.id))
        },
      ),
      { numRuns: 150 },
    )
  })
})
