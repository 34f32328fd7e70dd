import { abortError, CloudError, isCloudError } from './errors.js'

/** The fields every driver has, whatever service SPI it implements. */
export interface DriverBase {
  /** Which SPI the driver implements, e.g. `hypervisor`, `volume`, `network`. */
  readonly kind: string
  /** Short name used in errors and logs, e.g. `kvm`, `lvm`. */
  readonly name: string
  /** Optional features and whether this driver has them; a missing or false flag means `NOT_SUPPORTED`. */
  readonly capabilities: Readonly<Record<string, boolean>>
}

/** Runtime mark of objects made by {@link defineDriver}; a registered symbol so copies across bundles agree. */
export const DRIVER_MARK: unique symbol = Symbol.for('nubis.driver') as never

/**
 * A driver made by {@link defineDriver}: the definition's own type, branded so services can insist on
 * drivers whose errors are normalised (every failure is a {@link CloudError} naming the driver).
 */
export type Driver<T extends DriverBase = DriverBase> = T & { readonly [DRIVER_MARK]: true }

/** Any function, whatever its parameters (`never[]` accepts every parameter list). */
export type Callable = (...args: never[]) => unknown

/** Names of the function members of `T`, required or optional. */
export type DriverMethod<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends Callable ? K : never
}[keyof T] &
  string

/**
 * Turns a driver definition into a driver. Every function member is wrapped so that:
 * - anything thrown that is not a {@link CloudError} becomes `DRIVER_FAILED` naming the driver and method,
 *   with the original as `cause`; a CloudError passes through with `driver` filled in when absent;
 * - when the call's `AbortSignal` (the last argument, or its `signal` field) fires, the call rejects at once
 *   with `ABORTED` (or `TIMEOUT` for a timeout signal), even if the driver ignores the signal.
 *
 * Methods run with the definition as `this`. A method given an already aborted signal is not called and
 * returns a rejected promise, so methods that accept a signal must be async (they are, by convention).
 *
 * @example
 * export const kvm = (opts: KvmOptions) => defineDriver({
 *   kind: 'hypervisor', name: 'kvm', capabilities: { liveMigration: true },
 *   async spawn(req: SpawnRequest, { signal }: CallOptions) { … },
 * })
 */
export function defineDriver<const T extends DriverBase>(def: T): Driver<T> {
  validate(def)
  const driver: Record<PropertyKey, unknown> = {}
  const source = def as unknown as Record<PropertyKey, unknown>
  for (const key of Reflect.ownKeys(def)) {
    const value = source[key]
    const isMethod = typeof value === 'function' && typeof key === 'string'
    driver[key] = isMethod ? wrapMethod(def, key, value as (...args: unknown[]) => unknown) : value
  }
  driver.capabilities = Object.freeze({ ...def.capabilities })
  driver[DRIVER_MARK] = true
  return driver as unknown as Driver<T>
}

/** True for objects made by {@link defineDriver}. */
export function isDriver(value: unknown): value is Driver {
  return typeof value === 'object' && value !== null && DRIVER_MARK in value
}

/**
 * Finds the `AbortSignal` of a call: scanning from the last argument, the first that is a signal or an
 * object with a `signal` field (call options, a request context). Shared with the test doubles.
 */
export function signalOf(args: readonly unknown[]): AbortSignal | undefined {
  for (let i = args.length - 1; i >= 0; i--) {
    const arg = args[i]
    if (arg instanceof AbortSignal) return arg
    if (typeof arg === 'object' && arg !== null && 'signal' in arg && arg.signal instanceof AbortSignal) {
      return arg.signal
    }
  }
  return undefined
}

/** True when the driver declares `capability` and it is on. */
export function hasCapability(driver: DriverBase, capability: string): boolean {
  return driver.capabilities[capability] === true
}

/**
 * Throws `NOT_SUPPORTED` naming the driver and capability unless the flag is on.
 * `what` describes the refused operation for the message, e.g. `live migration`.
 */
export function requireCapability(driver: DriverBase, capability: string, what: string = capability): void {
  if (!hasCapability(driver, capability)) throw notSupported(driver, capability, what)
}

/**
 * Returns an optional method bound to its driver, or throws `NOT_SUPPORTED` when the driver does not
 * implement it or when `capability` (default: the method's name, checked only if the driver declares a flag
 * of that name) is off. This is how services call optional SPI methods, so a gap is never a silent no-op.
 *
 * @example
 * await callOptional(hypervisor, 'snapshot', 'snapshots')(serverId, { signal })
 */
export function callOptional<T extends DriverBase, K extends DriverMethod<T>>(
  driver: T,
  method: K,
  capability?: string,
): NonNullable<T[K]> {
  const flag = capability ?? (method in driver.capabilities ? method : undefined)
  if (flag !== undefined) requireCapability(driver, flag, method)
  const fn: unknown = driver[method]
  if (typeof fn !== 'function') throw notSupported(driver, flag ?? method, method)
  return fn.bind(driver) as NonNullable<T[K]>
}

function notSupported(driver: DriverBase, capability: string, what: string): CloudError {
  return new CloudError(
    'NOT_SUPPORTED',
    `Driver ${driver.name} (${driver.kind}) does not support ${what} (capability '${capability}')`,
    { driver: driver.name, details: { capability, kind: driver.kind } },
  )
}

function validate(def: DriverBase): void {
  const bad = (why: string) => new CloudError('INVALID', `Invalid driver definition: ${why}`)
  if (typeof def.kind !== 'string' || def.kind === '') throw bad('kind must be a non-empty string')
  if (typeof def.name !== 'string' || def.name === '') throw bad('name must be a non-empty string')
  if (typeof def.capabilities !== 'object' || def.capabilities === null)
    throw bad('capabilities must be an object')
  for (const [key, value] of Object.entries(def.capabilities)) {
    if (typeof value !== 'boolean') throw bad(`capability '${key}' of ${def.name} must be true or false`)
  }
}

function wrapMethod(def: DriverBase, method: string, fn: (...args: unknown[]) => unknown) {
  const what = `${def.name} ${method} call`
  const normalise = (error: unknown, signal: AbortSignal | undefined): CloudError => {
    if (isCloudError(error)) return withDriver(error, def.name)
    // Whatever a driver throws after its signal fired (AbortError, EPIPE of a killed child…) is the abort.
    if (signal?.aborted) return withDriver(abortError(signal, what), def.name)
    const message = error instanceof Error ? error.message : String(error)
    return new CloudError('DRIVER_FAILED', `Driver ${def.name} failed in ${method}: ${message}`, {
      driver: def.name,
      cause: error,
    })
  }
  return function wrapped(...args: unknown[]): unknown {
    const signal = signalOf(args)
    if (signal?.aborted) return Promise.reject(withDriver(abortError(signal, what), def.name))
    let result: unknown
    try {
      result = fn.apply(def, args)
    } catch (error) {
      throw normalise(error, signal)
    }
    if (!isPromiseLike(result)) return result
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(withDriver(abortError(signal as AbortSignal, what), def.name))
      signal?.addEventListener('abort', onAbort, { once: true })
      result.then(
        (value) => {
          signal?.removeEventListener('abort', onAbort)
          resolve(value)
        },
        (error: unknown) => {
          signal?.removeEventListener('abort', onAbort)
          reject(normalise(error, signal))
        },
      )
    })
  }
}

/** Fills `driver` on an error raised inside a driver; the field is readonly only to consumers. */
function withDriver(error: CloudError, name: string): CloudError {
  if (error.driver === undefined) (error as { driver: string | undefined }).driver = name
  return error
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
