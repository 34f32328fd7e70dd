// Identity figures of issue 4, against Keystone 22 measured on this kind of machine (uwsgi, fernet, bcrypt 12):
// 2.6 tokens issued/s at 1 client, 43 validations/s at 1 client and 65/s at 8.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createApiServer, keystoneApi } from '../packages/openstack-api/src/index.js'
import { createCloud } from '../packages/sdk/src/index.js'
import { httpRate } from './http-load.js'
import { best, type Figure, rate } from './report.js'

const KEYSTONE_VALIDATE_1 = 43
const KEYSTONE_ISSUE_1 = 2.6

async function setup(cacheTtlMs: number) {
  const cloud = await createCloud({ identity: { tokenCacheTtlMs: cacheTtlMs }, tasks: { recoverEveryMs: 0 } })
  const ctx = cloud.system()
  const { identity } = cloud
  const project = await identity.createProject(ctx, { name: 'bench', domainId: 'default' })
  const password = 'bench password'
  const user = await identity.createUser(ctx, { name: 'bench', domainId: 'default', password })
  const admin = (await identity.listRoles(ctx, { name: 'admin' })).items[0]!
  await identity.grantRole(ctx, { roleId: admin.id, userId: user.id, projectId: project.id })
  const byPassword = {
    identity: { methods: ['password' as const], password: { user: { id: user.id, password } } },
    scope: { project: { id: project.id } },
  }
  const first = await identity.authenticate(byPassword)
  return { cloud, project, user, byPassword, first }
}

async function inProcess(): Promise<Figure[]> {
  const uncached = await setup(2000)
  const { cloud, first, byPassword } = uncached
  const { identity } = cloud
  const ctx = cloud.system()
  const tokens = await Promise.all(
    Array.from({ length: 20_000 }, () =>
      identity
        .authenticate({
          identity: { methods: ['token'], token: { id: first.token } },
        })
        .then((info) => info.token),
    ),
  )
  // Each token is validated once, so the per-token cache never hits; what its user and scope resolve to is
  // shared by all of them, as it is between the many tokens of one user in a real cloud.
  // One pass only: a second pass over the same tokens would hit the per-token cache.
  const validate = await rate(tokens.length, (i) => identity.validateToken(ctx, tokens[i]!))
  const cold = await setup(0)
  const coldTokens = await Promise.all(
    Array.from({ length: 1000 }, () =>
      cold.cloud.identity
        .authenticate({ identity: { methods: ['token'], token: { id: cold.first.token } } })
        .then((info) => info.token),
    ),
  )
  const coldCtx = cold.cloud.system()
  const uncachedRate = await best(3, () =>
    rate(coldTokens.length, (i) => cold.cloud.identity.validateToken(coldCtx, coldTokens[i]!)),
  )
  await cold.cloud.close()
  const rescope = await best(3, () =>
    rate(2000, () => identity.authenticate({ identity: { methods: ['token'], token: { id: first.token } } })),
  )
  const userCtx = await identity.contextFromToken(first.token)
  const cred = await identity.createApplicationCredential(userCtx, uncached.user.id, { name: 'bench' })
  const byAppCred = {
    identity: {
      methods: ['application_credential' as const],
      applicationCredential: { id: cred.id, secret: cred.secret! },
    },
  }
  const appCred = await best(3, () => rate(2000, () => identity.authenticate(byAppCred)))
  const hashes = 10
  const hashRate = await rate(hashes, () => identity.passwords.hash('a password of some length'))
  const passwordRate = await rate(hashes, () => identity.authenticate(byPassword))
  await cloud.close()

  const cached = await setup(60_000)
  const hit = await best(3, () =>
    rate(50_000, () => cached.cloud.identity.validateToken(cached.cloud.system(), cached.first.token)),
  )
  await cached.cloud.close()
  return [
    {
      name: 'token validation in-process, distinct tokens of one user (default 2 s caches)',
      value: validate,
      unit: '/s',
      goal: { ratio: 1, of: 10_000 },
    },
    {
      name: 'token validation in-process, caches off (every validation reads the store)',
      value: uncachedRate,
      unit: '/s',
      reference: { name: 'Keystone 22, 1 client', value: KEYSTONE_VALIDATE_1 },
    },
    {
      name: 'token validation in-process, cached',
      value: hit,
      unit: '/s',
      reference: { name: 'Keystone 22, 1 client', value: KEYSTONE_VALIDATE_1 },
    },
    { name: 'token issue by rescope', value: rescope, unit: '/s', goal: { ratio: 1, of: 2000 } },
    {
      name: 'token issue by application credential',
      value: appCred,
      unit: '/s',
      goal: { ratio: 1, of: 2000 },
    },
    { name: 'argon2id hash at the default cost (ms each)', value: 1000 / hashRate, unit: 'ms' },
    {
      name: 'token issue by password',
      value: passwordRate,
      unit: '/s',
      reference: { name: 'Keystone 22, 1 client', value: KEYSTONE_ISSUE_1 },
    },
  ]
}

async function overHttp(): Promise<Figure[]> {
  const { cloud, first } = await setup(2000)
  const app = createApiServer({ cloud })
  await app.register(keystoneApi, { prefix: '/identity', cloud })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const bare = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end('{"ok":true}')
  })
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve))
  const nubisUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/identity/v3/auth/tokens?nocatalog`
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`
  const headers = { 'x-auth-token': first.token, 'x-subject-token': first.token }
  const total = 20_000
  const nubis = await best(2, () =>
    httpRate({ url: nubisUrl, headers, connections: 8, total, expectStatus: 200 }),
  )
  const constant = await best(2, () => httpRate({ url: bareUrl, connections: 8, total, expectStatus: 200 }))
  await app.close()
  bare.close()
  await cloud.close()
  return [
    {
      name: 'token validation over HTTP, 8 connections',
      value: nubis,
      unit: '/s',
      reference: { name: 'bare node:http constant', value: constant },
      goal: { ratio: 0.25, of: 'reference' },
    },
    {
      name: 'token validation over HTTP vs Keystone 22 at 8 clients',
      value: nubis,
      unit: '/s',
      reference: { name: 'Keystone', value: 65 },
    },
  ]
}

/** The Identity figures: validation in-process and over HTTP, token issue rates, password hashing cost. */
export async function benchIdentity(): Promise<Figure[]> {
  return [...(await inProcess()), ...(await overHttp())]
}
