/**
 * Where Nubis reads the time and schedules timers, so tests can drive time by hand
 * (see `createTestClock` in @nubis/testing). Leases, token expiry and waiters all go through it.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /** Resolves after `ms` milliseconds of this clock's time, or rejects with the signal's reason. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** The real clock: `Date.now` and timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const onAbort = () => {
        clearTimeout(timer)
        reject(signal?.reason)
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      signal?.addEventListener('abort', onAbort, { once: true })
    }),
}

/** ISO-8601 UTC timestamp of `ms` (default: now on the system clock). */
export function isoTime(ms: number = Date.now()): string {
  return new Date(ms).toISOString()
}
