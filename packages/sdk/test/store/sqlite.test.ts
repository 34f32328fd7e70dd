import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CloudError } from '../../src/core/errors.js'
import { type Store, sqliteStore } from '../../src/store/index.js'
import { CachedSqliteDatabase } from '../../src/store/sqlite-database.js'
import { testMigrations, widget } from './fixtures.js'

describe('sqliteStore', () => {
  let dir: string
  const opened: Store[] = []
  const open = (options: Partial<Parameters<typeof sqliteStore>[0]> = {}) => {
    const store = sqliteStore({ path: join(dir, 'cloud.db'), ...options })
    opened.push(store)
    return store
  }
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nubis-sqlite-'))
  })
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()))
    rmSync(dir, { recursive: true, force: true })
  })

  it('fails at once with a clear INVALID when the file cannot be opened', () => {
    const missingDir = () => sqliteStore({ path: '/nonexistent/dir/x.db' })
    expect(missingDir).toThrow(CloudError)
    expect(missingDir).toThrow(
      'Cannot open the SQLite database /nonexistent/dir/x.db: directory /nonexistent/dir does not exist',
    )
    expect(missingDir).toThrow(expect.objectContaining({ code: 'INVALID', retryable: false }))
    const garbage = join(dir, 'garbage.db')
    writeFileSync(
      garbage,
      'this is not a database, just some text that is long enough to have a header'.repeat(20),
    )
    expect(() => sqliteStore({ path: garbage })).toThrow(expect.objectContaining({ code: 'INVALID' }))
    expect(() => sqliteStore({ path: dir })).toThrow(expect.objectContaining({ code: 'INVALID' }))
  })

  it('opens a file in WAL mode with synchronous=NORMAL and foreign keys on', async () => {
    const store = open()
    const pragma = async (name: string) => {
      const { rows } = await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(store.db)
      return Object.values(rows[0] ?? {})[0]
    }
    expect(await pragma('journal_mode')).toBe('wal')
    expect(await pragma('synchronous')).toBe(1) // NORMAL
    expect(await pragma('foreign_keys')).toBe(1)
  })

  it('lets a second store on the same file wait for the write lock without blocking the event loop', async () => {
    const first = open()
    const second = open()
    await first.migrate(testMigrations)
    const events: string[] = []
    let releaseFirst!: () => void
    const held = new Promise<void>((resolve) => {
      releaseFirst = resolve
    })
    const slow = first.transaction(async ({ db }) => {
      await db.insertInto('test_widgets').values(widget('a')).execute()
      events.push('first holds the lock')
      await held
      events.push('first commits')
    })
    await new Promise((resolve) => setTimeout(resolve, 10))
    const waiting = second.transaction(async ({ db }) => {
      events.push('second begins')
      await db.insertInto('test_widgets').values(widget('b')).execute()
    })
    // While the second store waits for the lock, timers still fire: nothing blocks the thread.
    await new Promise((resolve) => setTimeout(resolve, 50))
    events.push('timer fired')
    releaseFirst()
    await Promise.all([slow, waiting])
    expect(events).toEqual(['first holds the lock', 'timer fired', 'first commits', 'second begins'])
    expect(await second.db.selectFrom('test_widgets').select('id').orderBy('id').execute()).toEqual([
      { id: 'a' },
      { id: 'b' },
    ])
  })

  it('gives up with retryable UNAVAILABLE when another connection keeps the lock past busyTimeoutMs', async () => {
    const store = open({ busyTimeoutMs: 100 })
    await store.migrate(testMigrations)
    const other = new Database(join(dir, 'cloud.db'))
    other.exec('BEGIN IMMEDIATE')
    try {
      const started = Date.now()
      const attempt = store.transaction(({ db }) =>
        db.insertInto('test_widgets').values(widget('a')).execute(),
      )
      await expect(attempt).rejects.toMatchObject({ code: 'UNAVAILABLE', retryable: true })
      expect(Date.now() - started).toBeGreaterThanOrEqual(90)
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
    await store.transaction(({ db }) => db.insertInto('test_widgets').values(widget('a')).execute())
  })

  it('reports afterCommit hook failures to onHookError and still resolves the committed transaction', async () => {
    const reported: Array<[unknown, number]> = []
    const store = open({ onHookError: (error, hook) => reported.push([error, hook]) })
    await store.migrate(testMigrations)
    const ran: string[] = []
    const boom = new Error('hook broke')
    const value = await store.transaction(async (tx) => {
      await tx.db.insertInto('test_widgets').values(widget('a')).execute()
      tx.afterCommit(() => {
        throw boom
      })
      tx.afterCommit(() => void ran.push('second hook still runs'))
      return 'ok'
    })
    expect(value).toBe('ok')
    expect(ran).toEqual(['second hook still runs'])
    expect(reported).toEqual([[boom, 0]])
    expect(await store.db.selectFrom('test_widgets').select('id').execute()).toEqual([{ id: 'a' }])
  })

  it('reruns on SQLITE_BUSY at most `retries` times, then surfaces retryable UNAVAILABLE', async () => {
    const store = open()
    await store.migrate(testMigrations)
    const intruder = new Database(join(dir, 'cloud.db'), { timeout: 0 })
    let runs = 0
    try {
      const attempt = store.transaction(
        async () => {
          runs++
          intruder.prepare(`insert into test_parts (id, widget_id) values ('x', 'y')`).run()
        },
        { retries: 2 },
      )
      await expect(attempt).rejects.toMatchObject({ code: 'UNAVAILABLE', retryable: true })
      expect(runs).toBe(3)
    } finally {
      intruder.close()
    }
  })
})

describe('CachedSqliteDatabase', () => {
  it('prepares each SQL text once and keeps at most `capacity` statements, evicting the least recently used', () => {
    const raw = new Database(':memory:')
    const db = new CachedSqliteDatabase(raw, 0, 2)
    const one = db.prepare('select 1')
    expect(db.prepare('select 1')).toBe(one)
    const two = db.prepare('select 2')
    db.prepare('select 1') // now the most recently used
    db.prepare('select 3') // evicts 'select 2'
    expect(db.cachedStatements).toBe(2)
    expect(db.prepare('select 1')).toBe(one)
    expect(db.prepare('select 2')).not.toBe(two)
    expect(db.prepare('select 1').all([])).toEqual([{ 1: 1 }])
    expect(() => db.prepare('select nonsense from nowhere')).toThrow(
      expect.objectContaining({ code: 'INTERNAL' }),
    )
    db.close()
    expect(raw.open).toBe(false)
  })
})
