import { type PostgresServer, startPostgres } from '@nubis/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CloudError } from '../../src/core/errors.js'
import { postgresStore } from '../../src/store/index.js'
import { testMigrations, widget } from './fixtures.js'

// This test stops a database server under a live transaction, so it gets a server of its own rather than
// the run's shared one.
describe('PostgreSQL store when the server goes away', () => {
  let server: PostgresServer
  beforeAll(async () => {
    server = await startPostgres()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('fails the transaction with retryable UNAVAILABLE, leaves nothing half-written and recovers', async () => {
    const poolErrors: CloudError[] = []
    const store = postgresStore({ url: server.url, onPoolError: (error) => poolErrors.push(error) })
    await store.migrate(testMigrations)
    // Two connections, so that one sits idle in the pool while the transaction holds the other: the idle one
    // dies with the server and the pool reports it (without crashing the process).
    await Promise.all([store.ping(), store.ping()])
    const pid = server.pid

    let statementError: unknown
    const transaction = store.transaction(async ({ db }) => {
      await db.insertInto('test_widgets').values(widget('row-1')).execute()
      await server.stop({ keepData: true })
      try {
        await db.insertInto('test_widgets').values(widget('row-2')).execute()
      } catch (error) {
        statementError = error
        throw error
      }
    })

    await expect(transaction).rejects.toMatchObject({
      name: 'CloudError',
      code: 'UNAVAILABLE',
      retryable: true,
    })
    expect(statementError).toBeInstanceOf(CloudError)
    expect(statementError).toMatchObject({ code: 'UNAVAILABLE', retryable: true })
    expect(() => process.kill(pid, 0)).toThrow() // that exact server process is gone
    await expect(store.ping()).rejects.toMatchObject({ code: 'UNAVAILABLE', retryable: true })
    expect(poolErrors.length).toBeGreaterThan(0)
    expect(poolErrors.every((error) => error.code === 'UNAVAILABLE')).toBe(true)

    await server.restart()
    expect(server.pid).not.toBe(pid)
    await store.ping() // the same store reconnects by itself
    expect(await store.db.selectFrom('test_widgets').selectAll().execute()).toEqual([])
    // …and works normally again.
    await store.transaction(({ db }) => db.insertInto('test_widgets').values(widget('row-3')).execute())
    expect(await store.db.selectFrom('test_widgets').select('id').execute()).toEqual([{ id: 'row-3' }])
    await store.close()
  })

  it('reports a server that refuses connections as retryable UNAVAILABLE', async () => {
    await server.stop({ keepData: true })
    const store = postgresStore({ url: server.url })
    try {
      const error = await store.ping().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(CloudError)
      expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true })
      await expect(store.transaction(async () => 1)).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        retryable: true,
      })
    } finally {
      await store.close()
      await server.restart()
    }
  })
})
