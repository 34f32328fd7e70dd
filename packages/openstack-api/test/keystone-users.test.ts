import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type KeystoneFixture,
  keystoneError,
  keystoneFixture,
  PASSWORD,
  userWithToken,
} from './keystone-fixtures.js'

let f: KeystoneFixture
beforeAll(async () => {
  f = await keystoneFixture()
})
afterAll(() => f.close())

const BASE = 'http://keystone.test/identity/v3'

describe('Keystone users and groups', () => {
  it('round-trips a user; extra attributes are flattened; the password never shows', async () => {
    const created = await f.call('POST', '/v3/users', {
      user: {
        name: 'ann',
        password: PASSWORD,
        email: 'ann@example.org',
        default_project_id: f.projectId,
        team: 'x',
      },
    })
    expect(created.statusCode).toBe(201)
    const ann = created.json().user
    expect(ann).toEqual({
      id: expect.any(String),
      name: 'ann',
      domain_id: 'default',
      enabled: true,
      email: 'ann@example.org',
      default_project_id: f.projectId,
      team: 'x',
      password_expires_at: null,
      options: {},
      links: { self: `${BASE}/users/${ann.id}` },
    })
    expect((await f.call('GET', `/v3/users/${ann.id}`)).json().user).toEqual(ann)
    const listed = (await f.call('GET', '/v3/users?name=ann&enabled=true')).json().users
    expect(listed.map((u: { id: string }) => u.id)).toEqual([ann.id])
    expect((await f.call('GET', '/v3/users?enabled=maybe')).statusCode).toBe(400)

    const patched = await f.call('PATCH', `/v3/users/${ann.id}`, { user: { enabled: false, team: 'y' } })
    expect(patched.json().user).toMatchObject({ enabled: false, team: 'y' })
    const bad = await f.call('PATCH', `/v3/users/${ann.id}`, { user: { enabled: 'no' } })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.message).toContain('user.enabled')

    const duplicate = await f.call('POST', '/v3/users', { user: { name: 'ann' } })
    expect(duplicate.statusCode).toBe(409)
    expect(duplicate.json()).toEqual(keystoneError(409, 'Conflict'))
    expect((await f.call('DELETE', `/v3/users/${ann.id}`)).statusCode).toBe(204)
    expect((await f.call('GET', `/v3/users/${ann.id}`)).statusCode).toBe(404)
  })

  it('pages a list with limit and marker, the next page in links.next', async () => {
    const first = (await f.call('GET', '/v3/users?limit=1')).json()
    expect(first.users).toHaveLength(1)
    const next = new URL(first.links.next)
    expect(next.searchParams.get('marker')).toBe(first.users[0].id)
    expect(next.searchParams.get('limit')).toBe('1')
    const second = (await f.call('GET', `/v3/users${next.search}`)).json()
    expect(second.users[0].id).not.toBe(first.users[0].id)
  })

  it('lets a user change their own password without a token', async () => {
    const { id } = (await f.call('POST', '/v3/users', { user: { name: 'bob', password: PASSWORD } })).json()
      .user
    const wrong = await f.call(
      'POST',
      `/v3/users/${id}/password`,
      {
        user: { original_password: 'not it', password: 'a new long password' },
      },
      '',
    )
    expect(wrong.statusCode).toBe(401)
    const changed = await f.call(
      'POST',
      `/v3/users/${id}/password`,
      {
        user: { original_password: PASSWORD, password: 'a new long password' },
      },
      '',
    )
    expect(changed.statusCode).toBe(204)
  })

  it('lists the projects a user has roles on', async () => {
    const body = (await f.call('GET', `/v3/users/${f.memberId}/projects`, undefined, f.memberToken)).json()
    expect(body.projects.map((p: { id: string }) => p.id)).toEqual([f.projectId])
    const none = await f.call('GET', `/v3/users/${f.adminId}/projects`, undefined, f.memberToken)
    expect(none.statusCode).toBe(403)
  })

  it('round-trips a group and its members', async () => {
    const created = await f.call('POST', '/v3/groups', { group: { name: 'devs', description: 'Developers' } })
    expect(created.statusCode).toBe(201)
    const group = created.json().group
    expect(group).toEqual({
      id: expect.any(String),
      name: 'devs',
      domain_id: 'default',
      description: 'Developers',
      links: { self: `${BASE}/groups/${group.id}` },
    })
    expect((await f.call('POST', '/v3/groups', { group: { name: 'devs' } })).statusCode).toBe(409)
    const member = `/v3/groups/${group.id}/users/${f.memberId}`
    expect((await f.call('HEAD', member)).statusCode).toBe(404)
    expect((await f.call('PUT', member)).statusCode).toBe(204)
    expect((await f.call('HEAD', member)).statusCode).toBe(204)
    expect((await f.call('GET', member)).statusCode).toBe(204)
    const users = (await f.call('GET', `/v3/groups/${group.id}/users`)).json().users
    expect(users.map((u: { id: string }) => u.id)).toEqual([f.memberId])
    const groups = (await f.call('GET', `/v3/users/${f.memberId}/groups`)).json().groups
    expect(groups.map((g: { id: string }) => g.id)).toEqual([group.id])
    expect((await f.call('DELETE', member)).statusCode).toBe(204)
    const patched = await f.call('PATCH', `/v3/groups/${group.id}`, { group: { description: 'Devs' } })
    expect(patched.json().group.description).toBe('Devs')
    expect((await f.call('DELETE', `/v3/groups/${group.id}`)).statusCode).toBe(204)
  })

  it('forbids a member to list users or manage groups', async () => {
    // Leaving the group above revoked the member's first token.
    const { token } = await userWithToken(f.cloud, 'minion', 'member', f.projectId)
    const listed = await f.call('GET', '/v3/users', undefined, token)
    expect(listed.statusCode).toBe(403)
    expect(listed.json()).toEqual(keystoneError(403, 'Forbidden'))
    expect((await f.call('POST', '/v3/groups', { group: { name: 'g' } }, token)).statusCode).toBe(403)
    expect((await f.call('GET', '/v3/users')).statusCode).toBe(200)
    expect((await f.call('GET', '/v3/users', undefined, '')).statusCode).toBe(401)
  })
})
