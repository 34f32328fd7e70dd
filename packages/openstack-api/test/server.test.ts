import { type Cloud, CloudError } from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApiServer, defineApi, keystoneErrors, REQUEST_ID_HEADER } from '../src/index.js'
import { testCloud, testServer } from './fixtures.js'

const REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

let cloud: Cloud
let app: FastifyInstance

beforeEach(async () => {
  cloud = await testCloud()
  app = await testServer(cloud)
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

  it('answers 503 when the store is down, without repeating its message', async () => {
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
  it('lists nothing but the health check when no API is mounted', async () => {
    const bare = createApiServer({ cloud })
    const response = await bare.inject({ method: 'GET', url: '/', headers: { host: 'cloud.example:8080' } })
    expect(response.statusCode).toBe(300)
    expect(response.json()).toEqual({
      versions: { values: [] },
      links: [{ rel: 'health', href: 'http://cloud.example:8080/healthcheck' }],
    })
    await bare.close()
  })

  it('lists the versions the mounted APIs registered, with absolute links', async () => {
    const response = await app.inject({ method: 'GET', url: '/', headers: { host: 'cloud.example' } })
    expect(response.statusCode).toBe(300)
    expect(response.json().versions.values).toEqual([
      {
        id: 'v-identity',
        status: 'CURRENT',
        links: [{ rel: 'self', href: 'http://cloud.example/identity/v1/' }],
      },
      {
        id: 'v-compute',
        status: 'CURRENT',
        links: [{ rel: 'self', href: 'http://cloud.example/compute/v1/' }],
      },
      {
        id: 'v-network',
        status: 'CURRENT',
        links: [{ rel: 'self', href: 'http://cloud.example/network/v1/' }],
      },
    ])
    expect(app.openstack.versions.list('compute').map((entry) => entry.path)).toEqual(['/compute/v1/'])
  })

  it('refuses an API registered without a prefix, or two versions at one path', async () => {
    const api = defineApi({ name: 'x', formatter: keystoneErrors, versions: [], routes() {} })
    const bare = createApiServer({ cloud })
    await expect(bare.register(api).ready()).rejects.toMatchObject({ code: 'INVALID' })
    await bare.close()
    expect(() =>
      app.openstack.versions.register('y', { id: 'v1', status: 'x', path: '/compute/v1/' }),
    ).toThrow(/already registered/)
  })
})

describe('request ids', () => {
  it('sends a fresh req-<uuid> on every response, errors and 404s included', async () => {
    const urls = [
      '/healthcheck',
      '/',
      '/nowhere',
      '/compute/nowhere',
      '/compute/throw/CONFLICT',
      '/network/crash',
    ]
    const ids = await Promise.all(
      urls.map(async (url) => (await app.inject({ method: 'GET', url })).headers[REQUEST_ID_HEADER]),
    )
    for (const id of ids) expect(id).toMatch(REQUEST_ID)
    expect(new Set(ids).size).toBe(urls.length)
  })

  it('sends one on bodies fastify rejects and on malformed URLs', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/identity/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{',
    })
    expect(bad.headers[REQUEST_ID_HEADER]).toMatch(REQUEST_ID)
    const url = await app.inject({ method: 'GET', url: '/compute/%zz' })
    expect(url.statusCode).toBe(400)
    expect(url.headers[REQUEST_ID_HEADER]).toMatch(REQUEST_ID)
  })

  it('ignores a request id sent by the client', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/',
      headers: { [REQUEST_ID_HEADER]: 'req-forged' },
    })
    expect(response.headers[REQUEST_ID_HEADER]).not.toBe('req-forged')
    expect(response.headers[REQUEST_ID_HEADER]).toMatch(REQUEST_ID)
  })
})

describe('unknown routes', () => {
  it('answer a JSON 404 in Keystone format outside any API, without the query string', async () => {
    const response = await app.inject({ method: 'GET', url: '/v2.1/servers?all_tenants=1' })
    expect(response.statusCode).toBe(404)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    expect(response.json()).toEqual({
      error: { code: 404, title: 'Not Found', message: 'No route for GET /v2.1/servers' },
    })
  })

  it('answer in the format of the API whose prefix they fall under', async () => {
    const nova = await app.inject({ method: 'DELETE', url: '/compute/v2.1/servers/1' })
    expect(nova.json()).toEqual({
      itemNotFound: { code: 404, message: 'No route for DELETE /compute/v2.1/servers/1' },
    })
    const neutron = await app.inject({ method: 'GET', url: '/network/v2.0/ports' })
    expect(neutron.json()).toEqual({
      NeutronError: { type: 'HTTPNotFound', message: 'No route for GET /network/v2.0/ports', detail: '' },
    })
  })
})
