import Database from 'better-sqlite3'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { CloudError } from '../../src/core/errors.js'
import { commitError, isDriverError, isTransientStoreError, toStoreError } from '../../src/store/errors.js'

/** A pg server error as the driver builds it. */
function pgError(code: string, message = `pg says ${code}`): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, 'error')
  error.code = code
  error.severity = 'ERROR'
  return error
}

/** A real better-sqlite3 error, produced by a real database. */
function sqliteError(code: 'unique' | 'fk'): unknown {
  const db = new Database(':memory:')
  db.pragma('foreign_keys = ON')
  db.exec(
    'create table p (id text primary key); create table c (id text primary key, p text references p(id))',
  )
  try {
    if (code === 'unique') db.exec(`insert into p values ('a'); insert into p values ('a')`)
    else db.exec(`insert into c values ('x', 'missing')`)
  } catch (error) {
    return error
  } finally {
    db.close()
  }
  throw new Error('expected the statement to fail')
}

describe('toStoreError', () => {
  it.each([
    ['PG unique violation', pgError('23505'), 'CONFLICT', false, false],
    ['PG foreign-key violation', pgError('23503'), 'CONFLICT', false, false],
    ['PG serialization failure', pgError('40001'), 'CONFLICT', true, true],
    ['PG deadlock', pgError('40P01'), 'CONFLICT', true, true],
    ['PG admin shutdown', pgError('57P01'), 'UNAVAILABLE', true, false],
    ['PG crash shutdown', pgError('57P02'), 'UNAVAILABLE', true, false],
    ['PG cannot connect now', pgError('57P03'), 'UNAVAILABLE', true, false],
    ['PG connection failure', pgError('08006'), 'UNAVAILABLE', true, false],
    ['PG statement cancelled', pgError('57014'), 'TIMEOUT', true, false],
    ['PG syntax error', pgError('42601'), 'INTERNAL', false, false],
    ['SQLite unique', sqliteError('unique'), 'CONFLICT', false, false],
    ['SQLite foreign key', sqliteError('fk'), 'CONFLICT', false, false],
    [
      'SQLite busy',
      Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }),
      'UNAVAILABLE',
      true,
      true,
    ],
    [
      'SQLite locked',
      Object.assign(new Error('table locked'), { code: 'SQLITE_LOCKED' }),
      'UNAVAILABLE',
      true,
      true,
    ],
    [
      'refused',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'UNAVAILABLE',
      true,
      false,
    ],
    [
      'reset',
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      'UNAVAILABLE',
      true,
      false,
    ],
    [
      'refused on every address',
      new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], ''),
      'UNAVAILABLE',
      true,
      false,
    ],
    ['terminated', new Error('Connection terminated unexpectedly'), 'UNAVAILABLE', true, false],
    [
      'closed pool',
      new Error('Cannot use a pool after calling end on the pool'),
      'UNAVAILABLE',
      false,
      false,
    ],
    ['anything else', new Error('weird'), 'INTERNAL', false, false],
  ] as const)('%s → %s', (_, error, code, retryable, transient) => {
    const mapped = toStoreError(error)
    expect(mapped).toBeInstanceOf(CloudError)
    expect(mapped).toMatchObject({ code, retryable })
    expect(mapped.cause).toBe(error)
    expect(isTransientStoreError(mapped)).toBe(transient)
    expect(JSON.stringify(mapped)).not.toContain('transient') // the rerun flag never reaches API bodies
  })

  it('passes CloudErrors through untouched', () => {
    const error = new CloudError('NOT_FOUND', 'gone')
    expect(toStoreError(error)).toBe(error)
  })

  it('tells driver errors from application errors', () => {
    expect(isDriverError(pgError('23505'))).toBe(true)
    expect(isDriverError(sqliteError('unique'))).toBe(true)
    expect(isDriverError(new Error('Connection terminated'))).toBe(true)
    expect(isDriverError(new TypeError('x is undefined'))).toBe(false)
    expect(isDriverError(new CloudError('INVALID', 'no'))).toBe(false)
  })

  it('marks a connection lost during COMMIT as an unknown outcome that must not be blindly retried', () => {
    const mapped = commitError(new Error('Connection terminated unexpectedly'))
    expect(mapped).toMatchObject({
      code: 'UNAVAILABLE',
      retryable: false,
      details: { commitOutcome: 'unknown' },
    })
    expect(isTransientStoreError(commitError(pgError('40001')))).toBe(true)
  })
})
