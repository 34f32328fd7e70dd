import { CloudError, type ErrorCode } from '../core/errors.js'

// Errors a rerun of the whole transaction may cure (serialization failure, deadlock, busy database). Kept in a
// WeakSet rather than in `details` so the flag never leaks into API bodies through `CloudError.toJSON`.
const transient = new WeakSet<CloudError>()

// Connection-level SQLSTATEs: admin shutdown, crash shutdown, cannot connect now, too many connections.
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '55P03'])
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])
// pg reports a lost or unreachable server with plain Errors that carry no code, only these messages.
const CONNECTION_MESSAGES =
  /Connection terminated|not queryable|timeout exceeded when trying to connect|connection timeout|Connection ended/i
// Using a store after close(): pg, better-sqlite3 and Kysely each say it differently.
const CLOSED_MESSAGES =
  /Cannot use a pool after calling end|database connection is not open|driver has already been destroyed/i

/** The driver's error code: a SQLSTATE (pg), `SQLITE_*` (better-sqlite3) or a Node system code. */
export function driverErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') return code
  // Node's happy-eyeballs connect reports every failed address in an AggregateError.
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const innerCode = driverErrorCode(inner)
      if (innerCode) return innerCode
    }
  }
  return undefined
}

/**
 * True when `error` comes from a database driver or its connection (as opposed to an application error thrown
 * inside a transaction callback, which the store passes through unchanged).
 */
export function isDriverError(error: unknown): boolean {
  if (error instanceof CloudError || !(error instanceof Error)) return false
  const code = driverErrorCode(error)
  if (code?.startsWith('SQLITE_') || (code && NETWORK_CODES.has(code))) return true
  if (code && /^[0-9A-Z]{5}$/.test(code) && 'severity' in error) return true
  return CONNECTION_MESSAGES.test(error.message) || CLOSED_MESSAGES.test(error.message)
}

/** True for a store error that rerunning the whole transaction may cure; used by the retry loop. */
export function isTransientStoreError(error: unknown): boolean {
  return error instanceof CloudError && transient.has(error)
}

/**
 * Maps any error raised by a database driver to a {@link CloudError}; a CloudError is returned unchanged.
 *
 * - unique or foreign-key violation → `CONFLICT`
 * - serialization failure or deadlock → `CONFLICT`, retryable (the transaction loop reruns these itself)
 * - busy or locked SQLite database → `UNAVAILABLE`, retryable (idem)
 * - refused, reset or terminated connection, server shutdown → `UNAVAILABLE`, retryable
 * - statement cancelled → `TIMEOUT`
 * - anything else → `INTERNAL`, with the driver error as `cause`
 */
export function toStoreError(error: unknown): CloudError {
  if (error instanceof CloudError) return error
  const code = driverErrorCode(error)
  const message = error instanceof Error ? error.message : String(error)
  const make = (kind: ErrorCode, text: string, retryable?: boolean, isTransient = false): CloudError => {
    const mapped = new CloudError(kind, text, {
      cause: error,
      ...(code && { details: { dbCode: code } }),
      ...(retryable !== undefined && { retryable }),
    })
    if (isTransient) transient.add(mapped)
    return mapped
  }

  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505') {
    return make('CONFLICT', `A row with the same unique key already exists (${constraintOf(error, message)})`)
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503') {
    return make(
      'CONFLICT',
      `The change would break a reference between rows (${constraintOf(error, message)})`,
    )
  }
  if (code === '40001' || code === '40P01') {
    return make('CONFLICT', `The transaction collided with a concurrent one: ${message}`, true, true)
  }
  if (code?.startsWith('SQLITE_BUSY') || code?.startsWith('SQLITE_LOCKED')) {
    return make('UNAVAILABLE', `The SQLite database is locked by another connection: ${message}`, true, true)
  }
  if (code === '57014') return make('TIMEOUT', `The statement was cancelled: ${message}`)
  if (CLOSED_MESSAGES.test(message)) return make('UNAVAILABLE', `The store is closed: ${message}`, false)
  if (
    (code && (UNAVAILABLE_STATES.has(code) || code.startsWith('08') || NETWORK_CODES.has(code))) ||
    CONNECTION_MESSAGES.test(message)
  ) {
    return make('UNAVAILABLE', `The database cannot be reached: ${message || code}`, true)
  }
  return make('INTERNAL', `Unexpected store error${code ? ` (${code})` : ''}: ${message}`)
}

/**
 * The error to report when COMMIT itself failed. A lost connection during COMMIT leaves the outcome unknown
 * (the server may have committed before the connection dropped), so that case is not retryable: repeating a
 * non-idempotent change could apply it twice.
 */
export function commitError(error: unknown): CloudError {
  const mapped = toStoreError(error)
  if (mapped.code !== 'UNAVAILABLE' || isTransientStoreError(mapped)) return mapped
  return new CloudError('UNAVAILABLE', `The connection was lost during COMMIT; the outcome is unknown`, {
    retryable: false,
    cause: error,
    details: { commitOutcome: 'unknown' },
  })
}

/** The constraint or table a violation names, for the message: pg gives it as fields, SQLite in the text. */
function constraintOf(error: unknown, message: string): string {
  const fields = error as { constraint?: unknown; table?: unknown }
  if (typeof fields.constraint === 'string') return fields.constraint
  if (typeof fields.table === 'string') return fields.table
  return message.replace(/^.*constraint failed: /i, '')
}

/**
 * The error of a transaction one of whose statements failed while the callback carried on. PostgreSQL refuses
 * to commit such a transaction, and the SQLite store does the same so both dialects behave alike.
 */
export function doomedError(cause: unknown): CloudError {
  return new CloudError(
    'INTERNAL',
    'A statement failed inside the transaction, so it was rolled back instead of committed; ' +
      'do not catch database errors and carry on inside a transaction',
    { cause: cause === undefined ? undefined : toStoreError(cause) },
  )
}

/** The error of any use of a store after `close()`. */
export function closedError(): CloudError {
  return new CloudError('UNAVAILABLE', 'The store is closed', { retryable: false })
}
