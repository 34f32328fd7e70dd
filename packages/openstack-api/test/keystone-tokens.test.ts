import { type Cloud, createCloud } from '@nubis/sdk'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiServer, keystoneApi } from '../src/index.js'
import { captureLogs } from './fixtures.js'

const PASSWORD = 'a long and secret password'

function passwordAuth(
  name: string,
  password: string,
  scope: unknown = { project: { name: 'demo', domain: { id: 'default' } } },
) {
  return {
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name, domain: { name: 'Default' }, password } },
      },
      scope,
    },
  }
}

describe('Keystone /v3/auth/tokens', () => {
  let cloud: Cloud
  let app: FastifyInstance
  const logs = captureLogs('trace')

  beforeAll(async () => {
    cloud = await createCloud({ identity: { passwordHashing: { memoryCost: 1024, timeCost: 1 } } })
    const ctx = cloud.system()
    const project = await cloud.identity.createProject(ctx, { name: 'demo', domainId: 'default' })
    const user = await cloud.identity.createUser(ctx, {
      name: 'demo',
      domainId: 'default',
      password: PASSWORD,
    })
    const member = (await cloud.identity.listRoles(ctx, { name: 'member' })).items[0]!
    await cloud.identity.grantRole(ctx, { roleId: member.id, userId: user.id, projectId: project.id })
    app = createApiServer({ cloud, logger: logs.logger })
    await app.register(keystoneApi, { prefix: '/identity', cloud })
  })
  afterAll(async () => {
    await app.close()
    await cloud.close()
  })

  const issue = (body: unknown) =>
    app.inject({ method: 'POST', url: '/identity/v3/auth/tokens', payload: body as object })

  it('issues, validates and revokes a token as Keystone does', async () => {
    const created = await issue(passwordAuth('demo', PASSWORD))
    expect(created.statusCode).toBe(201)
    const token = created.headers['x-subject-token'] as string
    const body = created.json().token
    expect(body.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    expect(body.project.name).toBe('demo')
    expect(body.roles.map((r: { name: string }) => r.name).sort()).toEqual(['member', 'reader'])
    expect(body.catalog).toEqual([])

    const headers = { 'x-auth-token': token, 'x-subject-token': token }
    const valid = await app.inject({ method: 'GET', url: '/identity/v3/auth/tokens', headers })
    expect(valid.statusCode).toBe(200)
    expect(valid.json().token.audit_ids).toEqual(body.audit_ids)
    expect((await app.inject({ method: 'HEAD', url: '/identity/v3/auth/tokens', headers })).statusCode).toBe(
      200,
    )

    expect(
      (await app.inject({ method: 'DELETE', url: '/identity/v3/auth/tokens', headers })).statusCode,
    ).toBe(204)
    const other = (await issue(passwordAuth('demo', PASSWORD))).headers['x-subject-token'] as string
    const gone = await app.inject({
      method: 'GET',
      url: '/identity/v3/auth/tokens',
      headers: { 'x-auth-token': other, 'x-subject-token': token },
    })
    expect(gone.statusCode).toBe(404)
    expect(gone.json().error.code).toBe(404)
    const used = await app.inject({
      method: 'GET',
      url: '/identity/v3/auth/catalog',
      headers: { 'x-auth-token': token },
    })
    expect(used.statusCode).toBe(401)
  })

  it('answers an unknown user and a wrong password with the same 401 body', async () => {
    const wrong = await issue(passwordAuth('demo', 'not it'))
    const unknown = await issue(passwordAuth('nobody', PASSWORD))
    expect(wrong.statusCode).toBe(401)
    expect(unknown.statusCode).toBe(401)
    expect(wrong.json()).toEqual(unknown.json())
    expect(wrong.json().error.title).toBe('Unauthorized')
  })

  it('answers malformed JSON with the Keystone 400 body', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/identity/v3/auth/tokens',
      headers: { 'content-type': 'application/json' },
      payload: '{"auth": ',
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().error).toMatchObject({ code: 400, title: 'Bad Request' })
  })

  it('never answers 500 to any auth body or token header (fuzz)', async () => {
    const value = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null))
    const identity = fc.record(
      {
        methods: fc.oneof(
          fc.array(fc.constantFrom('password', 'token', 'application_credential', 'x')),
          value,
        ),
        password: fc.oneof(
          fc.record({ user: fc.dictionary(fc.constantFrom('id', 'name', 'domain', 'password'), value) }),
          value,
        ),
        token: fc.oneof(fc.record({ id: fc.string() }), value),
        application_credential: fc.oneof(
          fc.dictionary(fc.constantFrom('id', 'name', 'secret', 'user'), value),
          value,
        ),
      },
      { requiredKeys: [] },
    )
    const body = fc.oneof(
      fc.record({ auth: fc.record({ identity, scope: fc.oneof(value, fc.object()) }, { requiredKeys: [] }) }),
      fc.object(),
    )
    await fc.assert(
      fc.asyncProperty(body, fc.string(), async (payload, token) => {
        const issued = await issue(payload)
        expect([400, 401]).toContain(issued.statusCode)
        const checked = await app.inject({
          method: 'GET',
          url: '/identity/v3/auth/tokens',
          headers: { 'x-auth-token': token.replace(/[^\x21-\x7e]/g, '') || 'x', 'x-subject-token': 'y' },
        })
        expect(checked.statusCode).toBe(401)
      }),
      { numRuns: 300 },
    )
  })

  it('never writes a password or a token to the logs', async () => {
    const created = await issue(passwordAuth('demo', PASSWORD))
    const token = created.headers['x-subject-token'] as string
    await app.inject({
      method: 'GET',
      url: '/identity/v3/auth/tokens',
      headers: { 'x-auth-token': token, 'x-subject-token': token },
    })
    expect(logs.lines.length).toBeGreaterThan(0)
    expect(logs.text()).not.toContain(PASSWORD)
    expect(logs.text()).not.toContain(token)
  })
})
