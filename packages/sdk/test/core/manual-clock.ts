import type { Clock } from '../../src/core/clock.js'

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
