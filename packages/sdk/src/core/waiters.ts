import { type Clock, systemClock } from './clock.js'
import { abortError, CloudError } from './errors.js'
import type { CloudEvent, CloudEventMap, EventBus, EventName } from './events.js'

/** The values a predicate returns while the condition does not hold yet. */
export type Falsy = false | 0 | 0n | '' | null | undefined

/** Options shared by {@link waitFor} and {@link waitForEvent}. */
export interface WaitOptions {
  /** Milliseconds before giving up with `TIMEOUT`; default 600000 (ten minutes, a slow boot on emulated CPUs). */
  timeout?: number
  /** Gives up with `ABORTED` (or `TIMEOUT` when the signal's reason is a `TimeoutError`). */
  signal?: AbortSignal
  /** Time source for the timeout and the polling interval; default the system clock. */
  clock?: Clock
  /** What is awaited, for error messages, e.g. `server 42 to become ACTIVE`. */
  what?: string
}

/** Options of {@link waitFor}. */
export interface PollOptions extends WaitOptions {
  /** Milliseconds between two polls; default 1000. */
  interval?: number
}

/** Default of {@link WaitOptions.timeout}. */
export const DEFAULT_WAIT_TIMEOUT = 600_000

// One controller carries the caller's abort and the timeout to everything the wait started, and aborting it in
// `finally` is what clears the timer and the listeners once the wait is over.
function startWait(options: WaitOptions) {
  const clock = options.clock ?? systemClock
  const what = options.what ?? 'condition'
  const timeout = options.timeout ?? DEFAULT_WAIT_TIMEOUT
  const controller = new AbortController()
  const timeoutError = new CloudError('TIMEOUT', `Timed out after ${timeout} ms waiting for ${what}`, {
    details: { timeout },
  })
  const onAbort = () => controller.abort(abortError(options.signal!, `wait for ${what}`))
  if (options.signal?.aborted) onAbort()
  else options.signal?.addEventListener('abort', onAbort, { once: true })
  if (Number.isFinite(timeout) && !controller.signal.aborted) {
    clock.sleep(timeout, controller.signal).then(
      () => controller.abort(timeoutError),
      () => {}, // the wait ended first
    )
  }
  return {
    clock,
    signal: controller.signal,
    /** The error to throw once the wait's signal has fired. */
    reason: (): CloudError => controller.signal.reason as CloudError,
    done() {
      options.signal?.removeEventListener('abort', onAbort)
      if (!controller.signal.aborted) controller.abort()
    },
  }
}

// Settles with `promise`, or rejects as soon as `signal` fires, so a hung predicate cannot outlive the wait.
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, reason: () => unknown): Promise<T> {
  if (signal.aborted) return Promise.reject(reason())
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reason())
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/**
 * Polls `predicate` every `interval` ms until it returns a truthy value, and returns that value. The predicate
 * gets a signal that fires on timeout or abort, to cancel its own work; an error it throws ends the wait.
 *
 * @throws CloudError `TIMEOUT` after `timeout` ms, `ABORTED` when `signal` fires.
 */
export async function waitFor<T>(
  predicate: (signal: AbortSignal) => T | Promise<T>,
  options: PollOptions = {},
): Promise<Exclude<T, Falsy>> {
  const wait = startWait(options)
  const interval = options.interval ?? 1000
  try {
    for (;;) {
      if (wait.signal.aborted) throw wait.reason()
      const value = await untilAborted(
        Promise.resolve().then(() => predicate(wait.signal)),
        wait.signal,
        wait.reason,
      )
      if (value) return value as Exclude<T, Falsy>
      await wait.clock.sleep(interval, wait.signal).catch((error: unknown) => {
        throw wait.signal.aborted ? wait.reason() : error
      })
    }
  } finally {
    wait.done()
  }
}

/**
 * Resolves with the next `name` event that `filter` accepts. Subscribe before starting the operation that
 * emits it (call this, keep the promise, then act), or an early event is missed.
 *
 * @throws CloudError `TIMEOUT` after `timeout` ms, `ABORTED` when `signal` fires; a throwing filter rejects.
 */
export async function waitForEvent<N extends EventName<M>, M extends object = CloudEventMap>(
  bus: EventBus<M>,
  name: N,
  filter: (event: CloudEvent<N, M>) => boolean = () => true,
  options: WaitOptions = {},
): Promise<CloudEvent<N, M>> {
  const wait = startWait({ what: `event ${name}`, ...options })
  let unsubscribe = () => {}
  try {
    return await new Promise<CloudEvent<N, M>>((resolve, reject) => {
      if (wait.signal.aborted) return reject(wait.reason())
      wait.signal.addEventListener('abort', () => reject(wait.reason()), { once: true })
      unsubscribe = bus.on(name, (event) => {
        try {
          if (filter(event)) resolve(event)
        } catch (error) {
          reject(error)
        }
      })
    })
  } finally {
    unsubscribe()
    wait.done()
  }
}
