import { type Cloud, CloudError, newRequestId, type RequestContext } from '@nubis/sdk'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify'
import { apiError, toApiError } from './api-error.js'
import { ErrorFormatRegistry, sendError, useErrorFormat } from './error-handling.js'
import { type ErrorFormatter, keystoneErrors } from './formatters.js'
import { selfLink } from './urls.js'
import { VersionRegistry, versionDocument } from './versions.js'

/** What `createApiServer` decorates the app with (`app.openstack`), shared by every API plugin on it. */
export interface OpenStackState {
  /** Versions of the mounted APIs; the server's `/` lists them. */
  readonly versions: VersionRegistry
  /** Error formats by path prefix. */
  readonly errorFormats: ErrorFormatRegistry
  /** Where the Identity API is: a path of this server or an absolute URL, for `WWW-Authenticate`. */
  readonly identityUrl: string
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The OpenStack API state of this server; see {@link OpenStackState}. */
    openstack: OpenStackState
  }
  interface FastifyRequest {
    /**
     * Who asks, set by the `authenticate` hook; the first argument of every service call. Reading it on a route
     * that opted out of authentication throws INTERNAL.
     */
    ctx: RequestContext
  }
  interface FastifyContextConfig {
    /** `false` lets a route answer without a token (`POST /v3/auth/tokens`, version documents). */
    auth?: boolean
  }
}

// Beside the request rather than on it: fastify's request objects keep one shape for speed, and a WeakMap
// entry goes away with its request.
const contexts = new WeakMap<FastifyRequest, RequestContext>()

/** Decorates `app` with {@link OpenStackState} and the `request.ctx` accessor. */
function decorate(app: FastifyInstance, state: OpenStackState): void {
  app.decorate('openstack', state)
  app.decorateRequest('ctx', {
    getter(this: FastifyRequest): RequestContext {
      const ctx = contexts.get(this)
      if (ctx === undefined) {
        throw new CloudError('INTERNAL', 'request.ctx is only set on routes that require authentication')
      }
      return ctx
    },
    setter(this: FastifyRequest, value: RequestContext) {
      contexts.set(this, value)
    },
  })
}

/** Options of {@link createApiServer}. */
export interface CreateApiServerOptions {
  /** The cloud the routes serve. The server never closes it: whoever created it does. */
  cloud: Cloud
  /** A pino logger (see `createLogger`); without one the server logs nothing. */
  logger?: FastifyBaseLogger
  /** How long `/healthcheck` waits for the state store before answering 503. Default 5000 ms. */
  healthTimeoutMs?: number
  /**
   * Trust `X-Forwarded-Proto`, `X-Forwarded-Host` and `X-Forwarded-For` from these proxies (fastify's
   * `trustProxy`: `true`, addresses, CIDRs or a hop count). Off by default: a client could otherwise make
   * every link of an answer point anywhere.
   */
  trustProxy?: FastifyServerOptions['trustProxy']
  /** Largest request body in bytes; default 114688, oslo.middleware's `max_request_body_size`. */
  bodyLimit?: number
  /** Error format of the server's own routes and of URLs no API claims; default {@link keystoneErrors}. */
  errorFormatter?: ErrorFormatter
  /** The Identity API named in `WWW-Authenticate` of 401s: a path here or an absolute URL; default `/identity`. */
  identityUrl?: string
}

/** The response header OpenStack clients read the request id from (`openstack --debug` prints it). */
export const REQUEST_ID_HEADER = 'x-openstack-request-id'

/** oslo.middleware's default `max_request_body_size`, which Keystone, Nova and Neutron all run behind. */
export const DEFAULT_BODY_LIMIT = 114_688

/**
 * The HTTP front of a Nubis cloud, on which the OpenStack API plugins register: `/healthcheck`, the versions
 * document at `/` (listing what the plugins registered in `app.openstack.versions`), an
 * `X-Openstack-Request-Id` on every answer, and the CloudError → status mapping in each API's error format.
 *
 * @example
 * const app = createApiServer({ cloud, logger: createLogger() })
 * await app.register(identityApi, { prefix: '/identity', cloud })
 * await app.listen({ port: 8080, host: '127.0.0.1' })
 */
export function createApiServer(options: CreateApiServerOptions): FastifyInstance {
  const formatter = options.errorFormatter ?? keystoneErrors
  const errorFormats = new ErrorFormatRegistry(formatter)
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Never trust a client-sent id: it would let one request impersonate another in the logs.
    genReqId: () => newRequestId(),
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    trustProxy: options.trustProxy ?? false,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Path parameters carry OpenStack names and tags of up to 255 characters, percent-encoded.
    routerOptions: { maxParamLength: 1024 },
    // A malformed URL is answered before routing; without this hook fastify would send its own body shape.
    frameworkErrors: (error, request, reply) => {
      reply.header(REQUEST_ID_HEADER, request.id)
      const path = request.raw.url?.split('?')[0] ?? '/'
      const format = errorFormats.resolve(path)
      return sendError(request, reply, toApiError(error, format.statusOverrides), format, error)
    },
  })
  decorate(app, {
    versions: new VersionRegistry(),
    errorFormats,
    identityUrl: options.identityUrl ?? '/identity',
  })

  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id)
  })
  acceptEmptyJson(app)
  useErrorFormat(app, formatter)
  registerHealthcheck(app, options.cloud, options.healthTimeoutMs ?? 5000)

  // OpenStack's version discovery: clients GET the root and pick an API from `versions.values`. Only the APIs
  // whose plugins are registered appear, rather than advertising endpoints that would answer 404.
  app.get('/', { config: { auth: false } }, async (request, reply) => {
    const document = versionDocument(request, app.openstack.versions.list())
    return reply
      .code(300)
      .send({ ...document, links: [{ ...selfLink(request, '/healthcheck'), rel: 'health' }] })
  })

  return app
}

/**
 * Adds `GET /healthcheck` (oslo.middleware's path): 200 `{"status":"ok","store":"ok"}` once the store answers a
 * ping within `timeoutMs`, else 503. The store's own message is not repeated: a PostgreSQL error can name hosts
 * and users, and this answer goes to anyone who can reach the port. It is logged instead.
 */
function registerHealthcheck(app: FastifyInstance, cloud: Cloud, timeoutMs: number): void {
  app.get('/healthcheck', { config: { auth: false } }, async (request, reply) => {
    try {
      await pingWithin(cloud, timeoutMs)
    } catch (cause) {
      const error = apiError(503, 'The state store is unavailable')
      return sendError(request, reply, error, app.openstack.errorFormats.fallback, cause)
    }
    return { status: 'ok', store: 'ok' }
  })
}

/** Pings the store, rejecting when it fails or gives no answer within `timeoutMs`. */
async function pingWithin(cloud: Cloud, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    await Promise.race([cloud.store.ping(), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * OpenStack clients send `Content-Type: application/json` with no body on PUTs that take none (Keystone's role
 * grants, Nova's actions without arguments); fastify's parser refuses that, so an empty body is read as none.
 * Anything else goes through fastify's own parser, which guards against prototype poisoning.
 */
function acceptEmptyJson(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' || body.length === 0) return done(null, undefined)
    return parse(request, body as string, done)
  })
}
