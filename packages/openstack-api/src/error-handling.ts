import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { type ApiError, apiError, toApiError } from './api-error.js'
import type { ErrorFormatter } from './formatters.js'
import { absoluteUrl } from './urls.js'

/**
 * Which error format answers under which path prefix. Fastify's encapsulation already picks the error and 404
 * handlers of a plugin for its routes; this registry serves the answers fastify gives before any route is
 * known (a malformed URL), which are chosen by the longest matching prefix.
 */
export class ErrorFormatRegistry {
  readonly #byPrefix = new Map<string, ErrorFormatter>()

  /** @param fallback the format of paths no plugin claims: the server's own routes and unknown URLs. */
  constructor(readonly fallback: ErrorFormatter) {}

  /** Records the format of the routes under `prefix` (`/compute`). */
  set(prefix: string, formatter: ErrorFormatter): void {
    this.#byPrefix.set(prefix.replace(/\/+$/, ''), formatter)
  }

  /** The format for a request path: the longest registered prefix that is the path or a parent of it. */
  resolve(path: string): ErrorFormatter {
    let best: ErrorFormatter = this.fallback
    let length = 0
    for (const [prefix, formatter] of this.#byPrefix) {
      const matches = prefix === '' || path === prefix || path.startsWith(`${prefix}/`)
      if (matches && prefix.length >= length) {
        best = formatter
        length = prefix.length
      }
    }
    return best
  }
}

/**
 * Sends `error` in `formatter`'s shape. Server faults are logged as errors with what was thrown (the request's
 * logger carries the request id); client errors are logged at info with their status and code only, since a
 * message may quote the request. A 401 carries `WWW-Authenticate: Keystone uri="…"`, as Keystone and
 * keystonemiddleware send, pointing at the Identity API.
 */
export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  error: ApiError,
  formatter: ErrorFormatter,
  thrown?: unknown,
): FastifyReply {
  if (error.serverFault) {
    request.log.error({ err: thrown, status: error.status, code: error.code }, 'request failed')
  } else {
    request.log.info({ status: error.status, code: error.code }, 'request rejected')
  }
  if (error.status === 401) {
    const identity = request.server.openstack.identityUrl
    const uri = /^https?:\/\//.test(identity) ? identity : absoluteUrl(request, identity)
    reply.header('www-authenticate', `Keystone uri="${uri}"`)
  }
  const { body, contentType, status } = formatter.format(error)
  reply.code(status ?? error.status)
  if (typeof body === 'string') return reply.type(contentType ?? 'text/plain; charset=utf-8').send(body)
  return reply.type('application/json; charset=utf-8').send(body)
}

/** `No route for GET /v2.1/nothing`: the 404 message of every API, without the query string. */
function notFoundMessage(request: FastifyRequest): string {
  return `No route for ${request.method} ${request.url.split('?')[0]}`
}

/**
 * Makes every error of `instance`'s routes — thrown CloudErrors, fastify's body and validation errors, unknown
 * URLs under its prefix — answer in `formatter`'s shape. Call it at the top of an API plugin registered with a
 * prefix (`defineApi` does); the server calls it for its own routes.
 */
export function useErrorFormat(instance: FastifyInstance, formatter: ErrorFormatter): void {
  instance.openstack.errorFormats.set(instance.prefix, formatter)
  instance.setErrorHandler((error, request, reply) =>
    sendError(request, reply, toApiError(error, formatter.statusOverrides), formatter, error),
  )
  instance.setNotFoundHandler((request, reply) =>
    sendError(request, reply, apiError(404, notFoundMessage(request)), formatter),
  )
}
