import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { casUpdate, type Migration, postgresStore, type Store, sqliteStore } from '@nubis/sdk'
import { createTestDatabase, startPostgres } from '@nubis/testing'
import Database from 'better-sqlite3'
import { sql } from 'kysely'
import pg from 'pg'
import { best, type Figure, rate, rateSync } from './report.js'

interface WidgetsTable {
  id: string
  revision: number
  value: number
  created_at: string
  updated_at: string
}
declare module '@nubis/sdk' {
  interface Tables {
    widgets: WidgetsTable
  }
}

const CREATE =
  'CREATE TABLE widgets (id text PRIMARY KEY, revision integer NOT NULL, value integer NOT NULL, created_at text NOT NULL, updated_at text NOT NULL)'
const widgets: Migration = { id: 'bench/widgets', up: async (db) => void (await sql.raw(CREATE).execute(db)) }
const now = () => new Date().toISOString()
const goal = { ratio: 0.5, of: 'reference' as const }

/** Store inserts and CAS updates per second, each in its own transaction, on a store and on the raw driver. */
async function measureStore(store: Store, count: number, prefix: string) {
  const inserts = await best(2, async () => {
    const run = `${prefix}-${Math.random()}`
    return rate(count, (i) =>
      store.transaction(({ db }) =>
        db
          .insertInto('widgets')
          .values({ id: `${run}-${i}`, revision: 1, value: i, created_at: now(), updated_at: now() })
          .execute(),
      ),
    )
  })
  await store.transaction(({ db }) =>
    db
      .insertInto('widgets')
      .values({ id: `${prefix}-cas`, revision: 1, value: 0, created_at: now(), updated_at: now() })
      .execute(),
  )
  let revision = 1
  const updates = await best(2, () =>
    rate(count, async (i) => {
      await store.transaction((tx) => casUpdate(tx, 'widgets', `${prefix}-cas`, revision, { value: i }))
      revision += 1
    }),
  )
  return { inserts, updates }
}

async function benchSqlite(dir: string): Promise<Figure[]> {
  const count = 20_000
  const store = sqliteStore({ path: join(dir, 'store.db') })
  await store.migrate([widgets])
  const ours = await measureStore(store, count, 'store')
  await store.close()

  // The same statements on better-sqlite3 itself: prepared once, BEGIN IMMEDIATE … COMMIT around each.
  const raw = new Database(join(dir, 'raw.db'))
  raw.pragma('journal_mode = WAL')
  raw.pragma('synchronous = NORMAL')
  raw.exec(CREATE)
  const begin = raw.prepare('BEGIN IMMEDIATE')
  const commit = raw.prepare('COMMIT')
  const insert = raw.prepare(
    'INSERT INTO widgets (id, revision, value, created_at, updated_at) VALUES (?, 1, ?, ?, ?)',
  )
  const update = raw.prepare(
    'UPDATE widgets SET value = ?, revision = revision + 1, updated_at = ? WHERE id = ? AND revision = ?',
  )
  const inserts = await best(2, async () => {
    const run = Math.random()
    return rateSync(count, (i) => {
      begin.run()
      insert.run(`${run}-${i}`, i, now(), now())
      commit.run()
    })
  })
  insert.run('cas', 0, now(), now())
  let revision = 1
  const updates = await best(2, async () =>
    rateSync(count, (i) => {
      begin.run()
      if (update.run(i, now(), 'cas', revision++).changes !== 1) throw new Error('lost update')
      commit.run()
    }),
  )
  raw.close()
  return [
    {
      name: 'sqlite store inserts/s',
      value: ours.inserts,
      unit: '/s',
      reference: { name: 'raw better-sqlite3', value: inserts },
      goal,
    },
    {
      name: 'sqlite store CAS updates/s',
      value: ours.updates,
      unit: '/s',
      reference: { name: 'raw better-sqlite3', value: updates },
      goal,
    },
  ]
}

async function benchPostgres(): Promise<Figure[]> {
  const count = 3_000
  const server = await startPostgres()
  try {
    const database = await createTestDatabase(server.url)
    const store = postgresStore({ url: database.url, max: 1 })
    await store.migrate([widgets])
    const ours = await measureStore(store, count, 'store')
    await store.close()

    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    const inserts = await best(2, () => {
      const run = Math.random()
      return rate(count, async (i) => {
        await client.query('BEGIN')
        await client.query(
          'INSERT INTO widgets (id, revision, value, created_at, updated_at) VALUES ($1, 1, $2, $3, $4)',
          [`${run}-${i}`, i, now(), now()],
        )
        await client.query('COMMIT')
      })
    })
    await client.query('INSERT INTO widgets VALUES ($1, 1, 0, $2, $2)', ['cas', now()])
    let revision = 1
    const updates = await best(2, () =>
      rate(count, async (i) => {
        await client.query('BEGIN')
        const result = await client.query(
          'UPDATE widgets SET value = $1, revision = revision + 1, updated_at = $2 WHERE id = $3 AND revision = $4',
          [i, now(), 'cas', revision++],
        )
        if (result.rowCount !== 1) throw new Error('lost update')
        await client.query('COMMIT')
      }),
    )
    await client.end()
    await database.drop()
    return [
      {
        name: 'postgres store inserts/s',
        value: ours.inserts,
        unit: '/s',
        reference: { name: 'raw pg', value: inserts },
        goal,
      },
      {
        name: 'postgres store CAS updates/s',
        value: ours.updates,
        unit: '/s',
        reference: { name: 'raw pg', value: updates },
        goal,
      },
    ]
  } finally {
    await server.stop()
  }
}

/** The store figures of the foundation issue, on both dialects. */
export async function benchStore(): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'nubis-bench-'))
  try {
    return [...(await benchSqlite(dir)), ...(await benchPostgres())]
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
