import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isCloudError } from '../../src/core/errors.js'
import { admin, domainReader, type Fixture, fixture, memberOf, systemReader } from './deps.js'

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isCloudError(error) ? error.code : String(error)),
  )

describe('projects', () => {
  let f: Fixture
  beforeEach(async () => {
    f = await fixture('sqlite', { maxProjectTreeDepth: 3 })
  })
  afterEach(() => f.close())

  it('shows the domain as parent of a top-level project and is never a domain', async () => {
    const p = await f.id.createProject(admin, { name: 'web' })
    expect(p).toMatchObject({
      name: 'web',
      domainId: 'default',
      parentId: 'default',
      isDomain: false,
      tags: [],
    })
    const q = await f.id.createProject(admin, { name: 'api', parentId: 'default' })
    expect(q.parentId).toBe('default')
    const stored = await f.store.db
      .selectFrom('identity_projects')
      .select('parent_id')
      .where('id', '=', q.id)
      .execute()
    expect(stored).toEqual([{ parent_id: null }])
  })

  it('keeps names unique within a domain only', async () => {
    await f.id.createProject(admin, { name: 'web' })
    expect(await code(f.id.createProject(admin, { name: 'web' }))).toBe('CONFLICT')
    const d = await f.id.createDomain(admin, { name: 'acme' })
    expect((await f.id.createProject(admin, { name: 'web', domainId: d.id })).domainId).toBe(d.id)
  })

  it('builds hierarchies: parents, subtree, depth limit, child in the parent domain', async () => {
    const a = await f.id.createProject(admin, { name: 'a' })
    const b = await f.id.createProject(admin, { name: 'b', parentId: a.id })
    const c = await f.id.createProject(admin, { name: 'c', parentId: b.id })
    const b2 = await f.id.createProject(admin, { name: 'b2', parentId: a.id })
    expect(c.domainId).toBe('default')
    expect((await f.id.listProjectParents(admin, c.id)).map((p) => p.name)).toEqual(['b', 'a'])
    expect((await f.id.listProjectSubtree(admin, a.id)).map((p) => p.name).sort()).toEqual(['b', 'b2', 'c'])
    expect((await f.id.listProjects(admin, { parentId: a.id })).items.map((p) => p.id).sort()).toEqual(
      [b.id, b2.id].sort(),
    )
    expect(await code(f.id.createProject(admin, { name: 'd', parentId: c.id }))).toBe('FORBIDDEN')
    const other = await f.id.createDomain(admin, { name: 'other' })
    expect(await code(f.id.createProject(admin, { name: 'x', parentId: a.id, domainId: other.id }))).toBe(
      'INVALID',
    )
  })

  it('refuses to delete a project with children, and deletes a leaf with its grants', async () => {
    const a = await f.id.createProject(admin, { name: 'a' })
    const b = await f.id.createProject(admin, { name: 'b', parentId: a.id })
    const user = await f.id.createUser(admin, { name: 'u' })
    await f.id.grantRole(admin, { roleId: await f.role('member'), userId: user.id, projectId: b.id })
    expect(await code(f.id.deleteProject(admin, a.id))).toBe('FORBIDDEN')
    await f.id.deleteProject(admin, b.id)
    expect(f.revoked).toEqual([{ projectId: b.id }])
    expect(await f.store.db.selectFrom('identity_assignments').selectAll().execute()).toEqual([])
    await f.id.deleteProject(admin, a.id)
  })

  it('keeps enabled projects under enabled parents, and revokes tokens of a disabled project', async () => {
    const a = await f.id.createProject(admin, { name: 'a' })
    const b = await f.id.createProject(admin, { name: 'b', parentId: a.id })
    expect(await code(f.id.updateProject(admin, a.id, { enabled: false }))).toBe('FORBIDDEN')
    await f.id.updateProject(admin, b.id, { enabled: false })
    await f.id.updateProject(admin, a.id, { enabled: false, description: 'off' })
    expect(f.revoked).toEqual([{ projectId: b.id }, { projectId: a.id }])
    expect(await code(f.id.updateProject(admin, b.id, { enabled: true }))).toBe('FORBIDDEN')
    expect((await f.id.getProject(admin, a.id)).description).toBe('off')
  })

  it('manages tags and filters lists by them as Keystone does', async () => {
    const p1 = await f.id.createProject(admin, { name: 'p1', tags: ['blue', 'prod'] })
    const p2 = await f.id.createProject(admin, { name: 'p2', tags: ['blue'] })
    const p3 = await f.id.createProject(admin, { name: 'p3' })
    await f.id.addProjectTag(admin, p3.id, 'green')
    await f.id.addProjectTag(admin, p3.id, 'green')
    expect(await f.id.listProjectTags(admin, p3.id)).toEqual(['green'])
    await f.id.checkProjectTag(admin, p1.id, 'prod')
    expect(await code(f.id.checkProjectTag(admin, p2.id, 'prod'))).toBe('NOT_FOUND')
    expect(await code(f.id.addProjectTag(admin, p2.id, 'a/b'))).toBe('INVALID')

    const names = async (filters: Parameters<typeof f.id.listProjects>[1]) =>
      (await f.id.listProjects(admin, filters)).items.map((p) => p.name).sort()
    expect(await names({ tags: 'blue,prod' })).toEqual(['p1'])
    expect(await names({ tagsAny: ['prod', 'green'] })).toEqual(['p1', 'p3'])
    expect(await names({ notTags: 'blue,prod' })).toEqual(['p2', 'p3'])
    expect(await names({ notTagsAny: 'blue' })).toEqual(['p3'])

    expect(await f.id.replaceProjectTags(admin, p1.id, ['z', 'a', 'z'])).toEqual(['a', 'z'])
    await f.id.removeProjectTag(admin, p1.id, 'z')
    expect(await code(f.id.removeProjectTag(admin, p1.id, 'z'))).toBe('NOT_FOUND')
    expect((await f.id.getProject(admin, p1.id)).tags).toEqual(['a'])
    await f.clock.advance(1000)
    expect(await f.id.replaceProjectTags(admin, p1.id, [])).toEqual([])
    // A tag change is a change of the project.
    expect((await f.id.getProject(admin, p1.id)).updatedAt > p1.updatedAt).toBe(true)
  })

  it('lets project users read their project, domain readers their domain, and only admins write', async () => {
    const d = await f.id.createDomain(admin, { name: 'acme' })
    const mine = await f.id.createProject(admin, { name: 'mine', domainId: d.id })
    await f.id.createProject(admin, { name: 'theirs' })
    const member = memberOf(mine.id)
    expect((await f.id.getProject(member, mine.id)).name).toBe('mine')
    expect(await f.id.listProjectTags(member, mine.id)).toEqual([])
    expect(await code(f.id.listProjects(member))).toBe('FORBIDDEN')
    expect(await code(f.id.createProject(member, { name: 'x' }))).toBe('FORBIDDEN')
    // A domain reader listing without a filter sees their own domain only.
    expect((await f.id.listProjects(domainReader(d.id))).items.map((p) => p.name)).toEqual(['mine'])
    expect(await code(f.id.listProjects(domainReader(d.id), { domainId: 'default' }))).toBe('FORBIDDEN')
    expect((await f.id.listProjects(systemReader)).items).toHaveLength(2)
  })
})
