import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createContext } from '../../src/core/context.js'
import { isCloudError } from '../../src/core/errors.js'
import { admin, domainReader, type Fixture, fixture, memberOf, systemReader } from './deps.js'

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isCloudError(error) ? error.code : String(error)),
  )

describe.each(['sqlite', 'postgres'] as const)('users on %s', (dialect) => {
  let f: Fixture
  beforeEach(async () => {
    f = await fixture(dialect, { uniqueLastPasswordCount: 2 })
  })
  afterEach(() => f.close())

  const stored = (id: string) =>
    f.store.db.selectFrom('identity_users').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  const history = async (id: string) =>
    (
      await f.store.db
        .selectFrom('identity_password_history')
        .select('hash')
        .where('user_id', '=', id)
        .orderBy('created_at')
        .execute()
    ).map((row) => row.hash)

  it('creates users with a hashed password it never shows; names are unique within a domain', async () => {
    const u = await f.id.createUser(admin, { name: 'ann', password: 'secret', email: 'ann@example.org' })
    expect(u).toMatchObject({ name: 'ann', domainId: 'default', enabled: true, email: 'ann@example.org' })
    expect(u.passwordExpiresAt).toBeNull()
    expect(JSON.stringify(u)).not.toContain('secret')
    expect((await stored(u.id)).password_hash).toBe('fake$secret')
    expect(await history(u.id)).toEqual(['fake$secret'])
    expect(await code(f.id.createUser(admin, { name: 'ann' }))).toBe('CONFLICT')
    const d = await f.id.createDomain(admin, { name: 'acme' })
    await f.id.createUser(admin, { name: 'ann', domainId: d.id })
    expect(await code(f.id.createUser(admin, { name: 'bob', domainId: 'nope' }))).toBe('NOT_FOUND')
  })

  it('replaces passwords, keeps the configured history and revokes tokens', async () => {
    const u = await f.id.createUser(admin, { name: 'ann', password: 'one' })
    await f.clock.advance(1000)
    await f.id.updateUser(admin, u.id, { password: 'two' })
    await f.clock.advance(1000)
    await f.id.updateUser(admin, u.id, { password: 'three' })
    expect(await history(u.id)).toEqual(['fake$two', 'fake$three'])
    expect((await stored(u.id)).password_hash).toBe('fake$three')
    expect(f.revoked).toEqual([{ userId: u.id }, { userId: u.id }])
  })

  it('revokes tokens of a disabled user, and deletes a user with memberships, grants and history', async () => {
    const u = await f.id.createUser(admin, { name: 'ann', password: 'pw' })
    const g = await f.id.createGroup(admin, { name: 'ops' })
    await f.id.addUserToGroup(admin, g.id, u.id)
    const p = await f.id.createProject(admin, { name: 'p' })
    await f.id.grantRole(admin, { roleId: await f.role('reader'), userId: u.id, projectId: p.id })
    await f.id.updateUser(admin, u.id, { enabled: false })
    expect(f.revoked).toEqual([{ userId: u.id }])
    await f.id.deleteUser(admin, u.id)
    expect(await code(f.id.getUser(admin, u.id))).toBe('NOT_FOUND')
    expect(await f.id.listUsersInGroup(admin, g.id)).toEqual([])
    expect(await f.store.db.selectFrom('identity_assignments').selectAll().execute()).toEqual([])
    expect(await history(u.id)).toEqual([])
    expect(f.revoked).toEqual([{ userId: u.id }, { userId: u.id }])
  })
})

describe('users', () => {
  let f: Fixture
  afterEach(() => f.close())

  it('lets an admin-set password expire at once when users must change it upon first use', async () => {
    f = await fixture('sqlite', { changePasswordUponFirstUse: true })
    const u = await f.id.createUser(admin, { name: 'ann', password: 'pw' })
    expect(u.passwordExpiresAt).toBe(u.createdAt)
    const v = await f.id.createUser(admin, {
      name: 'svc',
      password: 'pw',
      options: { ignore_change_password_upon_first_use: true },
    })
    expect(v.passwordExpiresAt).toBeNull()
  })

  it('sets expiry from password_expires_days unless the user ignores it', async () => {
    f = await fixture('sqlite', { passwordExpiresDays: 10 })
    const u = await f.id.createUser(admin, { name: 'ann', password: 'pw' })
    expect(Date.parse(u.passwordExpiresAt!) - Date.parse(u.createdAt)).toBe(10 * 86_400_000)
    const updated = await f.id.updateUser(admin, u.id, {
      options: { ignore_password_expiry: true },
      password: 'x',
    })
    expect(updated.passwordExpiresAt).toBeNull()
    expect(updated.options).toEqual({ ignore_password_expiry: true })
  })

  it('lists with filters and lets only admins and readers in scope see users', async () => {
    f = await fixture('sqlite')
    const d = await f.id.createDomain(admin, { name: 'acme' })
    const ann = await f.id.createUser(admin, { name: 'ann', domainId: d.id })
    await f.id.createUser(admin, { name: 'bob', enabled: false })
    expect((await f.id.listUsers(admin, { enabled: false })).items.map((u) => u.name)).toEqual(['bob'])
    expect((await f.id.listUsers(admin, { domainId: d.id })).items.map((u) => u.name)).toEqual(['ann'])
    expect((await f.id.listUsers(systemReader)).items).toHaveLength(2)
    expect((await f.id.listUsers(domainReader(d.id))).items.map((u) => u.name)).toEqual(['ann'])
    // Members may not list users; a user may read themself.
    expect(await code(f.id.listUsers(memberOf('p1')))).toBe('FORBIDDEN')
    const self = createContext({ userId: ann.id, projectId: 'p1', roles: ['member', 'reader'] })
    expect((await f.id.getUser(self, ann.id)).name).toBe('ann')
    expect(await code(f.id.updateUser(self, ann.id, { email: 'x' }))).toBe('FORBIDDEN')
    expect(await code(f.id.createUser(systemReader, { name: 'x' }))).toBe('FORBIDDEN')
  })
})
