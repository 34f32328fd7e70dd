import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isoTime } from '../../src/core/clock.js'
import { isCloudError } from '../../src/core/errors.js'
import { ensureIdentityDefaults } from '../../src/identity/defaults.js'
import { admin, domainReader, type Fixture, fixture, memberOf, systemReader } from './deps.js'

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isCloudError(error) ? error.code : String(error)),
  )

describe('roles', () => {
  let f: Fixture
  beforeEach(async () => {
    f = await fixture('sqlite')
  })
  afterEach(() => f.close())

  it('has the default roles admin ⇒ member ⇒ reader, and creating the defaults again changes nothing', async () => {
    const names = async () => (await f.id.listRoles(admin)).items.map((r) => r.name).sort()
    expect(await names()).toEqual(['admin', 'member', 'reader', 'service'])
    await f.store.transaction((tx) => ensureIdentityDefaults(tx, isoTime()))
    expect(await names()).toEqual(['admin', 'member', 'reader', 'service'])
    const rules = await f.id.listRoleInferenceRules(admin)
    expect(rules.map((r) => [r.priorRole.name, r.implies.map((i) => i.name)])).toEqual([
      ['admin', ['member']],
      ['member', ['reader']],
    ])
    expect((await f.id.listDomains(admin)).items.map((d) => [d.id, d.name])).toEqual([['default', 'Default']])
  })

  it('keeps global and domain roles apart: null domain for global ones, names unique per domain', async () => {
    const global = await f.id.createRole(admin, { name: 'observer' })
    expect(global.domainId).toBeNull()
    expect(await code(f.id.createRole(admin, { name: 'observer' }))).toBe('CONFLICT')
    const d = await f.id.createDomain(admin, { name: 'acme' })
    const local = await f.id.createRole(admin, { name: 'observer', domainId: d.id })
    expect(local.domainId).toBe(d.id)
    expect(await code(f.id.createRole(admin, { name: 'observer', domainId: d.id }))).toBe('CONFLICT')
    expect((await f.id.listRoles(admin, { domainId: d.id })).items.map((r) => r.id)).toEqual([local.id])
    expect((await f.id.listRoles(admin, { name: 'observer' })).items.map((r) => r.id)).toEqual([global.id])
    expect((await f.id.getRole(domainReader(d.id), local.id)).name).toBe('observer')
    expect(await code(f.id.getRole(domainReader(d.id), global.id))).toBe('FORBIDDEN')
    expect((await f.id.getRole(systemReader, global.id)).name).toBe('observer')
    expect(await code(f.id.createRole(memberOf('p'), { name: 'x' }))).toBe('FORBIDDEN')
  })

  it('updates roles, refuses to change or delete immutable ones', async () => {
    const r = await f.id.createRole(admin, { name: 'observer', options: { immutable: true } })
    expect(await code(f.id.updateRole(admin, r.id, { description: 'x' }))).toBe('FORBIDDEN')
    expect(await code(f.id.deleteRole(admin, r.id))).toBe('FORBIDDEN')
    await f.id.updateRole(admin, r.id, { options: { immutable: false } })
    expect((await f.id.updateRole(admin, r.id, { description: 'sees' })).description).toBe('sees')
    await f.id.deleteRole(admin, r.id)
    expect(await code(f.id.getRole(admin, r.id))).toBe('NOT_FOUND')
  })

  it('deletes a role with its grants and rules, revoking the tokens of its holders', async () => {
    const r = await f.id.createRole(admin, { name: 'observer' })
    await f.id.createImpliedRole(admin, r.id, await f.role('reader'))
    const ann = await f.id.createUser(admin, { name: 'ann' })
    const bob = await f.id.createUser(admin, { name: 'bob' })
    const g = await f.id.createGroup(admin, { name: 'ops' })
    await f.id.addUserToGroup(admin, g.id, bob.id)
    const p = await f.id.createProject(admin, { name: 'p' })
    await f.id.grantRole(admin, { roleId: r.id, userId: ann.id, projectId: p.id })
    await f.id.grantRole(admin, { roleId: r.id, groupId: g.id, projectId: p.id })
    await f.id.deleteRole(admin, r.id)
    expect(f.revoked).toEqual(
      expect.arrayContaining([
        { userId: ann.id, roleId: r.id },
        { userId: bob.id, roleId: r.id },
      ]),
    )
    expect(await f.store.db.selectFrom('identity_assignments').selectAll().execute()).toEqual([])
    expect((await f.id.listRoleInferenceRules(admin)).map((x) => x.priorRole.name)).toEqual([
      'admin',
      'member',
    ])
  })

  it('manages implied roles and refuses cycles, admin as implied role, and global ⇒ domain rules', async () => {
    const [adminRole, member, reader] = [
      await f.role('admin'),
      await f.role('member'),
      await f.role('reader'),
    ]
    const observer = await f.id.createRole(admin, { name: 'observer' })
    const rule = await f.id.createImpliedRole(admin, observer.id, reader)
    expect(rule.priorRole.name).toBe('observer')
    expect(rule.implies.map((r) => r.name)).toEqual(['reader'])
    expect((await f.id.getImpliedRole(admin, observer.id, reader)).implies[0]!.id).toBe(reader)
    expect((await f.id.listImpliedRoles(admin, member)).implies.map((r) => r.name)).toEqual(['reader'])
    expect(await code(f.id.createImpliedRole(admin, reader, observer.id))).toBe('INVALID')
    expect(await code(f.id.createImpliedRole(admin, reader, adminRole))).toBe('FORBIDDEN')
    expect(await code(f.id.createImpliedRole(admin, reader, reader))).toBe('INVALID')
    const d = await f.id.createDomain(admin, { name: 'acme' })
    const local = await f.id.createRole(admin, { name: 'local', domainId: d.id })
    expect(await code(f.id.createImpliedRole(admin, reader, local.id))).toBe('FORBIDDEN')
    await f.id.createImpliedRole(admin, local.id, reader)
    expect(await code(f.id.createImpliedRole(memberOf('p'), observer.id, member))).toBe('FORBIDDEN')

    await f.id.deleteImpliedRole(admin, observer.id, reader)
    expect(await code(f.id.getImpliedRole(admin, observer.id, reader))).toBe('NOT_FOUND')
    expect(await code(f.id.deleteImpliedRole(admin, observer.id, reader))).toBe('NOT_FOUND')
  })
})
