import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isCloudError } from '../../src/core/errors.js'
import { admin, domainReader, type Fixture, fixture, memberOf, systemReader } from './deps.js'

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isCloudError(error) ? error.code : String(error)),
  )

describe.each(['sqlite', 'postgres'] as const)('domains on %s', (dialect) => {
  let f: Fixture
  beforeEach(async () => {
    f = await fixture(dialect)
  })
  afterEach(() => f.close())

  it('creates, reads, lists and updates domains; names are unique across the cloud', async () => {
    const d = await f.id.createDomain(admin, { name: 'acme', description: 'ACME' })
    expect(d).toMatchObject({ name: 'acme', description: 'ACME', enabled: true, options: {} })
    expect(await f.id.getDomain(admin, d.id)).toEqual(d)
    expect(await code(f.id.createDomain(admin, { name: 'acme' }))).toBe('CONFLICT')
    const names = (await f.id.listDomains(admin)).items.map((x) => x.name).sort()
    expect(names).toEqual(['Default', 'acme'])
    expect((await f.id.listDomains(admin, { name: 'acme' })).items).toHaveLength(1)

    const renamed = await f.id.updateDomain(admin, d.id, { name: 'acme-corp' })
    expect(renamed.name).toBe('acme-corp')
    expect(await code(f.id.updateDomain(admin, d.id, { name: 'Default' }))).toBe('CONFLICT')
    expect(await code(f.id.getDomain(admin, 'nope'))).toBe('NOT_FOUND')
  })

  it('refuses to delete an enabled domain and the default domain', async () => {
    const d = await f.id.createDomain(admin, { name: 'acme' })
    expect(await code(f.id.deleteDomain(admin, d.id))).toBe('FORBIDDEN')
    await f.id.updateDomain(admin, 'default', { enabled: false })
    expect(await code(f.id.deleteDomain(admin, 'default'))).toBe('FORBIDDEN')
  })

  it('deletes a disabled domain with its projects, users, groups, domain roles and every grant on them', async () => {
    const d = await f.id.createDomain(admin, { name: 'acme' })
    const top = await f.id.createProject(admin, { name: 'top', domainId: d.id, tags: ['x'] })
    const child = await f.id.createProject(admin, { name: 'child', parentId: top.id })
    const user = await f.id.createUser(admin, { name: 'ann', domainId: d.id, password: 'pw' })
    const group = await f.id.createGroup(admin, { name: 'ops', domainId: d.id })
    const role = await f.id.createRole(admin, { name: 'auditor', domainId: d.id })
    await f.id.addUserToGroup(admin, group.id, user.id)
    const member = await f.role('member')
    await f.id.grantRole(admin, { roleId: member, userId: user.id, projectId: child.id })
    await f.id.grantRole(admin, { roleId: role.id, groupId: group.id, domainId: d.id })
    // A user of another domain with a grant on the doomed domain: the grant goes, the user stays.
    const outsider = await f.id.createUser(admin, { name: 'out' })
    await f.id.grantRole(admin, { roleId: member, userId: outsider.id, domainId: d.id, inherited: true })

    await f.id.updateDomain(admin, d.id, { enabled: false })
    expect(f.revoked).toContainEqual({ domainId: d.id })
    await f.id.deleteDomain(admin, d.id)

    const count = async (table: string) =>
      Number(
        (await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(f.store.db)).rows[0]!
          .n,
      )
    expect(await code(f.id.getDomain(admin, d.id))).toBe('NOT_FOUND')
    expect(await count('identity_projects')).toBe(0)
    expect(await count('identity_project_tags')).toBe(0)
    expect(await count('identity_groups')).toBe(0)
    expect(await count('identity_group_members')).toBe(0)
    expect(await count('identity_assignments')).toBe(0)
    expect(await count('identity_password_history')).toBe(0)
    expect((await f.id.listUsers(admin)).items.map((u) => u.name)).toEqual(['out'])
    expect((await f.id.listRoles(admin, { domainId: d.id })).items).toEqual([])
    expect(f.events.map((e) => e.type)).toContain('identity.domain.deleted')
  })

  it('lets admins write, system readers read, and domain users see only their domain', async () => {
    const d = await f.id.createDomain(admin, { name: 'acme' })
    expect(await code(f.id.createDomain(systemReader, { name: 'x' }))).toBe('FORBIDDEN')
    expect((await f.id.listDomains(systemReader)).items).toHaveLength(2)
    expect(await code(f.id.listDomains(domainReader(d.id)))).toBe('FORBIDDEN')
    expect((await f.id.getDomain(domainReader(d.id), d.id)).name).toBe('acme')
    expect(await code(f.id.getDomain(domainReader(d.id), 'default'))).toBe('FORBIDDEN')
    expect(await code(f.id.getDomain(memberOf('p1'), d.id))).toBe('FORBIDDEN')
  })

  it('emits events only after the transaction commits', async () => {
    await f.id.createDomain(admin, { name: 'acme' })
    await code(f.id.createDomain(admin, { name: 'acme' }))
    expect(f.events.filter((e) => e.type === 'identity.domain.created')).toHaveLength(1)
  })
})
