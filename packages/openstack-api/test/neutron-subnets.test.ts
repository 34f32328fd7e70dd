import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectNeutronError, type NeutronFixture, neutronFixture, type Obj } from './neutron-fixtures.js'

let f: NeutronFixture
let net: Obj
beforeAll(async () => {
  f = await neutronFixture()
  net = await f.create('networks', 'network', { name: 'subnets' })
})
afterAll(() => f.close())

describe('Neutron subnets', () => {
  it('creates, shows, lists, updates and deletes a subnet in Neutron’s shape', async () => {
    const created = await f.create('subnets', 'subnet', {
      network_id: net.id,
      name: 'a',
      ip_version: 4,
      cidr: '10.1.0.0/24',
      allocation_pools: [{ start: '10.1.0.10', end: '10.1.0.20' }],
      dns_nameservers: ['8.8.8.8'],
      host_routes: [{ destination: '192.168.0.0/24', nexthop: '10.1.0.254' }],
    })
    expect(created).toEqual({
      id: expect.any(String),
      name: 'a',
      description: '',
      tenant_id: f.opsId,
      project_id: f.opsId,
      network_id: net.id,
      ip_version: 4,
      subnetpool_id: null,
      cidr: '10.1.0.0/24',
      gateway_ip: '10.1.0.1',
      allocation_pools: [{ start: '10.1.0.10', end: '10.1.0.20' }],
      enable_dhcp: true,
      dns_nameservers: ['8.8.8.8'],
      host_routes: [{ destination: '192.168.0.0/24', nexthop: '10.1.0.254' }],
      ipv6_address_mode: null,
      ipv6_ra_mode: null,
      service_types: [],
      tags: [],
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
      revision_number: expect.any(Number),
    })
    const network = (await f.call('GET', `/v2.0/networks/${net.id}`)).json().network
    expect(network.subnets).toEqual([created.id])
    const listed = (await f.call('GET', `/v2.0/subnets?network_id=${net.id}&ip_version=4`)).json()
    expect(listed.subnets.map((s: Obj) => s.id)).toEqual([created.id])

    const updated = await f.call('PUT', `/v2.0/subnets/${created.id}`, {
      subnet: { name: 'b', gateway_ip: null, enable_dhcp: false, dns_nameservers: null },
    })
    expect(updated.statusCode, updated.body).toBe(200)
    expect(updated.json().subnet).toMatchObject({
      name: 'b',
      gateway_ip: null,
      enable_dhcp: false,
      dns_nameservers: [],
    })
    const readOnly = await f.call('PUT', `/v2.0/subnets/${created.id}`, { subnet: { cidr: '10.9.0.0/24' } })
    expectNeutronError(readOnly, 400)

    expect((await f.call('DELETE', `/v2.0/subnets/${created.id}`)).statusCode).toBe(204)
    expectNeutronError(await f.call('GET', `/v2.0/subnets/${created.id}`), 404, 'SubnetNotFound')
  })

  it('refuses an invalid CIDR and a CIDR overlapping another subnet of the network with 400', async () => {
    const bad = await f.call('POST', '/v2.0/subnets', {
      subnet: { network_id: net.id, ip_version: 4, cidr: '10.300.0.0/24' },
    })
    expectNeutronError(bad, 400)
    const mismatched = await f.call('POST', '/v2.0/subnets', {
      subnet: { network_id: net.id, ip_version: 6, cidr: '10.2.0.0/24' },
    })
    expectNeutronError(mismatched, 400)
    await f.create('subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.2.0.0/24' })
    const overlap = await f.call('POST', '/v2.0/subnets', {
      subnet: { network_id: net.id, ip_version: 4, cidr: '10.2.0.128/25' },
    })
    expect(expectNeutronError(overlap, 400)).toMatch(/overlap/i)
    const missing = await f.call('POST', '/v2.0/subnets', {
      subnet: { network_id: 'no-such-network', ip_version: 4, cidr: '10.3.0.0/24' },
    })
    expectNeutronError(missing, 404, 'NetworkNotFound')
  })

  it('creates subnets in bulk and undoes all of them when one fails', async () => {
    const other = await f.create('networks', 'network', { name: 'bulk-subnets' })
    const response = await f.call('POST', '/v2.0/subnets', {
      subnets: [
        { network_id: other.id, ip_version: 4, cidr: '10.4.0.0/24' },
        { network_id: other.id, ip_version: 4, cidr: '10.5.0.0/24' },
      ],
    })
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json().subnets.map((s: Obj) => s.cidr)).toEqual(['10.4.0.0/24', '10.5.0.0/24'])

    const third = await f.create('networks', 'network', { name: 'bulk-rollback' })
    const failed = await f.call('POST', '/v2.0/subnets', {
      subnets: [
        { network_id: third.id, ip_version: 4, cidr: '10.6.0.0/24' },
        { network_id: third.id, ip_version: 4, cidr: '10.6.0.0/25' },
      ],
    })
    expectNeutronError(failed, 400)
    const left = (await f.call('GET', `/v2.0/subnets?network_id=${third.id}`)).json().subnets
    expect(left).toEqual([])
  })
})

describe('Neutron subnet pools', () => {
  it('creates, shows, updates and deletes a pool, and allocates subnets from it', async () => {
    const pool = await f.create('subnetpools', 'subnetpool', {
      name: 'pool',
      prefixes: ['10.100.0.0/16'],
      default_prefixlen: 26,
    })
    expect(pool).toMatchObject({
      name: 'pool',
      tenant_id: f.opsId,
      project_id: f.opsId,
      ip_version: 4,
      prefixes: ['10.100.0.0/16'],
      default_prefixlen: 26,
      shared: false,
      is_default: false,
      address_scope_id: null,
      tags: [],
      revision_number: expect.any(Number),
    })
    const subnet = await f.create('subnets', 'subnet', {
      network_id: net.id,
      ip_version: 4,
      subnetpool_id: pool.id,
    })
    expect(subnet).toMatchObject({
      subnetpool_id: pool.id,
      cidr: expect.stringMatching(/^10\.100\.\d+\.\d+\/26$/),
    })
    const sized = await f.create('subnets', 'subnet', {
      network_id: net.id,
      ip_version: 4,
      subnetpool_id: pool.id,
      prefixlen: 28,
    })
    expect(sized.cidr).toMatch(/\/28$/)

    const updated = await f.call('PUT', `/v2.0/subnetpools/${pool.id}`, {
      subnetpool: { name: 'bigger', prefixes: ['10.100.0.0/16', '10.101.0.0/16'] },
    })
    expect(updated.statusCode, updated.body).toBe(200)
    // Adjacent prefixes are merged, as Neutron compacts a pool's prefixes (netaddr.cidr_merge).
    expect(updated.json().subnetpool).toMatchObject({ name: 'bigger', prefixes: ['10.100.0.0/15'] })
    expect((await f.call('GET', '/v2.0/subnetpools?name=bigger')).json().subnetpools).toHaveLength(1)

    for (const id of [subnet.id, sized.id])
      expect((await f.call('DELETE', `/v2.0/subnets/${id}`)).statusCode).toBe(204)
    expect((await f.call('DELETE', `/v2.0/subnetpools/${pool.id}`)).statusCode).toBe(204)
    expectNeutronError(await f.call('GET', `/v2.0/subnetpools/${pool.id}`), 404, 'SubnetPoolNotFound')
  })

  it('use_default_subnetpool takes the default pool, and is 400 without one', async () => {
    const none = await f.call('POST', '/v2.0/subnets', {
      subnet: { network_id: net.id, ip_version: 4, use_default_subnetpool: true },
    })
    expectNeutronError(none, 400)
    const pool = await f.create(
      'subnetpools',
      'subnetpool',
      { name: 'default', prefixes: ['10.200.0.0/16'], default_prefixlen: 24, is_default: true, shared: true },
      f.adminToken,
    )
    const subnet = await f.create('subnets', 'subnet', {
      network_id: net.id,
      ip_version: 4,
      use_default_subnetpool: true,
    })
    expect(subnet).toMatchObject({
      subnetpool_id: pool.id,
      cidr: expect.stringMatching(/^10\.200\.\d+\.0\/24$/),
    })
  })
})
