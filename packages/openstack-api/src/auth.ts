import { CloudError, type RequestContext } from '@nubis/sdk'
import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * Turns a token into the context of the request it came with; the Identity service supplies it. It throws
 * CloudError `UNAUTHORIZED` for a token that is unknown, expired or revoked, and should give up when `signal`
 * fires (the client went away).
 */
export type TokenValidator = (token: string, signal: AbortSignal) => Promise<RequestContext>

/** An `onRequest` hook, as {@link authenticate} returns it. */
export type AuthenticateHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>

/** Keystone's and keystonemiddleware's message for a request without a token. */
export const MISSING_TOKEN_MESSAGE = 'The request you have made requires authentication.'

/** The header OpenStack clients send their token in. */
export const AUTH_TOKEN_HEADER = 'x-auth-token'

/**
 * The `onRequest` hook that authenticates every route of the plugin it is added to, as keystonemiddleware does
 * in front of Nova or Neutron: it reads `X-Auth-Token`, asks `validate` for the context and sets `request.ctx`
 * to it, with the request id fastify generated and a signal that fires when the client disconnects.
 *
 * A request without a token, or whose token `validate` rejects, is answered 401 in the API's error format with
 * `WWW-Authenticate: Keystone uri="…"`. A route opts out with `config: { auth: false }`.
 *
 * @example
 * api.addHook('onRequest', authenticate((token, signal) => cloud.identity.validateToken(token, { signal })))
 * api.post('/v3/auth/tokens', { config: { auth: false } }, issueToken)
 */
export function authenticate(validate: TokenValidator): AuthenticateHook {
  return async (request, reply) => {
    if (request.routeOptions.config.auth === false) return
    const token = tokenOf(request)
    if (token === undefined) throw new CloudError('UNAUTHORIZED', MISSING_TOKEN_MESSAGE)
    const signal = clientSignal(reply)
    const ctx = await validate(token, signal)
    // A token never yields the host application's trusted context, whatever the validator returned.
    request.ctx = { ...ctx, requestId: request.id, signal, trusted: false }
  }
}

/** The token of the request, or undefined when the header is missing or blank. */
function tokenOf(request: FastifyRequest): string | undefined {
  return headerToken(request, AUTH_TOKEN_HEADER)
}

/** The value of a token header (`X-Auth-Token`, `X-Subject-Token`), or undefined when missing or blank. */
export function headerToken(request: FastifyRequest, header: string): string | undefined {
  const value = request.headers[header]
  const token = (Array.isArray(value) ? value[0] : value)?.trim()
  return token ? token : undefined
}

/**
 * A signal that fires when the connection closes before the answer was sent: work done for a client that is
 * gone (a long list, a wait on a driver) stops rather than running to completion for nobody.
 */
function clientSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController()
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) {
      controller.abort(new CloudError('ABORTED', 'The client closed the connection'))
    }
  })
  return controller.signal
}
