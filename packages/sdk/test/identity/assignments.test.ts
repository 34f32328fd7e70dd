import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isCloudError } from '../../src/core/errors.js'
import { effectiveRoles } from '../../src/identity/assignments.js'
import type { RoleAssignment } from '../../src/identity/role-schemas.js'
import { admin, domainReader, type Fixture, fixture, memberOf } from './deps.js'

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isCloudError(error) ? error.code : String(error)),
  )

describe.each(['sqlite', 'postgres'] as const)('assignments on %s', (dialect) => {
  let f: Fixture
  // Domain acme: top ⊃ child ⊃ grandchild, and side. ann, bob (member of group ops), carol.
  let w: Record<
    'acme' | 'top' | 'child' | 'grandchild' | 'side' | 'ann' | 'bob' | 'carol' | 'ops' | 'local',
    string
  >
  let role: Record<'admin' | 'member' | 'reader' | 'service', string>

  beforeEach(async () => {
    f = await fixture(dialect)
    const acme = (await f.id.createDomain(admin, { name: 'acme' })).id
    const top = (await f.id.createProject(admin, { name: 'top', domainId: acme })).id
    const child = (await f.id.createProject(admin, { name: 'child', parentId: top })).id
    const grandchild = (await f.id.createProject(admin, { name: 'grandchild', parentId: child })).id
    const side = (await f.id.createProject(admin, { name: 'side', domainId: acme })).id
    const ann = (await f.id.createUser(admin, { name: 'ann', domainId: acme })).id
    const bob = (await f.id.createUser(admin, { name: 'bob' })).id
    const carol = (await f.id.createUser(admin, { name: 'carol' })).id
    const ops = (await f.id.createGroup(admin, { name: 'ops', domainId: acme })).id
    await f.id.addUserToGroup(admin, ops, bob)
    // A domain-specific role only counts through the global role it implies.
    const local = (await f.id.createRole(admin, { name: 'local', domainId: acme })).id
    role = {
      admin: await f.role('admin'),
      member: await f.role('member'),
      reader: await f.role('reader'),
    } as never
    role.service = await f.role('service')
    await f.id.createImpliedRole(admin, local, role.service)
    w = { acme, top, child, grandchild, side, ann, bob, carol, ops, local }

    await f.id.grantRole(admin, { roleId: role.member, userId: ann, projectId: top })
    await f.id.grantRole(admin, { roleId: role.admin, userId: ann, projectId: top, inherited: true })
    await f.id.grantRole(admin, { roleId: local, userId: ann, projectId: child })
    await f.id.grantRole(admin, { roleId: role.reader, groupId: ops, domainId: acme, inherited: true })
    await f.id.grantRole(admin, { roleId: role.member, groupId: ops, domainId: acme })
    await f.id.grantRole(admin, { roleId: role.admin, userId: carol, system: 'all' })
  })
  afterEach(() => f.close())

  const names = async (userId: string, scope: Parameters<typeof effectiveRoles>[2]) =>
    (await effectiveRoles(f.store.db, userId, scope)).map((r) => r.name)

  it('computes the roles a token carries: groups, inheritance and implied roles, no domain roles', async () => {
    expect(await names(w.ann, { projectId: w.top })).toEqual(['member', 'reader'])
    expect(await names(w.ann, { projectId: w.child })).toEqual(['admin', 'member', 'reader', 'service'])
    expect(await names(w.ann, { projectId: w.grandchild })).toEqual(['admin', 'member', 'reader'])
    expect(await names(w.ann, { projectId: w.side })).toEqual([])
    expect(await names(w.ann, { domainId: w.acme })).toEqual([])
    expect(await names(w.bob, { projectId: w.grandchild })).toEqual(['reader'])
    expect(await names(w.bob, { projectId: w.side })).toEqual(['reader'])
    expect(await names(w.bob, { domainId: w.acme })).toEqual(['member', 'reader'])
    expect(await names(w.carol, { system: true })).toEqual(['admin', 'member', 'reader'])
    expect(await names(w.carol, { projectId: w.top })).toEqual([])
    expect(await names(w.bob, { projectId: 'no-such-project' })).toEqual([])
    const [first] = await effectiveRoles(f.store.db, w.carol, { system: true })
    expect(first).toEqual({ id: role.admin, name: 'admin' })
  })

  it('lists stored grants with filters and subtrees', async () => {
    const key = (a: RoleAssignment) =>
      `${a.user ? `u:${a.user.id}` : `g:${a.group!.id}`}@${'project' in a.scope ? a.scope.project.id : 'domain' in a.scope ? a.scope.domain.id : 'system'}:${a.role.id}${a.inherited ? '+' : ''}`
    const list = async (filters: Parameters<typeof f.id.listRoleAssignments>[1]) =>
      (await f.id.listRoleAssignments(admin, filters)).map(key).sort()
    expect(await list({ userId: w.ann })).toEqual(
      [
        `u:${w.ann}@${w.top}:${role.member}`,
        `u:${w.ann}@${w.top}:${role.admin}+`,
        `u:${w.ann}@${w.child}:${w.local}`,
      ].sort(),
    )
    expect(await list({ projectId: w.top })).toHaveLength(2)
    expect(await list({ projectId: w.top, includeSubtree: true })).toHaveLength(3)
    expect(await list({ domainId: w.acme })).toEqual(
      [`g:${w.ops}@${w.acme}:${role.reader}+`, `g:${w.ops}@${w.acme}:${role.member}`].sort(),
    )
    expect(await list({ system: 'all' })).toEqual([`u:${w.carol}@system:${role.admin}`])
    expect(await list({ roleId: role.admin, inherited: true })).toEqual([
      `u:${w.ann}@${w.top}:${role.admin}+`,
    ])
    expect(await list({})).toHaveLength(6)
  })

  it('lists effective assignments as Keystone does', async () => {
    const grand = await f.id.listRoleAssignments(admin, { effective: true, projectId: w.grandchild })
    const summary = grand.map((a) => [a.user?.id, a.role.id, a.membership, a.priorRoleId, a.inheritedFrom])
    expect(summary).toEqual(
      expect.arrayContaining([
        [w.ann, role.admin, undefined, undefined, { projectId: w.top }],
        [w.ann, role.member, undefined, role.admin, { projectId: w.top }],
        [w.ann, role.reader, undefined, role.member, { projectId: w.top }],
        [w.bob, role.reader, w.ops, undefined, { domainId: w.acme }],
      ]),
    )
    expect(grand).toHaveLength(4)
    expect(
      grand.every((a) => !a.inherited && 'project' in a.scope && a.scope.project.id === w.grandchild),
    ).toBe(true)

    const child = await f.id.listRoleAssignments(admin, {
      effective: true,
      userId: w.ann,
      projectId: w.child,
    })
    expect(child.map((a) => a.role.id).sort()).toEqual(
      [role.admin, role.member, role.reader, role.service].sort(),
    )
    expect(child.find((a) => a.role.id === role.service)?.priorRoleId).toBe(w.local)

    const bobAll = await f.id.listRoleAssignments(admin, {
      effective: true,
      userId: w.bob,
      roleId: role.reader,
    })
    // reader on each of acme's four projects (inherited) and on acme itself (implied by member).
    expect(bobAll).toHaveLength(5)
    expect(await code(f.id.listRoleAssignments(admin, { effective: true, groupId: w.ops }))).toBe('INVALID')
  })

  it('adds names on request', async () => {
    const [a] = await f.id.listRoleAssignments(admin, {
      userId: w.ann,
      roleId: role.member,
      includeNames: true,
    })
    expect(a).toMatchObject({
      role: { id: role.member, name: 'member' },
      user: { id: w.ann, name: 'ann', domainId: w.acme, domainName: 'acme' },
      scope: { project: { id: w.top, name: 'top', domainId: w.acme, domainName: 'acme' } },
    })
    const [d] = await f.id.listRoleAssignments(admin, {
      groupId: w.ops,
      roleId: role.member,
      includeNames: true,
    })
    expect(d).toMatchObject({ group: { name: 'ops' }, scope: { domain: { id: w.acme, name: 'acme' } } })
  })

  it('grants, checks, lists and revokes; revoking revokes the tokens the grant backed', async () => {
    await f.id.checkRole(admin, { roleId: role.member, userId: w.ann, projectId: w.top })
    expect(await code(f.id.checkRole(admin, { roleId: role.admin, userId: w.ann, projectId: w.top }))).toBe(
      'NOT_FOUND',
    )
    const grants = await f.id.listGrants(admin, { userId: w.ann, projectId: w.top, inherited: true })
    expect(grants.map((r) => r.name)).toEqual(['admin'])
    await f.id.grantRole(admin, { roleId: role.member, userId: w.ann, projectId: w.top })
    expect(f.events.filter((e) => e.type === 'identity.role_assignment.created')).toHaveLength(6)

    await f.id.revokeRole(admin, { roleId: role.member, userId: w.ann, projectId: w.top })
    expect(f.revoked).toEqual([{ userId: w.ann, roleId: role.member, projectId: w.top }])
    expect(await names(w.ann, { projectId: w.top })).toEqual([])
    await f.id.revokeRole(admin, { roleId: role.member, groupId: w.ops, domainId: w.acme })
    expect(f.revoked.at(-1)).toEqual({ userId: w.bob, roleId: role.member, domainId: w.acme })
    expect(
      await code(f.id.revokeRole(admin, { roleId: role.member, groupId: w.ops, domainId: w.acme })),
    ).toBe('NOT_FOUND')
  })

  it('validates grants and enforces policy on them', async () => {
    const other = (await f.id.createProject(admin, { name: 'elsewhere' })).id
    expect(await code(f.id.grantRole(admin, { roleId: w.local, userId: w.ann, projectId: other }))).toBe(
      'INVALID',
    )
    expect(await code(f.id.grantRole(admin, { roleId: role.admin, userId: w.ann }))).toBe('INVALID')
    expect(
      await code(f.id.grantRole(admin, { roleId: role.admin, userId: 'nobody', projectId: other })),
    ).toBe('NOT_FOUND')
    const member = memberOf(w.top)
    expect(await code(f.id.grantRole(member, { roleId: role.admin, userId: w.ann, projectId: w.top }))).toBe(
      'FORBIDDEN',
    )
    expect(await code(f.id.listRoleAssignments(member, { projectId: w.top }))).toBe('FORBIDDEN')
    expect(await f.id.listRoleAssignments(domainReader(w.acme), { projectId: w.top })).toHaveLength(2)
    expect(await code(f.id.listRoleAssignments(domainReader(w.acme), { projectId: other }))).toBe('FORBIDDEN')
  })
})
