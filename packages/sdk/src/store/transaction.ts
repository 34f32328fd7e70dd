import { systemClock } from '../core/clock.js'
import { abortError, CloudError, throwIfAborted } from '../core/errors.js'
import { isDriverError, isTransientStoreError, toStoreError } from './errors.js'
import type { Db, Dialect, Transaction, TransactionOptions } from './types.js'

/**
 * Receives an exception thrown (or a rejection returned) by an `afterCommit` hook. The transaction has
 * committed by then, so the error cannot be the caller's: it is reported here and the caller still gets the
 * transaction's result. `hook` is the hook's position among the transaction's hooks.
 */
export type HookErrorHandler = (error: unknown, hook: number) => void

/**
 * The default {@link HookErrorHandler}: a process warning (Node prints it on stderr unless started with
 * `--no-warnings`; listen to `process.on('warning')` to route it to a logger).
 */
export const warnHookError: HookErrorHandler = (error, hook) => {
  const text = error instanceof Error ? error.message : String(error)
  process.emitWarning(`afterCommit hook #${hook} failed: ${text}`, {
    code: 'NUBIS_AFTER_COMMIT_HOOK',
    detail: '',
  })
}

/**
 * One attempt of a transaction, supplied by a dialect: hold one connection, BEGIN, run `body` with a query
 * builder bound to that connection, COMMIT — or ROLLBACK and rethrow when anything fails.
 */
export type TransactionAttempt = <T>(body: (db: Db) => Promise<T>) => Promise<T>

/** What {@link runTransaction} needs from a dialect. */
export interface TransactionRunner {
  readonly dialect: Dialect
  readonly attempt: TransactionAttempt
  readonly onHookError: HookErrorHandler
}

/** Retries when a caller gives none; enough to ride out a burst of contention, small enough to fail fast. */
export const DEFAULT_RETRIES = 5

/**
 * Runs `fn` in a transaction, rerunning the whole callback after a serialization failure, deadlock or busy
 * database (see {@link isTransientStoreError}). Rerunning is safe because a failed attempt rolled back all its
 * queries and its `afterCommit` hooks are dropped. Hooks of the successful attempt run in order once COMMIT
 * has succeeded, after the connection is released (so a hook may itself use the store).
 *
 * Driver errors come out as CloudErrors (see `toStoreError`); errors the callback throws itself pass through.
 */
export async function runTransaction<T>(
  runner: TransactionRunner,
  fn: (tx: Transaction) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const retries = options.retries ?? DEFAULT_RETRIES
  const { signal } = options
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(signal, 'transaction')
    const scope = new TransactionScope(runner.dialect)
    let result: T
    try {
      result = await runner.attempt(async (db) => {
        scope.db = db
        const value = await fn(scope)
        // Checked before COMMIT so an abort during the callback rolls the work back.
        throwIfAborted(signal, 'transaction')
        return value
      })
    } catch (error) {
      scope.finished = true
      const mapped = isDriverError(error) ? toStoreError(error) : error
      if (attempt >= retries || !isTransientStoreError(mapped)) throw mapped
      await sleep(backoffDelay(attempt), signal)
      continue
    }
    scope.finished = true
    runHooks(scope.hooks, runner.onHookError)
    return result
  }
}

/** The {@link Transaction} handed to a callback; one per attempt, so a failed attempt's hooks are dropped. */
class TransactionScope implements Transaction {
  db!: Db
  readonly hooks: Array<() => void> = []
  finished = false

  constructor(readonly dialect: Dialect) {}

  afterCommit(fn: () => void): void {
    // A hook added after the end would silently never run; fail loudly instead.
    if (this.finished) throw new CloudError('INTERNAL', 'afterCommit was called after the transaction ended')
    this.hooks.push(fn)
  }
}

/** Runs every hook in order; one failing does not stop the next, and none can fail the committed transaction. */
function runHooks(hooks: ReadonlyArray<() => void>, onError: HookErrorHandler): void {
  hooks.forEach((hook, index) => {
    try {
      const returned: unknown = hook()
      // Hooks are meant to be synchronous; a promise returned anyway must not become an unhandled rejection.
      if (returned instanceof Promise) returned.catch((error: unknown) => report(onError, error, index))
    } catch (error) {
      report(onError, error, index)
    }
  })
}

function report(onError: HookErrorHandler, error: unknown, index: number): void {
  try {
    onError(error, index)
  } catch {
    // A failing error handler has nowhere left to report to; the commit stands regardless.
  }
}

/**
 * Delay before retry number `attempt` (0-based): exponential from ~2 ms, capped at ~100 ms, with full jitter
 * so that two colliding transactions do not collide again in lockstep.
 */
export function backoffDelay(attempt: number): number {
  const ceiling = Math.min(100, 2 * 2 ** attempt)
  return ceiling / 2 + Math.random() * (ceiling / 2)
}

/** Sleeps `ms`, turning an abort into the usual `ABORTED`/`TIMEOUT` CloudError. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await systemClock.sleep(ms, signal)
  } catch (error) {
    if (signal?.aborted) throw abortError(signal, 'transaction')
    throw error
  }
}
