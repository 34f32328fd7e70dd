import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectNeutronError, type NeutronFixture, neutronFixture, type Obj } from './neutron-fixtures.js'

let f: NeutronFixture
let net: Obj
let subnet: Obj
beforeAll(async () => {
  f = await neutronFixture()
  net = await f.create('networks', 'network', { name: 'ports' })
  subnet = await f.create('subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.10.0.0/24' })
})
afterAll(() => f.close())

const port = (body: Record<string, unknown>, token?: string) =>
  f.call('POST', '/v2.0/ports', { port: { network_id: net.id, ...body } }, token)

describe('Neutron ports', () => {
  it('creates, shows, updates and deletes a port in Neutron’s shape', async () => {
    const created = await f.create('ports', 'port', { network_id: net.id, name: 'p1', device_id: 'vm-1' })
    expect(created).toEqual({
      id: expect.any(String),
      name: 'p1',
      description: '',
      network_id: net.id,
      tenant_id: f.opsId,
      project_id: f.opsId,
      admin_state_up: true,
      status: expect.any(String),
      mac_address: expect.stringMatching(/^fa:16:3e(:[0-9a-f]{2}){3}$/),
      fixed_ips: [{ subnet_id: subnet.id, ip_address: expect.stringMatching(/^10\.10\.0\.\d+$/) }],
      device_id: 'vm-1',
      device_owner: '',
      'binding:vnic_type': 'normal',
      port_security_enabled: true,
      security_groups: [expect.any(String)],
      allowed_address_pairs: [],
      tags: [],
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
      revision_number: expect.any(Number),
    })
    const asAdmin = (await f.call('GET', `/v2.0/ports/${created.id}`, undefined, f.adminToken)).json().port
    expect(asAdmin).toMatchObject({
      'binding:host_id': '',
      'binding:vif_type': 'unbound',
      'binding:vif_details': {},
      'binding:profile': {},
    })

    const updated = await f.call('PUT', `/v2.0/ports/${created.id}`, {
      port: {
        name: 'p2',
        fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.10.0.77' }],
        allowed_address_pairs: [{ ip_address: '10.10.0.200' }],
      },
    })
    expect(updated.statusCode, updated.body).toBe(200)
    expect(updated.json().port).toMatchObject({
      name: 'p2',
      fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.10.0.77' }],
      allowed_address_pairs: [{ ip_address: '10.10.0.200', mac_address: created.mac_address }],
    })
    const moved = await f.call('PUT', `/v2.0/ports/${created.id}`, { port: { network_id: 'elsewhere' } })
    expect(expectNeutronError(moved, 400)).toContain('network_id')

    expect((await f.call('DELETE', `/v2.0/ports/${created.id}`)).statusCode).toBe(204)
    expectNeutronError(await f.call('GET', `/v2.0/ports/${created.id}`), 404, 'PortNotFound')
  })

  it('binding attributes are for administrators: a member setting one gets 403', async () => {
    expectNeutronError(await port({ 'binding:host_id': 'local' }), 403)
    const bound = await f.create(
      'ports',
      'port',
      { network_id: net.id, 'binding:host_id': 'local' },
      f.adminToken,
    )
    expect(bound).toMatchObject({ 'binding:host_id': 'local', 'binding:vif_type': expect.any(String) })
    expect((await f.call('DELETE', `/v2.0/ports/${bound.id}`, undefined, f.adminToken)).statusCode).toBe(204)
  })

  it('an address outside the subnet is 400; an address in use is 409', async () => {
    const outside = await port({ fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.99.0.5' }] })
    expectNeutronError(outside, 400)
    const first = await f.create('ports', 'port', {
      network_id: net.id,
      fixed_ips: [{ ip_address: '10.10.0.50' }],
    })
    const taken = await port({ fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.10.0.50' }] })
    expect(expectNeutronError(taken, 409, 'IpAddressAlreadyAllocated')).toContain('10.10.0.50')
    expect((await f.call('DELETE', `/v2.0/ports/${first.id}`)).statusCode).toBe(204)
  })

  it('lists ports by network, device, address and subnet', async () => {
    const a = await f.create('ports', 'port', { network_id: net.id, device_id: 'router-x' })
    const b = await f.create('ports', 'port', {
      network_id: net.id,
      fixed_ips: [{ ip_address: '10.10.0.60' }],
    })
    const ids = async (query: string) =>
      ((await f.call('GET', `/v2.0/ports${query}`)).json().ports as Obj[]).map((p) => p.id)
    expect(await ids('?device_id=router-x')).toEqual([a.id])
    expect(await ids('?fixed_ips=ip_address%3D10.10.0.60')).toEqual([b.id])
    expect(await ids(`?fixed_ips=subnet_id%3D${subnet.id}&device_id=router-x`)).toEqual([a.id])
    expect(await ids(`?network_id=${net.id}&fields=id`)).toEqual(expect.arrayContaining([a.id, b.id]))
    for (const p of [a, b]) expect((await f.call('DELETE', `/v2.0/ports/${p.id}`)).statusCode).toBe(204)
  })

  it('creates ports in bulk, all or nothing', async () => {
    const ok = await f.call('POST', '/v2.0/ports', {
      ports: [{ network_id: net.id }, { network_id: net.id }],
    })
    expect(ok.statusCode, ok.body).toBe(201)
    const made = ok.json().ports as Obj[]
    expect(made).toHaveLength(2)
    const failed = await f.call('POST', '/v2.0/ports', {
      ports: [
        { network_id: net.id, name: 'bulk-undone', fixed_ips: [{ ip_address: '10.10.0.90' }] },
        { network_id: net.id, name: 'bulk-undone', fixed_ips: [{ ip_address: '10.10.0.90' }] },
      ],
    })
    expectNeutronError(failed, 409)
    expect((await f.call('GET', '/v2.0/ports?name=bulk-undone')).json().ports).toEqual([])
    for (const p of made) expect((await f.call('DELETE', `/v2.0/ports/${p.id}`)).statusCode).toBe(204)
  })

  it('deleting a network with ports is 409 NetworkInUse', async () => {
    const p = await f.create('ports', 'port', { network_id: net.id })
    expectNeutronError(await f.call('DELETE', `/v2.0/networks/${net.id}`), 409, 'NetworkInUse')
    expectNeutronError(await f.call('DELETE', `/v2.0/subnets/${subnet.id}`), 409, 'SubnetInUse')
    expect((await f.call('DELETE', `/v2.0/ports/${p.id}`)).statusCode).toBe(204)
  })

  it('an exhausted allocation pool is 409 IpAddressGenerationFailure', async () => {
    const small = await f.create('networks', 'network', { name: 'small' })
    await f.create('subnets', 'subnet', {
      network_id: small.id,
      ip_version: 4,
      cidr: '10.20.0.0/29',
      enable_dhcp: false,
      allocation_pools: [{ start: '10.20.0.2', end: '10.20.0.3' }],
    })
    for (let i = 0; i < 2; i++) await f.create('ports', 'port', { network_id: small.id })
    const full = await f.call('POST', '/v2.0/ports', { port: { network_id: small.id } })
    expectNeutronError(full, 409, 'IpAddressGenerationFailure')
  })
})
