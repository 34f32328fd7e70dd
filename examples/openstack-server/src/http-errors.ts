import { type ErrorCode, isCloudError } from '@nubis/sdk'

/**
 * HTTP status of each {@link ErrorCode}. The API packages reuse this table and only change the body format
 * (Keystone, Nova, Neutron … each wrap errors differently); a code missing here is a 500.
 *
 * QUOTA_EXCEEDED is 403 as in Nova and Cinder's v3 API for most resources; an API that answers 409 or 413
 * overrides it for itself rather than changing this table.
 */
export const STATUS_BY_CODE: Readonly<Partial<Record<ErrorCode, number>>> = {
  INVALID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  QUOTA_EXCEEDED: 403,
  NOT_SUPPORTED: 501,
  UNAVAILABLE: 503,
  TIMEOUT: 504,
}

/** Reason phrases for the statuses Nubis answers with, used as the `title` of error bodies. */
const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

/** The message of every 500: internal details (driver output, SQL, paths) stay in the log. */
export const INTERNAL_MESSAGE =
  'The server has either erred or is incapable of performing the requested operation.'

/** HTTP status for a CloudError code (500 when the code has no entry in {@link STATUS_BY_CODE}). */
export function httpStatusOf(code: ErrorCode): number {
  return STATUS_BY_CODE[code] ?? 500
}

/** An error ready to send: its status and an OpenStack-style body. */
export interface HttpError {
  status: number
  /** Keystone's shape, `{ error: { code, title, message } }`; the example server's own routes use it. */
  body: { error: { code: number; title: string; message: string } }
  /** The CloudError code, when the error was one; for logs and for API packages building their own body. */
  cloudCode?: ErrorCode
}

/** Builds the body of an error response with the given status and message. */
export function errorBody(status: number, message: string): HttpError['body'] {
  return { error: { code: status, title: TITLES[status] ?? 'Error', message } }
}

/**
 * Maps anything thrown by a handler to a status and a body. CloudErrors keep their message unless they map to
 * a 5xx other than 501/503/504 (those messages are written for clients); fastify's own client errors (bad
 * JSON, wrong content type, body too large) keep their status; anything else is an opaque 500.
 */
export function toHttpError(error: unknown): HttpError {
  if (isCloudError(error)) {
    const status = httpStatusOf(error.code)
    const message = status === 500 ? INTERNAL_MESSAGE : error.message
    return { status, body: errorBody(status, message), cloudCode: error.code }
  }
  const status = clientStatusOf(error)
  if (status !== undefined) {
    return { status, body: errorBody(status, (error as Error).message) }
  }
  return { status: 500, body: errorBody(500, INTERNAL_MESSAGE) }
}

/** The 4xx status of a fastify error (they carry `statusCode`), or undefined for anything else. */
function clientStatusOf(error: unknown): number | undefined {
  if (!(error instanceof Error) || !('statusCode' in error)) return undefined
  const status = error.statusCode
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined
}
