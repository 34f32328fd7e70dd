import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createContext } from '../../src/core/context.js'
import { isCloudError } from '../../src/core/errors.js'
import { admin, type Fixture, fixture, memberOf } from './deps.js'

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isCloudError(error) ? error.code : String(error)),
  )

describe('groups', () => {
  let f: Fixture
  beforeEach(async () => {
    f = await fixture('sqlite')
  })
  afterEach(() => f.close())

  it('creates, renames and lists groups; names are unique within a domain', async () => {
    const g = await f.id.createGroup(admin, { name: 'ops', description: 'operators' })
    expect(g).toMatchObject({ name: 'ops', domainId: 'default', description: 'operators' })
    expect(await code(f.id.createGroup(admin, { name: 'ops' }))).toBe('CONFLICT')
    await f.id.createGroup(admin, { name: 'dev' })
    expect(await code(f.id.updateGroup(admin, g.id, { name: 'dev' }))).toBe('CONFLICT')
    expect((await f.id.updateGroup(admin, g.id, { name: 'sre' })).name).toBe('sre')
    expect((await f.id.listGroups(admin, { name: 'sre' })).items.map((x) => x.id)).toEqual([g.id])
    expect(await f.id.getGroup(admin, g.id)).toMatchObject({ name: 'sre' })
  })

  it('adds, checks, lists and removes members; removal revokes the member tokens', async () => {
    const g = await f.id.createGroup(admin, { name: 'ops' })
    const ann = await f.id.createUser(admin, { name: 'ann' })
    await f.id.addUserToGroup(admin, g.id, ann.id)
    await f.id.addUserToGroup(admin, g.id, ann.id)
    await f.id.checkUserInGroup(admin, g.id, ann.id)
    expect((await f.id.listUsersInGroup(admin, g.id)).map((u) => u.name)).toEqual(['ann'])
    expect((await f.id.listGroupsForUser(admin, ann.id)).map((x) => x.name)).toEqual(['ops'])
    const self = createContext({ userId: ann.id, projectId: 'p', roles: ['reader'] })
    expect((await f.id.listGroupsForUser(self, ann.id)).map((x) => x.name)).toEqual(['ops'])
    expect(await code(f.id.addUserToGroup(self, g.id, ann.id))).toBe('FORBIDDEN')

    await f.id.removeUserFromGroup(admin, g.id, ann.id)
    expect(f.revoked).toEqual([{ userId: ann.id }])
    expect(await code(f.id.checkUserInGroup(admin, g.id, ann.id))).toBe('NOT_FOUND')
    expect(await code(f.id.removeUserFromGroup(admin, g.id, ann.id))).toBe('NOT_FOUND')
    expect(await code(f.id.addUserToGroup(admin, g.id, 'nobody'))).toBe('NOT_FOUND')
    const types = f.events.map((e) => e.type)
    expect(types.filter((t) => t === 'identity.group_membership.created')).toHaveLength(1)
    expect(types).toContain('identity.group_membership.deleted')
  })

  it('deletes a group with its memberships and grants, revoking its members', async () => {
    const g = await f.id.createGroup(admin, { name: 'ops' })
    const ann = await f.id.createUser(admin, { name: 'ann' })
    const bob = await f.id.createUser(admin, { name: 'bob' })
    await f.id.addUserToGroup(admin, g.id, ann.id)
    await f.id.addUserToGroup(admin, g.id, bob.id)
    await f.id.grantRole(admin, { roleId: await f.role('member'), groupId: g.id, domainId: 'default' })
    expect(await code(f.id.deleteGroup(memberOf('p'), g.id))).toBe('FORBIDDEN')
    await f.id.deleteGroup(admin, g.id)
    expect(f.revoked).toEqual(expect.arrayContaining([{ userId: ann.id }, { userId: bob.id }]))
    expect(f.revoked).toHaveLength(2)
    expect(await f.id.listGroupsForUser(admin, ann.id)).toEqual([])
    expect(await f.store.db.selectFrom('identity_assignments').selectAll().execute()).toEqual([])
  })
})
