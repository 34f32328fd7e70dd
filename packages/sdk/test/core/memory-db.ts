import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import type { Clock } from '../../src/core/clock.js'
import type { Db, Transaction } from '../../src/store/types.js'

/** A Kysely over a fresh `:memory:` better-sqlite3 database, standing in for the store in core tests. */
export function memoryDb(): Db {
  return new Kysely({ dialect: new SqliteDialect({ database: new Database(':memory:') }) })
}

/** Runs `fn` in a transaction shaped like the store's, running `afterCommit` hooks only after a commit. */
export async function inTransaction<T>(db: Db, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  const hooks: (() => void)[] = []
  const result = await db.transaction().execute((trx) =>
    fn({ db: trx, dialect: 'sqlite', afterCommit: (hook) => void hooks.push(hook) }),
  )
  for (const hook of hooks) hook()
  return result
}

type Timer = { at: number; resolve: () => void }

/** A clock whose time moves only when told, for waiters; `pending` shows whether any sleep is left behind. */
export class ManualClock implements Clock {
  private time = 0
  private timers: Timer[] = []

  now(): number {
    return this.time
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const timer: Timer = {
        at: this.time + ms,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
      }
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.timers.push(timer)
    })
  }

  /** Sleeps not yet over. */
  get pending(): number {
    return this.timers.length
  }

  /** Moves time forward by `ms`, waking sleepers in order and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms
    for (;;) {
      await settle()
      const next = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0]
      if (!next) break
      this.time = next.at
      this.timers = this.timers.filter((t) => t !== next)
      next.resolve()
    }
    this.time = target
    await settle()
  }
}

/** Lets every queued promise continuation run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
