import type { z } from 'zod'

/**
 * The closed set of error codes every Nubis service, driver and store speaks.
 * The REST layer maps each code to the status and body of the API it serves; nothing else invents error shapes.
 */
export const ERROR_CODES = [
  'INVALID',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'QUOTA_EXCEEDED',
  'NOT_SUPPORTED',
  'UNAVAILABLE',
  'TIMEOUT',
  'ABORTED',
  'DRIVER_FAILED',
  'INTERNAL',
] as const

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number]

/** Codes that are worth retrying unchanged unless the thrower says otherwise. */
const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set(['UNAVAILABLE', 'TIMEOUT'])

/** What a {@link CloudError} is about. */
export interface ErrorResource {
  /** Kind of resource, e.g. `server`, `network`, `task`. */
  type: string
  /** Its id or name, when known. */
  id?: string
}

/** Options of the {@link CloudError} constructor. */
export interface CloudErrorOptions {
  /** The resource the error is about. */
  resource?: ErrorResource
  /** Whether repeating the same call unchanged may succeed; defaults by code (UNAVAILABLE and TIMEOUT are). */
  retryable?: boolean
  /** Name of the driver that failed, for DRIVER_FAILED and driver-raised errors. */
  driver?: string
  /** Field-level details, e.g. the path of an invalid field. */
  details?: Record<string, unknown>
  /** The underlying error. Never shown to API clients; kept for logs and debugging. */
  cause?: unknown
}

/**
 * The one error type of Nubis. Services, drivers and stores throw it; the REST layer turns it into each API's body.
 *
 * @example
 * throw new CloudError('NOT_FOUND', 'Server 42 could not be found', { resource: { type: 'server', id: '42' } })
 */
export class CloudError extends Error {
  override readonly name = 'CloudError'
  /** What went wrong, from a closed set. */
  readonly code: ErrorCode
  /** The resource concerned, when there is one. */
  readonly resource: ErrorResource | undefined
  /** Whether the same call may succeed when repeated. */
  readonly retryable: boolean
  /** The driver that raised or caused it. */
  readonly driver: string | undefined
  /** Machine-readable details (for INVALID: `path`, the failing field). */
  readonly details: Record<string, unknown> | undefined

  constructor(code: ErrorCode, message: string, options: CloudErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.resource = options.resource
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code)
    this.driver = options.driver
    this.details = options.details
  }

  /** A JSON form without the cause, safe to log or send. */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.resource && { resource: this.resource }),
      retryable: this.retryable,
      ...(this.driver && { driver: this.driver }),
      ...(this.details && { details: this.details }),
    }
  }
}

/** True when `error` is a {@link CloudError}, optionally of the given code. */
export function isCloudError(error: unknown, code?: ErrorCode): error is CloudError {
  return error instanceof CloudError && (code === undefined || error.code === code)
}

/** Turns a zod failure into an `INVALID` error naming the first failing field (all issues are in `details`). */
export function fromZodError(error: z.ZodError, what = 'input'): CloudError {
  const issues = error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }))
  const first = issues[0]
  const where = first?.path ? `${what}.${first.path}` : what
  return new CloudError('INVALID', `Invalid ${where}: ${first?.message ?? 'validation failed'}`, {
    details: { path: first?.path ?? '', issues },
    cause: error,
  })
}

/** Parses `value` with `schema`, throwing `INVALID` (see {@link fromZodError}) on failure. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what = 'input'): z.output<S> {
  const result = schema.safeParse(value)
  if (!result.success) throw fromZodError(result.error, what)
  return result.data
}

/** Raised for an aborted operation: `ABORTED`, or `TIMEOUT` when the signal's reason is a timeout. */
export function abortError(signal: AbortSignal, what = 'operation'): CloudError {
  const reason: unknown = signal.reason
  const timedOut = reason instanceof Error && reason.name === 'TimeoutError'
  return new CloudError(
    timedOut ? 'TIMEOUT' : 'ABORTED',
    `The ${what} was ${timedOut ? 'timed out' : 'aborted'}`,
    {
      cause: reason,
    },
  )
}

/** Throws {@link abortError} when `signal` is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw abortError(signal, what)
}
