import { type Cloud, CloudError, createCloud, type ErrorCode, sqliteStore } from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createServer, INTERNAL_MESSAGE, REQUEST_ID_HEADER } from '../src/index.js'

const REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

let cloud: Cloud
let app: FastifyInstance

beforeEach(async () => {
  cloud = await createCloud({ store: sqliteStore({ path: ':memory:' }) })
  app = createServer({ cloud, healthTimeoutMs: 200 })
  // Routes that throw, standing in for the API plugins that will sit on this server.
  app.get<{ Params: { code: ErrorCode } }>('/throw/:code', async (request) => {
    throw new CloudError(request.params.code, `thrown ${request.params.code}`, {
      cause: new Error('db password=x'),
    })
  })
  app.get('/crash', async () => {
    throw new Error('TypeError deep inside, with a path /var/lib/secret')
  })
  app.post('/echo', async (request) => request.body)
})

afterEach(async () => {
  await app.close()
  await cloud.close()
})

describe('GET /healthcheck', () => {
  it('answers 200 once the store answers', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthcheck' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ status: 'ok', store: 'ok' })
  })

  it('answers 503 UNAVAILABLE when the store is down, without repeating its message', async () => {
    vi.spyOn(cloud.store, 'ping').mockRejectedValue(
      new CloudError('UNAVAILABLE', 'connect ECONNREFUSED db.internal:5432 user=nubis'),
    )
    const response = await app.inject({ method: 'GET', url: '/healthcheck' })
    expect(response.statusCode).toBe(503)
    expect(response.json()).toEqual({
      error: { code: 503, title: 'Service Unavailable', message: 'The state store is unavailable' },
    })
    expect(response.body).not.toContain('db.internal')
  })

  it('answers 503 when the store hangs', async () => {
    vi.spyOn(cloud.store, 'ping').mockReturnValue(new Promise(() => {}))
    const response = await app.inject({ method: 'GET', url: '/healthcheck' })
    expect(response.statusCode).toBe(503)
  })
})

describe('GET /', () => {
  it('is a versions document listing only what is served, with a link to the health check', async () => {
    const response = await app.inject({ method: 'GET', url: '/', headers: { host: 'cloud.example:8080' } })
    expect(response.statusCode).toBe(300)
    expect(response.json()).toEqual({
      versions: { values: [] },
      links: [{ rel: 'health', href: 'http://cloud.example:8080/healthcheck' }],
    })
  })
})

describe('request ids', () => {
  it('sends a fresh req-<uuid> on every response, errors and 404s included', async () => {
    const urls = ['/healthcheck', '/', '/nowhere', '/throw/CONFLICT', '/crash']
    const ids = await Promise.all(
      urls.map(async (url) => (await app.inject({ method: 'GET', url })).headers[REQUEST_ID_HEADER]),
    )
    for (const id of ids) expect(id).toMatch(REQUEST_ID)
    expect(new Set(ids).size).toBe(urls.length)
  })

  it('ignores a request id sent by the client', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/',
      headers: { [REQUEST_ID_HEADER]: 'req-forged' },
    })
    expect(response.headers[REQUEST_ID_HEADER]).not.toBe('req-forged')
  })
})

describe('errors', () => {
  it('answers an unknown route with a JSON 404', async () => {
    const response = await app.inject({ method: 'GET', url: '/v2.1/servers?all_tenants=1' })
    expect(response.statusCode).toBe(404)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    expect(response.json()).toEqual({
      error: { code: 404, title: 'Not Found', message: 'No route for GET /v2.1/servers' },
    })
  })

  it.each([
    ['INVALID', 400],
    ['UNAUTHORIZED', 401],
    ['FORBIDDEN', 403],
    ['NOT_FOUND', 404],
    ['CONFLICT', 409],
    ['QUOTA_EXCEEDED', 403],
    ['NOT_SUPPORTED', 501],
    ['UNAVAILABLE', 503],
    ['TIMEOUT', 504],
  ] as const)('maps CloudError %s to %i with its message', async (code, status) => {
    const response = await app.inject({ method: 'GET', url: `/throw/${code}` })
    expect(response.statusCode).toBe(status)
    expect(response.json()).toMatchObject({ error: { code: status, message: `thrown ${code}` } })
    expect(response.body).not.toContain('password')
  })

  it.each(['DRIVER_FAILED', 'INTERNAL', 'ABORTED'] as const)(
    'maps CloudError %s to an opaque 500',
    async (code) => {
      const response = await app.inject({ method: 'GET', url: `/throw/${code}` })
      expect(response.statusCode).toBe(500)
      expect(response.json()).toEqual({
        error: { code: 500, title: 'Internal Server Error', message: INTERNAL_MESSAGE },
      })
    },
  )

  it('hides the details of any other error behind a 500', async () => {
    const response = await app.inject({ method: 'GET', url: '/crash' })
    expect(response.statusCode).toBe(500)
    expect(response.body).not.toContain('secret')
  })

  it("keeps the status of fastify's own client errors", async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"auth": ',
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ error: { code: 400, title: 'Bad Request' } })
  })
})
