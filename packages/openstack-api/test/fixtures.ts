import { Writable } from 'node:stream'
import { type Cloud, CloudError, createCloud, type ErrorCode, sqliteStore } from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'
import {
  type CreateApiServerOptions,
  createApiServer,
  createLogger,
  defineApi,
  type ErrorFormatter,
  keystoneErrors,
  neutronErrors,
  novaErrors,
} from '../src/index.js'

/** A logger writing JSON lines into an array, and the array. */
export function captureLogs(level = 'debug') {
  const lines: string[] = []
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk))
      done()
    },
  })
  return { logger: createLogger({ destination, level }), lines, text: () => lines.join('') }
}

/** A fresh in-memory cloud. */
export function testCloud(): Promise<Cloud> {
  return createCloud({ store: sqliteStore({ path: ':memory:' }) })
}

/** The routes every test API carries: one throwing each code, one crashing, one echoing its body. */
function testApi(name: string, formatter: ErrorFormatter) {
  return defineApi({
    name,
    formatter,
    versions: [{ id: `v-${name}`, status: 'CURRENT', path: '/v1/' }],
    routes(api) {
      api.get<{ Params: { code: ErrorCode } }>('/throw/:code', async (request) => {
        throw new CloudError(request.params.code, `thrown ${request.params.code}`, {
          resource: { type: 'security_group', id: 'sg-1' },
          cause: new Error('db password=x'),
        })
      })
      api.get('/crash', async () => {
        throw new Error('TypeError deep inside, with a path /var/lib/secret')
      })
      api.post('/echo', async (request) => ({ echo: request.body ?? null }))
      api.post(
        '/validated',
        {
          schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
        },
        async (request) => request.body,
      )
    },
  })
}

/** The prefix each test API is mounted at, and its formatter. */
export const MOUNTS = {
  '/identity': keystoneErrors,
  '/compute': novaErrors,
  '/network': neutronErrors,
} as const

/** A server with the three test APIs mounted. */
export async function testServer(
  cloud: Cloud,
  options: Partial<CreateApiServerOptions> = {},
): Promise<FastifyInstance> {
  const app = createApiServer({ cloud, healthTimeoutMs: 200, ...options })
  for (const [prefix, formatter] of Object.entries(MOUNTS)) {
    await app.register(testApi(prefix.slice(1), formatter), { prefix })
  }
  await app.ready()
  return app
}
