import { type Cloud, createCloud, sqliteStore } from '@nubis/sdk'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import { createApiServer, neutronApi } from '../src/index.js'
import { userWithToken } from './keystone-fixtures.js'

/** A Neutron object as the tests read it. */
export type Obj = Record<string, unknown> & { id: string }

/**
 * A Neutron server over a fresh in-memory cloud (the state-only network driver): an admin and a member of
 * project `ops`, and a member of project `dev`, each with a project-scoped token.
 */
export interface NeutronFixture {
  cloud: Cloud
  app: FastifyInstance
  opsId: string
  devId: string
  adminToken: string
  memberToken: string
  devToken: string
  /** Sends a request to `/network{path}` with `token` (the ops member's by default; `null` for none). */
  call(method: string, path: string, body?: unknown, token?: string | null): Promise<LightMyRequestResponse>
  /** POSTs `{ [member]: body }` to `/v2.0/<path>`, expects 201 and returns the object. */
  create(path: string, member: string, body: Record<string, unknown>, token?: string): Promise<Obj>
  close(): Promise<void>
}

/** Builds a {@link NeutronFixture}; the password hasher is made cheap for tests. */
export async function neutronFixture(): Promise<NeutronFixture> {
  const cloud = await createCloud({
    store: sqliteStore({ path: ':memory:' }),
    identity: { passwordHashing: { memoryCost: 1024, timeCost: 1 } },
  })
  const ctx = cloud.system()
  const ops = await cloud.identity.createProject(ctx, { name: 'ops', domainId: 'default' })
  const dev = await cloud.identity.createProject(ctx, { name: 'dev', domainId: 'default' })
  const admin = await userWithToken(cloud, 'boss', 'admin', ops.id)
  const member = await userWithToken(cloud, 'pleb', 'member', ops.id)
  const other = await userWithToken(cloud, 'stranger', 'member', dev.id)
  const app = createApiServer({ cloud })
  await app.register(neutronApi, { prefix: '/network', cloud })
  await app.ready()
  const call: NeutronFixture['call'] = (method, path, body, token = member.token) =>
    app.inject({
      method: method as 'GET',
      url: `/network${path}`,
      headers: {
        host: 'neutron.test',
        ...(token !== null && { 'x-auth-token': token }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { payload: JSON.stringify(body) }),
    })
  return {
    cloud,
    app,
    opsId: ops.id,
    devId: dev.id,
    adminToken: admin.token,
    memberToken: member.token,
    devToken: other.token,
    call,
    async create(path, key, body, token = member.token) {
      const response = await call('POST', `/v2.0/${path}`, { [key]: body }, token)
      expect(response.statusCode, response.body).toBe(201)
      return response.json()[key]
    },
    async close() {
      await app.close()
      await cloud.close()
    },
  }
}

/** Neutron's error body of a type. */
export function neutronError(type: string) {
  return { NeutronError: { type, message: expect.any(String), detail: '' } }
}

/** Expects `response` to be a NeutronError of `status` and `type`, and returns its message. */
export function expectNeutronError(response: LightMyRequestResponse, status: number, type?: string): string {
  expect(response.statusCode, response.body).toBe(status)
  const body = response.json()
  expect(body).toEqual(neutronError(type ?? expect.any(String)))
  return body.NeutronError.message
}
