import { type Cloud, createCloud, sqliteStore } from '@nubis/sdk'
import { type MemoryImageStore, memoryImageStore } from '@nubis/testing'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import { createApiServer, glanceApi } from '../src/index.js'
import { userWithToken } from './keystone-fixtures.js'

/** Options of one request of {@link GlanceFixture.call}. */
export interface CallOptions {
  /** The token; the admin's by default, `null` for none. */
  token?: string | null
  /** Extra headers (`content-type`, `range` …). */
  headers?: Record<string, string>
}

/**
 * A Glance server over a fresh in-memory cloud with an in-memory image store: an admin and a member of project
 * `ops`, and a member of project `dev`, each with a project-scoped token.
 */
export interface GlanceFixture {
  cloud: Cloud
  app: FastifyInstance
  store: MemoryImageStore
  opsId: string
  devId: string
  adminToken: string
  memberToken: string
  devToken: string
  /** Sends a request to `/image{path}`; a non-string body is sent as JSON. */
  call(method: string, path: string, body?: unknown, options?: CallOptions): Promise<LightMyRequestResponse>
  /** Creates an image as the `ops` member (by default) and returns its body. */
  create(body?: Record<string, unknown>, token?: string): Promise<Record<string, unknown> & { id: string }>
  /** Uploads `data` into image `id` (204 expected). */
  upload(id: string, data: Buffer | string, token?: string): Promise<LightMyRequestResponse>
  close(): Promise<void>
}

/** Builds a {@link GlanceFixture}; the password hasher is made cheap for tests. */
export async function glanceFixture(): Promise<GlanceFixture> {
  const store = memoryImageStore({ name: 'local' })
  const cloud = await createCloud({
    store: sqliteStore({ path: ':memory:' }),
    identity: { passwordHashing: { memoryCost: 1024, timeCost: 1 } },
    image: { stores: { local: store }, staging: memoryImageStore({ name: 'staging' }) },
  })
  const ctx = cloud.system()
  const ops = await cloud.identity.createProject(ctx, { name: 'ops', domainId: 'default' })
  const dev = await cloud.identity.createProject(ctx, { name: 'dev', domainId: 'default' })
  const admin = await userWithToken(cloud, 'boss', 'admin', ops.id)
  const member = await userWithToken(cloud, 'pleb', 'member', ops.id)
  const other = await userWithToken(cloud, 'stranger', 'member', dev.id)
  const app = createApiServer({ cloud })
  await app.register(glanceApi, { prefix: '/image', cloud })
  await app.ready()
  const call: GlanceFixture['call'] = (method, path, body, options = {}) => {
    const token = options.token === undefined ? admin.token : options.token
    const json = body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)
    return app.inject({
      method: method as 'GET',
      url: `/image${path}`,
      headers: {
        host: 'glance.test',
        // What openstacksdk and Tempest send; without it errors come as webob's HTML, as glanceclient reads them.
        accept: 'application/json',
        ...(token !== null && { 'x-auth-token': token }),
        ...(json && { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(body !== undefined && { payload: json ? JSON.stringify(body) : (body as string | Buffer) }),
    })
  }
  return {
    cloud,
    app,
    store,
    opsId: ops.id,
    devId: dev.id,
    adminToken: admin.token,
    memberToken: member.token,
    devToken: other.token,
    call,
    async create(body = {}, token = member.token) {
      const response = await call(
        'POST',
        '/v2/images',
        { disk_format: 'raw', container_format: 'bare', ...body },
        { token },
      )
      expect(response.statusCode, response.body).toBe(201)
      return response.json()
    },
    upload: (id, data, token = member.token) =>
      call('PUT', `/v2/images/${id}/file`, data, {
        token,
        headers: { 'content-type': 'application/octet-stream' },
      }),
    async close() {
      await app.close()
      await cloud.close()
    },
  }
}

/** Glance's (webob's) error body of a status. */
export function glanceError(status: number, title: string) {
  return { code: `${status} ${title}`, title, message: expect.stringMatching(/<br \/><br \/>\n\n\n$/) }
}
