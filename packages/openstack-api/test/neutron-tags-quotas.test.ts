import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectNeutronError, type NeutronFixture, neutronFixture, type Obj } from './neutron-fixtures.js'

let f: NeutronFixture
beforeAll(async () => {
  f = await neutronFixture()
})
afterAll(() => f.close())

describe('Neutron tags', () => {
  it('replaces, adds, checks, removes and clears the tags of a network', async () => {
    const net = await f.create('networks', 'network', { name: 'tagged' })
    const base = `/v2.0/networks/${net.id}/tags`
    const replaced = await f.call('PUT', base, { tags: ['b', 'a'] })
    expect(replaced.statusCode, replaced.body).toBe(200)
    expect(replaced.json().tags.sort()).toEqual(['a', 'b'])

    const added = await f.call('PUT', `${base}/c`)
    expect(added.statusCode, added.body).toBe(201)
    expect((await f.call('GET', base)).json().tags.sort()).toEqual(['a', 'b', 'c'])
    expect((await f.call('GET', `${base}/c`)).statusCode).toBe(204)
    expectNeutronError(await f.call('GET', `${base}/zzz`), 404, 'TagNotFound')

    expect((await f.call('DELETE', `${base}/a`)).statusCode).toBe(204)
    expectNeutronError(await f.call('DELETE', `${base}/a`), 404)
    expect((await f.call('GET', `/v2.0/networks/${net.id}`)).json().network.tags.sort()).toEqual(['b', 'c'])
    expect((await f.call('DELETE', base)).statusCode).toBe(204)
    expect((await f.call('GET', base)).json()).toEqual({ tags: [] })

    expectNeutronError(await f.call('PUT', base, { tags: 'nope' }), 400)
    expectNeutronError(await f.call('PUT', base, { tags: ['a,b'] }), 400)
    expectNeutronError(await f.call('GET', '/v2.0/networks/missing/tags'), 404, 'NetworkNotFound')
  })

  it('tags every taggable collection', async () => {
    const net = await f.create('networks', 'network', { name: 'tag-all' })
    const subnet = await f.create('subnets', 'subnet', {
      network_id: net.id,
      ip_version: 4,
      cidr: '10.7.0.0/24',
    })
    const port = await f.create('ports', 'port', { network_id: net.id })
    const group = await f.create('security-groups', 'security_group', { name: 'tag-sg' })
    const router = await f.create('routers', 'router', { name: 'tag-router' })
    const pool = await f.create('subnetpools', 'subnetpool', { name: 'tag-pool', prefixes: ['10.50.0.0/16'] })
    const targets: [path: string, collection: string, item: Obj][] = [
      ['subnets', 'subnets', subnet],
      ['ports', 'ports', port],
      ['security-groups', 'security_groups', group],
      ['routers', 'routers', router],
      ['subnetpools', 'subnetpools', pool],
    ]
    for (const [path, collection, item] of targets) {
      const response = await f.call('PUT', `/v2.0/${path}/${item.id}/tags/x`)
      expect(response.statusCode, `${path}: ${response.body}`).toBe(201)
      const tagged = (await f.call('GET', `/v2.0/${path}?tags=x`)).json()[collection] as Obj[]
      expect(tagged.map((o) => o.id)).toEqual([item.id])
    }
  })
})

describe('Neutron quotas', () => {
  it('shows a project’s quotas with Neutron’s names, and their details with usage', async () => {
    const shown = await f.call('GET', `/v2.0/quotas/${f.opsId}`)
    expect(shown.statusCode, shown.body).toBe(200)
    const { quota } = shown.json()
    expect(Object.keys(quota).sort()).toEqual([
      'floatingip',
      'network',
      'port',
      'router',
      'security_group',
      'security_group_rule',
      'subnet',
      'subnetpool',
    ])
    for (const limit of Object.values(quota)) expect(limit).toEqual(expect.any(Number))

    await f.create('networks', 'network', { name: 'counted' })
    const details = (await f.call('GET', `/v2.0/quotas/${f.opsId}/details`)).json().quota
    expect(details.network).toEqual({ limit: quota.network, used: expect.any(Number), reserved: 0 })
    expect(details.network.used).toBeGreaterThanOrEqual(1)
    // Tempest's client asks for the old `.json` suffix, and for the defaults a reset goes back to.
    expect((await f.call('GET', `/v2.0/quotas/${f.opsId}/details.json`)).json().quota).toEqual(details)
    const defaults = await f.call('GET', `/v2.0/quotas/${f.opsId}/default`)
    expect(defaults.statusCode, defaults.body).toBe(200)
    expect(Object.keys(defaults.json().quota).sort()).toEqual(Object.keys(quota).sort())
  })

  it('lets administrators change and reset quotas, and enforces them with 409 OverQuota', async () => {
    const denied = await f.call('PUT', `/v2.0/quotas/${f.devId}`, { quota: { network: 1 } })
    expectNeutronError(denied, 403)
    const set = await f.call(
      'PUT',
      `/v2.0/quotas/${f.devId}`,
      { quota: { network: 1, port: '7' } },
      f.adminToken,
    )
    expect(set.statusCode, set.body).toBe(200)
    expect(set.json().quota).toMatchObject({ network: 1, port: 7 })
    const listed = (await f.call('GET', '/v2.0/quotas', undefined, f.adminToken)).json().quotas
    expect(listed).toContainEqual(
      expect.objectContaining({ project_id: f.devId, tenant_id: f.devId, network: 1 }),
    )

    await f.create('networks', 'network', { name: 'dev-1' }, f.devToken)
    const over = await f.call('POST', '/v2.0/networks', { network: { name: 'dev-2' } }, f.devToken)
    expectNeutronError(over, 409, 'OverQuota')
    // Neutron's words, which clients (Tempest) match on.
    expect(over.json().NeutronError.message).toBe("Quota exceeded for resources: ['network'].")

    const bad = await f.call('PUT', `/v2.0/quotas/${f.devId}`, { quota: { network: -2 } }, f.adminToken)
    expectNeutronError(bad, 400)
    const unknown = await f.call('PUT', `/v2.0/quotas/${f.devId}`, { quota: { cores: 2 } }, f.adminToken)
    expectNeutronError(unknown, 400)

    expect((await f.call('DELETE', `/v2.0/quotas/${f.devId}`, undefined, f.adminToken)).statusCode).toBe(204)
    const reset = (await f.call('GET', `/v2.0/quotas/${f.devId}`, undefined, f.devToken)).json().quota
    expect(reset.network).not.toBe(1)
    expectNeutronError(await f.call('GET', `/v2.0/quotas/${f.opsId}`, undefined, f.devToken), 403)
  })
})
