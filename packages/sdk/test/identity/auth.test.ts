import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CloudError } from '../../src/core/errors.js'
import { AUTH_FAILED } from '../../src/identity/principals.js'
import { type AuthFixture, alicePassword, authFixture } from './auth-fixture.js'

const HOUR = 3_600_000

async function failure(promise: Promise<unknown>): Promise<CloudError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(CloudError)
  return error as CloudError
}

describe('authentication', () => {
  let f: AuthFixture
  beforeEach(async () => {
    f = await authFixture()
  })
  afterEach(() => f.close())

  it('issues a project token by password, with implied roles, that validates to the same facts', async () => {
    const info = await f.cloud.identity.authenticate(alicePassword(f))
    expect(info.project).toEqual({ id: f.projectId, name: 'web', domain: { id: 'default', name: 'Default' } })
    expect(info.roles.map((r) => r.name).sort()).toEqual(['member', 'reader'])
    expect(info.expiresAt - info.issuedAt).toBe(HOUR)
    const ctx = await f.cloud.identity.contextFromToken(info.token)
    expect(ctx).toMatchObject({ userId: f.aliceId, projectId: f.projectId, system: false })
    expect(ctx.roles.sort()).toEqual(['member', 'reader'])
  })

  it('answers an unknown user and a wrong password with the same 401', async () => {
    const wrong = await failure(f.cloud.identity.authenticate(alicePassword(f, 'nope')))
    const unknown = alicePassword(f)
    unknown.identity.password.user.name = 'mallory'
    const missing = await failure(f.cloud.identity.authenticate(unknown))
    expect([wrong.code, missing.code]).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED'])
    expect(wrong.message).toBe(AUTH_FAILED)
    expect(missing.message).toBe(AUTH_FAILED)
  })

  it('refuses a disabled user, and stops validating their tokens', async () => {
    const info = await f.cloud.identity.authenticate(alicePassword(f))
    await f.cloud.identity.updateUser(f.cloud.system(), f.aliceId, { enabled: false })
    expect((await failure(f.cloud.identity.authenticate(alicePassword(f)))).code).toBe('UNAUTHORIZED')
    expect((await failure(f.cloud.identity.contextFromToken(info.token))).code).toBe('UNAUTHORIZED')
  })

  it('stops validating a token once its project is disabled or its role removed', async () => {
    const info = await f.cloud.identity.authenticate(alicePassword(f))
    const sys = f.cloud.system()
    const member = (await f.cloud.identity.listRoles(sys, { name: 'member' })).items[0]!
    await f.cloud.identity.revokeRole(sys, { roleId: member.id, userId: f.aliceId, projectId: f.projectId })
    expect((await failure(f.cloud.identity.validateToken(sys, info.token))).code).toBe('NOT_FOUND')
  })

  it('expires tokens after the configured lifetime', async () => {
    const info = await f.cloud.identity.authenticate(alicePassword(f))
    await f.clock.advance(HOUR - 1)
    await f.cloud.identity.validateToken(f.cloud.system(), info.token)
    await f.clock.advance(1)
    expect((await failure(f.cloud.identity.validateToken(f.cloud.system(), info.token))).code).toBe(
      'NOT_FOUND',
    )
  })

  it('rescopes an unscoped token to a project, keeping its expiry and audit chain', async () => {
    const unscoped = await f.cloud.identity.authenticate({ ...alicePassword(f), scope: 'unscoped' })
    expect(unscoped.project).toBeUndefined()
    expect(unscoped.roles).toEqual([])
    const scoped = await f.cloud.identity.authenticate({
      identity: { methods: ['token'], token: { id: unscoped.token } },
      scope: { project: { id: f.projectId } },
    })
    expect(scoped.project?.id).toBe(f.projectId)
    expect(scoped.expiresAt).toBe(unscoped.expiresAt)
    expect(scoped.auditIds[1]).toBe(unscoped.auditIds[0])
  })

  it('revokes a token and the tokens rescoped from it', async () => {
    const sys = f.cloud.system()
    const first = await f.cloud.identity.authenticate(alicePassword(f))
    const rescoped = await f.cloud.identity.authenticate({
      identity: { methods: ['token'], token: { id: first.token } },
    })
    const other = await f.cloud.identity.authenticate(alicePassword(f))
    await f.cloud.identity.revokeToken(sys, first.token)
    expect((await failure(f.cloud.identity.validateToken(sys, first.token))).code).toBe('NOT_FOUND')
    expect((await failure(f.cloud.identity.validateToken(sys, rescoped.token))).code).toBe('NOT_FOUND')
    await f.cloud.identity.validateToken(sys, other.token)
  })

  it('revokes every token of a user who changes their password, and takes only the new one', async () => {
    const before = await f.cloud.identity.authenticate(alicePassword(f))
    await f.clock.advance(1)
    await f.cloud.identity.changePassword(f.aliceId, { originalPassword: f.password, password: 'new one' })
    expect((await failure(f.cloud.identity.contextFromToken(before.token))).code).toBe('UNAUTHORIZED')
    expect((await failure(f.cloud.identity.authenticate(alicePassword(f)))).code).toBe('UNAUTHORIZED')
    await f.cloud.identity.authenticate(alicePassword(f, 'new one'))
  })

  it('keeps validating tokens across a key rotation', async () => {
    const info = await f.cloud.identity.authenticate(alicePassword(f))
    await f.cloud.identity.rotateTokenKeys(f.cloud.system())
    const after = await f.cloud.identity.authenticate(alicePassword(f))
    await f.cloud.identity.validateToken(f.cloud.system(), info.token)
    await f.cloud.identity.validateToken(f.cloud.system(), after.token)
  })

  it('rejects garbage and altered tokens as NOT_FOUND', async () => {
    const sys = f.cloud.system()
    const info = await f.cloud.identity.authenticate(alicePassword(f))
    const flipped = info.token.slice(0, 20) + (info.token[20] === 'A' ? 'B' : 'A') + info.token.slice(21)
    for (const token of ['', 'x', flipped, `${info.token}A`, info.token.slice(0, -2)]) {
      expect((await failure(f.cloud.identity.validateToken(sys, token))).code).toBe('NOT_FOUND')
    }
  })
})

describe('lockout', () => {
  it('locks a user out after N failures for the configured time', async () => {
    const f = await authFixture({ securityCompliance: { lockoutFailureAttempts: 2, lockoutDurationSec: 60 } })
    try {
      for (let i = 0; i < 2; i++) await failure(f.cloud.identity.authenticate(alicePassword(f, 'bad')))
      const locked = await failure(f.cloud.identity.authenticate(alicePassword(f)))
      expect(locked.code).toBe('UNAUTHORIZED')
      expect(locked.message).toContain('locked')
      await f.clock.advance(60_001)
      await f.cloud.identity.authenticate(alicePassword(f))
    } finally {
      await f.close()
    }
  })
})
