import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectNeutronError, type NeutronFixture, neutronFixture, type Obj } from './neutron-fixtures.js'

let f: NeutronFixture
beforeAll(async () => {
  f = await neutronFixture()
})
afterAll(() => f.close())

const list = async (query: string, token?: string) => {
  const response = await f.call('GET', `/v2.0/networks${query}`, undefined, token)
  expect(response.statusCode, response.body).toBe(200)
  return response.json() as { networks: Obj[]; networks_links?: { rel: string; href: string }[] }
}
const names = (body: { networks: Obj[] }) => body.networks.map((network) => network.name)

describe('Neutron networks', () => {
  it('creates, shows, updates and deletes a network in Neutron’s shape', async () => {
    const created = await f.create('networks', 'network', { name: 'web', description: 'front', mtu: '1400' })
    expect(created).toEqual({
      id: expect.any(String),
      name: 'web',
      description: 'front',
      tenant_id: f.opsId,
      project_id: f.opsId,
      admin_state_up: true,
      status: 'ACTIVE',
      shared: false,
      'router:external': false,
      mtu: 1400,
      port_security_enabled: true,
      subnets: [],
      availability_zone_hints: [],
      availability_zones: [],
      tags: [],
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      updated_at: expect.stringMatching(/Z$/),
      revision_number: expect.any(Number),
    })
    const shown = await f.call('GET', `/v2.0/networks/${created.id}`)
    expect(shown.json()).toEqual({ network: created })

    const updated = await f.call('PUT', `/v2.0/networks/${created.id}`, {
      network: { name: 'web2', admin_state_up: 'False' },
    })
    expect(updated.statusCode, updated.body).toBe(200)
    expect(updated.json().network).toMatchObject({
      name: 'web2',
      admin_state_up: false,
      description: 'front',
    })
    expect(updated.json().network.revision_number).toBeGreaterThan(created.revision_number as number)

    const deleted = await f.call('DELETE', `/v2.0/networks/${created.id}`)
    expect(deleted.statusCode).toBe(204)
    expect(deleted.body).toBe('')
    const gone = await f.call('GET', `/v2.0/networks/${created.id}`)
    expect(expectNeutronError(gone, 404, 'NetworkNotFound')).toContain(created.id)
  })

  it('shows provider attributes to administrators only, and lets only them set them (403 otherwise)', async () => {
    const body = { name: 'phys', 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1' }
    const refused = await f.call('POST', '/v2.0/networks', {
      network: { ...body, 'provider:segmentation_id': 42 },
    })
    expectNeutronError(refused, 403, 'PolicyNotAuthorized')
    const external = await f.call('POST', '/v2.0/networks', {
      network: { name: 'ext', 'router:external': true },
    })
    expectNeutronError(external, 403)

    const made = await f.create(
      'networks',
      'network',
      { ...body, 'provider:segmentation_id': '42' },
      f.adminToken,
    )
    expect(made).toMatchObject({
      'provider:network_type': 'vlan',
      'provider:physical_network': 'physnet1',
      'provider:segmentation_id': 42,
    })
    const vxlan = await f.create('networks', 'network', { name: 'mine' })
    const asAdmin = (await f.call('GET', `/v2.0/networks/${vxlan.id}`, undefined, f.adminToken)).json()
      .network
    expect(asAdmin['provider:network_type']).toBe('vxlan')
    expect(asAdmin['provider:segmentation_id']).toEqual(expect.any(Number))
    expect(vxlan).not.toHaveProperty('provider:network_type')
    expect(vxlan).not.toHaveProperty('provider:segmentation_id')
  })

  it('refuses unknown and read-only attributes, and bodies without the resource, with 400', async () => {
    const unknown = await f.call('POST', '/v2.0/networks', { network: { name: 'x', colour: 'blue' } })
    expect(expectNeutronError(unknown, 400)).toContain("Unrecognized attribute(s) 'colour'")
    const readOnly = await f.call('POST', '/v2.0/networks', { network: { id: 'mine' } })
    expect(expectNeutronError(readOnly, 400)).toContain("Attribute 'id' not allowed in POST")
    const net = await f.create('networks', 'network', { name: 'fixed' })
    const provider = await f.call('PUT', `/v2.0/networks/${net.id}`, {
      network: { 'provider:network_type': 'flat' },
    })
    expect(expectNeutronError(provider, 400)).toContain(
      'Cannot update read-only attribute provider:network_type',
    )
    expectNeutronError(await f.call('POST', '/v2.0/networks', { nets: {} }), 400)
    expectNeutronError(await f.call('POST', '/v2.0/networks', { network: { admin_state_up: 'maybe' } }), 400)
    const mismatch = await f.call('POST', '/v2.0/networks', { network: { tenant_id: 'a', project_id: 'b' } })
    expectNeutronError(mismatch, 400)
  })

  it('creates in bulk, and a bulk create that fails leaves nothing behind', async () => {
    const response = await f.call('POST', '/v2.0/networks', {
      networks: [{ name: 'bulk-a' }, { name: 'bulk-b' }],
    })
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json().networks.map((n: Obj) => n.name)).toEqual(['bulk-a', 'bulk-b'])

    // The second needs admin rights (shared): the first, made already, is deleted again.
    const failed = await f.call('POST', '/v2.0/networks', {
      networks: [{ name: 'rollback-a' }, { name: 'rollback-b', shared: true }],
    })
    expectNeutronError(failed, 403)
    expect(names(await list('?name=rollback-a&name=rollback-b'))).toEqual([])
  })
})

describe('Neutron network lists', () => {
  const made: Record<string, Obj> = {}
  beforeAll(async () => {
    for (const name of ['list-c', 'list-a', 'list-b']) {
      made[name] = await f.create('networks', 'network', {
        name,
        tags: name === 'list-b' ? ['red'] : ['blue'],
      })
    }
    made.other = await f.create('networks', 'network', { name: 'list-dev' }, f.devToken)
  })

  it('lists what the caller may see; fields= trims every object', async () => {
    const all = await list('')
    expect(names(all)).toEqual(expect.arrayContaining(['list-a', 'list-b', 'list-c']))
    expect(names(all)).not.toContain('list-dev')
    const trimmed = await list('?fields=id&fields=name&name=list-a')
    expect(trimmed.networks).toEqual([{ id: made['list-a']!.id, name: 'list-a' }])
    const shown = await f.call('GET', `/v2.0/networks/${made['list-a']!.id}?fields=id&fields=mtu`)
    expect(shown.json()).toEqual({ network: { id: made['list-a']!.id, mtu: expect.any(Number) } })
  })

  it('filters by repeated values, booleans and tags', async () => {
    expect(names(await list('?name=list-a&name=list-b&sort_key=name&sort_dir=asc'))).toEqual([
      'list-a',
      'list-b',
    ])
    expect(names(await list('?name=list-a&admin_state_up=True'))).toEqual(['list-a'])
    expect(names(await list('?name=list-a&admin_state_up=false'))).toEqual([])
    expect(names(await list('?tags=red'))).toEqual(['list-b'])
    expect(names(await list('?tags-any=red,blue&sort_key=name&sort_dir=desc'))).toEqual([
      'list-c',
      'list-b',
      'list-a',
    ])
    expect(names(await list('?not-tags=blue&name=list-a&name=list-b'))).toEqual(['list-b'])
    expect(names(await list('?not-tags-any=red&tags=blue&sort_key=name&sort_dir=asc'))).toEqual([
      'list-a',
      'list-c',
    ])
    expect(names(await list(`?tenant_id=${f.devId}`, f.adminToken))).toEqual(['list-dev'])
    expect(names(await list('?router:external=True'))).toEqual([])
  })

  it('refuses bad filters and sorts with 400', async () => {
    expect(expectNeutronError(await f.call('GET', '/v2.0/networks?colour=red'), 400)).toContain('colour')
    expectNeutronError(await f.call('GET', '/v2.0/networks?shared=perhaps'), 400)
    expectNeutronError(await f.call('GET', '/v2.0/networks?sort_key=name'), 400)
    expectNeutronError(await f.call('GET', '/v2.0/networks?sort_key=name&sort_dir=up'), 400)
    expectNeutronError(await f.call('GET', '/v2.0/networks?sort_key=colour&sort_dir=asc'), 400)
    expectNeutronError(await f.call('GET', '/v2.0/networks?limit=-1'), 400)
  })

  it('pages with limit and marker, with next and previous links', async () => {
    const query = '?tags-any=red,blue&sort_key=name&sort_dir=asc&limit=2'
    const first = await list(query)
    expect(names(first)).toEqual(['list-a', 'list-b'])
    const links = first.networks_links ?? []
    expect(links.map((link) => link.rel)).toEqual(['next'])
    const next = new URL(links[0]!.href)
    expect(next.origin).toBe('http://neutron.test')
    expect(next.pathname).toBe('/network/v2.0/networks')
    expect(next.searchParams.get('marker')).toBe(made['list-b']!.id)
    expect(next.searchParams.get('limit')).toBe('2')

    const second = await list(`${next.search}`)
    expect(names(second)).toEqual(['list-c'])
    const back = (second.networks_links ?? []).map((link) => link.rel)
    expect(back).toEqual(['previous'])
    const previous = new URL(second.networks_links![0]!.href)
    expect(previous.searchParams.get('page_reverse')).toBe('True')
    expect(previous.searchParams.get('marker')).toBe(made['list-c']!.id)

    const reversed = await list(previous.search)
    expect(names(reversed)).toEqual(['list-a', 'list-b'])
    expect((reversed.networks_links ?? []).map((link) => link.rel)).toEqual(['next'])
    expect((await list('?tags-any=red,blue&limit=5')).networks_links).toBeUndefined()
  })
})
