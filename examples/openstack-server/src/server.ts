import { type Cloud, CloudError, newRequestId } from '@nubis/sdk'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import { errorBody, toHttpError } from './http-errors.js'

/** Options of {@link createServer}. */
export interface CreateServerOptions {
  /** The cloud the routes serve. The server never closes it: whoever created it does. */
  cloud: Cloud
  /** A pino logger (see `createLogger`); without one the server logs nothing. */
  logger?: FastifyBaseLogger
  /** How long `/healthcheck` waits for the state store before answering 503. Default 5000 ms. */
  healthTimeoutMs?: number
}

/** The response header OpenStack clients read the request id from (`openstack --debug` prints it). */
export const REQUEST_ID_HEADER = 'x-openstack-request-id'

/**
 * The HTTP front of a Nubis cloud: `/healthcheck`, the versions document at `/`, OpenStack request ids and the
 * CloudError → status mapping. The OpenStack API plugins register on the returned instance.
 *
 * @example
 * const app = createServer({ cloud, logger: createLogger() })
 * await app.listen({ port: 8080, host: '127.0.0.1' })
 */
export function createServer(options: CreateServerOptions): FastifyInstance {
  const { cloud } = options
  const healthTimeoutMs = options.healthTimeoutMs ?? 5000
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Never trust a client-sent id: it would let one request impersonate another in the logs.
    genReqId: () => newRequestId(),
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
  })

  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id)
  })

  app.setErrorHandler((error, request, reply) => {
    const http = toHttpError(error)
    if (http.status >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ status: http.status, code: http.cloudCode }, (error as Error).message)
    return reply.code(http.status).send(http.body)
  })

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]
    return reply.code(404).send(errorBody(404, `No route for ${request.method} ${path}`))
  })

  app.get('/healthcheck', async () => {
    await pingWithin(cloud, healthTimeoutMs)
    return { status: 'ok', store: 'ok' }
  })

  // OpenStack's version discovery: clients GET the root and pick an API from `versions.values`. No OpenStack
  // API is served yet, so the list is empty rather than advertising endpoints that would answer 404.
  app.get('/', async (request, reply) => {
    const base = `${request.protocol}://${request.host || 'localhost'}`
    return reply.code(300).send({
      versions: { values: [] },
      links: [{ rel: 'health', href: `${base}/healthcheck` }],
    })
  })

  return app
}

/**
 * Pings the store, turning any failure or a hang into UNAVAILABLE. The store's own message is not reused: a
 * PostgreSQL error can name hosts and users, and this answer goes to anyone who can reach the port.
 */
async function pingWithin(cloud: Cloud, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    await Promise.race([cloud.store.ping(), timeout])
  } catch (cause) {
    throw new CloudError('UNAVAILABLE', 'The state store is unavailable', { cause })
  } finally {
    clearTimeout(timer)
  }
}
