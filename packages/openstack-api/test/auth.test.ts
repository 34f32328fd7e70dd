import { once } from 'node:events'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Cloud, CloudError, createContext, type RequestContext } from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  authenticate,
  createApiServer,
  defineApi,
  MISSING_TOKEN_MESSAGE,
  novaErrors,
  type TokenValidator,
} from '../src/index.js'
import { testCloud } from './fixtures.js'

let cloud: Cloud
let app: FastifyInstance
let seen: RequestContext[]
let release: () => void
let released: Promise<void>
let validate: ReturnType<typeof vi.fn<TokenValidator>>

beforeEach(async () => {
  cloud = await testCloud()
  seen = []
  released = new Promise((resolve) => {
    release = resolve
  })
  validate = vi.fn<TokenValidator>(async (token) => {
    if (token !== 'good-token') throw new CloudError('UNAUTHORIZED', 'The token is not valid')
    return { ...createContext({ userId: 'u-1', projectId: 'p-1', roles: ['member'] }), trusted: true }
  })
  const api = defineApi({
    name: 'compute',
    formatter: novaErrors,
    routes(instance) {
      instance.addHook('onRequest', authenticate(validate))
      instance.get('/', { config: { auth: false } }, async () => ({ versions: [] }))
      instance.get('/open-ctx', { config: { auth: false } }, async (request) => request.ctx)
      instance.get('/whoami', async (request) => {
        seen.push(request.ctx)
        return { user: request.ctx.userId, requestId: request.ctx.requestId }
      })
      instance.get('/slow', async (request) => {
        seen.push(request.ctx)
        await released
        return {}
      })
    },
  })
  app = createApiServer({ cloud, identityUrl: '/identity' })
  await app.register(api, { prefix: '/compute' })
})

afterEach(async () => {
  release()
  await app.close()
  await cloud.close()
})

describe('authenticate', () => {
  it('answers 401 without a token, in the API format, with WWW-Authenticate, never calling the validator', async () => {
    for (const headers of [{}, { 'x-auth-token': '   ' }]) {
      const response = await app.inject({
        method: 'GET',
        url: '/compute/whoami',
        headers: { host: 'h:1', ...headers },
      })
      expect(response.statusCode).toBe(401)
      expect(response.json()).toEqual({ unauthorized: { code: 401, message: MISSING_TOKEN_MESSAGE } })
      expect(response.headers['www-authenticate']).toBe('Keystone uri="http://h:1/identity"')
    }
    expect(validate).not.toHaveBeenCalled()
  })

  it('answers 401 with WWW-Authenticate when the validator rejects the token', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/compute/whoami',
      headers: { 'x-auth-token': 'bad' },
    })
    expect(response.statusCode).toBe(401)
    expect(response.json()).toEqual({ unauthorized: { code: 401, message: 'The token is not valid' } })
    expect(response.headers['www-authenticate']).toMatch(/^Keystone uri="http:\/\/.+\/identity"$/)
  })

  it("sets request.ctx from the validator, with fastify's request id and an untrusted scope", async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/compute/whoami',
      headers: { 'x-auth-token': 'good-token' },
    })
    expect(response.statusCode).toBe(200)
    const requestId = response.headers['x-openstack-request-id']
    expect(response.json()).toEqual({ user: 'u-1', requestId })
    expect(seen[0]).toMatchObject({ userId: 'u-1', projectId: 'p-1', roles: ['member'], trusted: false })
    expect(seen[0]?.signal).toBeInstanceOf(AbortSignal)
    expect(validate).toHaveBeenCalledWith('good-token', seen[0]?.signal)
  })

  it('lets routes opt out, where reading request.ctx is a 500, not an undefined context', async () => {
    expect((await app.inject({ method: 'GET', url: '/compute/' })).statusCode).toBe(200)
    const response = await app.inject({ method: 'GET', url: '/compute/open-ctx' })
    expect(response.statusCode).toBe(500)
    expect(validate).not.toHaveBeenCalled()
  })

  it('answers 503, not 401, when the validator cannot reach the store', async () => {
    validate.mockRejectedValueOnce(new CloudError('UNAVAILABLE', 'db.internal is down'))
    const response = await app.inject({
      method: 'GET',
      url: '/compute/whoami',
      headers: { 'x-auth-token': 't' },
    })
    expect(response.statusCode).toBe(503)
    expect(response.body).not.toContain('db.internal')
    expect(response.headers['www-authenticate']).toBeUndefined()
  })

  it('aborts the signal of request.ctx when the client disconnects', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as AddressInfo
    const client = httpRequest({
      host: '127.0.0.1',
      port,
      path: '/compute/slow',
      headers: { 'x-auth-token': 'good-token' },
    })
    client.on('error', () => {})
    client.end()
    await vi.waitFor(() => expect(seen).toHaveLength(1))
    const signal = seen[0]!.signal!
    expect(signal.aborted).toBe(false)
    client.destroy()
    if (!signal.aborted) await once(signal, 'abort')
    expect(signal.reason).toMatchObject({ code: 'ABORTED' })
  })
})
