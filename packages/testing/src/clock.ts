import { setImmediate as realSetImmediate } from 'node:timers'
import type { Clock } from '@nubis/sdk'

/** A {@link Clock} whose time only moves when the test says so. */
export interface TestClock extends Clock {
  /**
   * Moves time forward by `ms`, resolving every sleeper due on the way in due order (ties: first asleep, first
   * woken). `now()` reads each sleeper's due time as it wakes, and pending promise callbacks run between
   * wake-ups, so code that sleeps again inside the window is woken too.
   */
  advance(ms: number): Promise<void>
  /** Moves time to `ms` since the epoch: forward like {@link TestClock.advance}, backward without waking anyone. */
  set(ms: number): Promise<void>
  /** Due times (ms since the epoch) of the sleepers still waiting, earliest first. */
  pendingTimers(): number[]
  /** Wakes sleepers until none is left, whatever the time it takes; returns the time reached. */
  runAll(): Promise<number>
}

/** Bound on {@link TestClock.runAll} rounds. */
const MAX_RUN_ALL_ROUNDS = 10_000

interface Sleeper {
  dueAt: number
  order: number
  wake(): void
}

/** Lets pending promise callbacks run; the real `setImmediate` is captured so fake timers cannot stall it. */
const settle = () => new Promise<void>((resolve) => realSetImmediate(resolve))

/**
 * A manual clock for tests of leases, token expiry, retries and waiters: `sleep` never touches real timers,
 * and time moves only through {@link TestClock.advance} and {@link TestClock.set}.
 *
 * @example
 * const clock = createTestClock()
 * const woke = clock.sleep(1000)
 * await clock.advance(1000) // woke is now resolved, clock.now() === 1000
 */
export function createTestClock(startMs = 0): TestClock {
  let now = startMs
  let sequence = 0
  const sleepers: Sleeper[] = []

  const nextDue = (limit: number): Sleeper | undefined => {
    let next: Sleeper | undefined
    for (const sleeper of sleepers) {
      if (sleeper.dueAt > limit) continue
      if (
        !next ||
        sleeper.dueAt < next.dueAt ||
        (sleeper.dueAt === next.dueAt && sleeper.order < next.order)
      ) {
        next = sleeper
      }
    }
    return next
  }

  const wakeUntil = async (target: number) => {
    await settle()
    for (let next = nextDue(target); next; next = nextDue(target)) {
      sleepers.splice(sleepers.indexOf(next), 1)
      now = Math.max(now, next.dueAt)
      next.wake()
      await settle()
    }
    now = Math.max(now, target)
  }

  const clock: TestClock = {
    now: () => now,
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason)
        if (!(ms > 0)) return resolve()
        const onAbort = () => {
          const index = sleepers.indexOf(sleeper)
          if (index >= 0) sleepers.splice(index, 1)
          reject(signal?.reason)
        }
        const sleeper: Sleeper = {
          dueAt: now + ms,
          order: sequence++,
          wake() {
            signal?.removeEventListener('abort', onAbort)
            resolve()
          },
        }
        sleepers.push(sleeper)
        signal?.addEventListener('abort', onAbort, { once: true })
      })
    },
    async advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`advance() needs a non-negative duration, got ${ms}`)
      await wakeUntil(now + ms)
    },
    async set(ms) {
      if (ms >= now) return wakeUntil(ms)
      now = ms
    },
    pendingTimers: () => sleepers.map((s) => s.dueAt).sort((a, b) => a - b),
    async runAll() {
      await settle()
      // A poller that always sleeps again would loop forever; a bound turns that into a clear failure.
      for (let round = 0; sleepers.length > 0; round++) {
        if (round === MAX_RUN_ALL_ROUNDS) {
          throw new Error(`runAll(): sleepers still rescheduling after ${MAX_RUN_ALL_ROUNDS} rounds`)
        }
        await wakeUntil(Math.max(...sleepers.map((s) => s.dueAt)))
      }
      return now
    },
  }
  return clock
}
