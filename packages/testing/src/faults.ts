import {
  abortError,
  type Clock,
  CloudError,
  type DriverBase,
  type DriverMethod,
  signalOf,
  systemClock,
} from '@nubis/sdk'

/** An error to inject: thrown as is, or made fresh for each failing call. */
export type FaultError = Error | ((method: string, args: readonly unknown[]) => Error)

/** Controls the faults of a driver wrapped by {@link withFaults}. Every method returns the controller. */
export interface Faults<T> {
  /** The next call of `method` fails (queued: calling it twice fails the next two calls). */
  failOnce(method: DriverMethod<T>, error?: FaultError): Faults<T>
  /** Every call of `method` fails until cleared. */
  failAlways(method: DriverMethod<T>, error?: FaultError): Faults<T>
  /** The next `n` calls of `method` succeed, every later one fails. */
  failAfter(method: DriverMethod<T>, n: number, error?: FaultError): Faults<T>
  /** Calls of `method` wait `ms` (on the clock given to {@link withFaults}) before going on. */
  delay(method: DriverMethod<T>, ms: number): Faults<T>
  /**
   * Calls of `method` never settle until their AbortSignal (last argument, or its `signal` field) fires,
   * then reject with `ABORTED`/`TIMEOUT`. Without a signal they hang forever: that is the point.
   */
  hang(method: DriverMethod<T>): Faults<T>
  /** Removes the faults of `method`, or of every method. */
  clear(method?: DriverMethod<T>): Faults<T>
}

/** Options of {@link withFaults}. */
export interface WithFaultsOptions {
  /** Clock used by `delay`, default the system clock; pass a test clock to control delays by hand. */
  clock?: Clock
}

interface MethodFaults {
  once: Array<FaultError | undefined>
  always?: { error: FaultError | undefined }
  after?: { remaining: number; error: FaultError | undefined }
  delayMs?: number
  hang?: boolean
}

/**
 * Wraps a driver so tests can make its methods fail, stall or hang on demand; until told, it behaves
 * exactly like the original (same return values, synchronous methods stay synchronous).
 *
 * The default injected error is a `DRIVER_FAILED` CloudError naming the driver and method, with
 * `details.injected: true` so assertions can tell it from a real failure.
 *
 * @example
 * const { driver, faults } = withFaults(memoryVolumes())
 * faults.failOnce('create')
 * await expect(service.createVolume(ctx, req)).rejects.toMatchObject({ code: 'DRIVER_FAILED' })
 */
export function withFaults<T extends DriverBase>(
  driver: T,
  options: WithFaultsOptions = {},
): { driver: T; faults: Faults<T> } {
  const clock = options.clock ?? systemClock
  const state = new Map<string, MethodFaults>()
  const of = (method: string): MethodFaults => {
    const existing = state.get(method)
    if (existing) return existing
    const created: MethodFaults = { once: [] }
    state.set(method, created)
    return created
  }
  const source = driver as unknown as Record<PropertyKey, unknown>
  const wrapped: Record<PropertyKey, unknown> = { ...source }
  for (const key of Object.keys(source)) {
    const original = source[key]
    if (typeof original !== 'function') continue
    wrapped[key] = (...args: unknown[]): unknown => {
      const faults = state.get(key)
      if (!faults) return original.apply(driver, args)
      return faulty(driver, key, faults, args, clock, () => original.apply(driver, args))
    }
  }

  const faults: Faults<T> = {
    failOnce(method, error) {
      of(method).once.push(error)
      return faults
    },
    failAlways(method, error) {
      of(method).always = { error }
      return faults
    },
    failAfter(method, n, error) {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`failAfter() needs a count >= 0, got ${n}`)
      of(method).after = { remaining: n, error }
      return faults
    },
    delay(method, ms) {
      if (!(ms >= 0)) throw new RangeError(`delay() needs a duration >= 0, got ${ms}`)
      of(method).delayMs = ms
      return faults
    },
    hang(method) {
      of(method).hang = true
      return faults
    },
    clear(method) {
      if (method === undefined) state.clear()
      else state.delete(method)
      return faults
    },
  }
  return { driver: wrapped as unknown as T, faults }
}

/** One call of a method that has faults configured. */
async function faulty(
  driver: DriverBase,
  method: string,
  faults: MethodFaults,
  args: unknown[],
  clock: Clock,
  call: () => unknown,
): Promise<unknown> {
  const signal = signalOf(args)
  const what = `${driver.name} ${method} call`
  if (faults.hang) {
    await new Promise<never>((_, reject) => {
      if (signal?.aborted) reject(abortError(signal, what))
      signal?.addEventListener('abort', () => reject(abortError(signal, what)), { once: true })
    })
  }
  // Decide before waiting, so a delayed failure belongs to the call that was made, not a later state.
  const failure = pickFailure(faults)
  if (faults.delayMs) {
    await clock.sleep(faults.delayMs, signal).catch(() => {
      throw abortError(signal as AbortSignal, what)
    })
  }
  if (failure) throw makeError(failure.error, driver, method, args)
  return call()
}

function pickFailure(faults: MethodFaults): { error: FaultError | undefined } | undefined {
  if (faults.once.length > 0) return { error: faults.once.shift() }
  if (faults.after) {
    if (faults.after.remaining === 0) return { error: faults.after.error }
    faults.after.remaining--
    return undefined
  }
  return faults.always
}

function makeError(
  error: FaultError | undefined,
  driver: DriverBase,
  method: string,
  args: unknown[],
): Error {
  if (typeof error === 'function') return error(method, args)
  if (error) return error
  return new CloudError('DRIVER_FAILED', `Injected fault in ${driver.name}.${method}`, {
    driver: driver.name,
    details: { injected: true, method },
  })
}
