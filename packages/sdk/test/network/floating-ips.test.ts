import { memoryNetworkDriver, testStore } from '@nubis/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CloudOptions } from '../../src/cloud-options.js'
import { errorOf, memberOf, type NetworkFixture, networkFixture } from './fixture.js'

// Floating IPs as Neutron keeps them: an address of an external network held by a port of no project, reaching
// one fixed IPv4 address of a port through a router with a gateway on that network and an interface on the
// fixed address's subnet.

async function world(f: NetworkFixture) {
  const { network } = f.cloud
  const ext = await network.createNetwork(f.admin, { name: 'public', external: true })
  const extSubnet = await network.createSubnet(f.admin, {
    networkId: ext.id,
    ipVersion: 4,
    cidr: '203.0.113.0/24',
  })
  const net = await network.createNetwork(f.alice, { name: 'private' })
  const subnet = await network.createSubnet(f.alice, { networkId: net.id, ipVersion: 4, cidr: '10.0.0.0/24' })
  const router = await network.createRouter(f.alice, { externalGateway: { networkId: ext.id } })
  await network.addRouterInterface(f.alice, router.id, { subnetId: subnet.id })
  const vm = await network.createPort(f.alice, { networkId: net.id, name: 'vm' })
  return { ext, extSubnet, net, subnet, router, vm }
}

describe.each(['sqlite', 'postgres'] as const)('floating IPs on %s', (dialect) => {
  let f: NetworkFixture
  let w: Awaited<ReturnType<typeof world>>

  async function fixture(options: CloudOptions = {}) {
    const store = dialect === 'postgres' ? await testStore('postgres') : undefined
    return networkFixture({ ...(store && { store }), ...options })
  }

  beforeEach(async () => {
    f = await fixture({ quotas: { defaults: { floatingip: 3 } } })
    w = await world(f)
  })
  afterEach(() => f.close())

  const externalAddresses = async () =>
    (
      await f.cloud.store.db
        .selectFrom('net_ip_allocations')
        .select('ip_address')
        .where('subnet_id', '=', w.extSubnet.id)
        .orderBy('ip_address')
        .execute()
    ).map((row) => row.ip_address)
  const create = (extra: Record<string, unknown> = {}, ctx = f.alice) =>
    f.cloud.network.createFloatingIp(ctx, { floatingNetworkId: w.ext.id, ...extra })

  it('takes an address on a port of no project, DOWN until associated', async () => {
    const events: string[] = []
    f.cloud.events.on('network.floatingip.created', (e) => void events.push(`${e.id} ${e.portId}`))
    const fip = await create({ description: 'spare' })
    expect(fip).toMatchObject({
      projectId: 'p-alice',
      floatingNetworkId: w.ext.id,
      floatingIpAddress: '203.0.113.3',
      portId: null,
      fixedIpAddress: null,
      routerId: null,
      status: 'DOWN',
      description: 'spare',
    })
    expect(events).toEqual([`${fip.id} null`])
    const [port, ...others] = (await f.cloud.network.listPorts(f.admin, { deviceId: fip.id })).items
    expect(others).toEqual([])
    expect(port).toMatchObject({
      deviceOwner: 'network:floatingip',
      projectId: '',
      networkId: w.ext.id,
      portSecurityEnabled: false,
      securityGroups: [],
      fixedIps: [{ subnetId: w.extSubnet.id, ipAddress: '203.0.113.3' }],
    })
    expect((await f.cloud.network.listPorts(f.alice, { deviceId: fip.id })).items).toEqual([])
    await expect(f.cloud.network.getFloatingIp(f.alice, fip.id)).resolves.toEqual(fip)
  })

  it('associates, moves and disassociates through the router connecting the port', async () => {
    const fip = await create({ portId: w.vm.id })
    expect(fip).toMatchObject({
      portId: w.vm.id,
      fixedIpAddress: w.vm.fixedIps[0]!.ipAddress,
      routerId: w.router.id,
      status: 'ACTIVE',
    })
    const described = await f.cloud.network.updateFloatingIp(f.alice, fip.id, { description: 'web' })
    expect(described).toMatchObject({ portId: w.vm.id, status: 'ACTIVE', description: 'web' })
    const other = await f.cloud.network.createPort(f.alice, { networkId: w.net.id })
    const moved = await f.cloud.network.updateFloatingIp(f.alice, fip.id, { portId: other.id })
    expect(moved).toMatchObject({
      portId: other.id,
      fixedIpAddress: other.fixedIps[0]!.ipAddress,
      status: 'ACTIVE',
    })
    expect(moved.revisionNumber).toBe(fip.revisionNumber + 2)
    const down = await f.cloud.network.updateFloatingIp(f.alice, fip.id, { portId: null })
    expect(down).toMatchObject({ portId: null, fixedIpAddress: null, routerId: null, status: 'DOWN' })
    const listed = async (filter: Record<string, string>) =>
      (await f.cloud.network.listFloatingIps(f.alice, filter)).items.map((item) => item.id)
    expect(await listed({ status: 'DOWN' })).toEqual([fip.id])
    await f.cloud.network.updateFloatingIp(f.alice, fip.id, { portId: w.vm.id })
    expect(await listed({ status: 'ACTIVE', routerId: w.router.id, portId: w.vm.id })).toEqual([fip.id])
    expect(await listed({ status: 'DOWN' })).toEqual([])
    // Deleting the port leaves the floating IP, unassociated.
    await f.cloud.network.deletePort(f.alice, w.vm.id)
    expect(await f.cloud.network.getFloatingIp(f.alice, fip.id)).toMatchObject({
      portId: null,
      status: 'DOWN',
    })
  })

  it('refuses what Neutron refuses, leaving no port or address behind', async () => {
    const before = await externalAddresses()
    const refusals: [() => Promise<unknown>, string, string?][] = [
      [() => f.cloud.network.createFloatingIp(f.alice, { floatingNetworkId: w.net.id }), 'INVALID'],
      [() => create({ fixedIpAddress: '10.0.0.9' }), 'INVALID'],
      [() => create({ floatingIpAddress: '203.0.113.50' }), 'FORBIDDEN'],
      [() => create({ subnetId: w.subnet.id }), 'INVALID'],
      [() => create({ portId: 'missing' }), 'NOT_FOUND'],
      [() => create({ portId: w.vm.id, fixedIpAddress: '10.0.0.99' }), 'INVALID'],
    ]
    const bobNet = await f.cloud.network.createNetwork(f.bob, {})
    await f.cloud.network.createSubnet(f.bob, { networkId: bobNet.id, ipVersion: 4, cidr: '10.0.0.0/24' })
    const bobPort = await f.cloud.network.createPort(f.bob, { networkId: bobNet.id })
    refusals.push([
      () => f.cloud.network.createFloatingIp(f.alice, { floatingNetworkId: bobNet.id }),
      'NOT_FOUND',
    ])
    refusals.push([() => create({ portId: bobPort.id }), 'NOT_FOUND'])
    // No router joins Bob's network to the external one.
    refusals.push([
      () => create({ portId: bobPort.id }, f.bob),
      'NOT_FOUND',
      'ExternalGatewayForFloatingIPNotFound',
    ])
    const twoAddresses = await f.cloud.network.createPort(f.alice, {
      networkId: w.net.id,
      fixedIps: [{ ipAddress: '10.0.0.20' }, { ipAddress: '10.0.0.21' }],
    })
    refusals.push([() => create({ portId: twoAddresses.id }), 'INVALID'])
    const first = await create({ portId: w.vm.id })
    refusals.push([() => create({ portId: w.vm.id }), 'CONFLICT', 'FloatingIPPortAlreadyAssociated'])
    for (const [call, code, type] of refusals) {
      const error = await errorOf(call())
      expect(error.code, error.message).toBe(code)
      if (type) expect(error.details?.type).toBe(type)
    }
    expect(await externalAddresses()).toEqual([...before, first.floatingIpAddress].sort())
    expect((await f.cloud.network.listFloatingIps(f.admin)).items).toHaveLength(1)
    const chosen = await create({ portId: twoAddresses.id, fixedIpAddress: '10.0.0.21' })
    expect(chosen).toMatchObject({ fixedIpAddress: '10.0.0.21', routerId: w.router.id })
    const moveOnto = await errorOf(f.cloud.network.updateFloatingIp(f.alice, chosen.id, { portId: w.vm.id }))
    expect(moveOnto.details?.type).toBe('FloatingIPPortAlreadyAssociated')
  })

  it('lets admins choose the address, and anyone the subnet', async () => {
    const chosen = await create({ floatingIpAddress: '203.0.113.50' }, f.admin)
    expect(chosen).toMatchObject({ floatingIpAddress: '203.0.113.50', projectId: 'p-admin' })
    const taken = await errorOf(create({ floatingIpAddress: '203.0.113.50' }, f.admin))
    expect(taken).toMatchObject({ code: 'CONFLICT', details: { type: 'IpAddressAlreadyAllocated' } })
    const outside = await errorOf(create({ floatingIpAddress: '10.0.0.50' }, f.admin))
    expect(outside.code).toBe('INVALID')
    expect((await create({ subnetId: w.extSubnet.id })).floatingIpAddress).toBe('203.0.113.3')
  })

  it('keeps its router’s interface and gateway, and gives its address back when deleted', async () => {
    const fip = await create({ portId: w.vm.id })
    const iface = await errorOf(
      f.cloud.network.removeRouterInterface(f.alice, w.router.id, { subnetId: w.subnet.id }),
    )
    expect(iface).toMatchObject({ code: 'CONFLICT', details: { type: 'RouterInterfaceInUseByFloatingIP' } })
    const gateway = await errorOf(
      f.cloud.network.updateRouter(f.alice, w.router.id, { externalGateway: null }),
    )
    expect(gateway).toMatchObject({
      code: 'CONFLICT',
      details: { type: 'RouterExternalGatewayInUseByFloatingIp' },
    })
    expect((await errorOf(f.cloud.network.deleteRouter(f.alice, w.router.id))).code).toBe('CONFLICT')
    await f.cloud.network.updateFloatingIp(f.alice, fip.id, { portId: null })
    await f.cloud.network.removeRouterInterface(f.alice, w.router.id, { subnetId: w.subnet.id })
    await f.cloud.network.updateRouter(f.alice, w.router.id, { externalGateway: null })
    // Without the router's interface the port is out of reach.
    const unreachable = await errorOf(f.cloud.network.updateFloatingIp(f.alice, fip.id, { portId: w.vm.id }))
    expect(unreachable).toMatchObject({
      code: 'NOT_FOUND',
      details: { type: 'ExternalGatewayForFloatingIPNotFound' },
    })
    await f.cloud.network.deleteFloatingIp(f.alice, fip.id)
    expect(await externalAddresses()).toEqual([])
    expect((await f.cloud.network.listPorts(f.admin, { deviceId: fip.id })).items).toEqual([])
    expect((await errorOf(f.cloud.network.getFloatingIp(f.alice, fip.id))).code).toBe('NOT_FOUND')
  })

  it('hides a project’s floating IPs from others and lets its readers only look', async () => {
    const fip = await create({ portId: w.vm.id })
    for (const call of [
      () => f.cloud.network.getFloatingIp(f.bob, fip.id),
      () => f.cloud.network.updateFloatingIp(f.bob, fip.id, { portId: null }),
      () => f.cloud.network.deleteFloatingIp(f.bob, fip.id),
    ]) {
      expect((await errorOf(call())).code).toBe('NOT_FOUND')
    }
    expect((await f.cloud.network.listFloatingIps(f.bob)).items).toEqual([])
    const reader = memberOf('p-alice', ['reader'])
    await expect(f.cloud.network.getFloatingIp(reader, fip.id)).resolves.toMatchObject({ id: fip.id })
    expect((await errorOf(f.cloud.network.updateFloatingIp(reader, fip.id, { portId: null }))).code).toBe(
      'FORBIDDEN',
    )
    expect(
      (await errorOf(f.cloud.network.createFloatingIp(reader, { floatingNetworkId: w.ext.id }))).code,
    ).toBe('FORBIDDEN')
    expect(await f.cloud.network.getFloatingIp(f.alice, fip.id)).toMatchObject({ status: 'ACTIVE' })
  })

  it('counts floating IPs against the project’s quota without leaking addresses', async () => {
    for (let i = 0; i < 3; i++) await create()
    const addresses = await externalAddresses()
    expect((await errorOf(create())).code).toBe('QUOTA_EXCEEDED')
    expect(await externalAddresses()).toEqual(addresses)
    await create({}, f.bob)
  })
})

describe('floating IPs on a data plane', () => {
  it('are set up in the router on the gateway host, and taken away again', async () => {
    const driver = memoryNetworkDriver()
    const f = await networkFixture({ network: { driver, gatewayHost: 'host-1' } })
    try {
      const w = await world(f)
      await f.cloud.network.updatePort(f.admin, w.vm.id, { bindingHostId: 'host-2' })
      const fip = await f.cloud.network.createFloatingIp(f.alice, {
        floatingNetworkId: w.ext.id,
        portId: w.vm.id,
      })
      const routers = () => driver.applied('host-1')?.routers ?? []
      expect(routers()).toEqual([
        expect.objectContaining({
          id: w.router.id,
          gateway: expect.objectContaining({
            networkId: w.ext.id,
            enableSnat: true,
            gatewayIp: '203.0.113.1',
          }),
          interfaces: [expect.objectContaining({ networkId: w.net.id })],
          floatingIps: [{ id: fip.id, floatingIp: fip.floatingIpAddress, fixedIp: fip.fixedIpAddress }],
        }),
      ])
      // The VM's host floods to the gateway host, where the router's interface is.
      const peers = driver.applied('host-2')?.networks.find((n) => n.id === w.net.id)?.peers
      expect(peers).toEqual(['192.0.2.11'])
      await f.cloud.network.updateFloatingIp(f.alice, fip.id, { portId: null })
      expect(routers()[0]?.floatingIps).toEqual([])
      await f.cloud.network.removeRouterInterface(f.alice, w.router.id, { subnetId: w.subnet.id })
      await f.cloud.network.deleteRouter(f.alice, w.router.id)
      expect(routers()).toEqual([])
    } finally {
      await f.close()
    }
  })
})
