import type { Cloud } from '@nubis/sdk'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  baseUrl,
  bookmarkLink,
  type CreateApiServerOptions,
  collectionLinks,
  createApiServer,
  pageLinks,
  parseBody,
  selfLink,
  versionDocument,
  versionList,
} from '../src/index.js'
import { testCloud } from './fixtures.js'

let cloud: Cloud
beforeAll(async () => {
  cloud = await testCloud()
})
afterAll(async () => {
  await cloud.close()
})

/** Runs `fn` on the request fastify builds for these headers and URL, and returns its result. */
async function onRequest<T>(
  fn: (request: FastifyRequest) => T,
  {
    url = '/x',
    headers = {},
    ...options
  }: { url?: string; headers?: Record<string, string> } & Partial<CreateApiServerOptions> = {},
): Promise<T> {
  const app: FastifyInstance = createApiServer({ cloud, ...options })
  let result: T | undefined
  app.get('/*', async (request) => {
    result = fn(request)
    return {}
  })
  await app.inject({ method: 'GET', url, headers: { host: 'api.example:8774', ...headers } })
  await app.close()
  return result as T
}

describe('parseBody', () => {
  const schema = z.object({ server: z.object({ name: z.string().min(1), flavorRef: z.string() }) })

  it('returns the typed body, or INVALID naming the field', () => {
    expect(parseBody(schema, { server: { name: 'web', flavorRef: '1' } }).server.name).toBe('web')
    expect(() => parseBody(schema, { server: { name: '' } }, 'body')).toThrow(
      expect.objectContaining({ code: 'INVALID', message: expect.stringMatching(/^Invalid body\.server\./) }),
    )
    try {
      parseBody(schema, { server: { name: 'web' } })
    } catch (error) {
      expect(error).toMatchObject({ details: { path: 'server.flavorRef' } })
    }
  })

  it('treats a missing body as INVALID', () => {
    expect(() => parseBody(schema, undefined)).toThrow(expect.objectContaining({ code: 'INVALID' }))
  })
})

describe('links', () => {
  it('are absolute URLs on the host the client used', async () => {
    const links = await onRequest((request) => [
      selfLink(request, '/compute/v2.1/servers/1'),
      bookmarkLink(request, 'compute/servers/1'),
    ])
    expect(links).toEqual([
      { rel: 'self', href: 'http://api.example:8774/compute/v2.1/servers/1' },
      { rel: 'bookmark', href: 'http://api.example:8774/compute/servers/1' },
    ])
  })

  it('ignore X-Forwarded-Proto and X-Forwarded-Host unless trustProxy is set', async () => {
    const headers = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'cloud.example' }
    expect(await onRequest(baseUrl, { headers })).toBe('http://api.example:8774')
    expect(await onRequest(baseUrl, { headers, trustProxy: true })).toBe('https://cloud.example')
    expect(await onRequest(baseUrl, { headers, trustProxy: '10.0.0.1' })).toBe('http://api.example:8774')
  })

  it('never copy a malformed host or an odd scheme into a link', async () => {
    const headers = { 'x-forwarded-proto': 'javascript', 'x-forwarded-host': 'evil"/><script>' }
    expect(await onRequest(baseUrl, { headers, trustProxy: true })).toBe('http://localhost')
  })
})

describe('paging links', () => {
  const url = '/compute/v2.1/servers?limit=2&sort_key=name&sort_key=id&marker=old'

  it("give Nova's <collection>_links with the next marker, keeping the other parameters", async () => {
    const links = await onRequest((request) => pageLinks(request, { next: 's-2' }, 'servers'), { url })
    expect(links).toEqual({
      servers_links: [
        {
          rel: 'next',
          href: 'http://api.example:8774/compute/v2.1/servers?limit=2&sort_key=name&sort_key=id&marker=s-2',
        },
      ],
    })
    expect(await onRequest((request) => pageLinks(request, {}, 'servers'), { url })).toEqual({})
  })

  it("give Keystone's links with self, previous and next", async () => {
    const links = await onRequest((request) => collectionLinks(request, { next: 'u 2' }), {
      url: '/identity/v3/users?limit=1',
    })
    expect(links).toEqual({
      self: 'http://api.example:8774/identity/v3/users?limit=1',
      previous: null,
      next: 'http://api.example:8774/identity/v3/users?limit=1&marker=u+2',
    })
    expect(await onRequest((request) => collectionLinks(request).next)).toBeNull()
  })
})

describe('version documents', () => {
  const v3 = {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    path: '/identity/v3/',
    mediaTypes: [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  }
  const v21 = { id: 'v2.1', status: 'CURRENT', version: '2.96', minVersion: '2.1', path: '/compute/v2.1/' }

  it("build Keystone's { versions: { values } } and Nova's { versions: [...] }", async () => {
    const [keystone, nova] = await onRequest((request) => [
      versionDocument(request, [v3]),
      versionList(request, [v21]),
    ])
    expect(keystone).toEqual({
      versions: {
        values: [
          {
            id: 'v3.14',
            status: 'stable',
            updated: '2020-04-07T00:00:00Z',
            links: [{ rel: 'self', href: 'http://api.example:8774/identity/v3/' }],
            'media-types': v3.mediaTypes,
          },
        ],
      },
    })
    expect(nova).toEqual({
      versions: [
        {
          id: 'v2.1',
          status: 'CURRENT',
          version: '2.96',
          min_version: '2.1',
          links: [{ rel: 'self', href: 'http://api.example:8774/compute/v2.1/' }],
        },
      ],
    })
  })
})
