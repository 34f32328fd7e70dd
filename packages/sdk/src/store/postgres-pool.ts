import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely'
import type pg from 'pg'
import { CloudError } from '../core/errors.js'
import { doomedError, toStoreError } from './errors.js'

/** SQL text of the statements that open and close a store transaction; the pool watches for them. */
export const BEGIN_SQL = 'BEGIN ISOLATION LEVEL READ COMMITTED'
export const COMMIT_SQL = 'COMMIT'
export const ROLLBACK_SQL = 'ROLLBACK'

/** What the pool keeps per pg client. */
interface ClientState {
  /** The connection-level error the client reported while no query was running (e.g. server shutdown). */
  lost?: Error
  /** A statement that failed since BEGIN: PostgreSQL will turn the COMMIT into a ROLLBACK. */
  failed?: unknown
  /** A ROLLBACK failed: the connection may still be inside a transaction and must not be reused. */
  broken?: boolean
}

/**
 * Wraps a pg Pool in the shape Kysely's PostgresDialect expects, so that:
 *
 * - every driver error leaves as a CloudError (see `toStoreError`), including a failed connect;
 * - a client whose server went away while it was checked out cannot crash the process: pg emits `error` on
 *   such a client and only the pool's idle clients have a listener, so each client gets one here;
 * - a COMMIT that PostgreSQL silently turned into ROLLBACK (because a statement of the transaction failed and
 *   the callback carried on) is reported as an error instead of as success.
 */
export function kyselyPool(pool: pg.Pool): PostgresPool {
  const states = new WeakMap<pg.PoolClient, ClientState>()
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>()

  pool.on('connect', (client) => {
    const state: ClientState = {}
    states.set(client as pg.PoolClient, state)
    client.on('error', (error) => {
      state.lost = error
    })
  })

  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    // Kysely caches its connection object per client, so each client must keep one wrapper.
    const existing = wrappers.get(client)
    if (existing) return existing
    const state = states.get(client) ?? {}
    const query = async <R>(
      sql: unknown,
      parameters?: ReadonlyArray<unknown>,
    ): Promise<PostgresQueryResult<R>> => {
      if (typeof sql !== 'string')
        throw new CloudError('NOT_SUPPORTED', 'Cursors are not supported by the store')
      if (sql === BEGIN_SQL) state.failed = undefined
      let result: pg.QueryResult
      try {
        result = await client.query(sql, parameters as unknown[])
      } catch (error) {
        // "Client ... is not queryable" says little; the error that broke the connection says why.
        const cause = state.lost && /not queryable/.test(String(error)) ? state.lost : error
        state.failed ??= cause
        if (sql === ROLLBACK_SQL) state.broken = true
        throw toStoreError(cause)
      }
      if (sql === COMMIT_SQL && result.command === 'ROLLBACK') {
        const cause = state.failed
        state.failed = undefined
        throw doomedError(cause)
      }
      return result as unknown as PostgresQueryResult<R>
    }
    const release = () => {
      // Passing an error makes pg-pool close the connection instead of pooling it.
      const broken = state.broken
      state.broken = false
      client.release(broken ? new Error('ROLLBACK failed on this connection') : undefined)
    }
    const wrapper = { query, release } as unknown as PostgresPoolClient
    wrappers.set(client, wrapper)
    return wrapper
  }

  return {
    async connect() {
      let client: pg.PoolClient
      try {
        client = await pool.connect()
      } catch (error) {
        throw toStoreError(error)
      }
      return wrap(client)
    },
    end: () => pool.end(),
  }
}
