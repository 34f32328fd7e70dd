import { testStore } from '@nubis/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CloudOptions } from '../../src/cloud-options.js'
import { errorOf, memberOf, type NetworkFixture, networkFixture } from './fixture.js'

// Routers as Neutron keeps them: a gateway port on an external network, interface ports holding the subnets'
// gateway addresses, static routes through neighbours, and nothing left behind by a refused call.

describe.each(['sqlite', 'postgres'] as const)('routers on %s', (dialect) => {
  let f: NetworkFixture
  let ext: { networkId: string; subnetId: string }
  let net: { networkId: string; subnetId: string }

  async function fixture(options: CloudOptions = {}) {
    const store = dialect === 'postgres' ? await testStore('postgres') : undefined
    return networkFixture({ ...(store && { store }), ...options })
  }

  /** A network of `ctx`'s project with one IPv4 subnet. */
  async function network(
    ctx = f.alice,
    cidr = '10.0.0.0/24',
    extra: { external?: boolean; gatewayIp?: null } = {},
  ) {
    const n = await f.cloud.network.createNetwork(ctx, {
      name: 'net',
      ...(extra.external && { external: true }),
    })
    const { gatewayIp } = extra
    const s = await f.cloud.network.createSubnet(ctx, {
      networkId: n.id,
      ipVersion: 4,
      cidr,
      ...(gatewayIp === null && { gatewayIp }),
    })
    return { networkId: n.id, subnetId: s.id }
  }

  beforeEach(async () => {
    f = await fixture({ quotas: { defaults: { router: 3 } } })
    ext = await network(f.admin, '203.0.113.0/24', { external: true })
    net = await network()
  })
  afterEach(() => f.close())

  const portsOf = async (deviceId: string) =>
    (await f.cloud.network.listPorts(f.admin, { deviceId })).items.sort((a, b) =>
      a.deviceOwner.localeCompare(b.deviceOwner),
    )
  const addresses = async (subnetId: string) =>
    (
      await f.cloud.store.db
        .selectFrom('net_ip_allocations')
        .select('ip_address')
        .where('subnet_id', '=', subnetId)
        .orderBy('ip_address')
        .execute()
    ).map((row) => row.ip_address)
  const routerCount = async () => (await f.cloud.network.listRouters(f.admin)).items.length

  describe('gateway', () => {
    it('takes an address of the external network on a port of no project, without security', async () => {
      const created: string[] = []
      f.cloud.events.on('network.router.created', (e) => void created.push(e.id))
      const router = await f.cloud.network.createRouter(f.alice, {
        name: 'r1',
        externalGateway: { networkId: ext.networkId },
      })
      expect(router).toMatchObject({
        name: 'r1',
        projectId: 'p-alice',
        status: 'ACTIVE',
        adminStateUp: true,
        routes: [],
        externalGatewayInfo: {
          networkId: ext.networkId,
          enableSnat: true,
          externalFixedIps: [{ subnetId: ext.subnetId, ipAddress: '203.0.113.2' }],
        },
      })
      expect(created).toEqual([router.id])
      const [gw] = await portsOf(router.id)
      expect(gw).toMatchObject({
        deviceOwner: 'network:router_gateway',
        deviceId: router.id,
        projectId: '',
        networkId: ext.networkId,
        portSecurityEnabled: false,
        securityGroups: [],
        status: 'ACTIVE',
      })
      // The gateway port is the cloud's, not the project's: its members do not see it.
      expect((await f.cloud.network.listPorts(f.alice, { deviceId: router.id })).items).toEqual([])
      await expect(f.cloud.network.getRouter(f.alice, router.id)).resolves.toEqual(router)
    })

    it('refuses a network that is not external or not visible, and admin-only choices, leaving nothing', async () => {
      const notExternal = await errorOf(
        f.cloud.network.createRouter(f.alice, { externalGateway: { networkId: net.networkId } }),
      )
      expect(notExternal).toMatchObject({
        code: 'INVALID',
        message: `Network ${net.networkId} is not an external network`,
      })
      const bobs = await network(f.bob, '10.1.0.0/24')
      const hidden = await errorOf(
        f.cloud.network.createRouter(f.alice, { externalGateway: { networkId: bobs.networkId } }),
      )
      expect(hidden.code).toBe('NOT_FOUND')
      for (const gateway of [
        { networkId: ext.networkId, enableSnat: false },
        { networkId: ext.networkId, enableSnat: true },
        { networkId: ext.networkId, externalFixedIps: [{ ipAddress: '203.0.113.9' }] },
      ]) {
        expect(
          (await errorOf(f.cloud.network.createRouter(f.alice, { externalGateway: gateway }))).code,
        ).toBe('FORBIDDEN')
      }
      expect(await routerCount()).toBe(0)
      expect(await addresses(ext.subnetId)).toEqual([])
      const admin = await f.cloud.network.createRouter(f.admin, {
        projectId: 'p-alice',
        externalGateway: {
          networkId: ext.networkId,
          enableSnat: false,
          externalFixedIps: [{ ipAddress: '203.0.113.9' }],
        },
      })
      expect(admin.externalGatewayInfo).toEqual({
        networkId: ext.networkId,
        enableSnat: false,
        externalFixedIps: [{ subnetId: ext.subnetId, ipAddress: '203.0.113.9' }],
      })
      const taken = await errorOf(
        f.cloud.network.createRouter(f.admin, {
          externalGateway: { networkId: ext.networkId, externalFixedIps: [{ ipAddress: '203.0.113.9' }] },
        }),
      )
      expect(taken).toMatchObject({ code: 'CONFLICT', details: { type: 'IpAddressAlreadyAllocated' } })
      expect(await routerCount()).toBe(1)
    })

    it('is cleared, set, moved to another network and given other addresses by updates', async () => {
      const router = await f.cloud.network.createRouter(f.alice, {
        externalGateway: { networkId: ext.networkId },
      })
      const cleared = await f.cloud.network.updateRouter(f.alice, router.id, { externalGateway: null })
      expect(cleared.externalGatewayInfo).toBeNull()
      expect(cleared.revisionNumber).toBe(router.revisionNumber + 1)
      expect(await portsOf(router.id)).toEqual([])
      expect(await addresses(ext.subnetId)).toEqual([])
      await f.cloud.network.updateRouter(f.alice, router.id, {
        externalGateway: { networkId: ext.networkId },
      })
      const ext2 = await network(f.admin, '198.51.100.0/24', { external: true })
      const moved = await f.cloud.network.updateRouter(f.alice, router.id, {
        externalGateway: { networkId: ext2.networkId },
      })
      expect(moved.externalGatewayInfo?.externalFixedIps).toEqual([
        { subnetId: ext2.subnetId, ipAddress: '198.51.100.2' },
      ])
      expect(await addresses(ext.subnetId)).toEqual([])
      expect(await portsOf(router.id)).toHaveLength(1)
      const renumbered = await f.cloud.network.updateRouter(f.admin, router.id, {
        externalGateway: { networkId: ext2.networkId, externalFixedIps: [{ ipAddress: '198.51.100.77' }] },
      })
      expect(renumbered.externalGatewayInfo?.externalFixedIps).toEqual([
        { subnetId: ext2.subnetId, ipAddress: '198.51.100.77' },
      ])
      expect(await addresses(ext2.subnetId)).toEqual(['198.51.100.77'])
      // Clearing a cleared gateway changes nothing but the revision.
      await f.cloud.network.updateRouter(f.alice, router.id, { externalGateway: null })
      await f.cloud.network.updateRouter(f.alice, router.id, { externalGateway: null })
      expect(await portsOf(router.id)).toEqual([])
    })
  })

  describe('interfaces', () => {
    it('by subnet take the subnet’s gateway address on a port of the router’s project', async () => {
      const router = await f.cloud.network.createRouter(f.alice, { name: 'r' })
      const info = await f.cloud.network.addRouterInterface(f.alice, router.id, { subnetId: net.subnetId })
      expect(info).toEqual({
        id: router.id,
        projectId: 'p-alice',
        portId: expect.any(String),
        subnetId: net.subnetId,
        subnetIds: [net.subnetId],
        networkId: net.networkId,
      })
      const port = await f.cloud.network.getPort(f.alice, info.portId)
      expect(port).toMatchObject({
        deviceOwner: 'network:router_interface',
        deviceId: router.id,
        fixedIps: [{ subnetId: net.subnetId, ipAddress: '10.0.0.1' }],
        status: 'ACTIVE',
        portSecurityEnabled: false,
      })
      expect((await f.cloud.network.getRouter(f.alice, router.id)).revisionNumber).toBe(
        router.revisionNumber + 1,
      )
      // The port API leaves router ports alone.
      expect((await errorOf(f.cloud.network.deletePort(f.alice, port.id))).code).toBe('CONFLICT')
      const removed = await f.cloud.network.removeRouterInterface(f.alice, router.id, {
        subnetId: net.subnetId,
      })
      expect(removed).toEqual(info)
      expect(await portsOf(router.id)).toEqual([])
      expect(await addresses(net.subnetId)).toEqual([])
    })

    it('refuses a subnet attached already, overlapping, without gateway or whose gateway address is taken', async () => {
      const router = await f.cloud.network.createRouter(f.alice, {
        externalGateway: { networkId: ext.networkId },
      })
      await f.cloud.network.addRouterInterface(f.alice, router.id, { subnetId: net.subnetId })
      const again = await errorOf(
        f.cloud.network.addRouterInterface(f.alice, router.id, { subnetId: net.subnetId }),
      )
      expect(again).toMatchObject({
        code: 'INVALID',
        message: `Router already has a port on subnet ${net.subnetId}`,
      })
      const overlapping = await network(f.alice, '10.0.0.0/25')
      expect(
        (
          await errorOf(
            f.cloud.network.addRouterInterface(f.alice, router.id, { subnetId: overlapping.subnetId }),
          )
        ).code,
      ).toBe('INVALID')
      // The gateway's subnet counts too.
      const onExternal = await network(f.alice, '203.0.113.128/25')
      expect(
        (
          await errorOf(
            f.cloud.network.addRouterInterface(f.alice, router.id, { subnetId: onExternal.subnetId }),
          )
        ).code,
      ).toBe('INVALID')
      const noGateway = await network(f.alice, '10.2.0.0/24', { gatewayIp: null })
      expect(
        (
          await errorOf(
            f.cloud.network.addRouterInterface(f.alice, router.id, { subnetId: noGateway.subnetId }),
          )
        ).code,
      ).toBe('INVALID')
      const busy = await network(f.alice, '10.3.0.0/24')
      await f.cloud.network.createPort(f.alice, {
        networkId: busy.networkId,
        fixedIps: [{ ipAddress: '10.3.0.1' }],
      })
      const taken = await errorOf(
        f.cloud.network.addRouterInterface(f.alice, router.id, { subnetId: busy.subnetId }),
      )
      expect(taken).toMatchObject({ code: 'CONFLICT', details: { type: 'IpAddressAlreadyAllocated' } })
      expect(await portsOf(router.id)).toHaveLength(2)
      expect(await addresses(busy.subnetId)).toEqual(['10.3.0.1'])
      const missing = await errorOf(
        f.cloud.network.addRouterInterface(f.alice, router.id, { subnetId: 'nope' }),
      )
      expect(missing.code).toBe('NOT_FOUND')
    })

    it('by port adopt an unbound, unattached port with addresses, and delete it on removal', async () => {
      const router = await f.cloud.network.createRouter(f.alice, {})
      const port = await f.cloud.network.createPort(f.alice, { networkId: net.networkId })
      const info = await f.cloud.network.addRouterInterface(f.alice, router.id, { portId: port.id })
      expect(info).toMatchObject({ portId: port.id, subnetIds: [net.subnetId], networkId: net.networkId })
      expect(await f.cloud.network.getPort(f.alice, port.id)).toMatchObject({
        deviceOwner: 'network:router_interface',
        deviceId: router.id,
      })
      const other = await f.cloud.network.createRouter(f.alice, {})
      const inUse = await errorOf(f.cloud.network.addRouterInterface(f.alice, other.id, { portId: port.id }))
      expect(inUse).toMatchObject({ code: 'CONFLICT', details: { type: 'PortInUse' } })
      const net2 = await network(f.alice, '10.5.0.0/24')
      const attached = await f.cloud.network.createPort(f.alice, {
        networkId: net2.networkId,
        deviceId: 'vm-1',
      })
      expect(
        (await errorOf(f.cloud.network.addRouterInterface(f.alice, other.id, { portId: attached.id }))).code,
      ).toBe('CONFLICT')
      const bound = await f.cloud.network.createPort(f.admin, {
        networkId: net2.networkId,
        bindingHostId: 'local',
      })
      expect(
        (await errorOf(f.cloud.network.addRouterInterface(f.admin, other.id, { portId: bound.id }))).code,
      ).toBe('CONFLICT')
      const bare = await f.cloud.network.createPort(f.alice, { networkId: net2.networkId, fixedIps: [] })
      expect(
        (await errorOf(f.cloud.network.addRouterInterface(f.alice, other.id, { portId: bare.id }))).code,
      ).toBe('INVALID')
      expect(await portsOf(other.id)).toEqual([])
      const notOurs = await errorOf(
        f.cloud.network.removeRouterInterface(f.alice, other.id, { portId: port.id }),
      )
      expect(notOurs).toMatchObject({ code: 'NOT_FOUND', details: { type: 'RouterInterfaceNotFound' } })
      const noSubnet = await errorOf(
        f.cloud.network.removeRouterInterface(f.alice, other.id, { subnetId: net.subnetId }),
      )
      expect(noSubnet).toMatchObject({
        code: 'NOT_FOUND',
        details: { type: 'RouterInterfaceNotFoundForSubnet' },
      })
      await f.cloud.network.removeRouterInterface(f.alice, router.id, { portId: port.id })
      expect((await errorOf(f.cloud.network.getPort(f.alice, port.id))).code).toBe('NOT_FOUND')
    })

    it('share one port between the IPv6 subnets of a network, as Neutron does', async () => {
      const router = await f.cloud.network.createRouter(f.alice, {})
      const subnet = (cidr: string) =>
        f.cloud.network.createSubnet(f.alice, { networkId: net.networkId, ipVersion: 6, cidr })
      const a = await subnet('fd00:1::/64')
      const b = await subnet('fd00:2::/64')
      const first = await f.cloud.network.addRouterInterface(f.alice, router.id, { subnetId: a.id })
      const second = await f.cloud.network.addRouterInterface(f.alice, router.id, { subnetId: b.id })
      expect(second.portId).toBe(first.portId)
      expect((await f.cloud.network.getPort(f.alice, first.portId)).fixedIps).toHaveLength(2)
      await f.cloud.network.removeRouterInterface(f.alice, router.id, { subnetId: a.id })
      expect((await f.cloud.network.getPort(f.alice, first.portId)).fixedIps).toEqual([
        { subnetId: b.id, ipAddress: 'fd00:2::1' },
      ])
      await f.cloud.network.removeRouterInterface(f.alice, router.id, { subnetId: b.id })
      expect(await portsOf(router.id)).toEqual([])
    })
  })

  describe('routes, state and deletion', () => {
    it('take static routes through a neighbour only, and keep the interface they need', async () => {
      const router = await f.cloud.network.createRouter(f.alice, {})
      await f.cloud.network.addRouterInterface(f.alice, router.id, { subnetId: net.subnetId })
      const routes = [{ destination: '192.168.0.0/16', nexthop: '10.0.0.5' }]
      const updated = await f.cloud.network.updateRouter(f.alice, router.id, { routes })
      expect(updated.routes).toEqual(routes)
      for (const bad of [
        [{ destination: '192.168.0.0/16', nexthop: '10.9.0.5' }],
        [{ destination: '192.168.0.0/16', nexthop: '10.0.0.1' }],
        [{ destination: '192.168.0.1/16', nexthop: '10.0.0.5' }],
        [...routes, ...routes],
      ]) {
        expect((await errorOf(f.cloud.network.updateRouter(f.alice, router.id, { routes: bad }))).code).toBe(
          'INVALID',
        )
      }
      const needed = await errorOf(
        f.cloud.network.removeRouterInterface(f.alice, router.id, { subnetId: net.subnetId }),
      )
      expect(needed).toMatchObject({ code: 'CONFLICT', details: { type: 'RouterInterfaceInUseByRoute' } })
      await f.cloud.network.updateRouter(f.alice, router.id, { routes: [] })
      await f.cloud.network.removeRouterInterface(f.alice, router.id, { subnetId: net.subnetId })
    })

    it('take their ports down with them when set down', async () => {
      const router = await f.cloud.network.createRouter(f.alice, {
        externalGateway: { networkId: ext.networkId },
      })
      await f.cloud.network.addRouterInterface(f.alice, router.id, { subnetId: net.subnetId })
      await f.cloud.network.updateRouter(f.alice, router.id, { adminStateUp: false })
      expect((await portsOf(router.id)).map((p) => p.status)).toEqual(['DOWN', 'DOWN'])
      await f.cloud.network.updateRouter(f.alice, router.id, { adminStateUp: true, name: 'up' })
      expect((await portsOf(router.id)).map((p) => p.status)).toEqual(['ACTIVE', 'ACTIVE'])
    })

    it('cannot be deleted while interfaces remain; deletion frees the gateway address', async () => {
      const deleted: string[] = []
      f.cloud.events.on('network.router.deleted', (e) => void deleted.push(e.id))
      const router = await f.cloud.network.createRouter(f.alice, {
        externalGateway: { networkId: ext.networkId },
      })
      await f.cloud.network.addRouterInterface(f.alice, router.id, { subnetId: net.subnetId })
      const inUse = await errorOf(f.cloud.network.deleteRouter(f.alice, router.id))
      expect(inUse).toMatchObject({ code: 'CONFLICT', details: { type: 'RouterInUse' } })
      await f.cloud.network.removeRouterInterface(f.alice, router.id, { subnetId: net.subnetId })
      await f.cloud.network.deleteRouter(f.alice, router.id)
      expect(deleted).toEqual([router.id])
      expect(await portsOf(router.id)).toEqual([])
      expect(await addresses(ext.subnetId)).toEqual([])
      expect((await errorOf(f.cloud.network.getRouter(f.alice, router.id))).code).toBe('NOT_FOUND')
    })
  })

  describe('policy and quotas', () => {
    it('hides a project’s routers from others, and lets its readers only look', async () => {
      const router = await f.cloud.network.createRouter(f.alice, { name: 'mine' })
      const bobsRouter = await f.cloud.network.createRouter(f.bob, { name: 'his' })
      for (const call of [
        () => f.cloud.network.getRouter(f.bob, router.id),
        () => f.cloud.network.updateRouter(f.bob, router.id, { name: 'x' }),
        () => f.cloud.network.deleteRouter(f.bob, router.id),
        () => f.cloud.network.addRouterInterface(f.bob, router.id, { subnetId: net.subnetId }),
        () => f.cloud.network.removeRouterInterface(f.bob, router.id, { subnetId: net.subnetId }),
        // Alice's subnet is not Bob's to attach.
        () => f.cloud.network.addRouterInterface(f.bob, bobsRouter.id, { subnetId: net.subnetId }),
      ]) {
        expect((await errorOf(call())).code).toBe('NOT_FOUND')
      }
      expect((await f.cloud.network.listRouters(f.bob)).items.map((r) => r.id)).toEqual([bobsRouter.id])
      expect((await f.cloud.network.listRouters(f.admin)).items).toHaveLength(2)
      expect((await f.cloud.network.listRouters(f.admin, { name: 'mine' })).items.map((r) => r.id)).toEqual([
        router.id,
      ])
      const reader = memberOf('p-alice', ['reader'])
      await expect(f.cloud.network.getRouter(reader, router.id)).resolves.toMatchObject({ id: router.id })
      for (const call of [
        () => f.cloud.network.updateRouter(reader, router.id, { name: 'x' }),
        () => f.cloud.network.addRouterInterface(reader, router.id, { subnetId: net.subnetId }),
        () => f.cloud.network.deleteRouter(reader, router.id),
        () => f.cloud.network.createRouter(reader, {}),
      ]) {
        expect((await errorOf(call())).code).toBe('FORBIDDEN')
      }
      expect(await portsOf(router.id)).toEqual([])
    })

    it('counts routers against the project’s quota, leaving no gateway port behind', async () => {
      for (let i = 0; i < 3; i++) await f.cloud.network.createRouter(f.alice, {})
      const over = await errorOf(
        f.cloud.network.createRouter(f.alice, { externalGateway: { networkId: ext.networkId } }),
      )
      expect(over.code).toBe('QUOTA_EXCEEDED')
      expect(await addresses(ext.subnetId)).toEqual([])
      await f.cloud.network.createRouter(f.bob, {})
    })
  })
})
