import { STATUS_CODES } from 'node:http'
import { type ErrorCode, type ErrorResource, isCloudError } from '@nubis/sdk'

/**
 * HTTP status of each CloudError code (`ErrorCode`), shared by every OpenStack API. An API whose status
 * differs for a code says so in its formatter's `statusOverrides` (Neutron answers QUOTA_EXCEEDED with 409)
 * rather than changing this table.
 *
 * - QUOTA_EXCEEDED is 403, as Nova's v2.1 API and Keystone answer; Neutron overrides it with 409 and Cinder,
 *   Glance and Swift with 413.
 * - ABORTED is 503: OpenStack has no 499, and a client that went away never reads the answer anyway; an abort
 *   the server caused (shutdown) is a temporary unavailability.
 */
export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  INVALID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  QUOTA_EXCEEDED: 403,
  NOT_SUPPORTED: 501,
  UNAVAILABLE: 503,
  TIMEOUT: 504,
  ABORTED: 503,
  DRIVER_FAILED: 500,
  INTERNAL: 500,
}

/** HTTP status of a CloudError code, after the API's own overrides. */
export function httpStatusOf(
  code: ErrorCode,
  overrides: Readonly<Partial<Record<ErrorCode, number>>> = {},
): number {
  return overrides[code] ?? STATUS_BY_CODE[code] ?? 500
}

// The titles Keystone puts in its error bodies; Node's reason phrases cover the rest.
const TITLES: Readonly<Record<number, string>> = {
  413: 'Request Entity Too Large',
}

/** The reason phrase of a status (`404` → `Not Found`), the `title` of Keystone's error bodies. */
export function reasonPhrase(status: number): string {
  return TITLES[status] ?? STATUS_CODES[status] ?? 'Error'
}

/** The message of every 500: internal details (driver output, SQL, paths) stay in the log. */
export const INTERNAL_MESSAGE =
  'The server has either erred or is incapable of performing the requested operation.'

/**
 * What clients read instead of the message of a 5xx CloudError. Store and transport errors name database
 * hosts, SSH targets and users, so only 501's messages (a missing capability, written for clients) go out.
 */
const HIDDEN_MESSAGES: Readonly<Record<number, string>> = {
  500: INTERNAL_MESSAGE,
  503: 'The service is temporarily unavailable; try again later.',
  504: 'The operation did not complete in time; try again later.',
}

/**
 * Whether the message of an error with this status may be sent to the client: 4xx messages describe the
 * client's own request, and 501's a missing capability.
 */
export function isExposedStatus(status: number): boolean {
  return status < 500 || status === 501
}

/** The message a client reads for a 5xx whose own message stays in the log. */
export function hiddenMessageOf(status: number): string {
  return HIDDEN_MESSAGES[status] ?? INTERNAL_MESSAGE
}

/**
 * An error on its way to the client, before an API's formatter gives it that API's body shape. Its `message` is
 * always safe to send: internal details were replaced by {@link toApiError}.
 */
export interface ApiError {
  /** The HTTP status. */
  status: number
  /** The status's reason phrase (`Not Found`), Keystone's `title`. */
  title: string
  /** What the client reads. */
  message: string
  /** The CloudError code, when the error was one. */
  code?: ErrorCode
  /** The resource a CloudError was about; Neutron names its error types after it (`NetworkNotFound`). */
  resource?: ErrorResource
  /**
   * A client error's CloudError `details` (Neutron's error `type`, the failing field's `path`); absent on 5xx,
   * whose details may describe internals.
   */
  details?: Readonly<Record<string, unknown>>
  /** True when the error is the server's fault (5xx): it is logged as an error, with its cause. */
  serverFault: boolean
}

/** Builds an {@link ApiError} with the given status and message (the message is sent as is). */
export function apiError(
  status: number,
  message: string,
  extra: Pick<ApiError, 'code' | 'resource' | 'details'> = {},
): ApiError {
  return { status, title: reasonPhrase(status), message, serverFault: status >= 500, ...extra }
}

/**
 * Maps anything a handler or hook threw to an {@link ApiError}:
 *
 * - a CloudError gets its status from the table and the API's overrides, and keeps its message unless that
 *   status is a 5xx other than 501;
 * - fastify's own client errors (`FST_ERR_CTP_INVALID_JSON_BODY`, `FST_ERR_CTP_BODY_TOO_LARGE`,
 *   `FST_ERR_CTP_INVALID_MEDIA_TYPE`, `FST_ERR_VALIDATION` …) keep their status and their fixed message;
 * - any other error with a 4xx `statusCode` keeps its status, but its message is replaced by the reason phrase,
 *   since nobody checked it was written for clients;
 * - anything else is an opaque 500.
 */
export function toApiError(
  error: unknown,
  overrides: Readonly<Partial<Record<ErrorCode, number>>> = {},
): ApiError {
  if (isCloudError(error)) {
    const status = httpStatusOf(error.code, overrides)
    const message = isExposedStatus(status) ? error.message : hiddenMessageOf(status)
    return apiError(status, message, {
      code: error.code,
      ...(error.resource && { resource: error.resource }),
      ...(error.details && isExposedStatus(status) && { details: error.details }),
    })
  }
  const status = clientStatusOf(error)
  if (status === undefined) return apiError(500, hiddenMessageOf(500))
  const message = isFastifyError(error) ? error.message : reasonPhrase(status)
  return apiError(status, message)
}

/** The 4xx status an error carries (fastify's errors and http-errors have `statusCode`), else undefined. */
function clientStatusOf(error: unknown): number | undefined {
  if (!(error instanceof Error) || !('statusCode' in error)) return undefined
  const status = error.statusCode
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 500
    ? status
    : undefined
}

/** True for fastify's own errors, whose messages are fixed strings (no secrets, no internals). */
function isFastifyError(error: unknown): error is Error & { code: string } {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    error.code.startsWith('FST_ERR_')
  )
}
