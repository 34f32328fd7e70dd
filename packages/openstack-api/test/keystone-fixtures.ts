import { type Cloud, createCloud } from '@nubis/sdk'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import { createApiServer, keystoneApi } from '../src/index.js'

/** The password of every user the fixture makes. */
export const PASSWORD = 'a long and secret password'

/** A Keystone server over a fresh in-memory cloud, with an admin and a member, each with a project token. */
export interface KeystoneFixture {
  cloud: Cloud
  app: FastifyInstance
  /** The project both users have a role on. */
  projectId: string
  adminId: string
  memberId: string
  adminToken: string
  memberToken: string
  /** Sends a request to `/identity{path}` with `token` (the admin's by default). */
  call(method: string, path: string, body?: unknown, token?: string): Promise<LightMyRequestResponse>
  close(): Promise<void>
}

/** A user with a password and `roleName` on `projectId`, and a token scoped to that project. */
export async function userWithToken(cloud: Cloud, name: string, roleName: string, projectId: string) {
  const ctx = cloud.system()
  const user = await cloud.identity.createUser(ctx, { name, domainId: 'default', password: PASSWORD })
  const role = (await cloud.identity.listRoles(ctx, { name: roleName })).items[0]!
  await cloud.identity.grantRole(ctx, { roleId: role.id, userId: user.id, projectId })
  const { token } = await cloud.identity.authenticate({
    identity: { methods: ['password'], password: { user: { id: user.id, password: PASSWORD } } },
    scope: { project: { id: projectId } },
  })
  return { user, token }
}

/** Builds a {@link KeystoneFixture}; the password hasher is made cheap for tests. */
export async function keystoneFixture(): Promise<KeystoneFixture> {
  const cloud = await createCloud({ identity: { passwordHashing: { memoryCost: 1024, timeCost: 1 } } })
  const project = await cloud.identity.createProject(cloud.system(), { name: 'ops', domainId: 'default' })
  const admin = await userWithToken(cloud, 'boss', 'admin', project.id)
  const member = await userWithToken(cloud, 'pleb', 'member', project.id)
  const app = createApiServer({ cloud })
  await app.register(keystoneApi, { prefix: '/identity', cloud })
  await app.ready()
  return {
    cloud,
    app,
    projectId: project.id,
    adminId: admin.user.id,
    memberId: member.user.id,
    adminToken: admin.token,
    memberToken: member.token,
    call: (method, path, body, token = admin.token) =>
      app.inject({
        method: method as 'GET',
        url: `/identity${path}`,
        headers: { host: 'keystone.test', ...(token && { 'x-auth-token': token }) },
        ...(body !== undefined && { payload: body as object }),
      }),
    async close() {
      await app.close()
      await cloud.close()
    },
  }
}

/** The Keystone error body of a status. */
export function keystoneError(code: number, title: string) {
  return { error: { code, title, message: expect.any(String) } }
}
