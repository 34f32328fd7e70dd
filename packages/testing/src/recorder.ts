import { type Callable, type Clock, type DriverBase, type DriverMethod, systemClock } from '@nubis/sdk'

/** The function type of member `K` of `T`, optional members included. */
type MethodOf<T, K extends keyof T> = Extract<NonNullable<T[K]>, Callable>

/** One call seen by {@link recordCalls}. Fields fill in as the call settles. */
export interface RecordedCall<Args extends readonly unknown[] = unknown[], Result = unknown> {
  /** Name of the method called. */
  method: string
  /** The arguments, as passed (not cloned: later mutation shows). */
  args: Args
  /** `pending` until a promise settles; `returned` or `threw` after. */
  status: 'pending' | 'returned' | 'threw'
  /** The value returned (awaited for promises), once `returned`. */
  result?: Result
  /** What was thrown or rejected, once `threw`. */
  error?: unknown
  /** When the call started, in ms on the recorder's clock. */
  startedAt: number
  /** How long it took, once settled. */
  durationMs?: number
}

/** A driver wrapped by {@link recordCalls}, with what it saw. */
export interface Recording<T> {
  /** Behaves like the original, recording each call of a function member. */
  driver: T
  /** Every call, in the order they started. */
  readonly calls: readonly RecordedCall[]
  /** The calls of one method, typed by its parameters and (awaited) return type. */
  callsTo<K extends DriverMethod<T>>(
    method: K,
  ): RecordedCall<Parameters<MethodOf<T, K>>, Awaited<ReturnType<MethodOf<T, K>>>>[]
  /** Forgets the calls recorded so far. */
  reset(): void
}

/** Options of {@link recordCalls}. */
export interface RecordCallsOptions {
  /** Clock for `startedAt` and `durationMs`, default the system clock. */
  clock?: Clock
}

/**
 * Wraps a driver to record every call of its methods — arguments, outcome, timing — so a test can assert
 * what a service asked of its driver, in which order.
 *
 * @example
 * const { driver, callsTo } = recordCalls(memoryVolumes())
 * await service.deleteVolume(ctx, id)
 * expect(callsTo('delete').map((c) => c.args[0])).toEqual([id])
 */
export function recordCalls<T extends DriverBase>(driver: T, options: RecordCallsOptions = {}): Recording<T> {
  const clock = options.clock ?? systemClock
  const calls: RecordedCall[] = []
  const source = driver as unknown as Record<PropertyKey, unknown>
  const wrapped: Record<PropertyKey, unknown> = { ...source }
  for (const key of Object.keys(source)) {
    const original = source[key]
    if (typeof original !== 'function') continue
    wrapped[key] = (...args: unknown[]): unknown => {
      const call: RecordedCall = { method: key, args, status: 'pending', startedAt: clock.now() }
      calls.push(call)
      const settle = (status: 'returned' | 'threw', outcome: unknown) => {
        call.status = status
        if (status === 'returned') call.result = outcome
        else call.error = outcome
        call.durationMs = clock.now() - call.startedAt
      }
      let result: unknown
      try {
        result = original.apply(driver, args)
      } catch (error) {
        settle('threw', error)
        throw error
      }
      if (!(result instanceof Promise)) {
        settle('returned', result)
        return result
      }
      return result.then(
        (value: unknown) => {
          settle('returned', value)
          return value
        },
        (error: unknown) => {
          settle('threw', error)
          throw error
        },
      )
    }
  }
  return {
    driver: wrapped as unknown as T,
    calls,
    callsTo: (method) => calls.filter((call) => call.method === method) as never,
    reset: () => {
      calls.length = 0
    },
  }
}
