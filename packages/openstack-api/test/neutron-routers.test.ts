import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectNeutronError, type NeutronFixture, neutronFixture, type Obj } from './neutron-fixtures.js'

let f: NeutronFixture
let publicNet: Obj
let publicSubnet: Obj
let privateNet: Obj
let privateSubnet: Obj
beforeAll(async () => {
  f = await neutronFixture()
  publicNet = await f.create('networks', 'network', { name: 'public', 'router:external': true }, f.adminToken)
  publicSubnet = await f.create(
    'subnets',
    'subnet',
    { network_id: publicNet.id, ip_version: 4, cidr: '203.0.113.0/24', enable_dhcp: false },
    f.adminToken,
  )
  privateNet = await f.create('networks', 'network', { name: 'private' })
  privateSubnet = await f.create('subnets', 'subnet', {
    network_id: privateNet.id,
    ip_version: 4,
    cidr: '10.0.0.0/24',
  })
})
afterAll(() => f.close())

describe('Neutron external networks', () => {
  it('are visible to every project, their subnets only to their own (unless shared)', async () => {
    const shown = await f.call('GET', `/v2.0/networks/${publicNet.id}`, undefined, f.devToken)
    expect(shown.statusCode, shown.body).toBe(200)
    expect(shown.json().network).toMatchObject({ 'router:external': true, shared: false })
    const subnets = await f.call('GET', `/v2.0/subnets?network_id=${publicNet.id}`, undefined, f.devToken)
    expect(subnets.json()).toEqual({ subnets: [] })
    expectNeutronError(await f.call('GET', `/v2.0/subnets/${publicSubnet.id}`, undefined, f.devToken), 404)
  })
})

describe('Neutron routers', () => {
  let router: Obj

  it('creates a router in Neutron’s shape, sets its gateway and routes', async () => {
    router = await f.create('routers', 'router', { name: 'r1' })
    expect(router).toEqual({
      id: expect.any(String),
      name: 'r1',
      description: '',
      tenant_id: f.opsId,
      project_id: f.opsId,
      admin_state_up: true,
      status: 'ACTIVE',
      external_gateway_info: null,
      routes: [],
      availability_zone_hints: [],
      availability_zones: [],
      tags: [],
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
      revision_number: expect.any(Number),
    })
    const gateway = await f.call('PUT', `/v2.0/routers/${router.id}`, {
      router: { external_gateway_info: { network_id: publicNet.id } },
    })
    expect(gateway.statusCode, gateway.body).toBe(200)
    expect(gateway.json().router.external_gateway_info).toEqual({
      network_id: publicNet.id,
      enable_snat: true,
      external_fixed_ips: [
        { subnet_id: publicSubnet.id, ip_address: expect.stringMatching(/^203\.0\.113\./) },
      ],
    })
    const notExternal = await f.call('PUT', `/v2.0/routers/${router.id}`, {
      router: { external_gateway_info: { network_id: privateNet.id } },
    })
    expectNeutronError(notExternal, 400)
  })

  it('adds and removes an interface by subnet, and by port', async () => {
    const added = await f.call('PUT', `/v2.0/routers/${router.id}/add_router_interface`, {
      subnet_id: privateSubnet.id,
    })
    expect(added.statusCode, added.body).toBe(200)
    const info = added.json()
    expect(info).toEqual({
      id: router.id,
      tenant_id: f.opsId,
      project_id: f.opsId,
      port_id: expect.any(String),
      subnet_id: privateSubnet.id,
      subnet_ids: [privateSubnet.id],
      network_id: privateNet.id,
    })
    const port = (await f.call('GET', `/v2.0/ports/${info.port_id}`)).json().port
    expect(port).toMatchObject({
      device_id: router.id,
      fixed_ips: [{ subnet_id: privateSubnet.id, ip_address: '10.0.0.1' }],
    })
    expectNeutronError(await f.call('DELETE', `/v2.0/routers/${router.id}`), 409)
    expectNeutronError(await f.call('DELETE', `/v2.0/ports/${info.port_id}`), 409)

    const routes = await f.call('PUT', `/v2.0/routers/${router.id}`, {
      router: { routes: [{ destination: '172.16.0.0/16', nexthop: '10.0.0.254' }] },
    })
    expect(routes.statusCode, routes.body).toBe(200)
    expect(routes.json().router.routes).toEqual([{ destination: '172.16.0.0/16', nexthop: '10.0.0.254' }])
    // `null` clears them, as Tempest does (Neutron's convert_none_to_empty_list).
    const cleared = await f.call('PUT', `/v2.0/routers/${router.id}`, { router: { routes: null } })
    expect(cleared.json().router.routes).toEqual([])

    const removed = await f.call('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, {
      subnet_id: privateSubnet.id,
    })
    expect(removed.statusCode, removed.body).toBe(200)
    expect(removed.json()).toMatchObject({
      id: router.id,
      port_id: info.port_id,
      subnet_id: privateSubnet.id,
    })

    const own = await f.create('ports', 'port', { network_id: privateNet.id })
    const byPort = await f.call('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { port_id: own.id })
    expect(byPort.statusCode, byPort.body).toBe(200)
    expect(byPort.json()).toMatchObject({ port_id: own.id, subnet_id: privateSubnet.id })
    const off = await f.call('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { port_id: own.id })
    expect(off.statusCode, off.body).toBe(200)

    expectNeutronError(await f.call('PUT', `/v2.0/routers/${router.id}/add_router_interface`, {}), 400)
    const both = { subnet_id: privateSubnet.id, port_id: own.id }
    expectNeutronError(await f.call('PUT', `/v2.0/routers/${router.id}/add_router_interface`, both), 400)
  })

  it('floating IPs: allocate, associate, disassociate, delete', async () => {
    await f.call('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: privateSubnet.id })
    const vm = await f.create('ports', 'port', { network_id: privateNet.id, device_id: 'vm' })
    const fip = await f.create('floatingips', 'floatingip', { floating_network_id: publicNet.id })
    expect(fip).toEqual({
      id: expect.any(String),
      tenant_id: f.opsId,
      project_id: f.opsId,
      floating_network_id: publicNet.id,
      floating_ip_address: expect.stringMatching(/^203\.0\.113\./),
      router_id: null,
      port_id: null,
      fixed_ip_address: null,
      status: 'DOWN',
      description: '',
      tags: [],
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
      revision_number: expect.any(Number),
    })
    const associated = await f.call('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: vm.id } })
    expect(associated.statusCode, associated.body).toBe(200)
    const vmIp = (vm.fixed_ips as { ip_address: string }[])[0]!.ip_address
    expect(associated.json().floatingip).toMatchObject({
      port_id: vm.id,
      fixed_ip_address: vmIp,
      router_id: router.id,
    })
    const byPort = (await f.call('GET', `/v2.0/floatingips?port_id=${vm.id}`)).json().floatingips
    expect(byPort.map((item: Obj) => item.id)).toEqual([fip.id])

    const dropped = await f.call('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } })
    expect(dropped.json().floatingip).toMatchObject({
      port_id: null,
      fixed_ip_address: null,
      router_id: null,
    })
    expect((await f.call('DELETE', `/v2.0/floatingips/${fip.id}`)).statusCode).toBe(204)
    expectNeutronError(await f.call('GET', `/v2.0/floatingips/${fip.id}`), 404, 'FloatingIPNotFound')
  })

  it('clears the gateway with {} and deletes the router once it has no interfaces', async () => {
    await f.call('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { subnet_id: privateSubnet.id })
    const unset = await f.call('PUT', `/v2.0/routers/${router.id}`, { router: { external_gateway_info: {} } })
    expect(unset.statusCode, unset.body).toBe(200)
    expect(unset.json().router.external_gateway_info).toBeNull()
    expect((await f.call('DELETE', `/v2.0/routers/${router.id}`)).statusCode).toBe(204)
    expectNeutronError(await f.call('GET', `/v2.0/routers/${router.id}`), 404, 'RouterNotFound')
  })
})
