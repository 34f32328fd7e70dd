import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type KeystoneFixture, keystoneError, keystoneFixture } from './keystone-fixtures.js'

let f: KeystoneFixture
beforeAll(async () => {
  f = await keystoneFixture()
})
afterAll(() => f.close())

const BASE = 'http://keystone.test/identity/v3'
const ids = (items: { id: string }[]) => items.map((item) => item.id)

describe('Keystone catalog', () => {
  it('round-trips regions, services and endpoints', async () => {
    const region = await f.call('POST', '/v3/regions', { region: { id: 'RegionOne', description: 'One' } })
    expect(region.statusCode).toBe(201)
    expect(region.json().region).toEqual({
      id: 'RegionOne',
      description: 'One',
      parent_region_id: null,
      links: { self: `${BASE}/regions/RegionOne` },
    })
    const child = await f.call('PUT', '/v3/regions/RegionOneA', { region: { parent_region_id: 'RegionOne' } })
    expect(child.statusCode).toBe(201)
    expect(child.json().region.id).toBe('RegionOneA')
    expect((await f.call('POST', '/v3/regions', { region: { id: 'RegionOne' } })).statusCode).toBe(409)
    const children = (await f.call('GET', '/v3/regions?parent_region_id=RegionOne')).json().regions
    expect(ids(children)).toEqual(['RegionOneA'])

    const service = await f.call('POST', '/v3/services', { service: { type: 'compute', name: 'nova' } })
    expect(service.statusCode).toBe(201)
    const nova = service.json().service
    expect(nova).toEqual({
      id: expect.any(String),
      type: 'compute',
      name: 'nova',
      description: '',
      enabled: true,
      links: { self: `${BASE}/services/${nova.id}` },
    })
    expect(ids((await f.call('GET', '/v3/services?type=compute')).json().services)).toEqual([nova.id])

    const url = 'http://nova.test/v2.1'
    const endpoints = []
    for (const [iface, regionKey] of [
      ['public', 'region_id'],
      ['internal', 'region'],
    ] as const) {
      const created = await f.call('POST', '/v3/endpoints', {
        endpoint: { service_id: nova.id, interface: iface, url, [regionKey]: 'RegionOne' },
      })
      expect(created.statusCode).toBe(201)
      endpoints.push(created.json().endpoint)
    }
    expect(endpoints[0]).toEqual({
      id: expect.any(String),
      interface: 'public',
      region: 'RegionOne',
      region_id: 'RegionOne',
      service_id: nova.id,
      url,
      enabled: true,
      links: { self: `${BASE}/endpoints/${endpoints[0].id}` },
    })
    expect(endpoints[1].region_id).toBe('RegionOne')
    const listed = await f.call('GET', `/v3/endpoints?service_id=${nova.id}&interface=internal`)
    expect(ids(listed.json().endpoints)).toEqual([endpoints[1].id])
    expect((await f.call('GET', '/v3/endpoints?interface=private')).statusCode).toBe(400)
    const bad = await f.call('POST', '/v3/endpoints', {
      endpoint: { service_id: nova.id, interface: 'x', url },
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.message).toContain('endpoint.interface')

    const patched = await f.call('PATCH', `/v3/endpoints/${endpoints[0].id}`, {
      endpoint: { enabled: false },
    })
    expect(patched.json().endpoint.enabled).toBe(false)
    const renamed = await f.call('PATCH', `/v3/services/${nova.id}`, { service: { description: 'Compute' } })
    expect(renamed.json().service.description).toBe('Compute')
    const described = await f.call('PATCH', '/v3/regions/RegionOneA', { region: { description: 'A' } })
    expect(described.json().region.description).toBe('A')

    expect((await f.call('DELETE', '/v3/regions/RegionOne')).statusCode).toBe(409)
    for (const endpoint of endpoints) {
      expect((await f.call('DELETE', `/v3/endpoints/${endpoint.id}`)).statusCode).toBe(204)
    }
    expect((await f.call('DELETE', `/v3/services/${nova.id}`)).statusCode).toBe(204)
    expect((await f.call('DELETE', '/v3/regions/RegionOneA')).statusCode).toBe(204)
    expect((await f.call('DELETE', '/v3/regions/RegionOne')).statusCode).toBe(204)
    expect((await f.call('GET', '/v3/regions/RegionOne')).statusCode).toBe(404)
  })

  it('lets any user read regions but only admins change the catalog', async () => {
    expect((await f.call('GET', '/v3/regions', undefined, f.memberToken)).statusCode).toBe(200)
    const refused = await f.call('POST', '/v3/services', { service: { type: 'x' } }, f.memberToken)
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toEqual(keystoneError(403, 'Forbidden'))
  })
})

describe('Keystone credentials', () => {
  it('round-trips a credential, its blob a string', async () => {
    const blob = JSON.stringify({ access: 'AKIA1', secret: 's3cr3t' })
    const created = await f.call('POST', '/v3/credentials', {
      credential: { user_id: f.adminId, project_id: f.projectId, type: 'ec2', blob },
    })
    expect(created.statusCode).toBe(201)
    const credential = created.json().credential
    expect(credential).toEqual({
      id: expect.any(String),
      user_id: f.adminId,
      project_id: f.projectId,
      type: 'ec2',
      blob,
      links: { self: `${BASE}/credentials/${credential.id}` },
    })
    expect((await f.call('GET', `/v3/credentials/${credential.id}`)).json().credential).toEqual(credential)
    expect(
      ids((await f.call('GET', `/v3/credentials?user_id=${f.adminId}&type=ec2`)).json().credentials),
    ).toEqual([credential.id])
    expect(ids((await f.call('GET', '/v3/credentials?type=totp')).json().credentials)).toEqual([])

    const newBlob = JSON.stringify({ access: 'AKIA1', secret: 'other' })
    const patched = await f.call('PATCH', `/v3/credentials/${credential.id}`, {
      credential: { blob: newBlob, type: 'ec2' },
    })
    expect(patched.statusCode).toBe(200)
    expect(patched.json().credential.blob).toBe(newBlob)
    const retyped = await f.call('PATCH', `/v3/credentials/${credential.id}`, {
      credential: { type: 'totp' },
    })
    expect(retyped.statusCode).toBe(400)
    const bad = await f.call('POST', '/v3/credentials', { credential: { user_id: f.adminId, type: 'ec2' } })
    expect(bad.statusCode).toBe(400)
    expect((await f.call('DELETE', `/v3/credentials/${credential.id}`)).statusCode).toBe(204)
    expect((await f.call('GET', `/v3/credentials/${credential.id}`)).statusCode).toBe(404)
  })
})

describe('Keystone application credentials', () => {
  it('creates one with its secret shown once, lists, shows and deletes it', async () => {
    const base = `/v3/users/${f.memberId}/application_credentials`
    const created = await f.call('POST', base, { application_credential: { name: 'ci' } }, f.memberToken)
    expect(created.statusCode).toBe(201)
    const credential = created.json().application_credential
    expect(credential).toEqual({
      id: expect.any(String),
      name: 'ci',
      description: null,
      user_id: f.memberId,
      project_id: f.projectId,
      expires_at: null,
      unrestricted: false,
      roles: expect.arrayContaining([{ id: expect.any(String), name: 'member', domain_id: null }]),
      secret: expect.any(String),
      links: { self: `${BASE}/users/${f.memberId}/application_credentials/${credential.id}` },
    })
    const shown = (await f.call('GET', `${base}/${credential.id}`, undefined, f.memberToken)).json()
    const { secret: _, ...withoutSecret } = credential
    expect(shown.application_credential).toEqual(withoutSecret)
    const listed = (await f.call('GET', `${base}?name=ci`, undefined, f.memberToken)).json()
    expect(ids(listed.application_credentials)).toEqual([credential.id])
    expect(
      (await f.call('POST', base, { application_credential: { name: 'x', access_rules: [] } }, f.memberToken))
        .statusCode,
    ).toBe(400)
    expect((await f.call('DELETE', `${base}/${credential.id}`, undefined, f.memberToken)).statusCode).toBe(
      204,
    )
    expect((await f.call('GET', `${base}/${credential.id}`, undefined, f.memberToken)).statusCode).toBe(404)
  })
})
