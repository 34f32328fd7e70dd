import { type Cloud, createContext } from '@nubis/sdk'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { authenticate, createApiServer, defineApi, keystoneErrors, parseBody } from '../src/index.js'
import { testCloud } from './fixtures.js'

let cloud: Cloud
let app: FastifyInstance

const AuthBody = z.object({
  auth: z.object({
    identity: z.object({
      methods: z.array(z.enum(['password', 'token'])).min(1),
      password: z.object({ user: z.object({ name: z.string().min(1), password: z.string() }) }).optional(),
    }),
  }),
})

beforeAll(async () => {
  cloud = await testCloud()
  app = createApiServer({ cloud, bodyLimit: 4096 })
  const api = defineApi({
    name: 'identity',
    formatter: keystoneErrors,
    routes(instance) {
      instance.addHook(
        'onRequest',
        authenticate(async (token) => createContext({ userId: token.length > 3 ? 'u' : undefined })),
      )
      instance.post('/v3/auth/tokens', { config: { auth: false } }, async (request) => {
        const body = parseBody(AuthBody, request.body)
        return { token: { methods: body.auth.identity.methods } }
      })
      instance.post('/v3/users', async (request) => ({
        user: { id: request.ctx.userId, body: request.body },
      }))
    },
  })
  await app.register(api, { prefix: '/identity' })
  await app.ready()
})

afterAll(async () => {
  await app.close()
  await cloud.close()
})

// Header values the HTTP layer itself accepts: visible ASCII and spaces, no CR/LF.
const headerValue = fc.string({
  unit: fc.constantFrom(...' !"#$%&\'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~'.split('')),
})
const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'application/xml',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded',
    'application/json; charset=latin1',
    '',
  ),
  headerValue,
)
const body = fc.oneof(
  fc.json(),
  fc.string(),
  fc.jsonValue().map((value) => JSON.stringify({ auth: { identity: value } })),
  fc.constantFrom(
    '{',
    '[]',
    'null',
    '{"auth": null}',
    '{"__proto__": {"x": 1}}',
    '{"constructor": {"prototype": 1}}',
  ),
  fc.string({ minLength: 4000, maxLength: 5000 }),
)

// Extra headers, some of them ones fastify reads (content-length, accept, x-forwarded-*, x-openstack-request-id).
const headerName = fc.oneof(
  fc.constantFrom(
    'content-length',
    'accept',
    'accept-encoding',
    'x-forwarded-host',
    'x-openstack-request-id',
    'expect',
  ),
  fc.string({ unit: fc.constantFrom(...'abcxyz-_019'.split('')), minLength: 1, maxLength: 12 }),
)
const extraHeaders = fc.dictionary(headerName, headerValue, { maxKeys: 4 })

describe('random requests', () => {
  it('never yield a 500, always carry a request id and a Keystone error body', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST', 'PUT', 'PATCH', 'GET', 'DELETE'),
        fc.constantFrom('/identity/v3/auth/tokens', '/identity/v3/users', '/identity/nothing', '/'),
        contentType,
        body,
        fc.option(headerValue),
        extraHeaders,
        async (method, url, type, payload, token, extra) => {
          const headers: Record<string, string> = { ...extra, 'content-type': type }
          if (token !== null) headers['x-auth-token'] = token
          const response = await app.inject({ method: method as 'POST', url, headers, payload })
          expect(response.statusCode).toBeLessThan(500)
          expect(response.headers['x-openstack-request-id']).toMatch(/^req-/)
          if (response.statusCode >= 400) {
            expect(response.json()).toEqual({
              error: { code: response.statusCode, title: expect.any(String), message: expect.any(String) },
            })
          }
        },
      ),
      { numRuns: 1000 },
    )
  })
})
