import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type KeystoneFixture, keystoneError, keystoneFixture } from './keystone-fixtures.js'

let f: KeystoneFixture
beforeAll(async () => {
  f = await keystoneFixture()
})
afterAll(() => f.close())

const BASE = 'http://keystone.test/identity/v3'
const ids = (items: { id: string }[]) => items.map((item) => item.id)

async function create(kind: string, body: Record<string, unknown>) {
  const response = await f.call('POST', `/v3/${kind}s`, { [kind]: body })
  expect(response.statusCode).toBe(201)
  return response.json()[kind] as { id: string; name: string }
}

describe('Keystone roles', () => {
  it('round-trips a role and its implication rules', async () => {
    const prior = await create('role', { name: 'operator', description: 'Operates' })
    expect((await f.call('GET', `/v3/roles/${prior.id}`)).json().role).toEqual({
      id: prior.id,
      name: 'operator',
      domain_id: null,
      description: 'Operates',
      options: {},
      links: { self: `${BASE}/roles/${prior.id}` },
    })
    expect((await f.call('POST', '/v3/roles', { role: { name: 'operator' } })).statusCode).toBe(409)
    const implied = await create('role', { name: 'observer' })
    const rule = `/v3/roles/${prior.id}/implies/${implied.id}`
    expect((await f.call('HEAD', rule)).statusCode).toBe(404)

    const put = await f.call('PUT', rule)
    expect(put.statusCode).toBe(201)
    const ref = (role: { id: string; name: string }) => ({
      id: role.id,
      name: role.name,
      links: { self: `${BASE}/roles/${role.id}` },
    })
    expect(put.json()).toEqual({
      role_inference: { prior_role: ref(prior), implies: ref(implied) },
      links: { self: `${BASE}${rule.slice(3)}` },
    })
    expect((await f.call('GET', rule)).json()).toEqual(put.json())
    const head = await f.call('HEAD', rule)
    expect(head.statusCode).toBe(204)
    expect((await f.call('GET', `/v3/roles/${prior.id}/implies`)).json()).toEqual({
      role_inference: { prior_role: ref(prior), implies: [ref(implied)] },
      links: { self: `${BASE}/roles/${prior.id}/implies` },
    })
    const inferences = (await f.call('GET', '/v3/role_inferences')).json().role_inferences
    expect(inferences).toContainEqual({ prior_role: ref(prior), implies: [ref(implied)] })

    expect((await f.call('DELETE', rule)).statusCode).toBe(204)
    expect((await f.call('GET', rule)).statusCode).toBe(404)
    const patched = await f.call('PATCH', `/v3/roles/${implied.id}`, { role: { description: 'Looks' } })
    expect(patched.json().role.description).toBe('Looks')
    expect((await f.call('DELETE', `/v3/roles/${implied.id}`)).statusCode).toBe(204)
  })
})

describe('Keystone grants', () => {
  it('grants, checks, lists and revokes roles on projects, domains and the system', async () => {
    const role = await create('role', { name: 'auditor' })
    const user = await create('user', { name: 'carol' })
    const group = await create('group', { name: 'auditors' })
    for (const base of [
      `/v3/projects/${f.projectId}/users/${user.id}/roles`,
      `/v3/projects/${f.projectId}/groups/${group.id}/roles`,
      `/v3/domains/default/users/${user.id}/roles`,
      `/v3/domains/default/groups/${group.id}/roles`,
      `/v3/system/users/${user.id}/roles`,
      `/v3/system/groups/${group.id}/roles`,
    ]) {
      const one = `${base}/${role.id}`
      expect((await f.call('HEAD', one)).statusCode, one).toBe(404)
      expect((await f.call('PUT', one)).statusCode, one).toBe(204)
      expect((await f.call('HEAD', one)).statusCode, one).toBe(204)
      expect((await f.call('GET', one)).statusCode, one).toBe(204)
      const listed = (await f.call('GET', base)).json()
      expect(ids(listed.roles), base).toEqual([role.id])
      expect(listed.links.self).toBe(`http://keystone.test/identity${base}`)
      expect((await f.call('DELETE', one)).statusCode, one).toBe(204)
      expect((await f.call('GET', one)).statusCode, one).toBe(404)
    }
  })

  it('grants inherited roles (OS-INHERIT) that reach the projects below', async () => {
    const role = await create('role', { name: 'inheritor' })
    const user = await create('user', { name: 'dave' })
    const one = `/v3/OS-INHERIT/domains/default/users/${user.id}/roles/${role.id}/inherited_to_projects`
    expect((await f.call('PUT', one)).statusCode).toBe(204)
    expect((await f.call('HEAD', one)).statusCode).toBe(204)
    const listed = await f.call(
      'GET',
      `/v3/OS-INHERIT/domains/default/users/${user.id}/roles/inherited_to_projects`,
    )
    expect(ids(listed.json().roles)).toEqual([role.id])
    expect(ids((await f.call('GET', `/v3/domains/default/users/${user.id}/roles`)).json().roles)).toEqual([])

    const direct = (await f.call('GET', `/v3/role_assignments?user.id=${user.id}`)).json().role_assignments
    expect(direct).toEqual([
      {
        role: { id: role.id },
        user: { id: user.id },
        scope: { domain: { id: 'default' }, 'OS-INHERIT:inherited_to': 'projects' },
        links: { assignment: `${BASE}${one.slice(3)}` },
      },
    ])
    const effective = (
      await f.call('GET', `/v3/role_assignments?user.id=${user.id}&scope.project.id=${f.projectId}&effective`)
    ).json().role_assignments
    expect(effective).toEqual([
      {
        role: { id: role.id },
        user: { id: user.id },
        scope: { project: { id: f.projectId }, 'OS-INHERIT:inherited_to': 'projects' },
        links: { assignment: `${BASE}${one.slice(3)}` },
      },
    ])
    const projects = (await f.call('GET', `/v3/users/${user.id}/projects`)).json().projects
    expect(ids(projects)).toContain(f.projectId)
    expect((await f.call('DELETE', one)).statusCode).toBe(204)
  })

  it('lists effective role assignments with names, through groups and implied roles', async () => {
    const prior = await create('role', { name: 'lead' })
    const implied = await create('role', { name: 'follower' })
    expect((await f.call('PUT', `/v3/roles/${prior.id}/implies/${implied.id}`)).statusCode).toBe(201)
    const user = await create('user', { name: 'erin' })
    const group = await create('group', { name: 'leads' })
    expect((await f.call('PUT', `/v3/groups/${group.id}/users/${user.id}`)).statusCode).toBe(204)
    const grant = `/v3/projects/${f.projectId}/groups/${group.id}/roles/${prior.id}`
    expect((await f.call('PUT', grant)).statusCode).toBe(204)

    const response = await f.call('GET', `/v3/role_assignments?user.id=${user.id}&effective&include_names`)
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(body.links).toEqual({
      self: `${BASE}/role_assignments?user.id=${user.id}&effective&include_names`,
      previous: null,
      next: null,
    })
    const project = { id: f.projectId, name: 'ops', domain: { id: 'default', name: 'Default' } }
    const erin = { id: user.id, name: 'erin', domain: { id: 'default', name: 'Default' } }
    const membership = `${BASE}/groups/${group.id}/users/${user.id}`
    expect(body.role_assignments).toEqual([
      {
        role: { id: prior.id, name: 'lead' },
        user: erin,
        scope: { project },
        links: { assignment: `${BASE}${grant.slice(3)}`, membership },
      },
      {
        role: { id: implied.id, name: 'follower' },
        user: erin,
        scope: { project },
        links: {
          assignment: `${BASE}${grant.slice(3)}`,
          membership,
          prior_role: `${BASE}/prior_role/${implied.id}/implies/${prior.id}`,
        },
      },
    ])
    const byGroup = (await f.call('GET', `/v3/role_assignments?group.id=${group.id}`)).json().role_assignments
    expect(byGroup).toHaveLength(1)
    expect(byGroup[0].group).toEqual({ id: group.id })
    expect((await f.call('GET', `/v3/role_assignments?group.id=${group.id}&effective`)).statusCode).toBe(400)
  })

  it('forbids a member to grant roles or list assignments', async () => {
    const role = (await f.call('GET', '/v3/roles?name=admin')).json().roles[0]
    const grant = `/v3/projects/${f.projectId}/users/${f.memberId}/roles/${role.id}`
    const refused = await f.call('PUT', grant, undefined, f.memberToken)
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toEqual(keystoneError(403, 'Forbidden'))
    expect((await f.call('GET', '/v3/role_assignments', undefined, f.memberToken)).statusCode).toBe(403)
    expect((await f.call('HEAD', grant)).statusCode).toBe(404)
  })
})
