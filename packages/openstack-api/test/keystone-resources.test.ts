import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type KeystoneFixture, keystoneError, keystoneFixture } from './keystone-fixtures.js'

let f: KeystoneFixture
beforeAll(async () => {
  f = await keystoneFixture()
})
afterAll(() => f.close())

const BASE = 'http://keystone.test/identity/v3'

describe('Keystone domains', () => {
  it('creates, lists, updates and deletes a domain; an enabled domain cannot be deleted', async () => {
    const created = await f.call('POST', '/v3/domains', { domain: { name: 'acme', description: 'ACME' } })
    expect(created.statusCode).toBe(201)
    const domain = created.json().domain
    expect(domain).toEqual({
      id: expect.any(String),
      name: 'acme',
      description: 'ACME',
      enabled: true,
      tags: [],
      options: {},
      links: { self: `${BASE}/domains/${domain.id}` },
    })
    const listed = (await f.call('GET', '/v3/domains?name=acme')).json()
    expect(listed.domains.map((d: { id: string }) => d.id)).toEqual([domain.id])
    expect(listed.links).toEqual({ self: `${BASE}/domains?name=acme`, previous: null, next: null })

    const duplicate = await f.call('POST', '/v3/domains', { domain: { name: 'acme' } })
    expect(duplicate.statusCode).toBe(409)
    expect(duplicate.json()).toEqual(keystoneError(409, 'Conflict'))

    const refused = await f.call('DELETE', `/v3/domains/${domain.id}`)
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toEqual(keystoneError(403, 'Forbidden'))

    const patched = await f.call('PATCH', `/v3/domains/${domain.id}`, { domain: { enabled: false } })
    expect(patched.statusCode).toBe(200)
    expect(patched.json().domain.enabled).toBe(false)
    expect((await f.call('DELETE', `/v3/domains/${domain.id}`)).statusCode).toBe(204)
    expect((await f.call('GET', `/v3/domains/${domain.id}`)).statusCode).toBe(404)
  })

  it('refuses to change an id, and answers a malformed body with 400', async () => {
    const changed = await f.call('PATCH', '/v3/domains/default', { domain: { id: 'other' } })
    expect(changed.statusCode).toBe(400)
    const malformed = await f.app.inject({
      method: 'POST',
      url: '/identity/v3/domains',
      headers: { 'x-auth-token': f.adminToken, 'content-type': 'application/json' },
      payload: '{"domain": {',
    })
    expect(malformed.statusCode).toBe(400)
    expect(malformed.json()).toEqual(keystoneError(400, 'Bad Request'))
    const unwrapped = await f.call('POST', '/v3/domains', { name: 'flat' })
    expect(unwrapped.statusCode).toBe(400)
  })
})

describe('Keystone projects', () => {
  it('round-trips a project with extra attributes, tags and a hierarchy', async () => {
    const created = await f.call('POST', '/v3/projects', {
      project: { name: 'web', domain_id: 'default', tags: ['prod'], colour: 'red' },
    })
    expect(created.statusCode).toBe(201)
    const web = created.json().project
    expect(web).toEqual({
      id: expect.any(String),
      name: 'web',
      domain_id: 'default',
      parent_id: 'default',
      description: '',
      enabled: true,
      is_domain: false,
      tags: ['prod'],
      options: {},
      colour: 'red',
      links: { self: `${BASE}/projects/${web.id}` },
    })
    const child = (
      await f.call('POST', '/v3/projects', { project: { name: 'web-child', parent_id: web.id } })
    ).json().project
    expect(child.parent_id).toBe(web.id)

    const shown = (await f.call('GET', `/v3/projects/${child.id}?parents_as_list`)).json().project
    expect(shown.parents.map((p: { project: { id: string } }) => p.project.id)).toEqual([web.id])
    const tree = (await f.call('GET', `/v3/projects/${web.id}?subtree_as_list`)).json().project
    expect(tree.subtree.map((p: { project: { id: string } }) => p.project.id)).toEqual([child.id])

    const byParent = (await f.call('GET', `/v3/projects?parent_id=${web.id}`)).json().projects
    expect(byParent.map((p: { id: string }) => p.id)).toEqual([child.id])
    const byTag = (await f.call('GET', '/v3/projects?tags=prod')).json().projects
    expect(byTag.map((p: { id: string }) => p.id)).toEqual([web.id])
    const notTag = (await f.call('GET', '/v3/projects?not-tags-any=prod')).json().projects
    expect(notTag.map((p: { id: string }) => p.id)).not.toContain(web.id)

    const patched = await f.call('PATCH', `/v3/projects/${web.id}`, { project: { description: 'site' } })
    expect(patched.statusCode).toBe(200)
    expect(patched.json().project).toMatchObject({ description: 'site', colour: 'red' })

    const duplicate = await f.call('POST', '/v3/projects', { project: { name: 'web' } })
    expect(duplicate.statusCode).toBe(409)
    expect(duplicate.json()).toEqual(keystoneError(409, 'Conflict'))

    expect((await f.call('DELETE', `/v3/projects/${child.id}`)).statusCode).toBe(204)
    expect((await f.call('DELETE', `/v3/projects/${web.id}`)).statusCode).toBe(204)
  })

  it('manages the tags of a project', async () => {
    const { id } = (await f.call('POST', '/v3/projects', { project: { name: 'tagged' } })).json().project
    const tags = `/v3/projects/${id}/tags`
    expect((await f.call('PUT', tags, { tags: ['a', 'b'] })).json()).toEqual({ tags: ['a', 'b'] })
    const added = await f.call('PUT', `${tags}/c`)
    expect(added.statusCode).toBe(201)
    expect(added.headers.location).toBe(`${BASE}/projects/${id}/tags/c`)
    expect((await f.call('GET', tags)).json().tags.sort()).toEqual(['a', 'b', 'c'])
    expect((await f.call('GET', `${tags}/a`)).statusCode).toBe(204)
    expect((await f.call('HEAD', `${tags}/a`)).statusCode).toBe(204)
    expect((await f.call('DELETE', `${tags}/a`)).statusCode).toBe(204)
    expect((await f.call('GET', `${tags}/a`)).statusCode).toBe(404)
    expect((await f.call('DELETE', tags)).statusCode).toBe(204)
    expect((await f.call('GET', tags)).json()).toEqual({ tags: [] })
    expect((await f.call('PUT', tags, { tags: ['no/slash'] })).statusCode).toBe(400)
  })
})
