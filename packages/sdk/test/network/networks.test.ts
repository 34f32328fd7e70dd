import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { errorOf, type NetworkFixture, networkFixture } from './fixture.js'

let f: NetworkFixture
beforeEach(async () => {
  f = await networkFixture({ network: { vniRanges: [[1000, 1002]] } })
})
afterEach(() => f.close())

describe('networks', () => {
  it('gives tenant networks the lowest free VNI and never the same one twice', async () => {
    const a = await f.cloud.network.createNetwork(f.alice, { name: 'a' })
    const b = await f.cloud.network.createNetwork(f.bob, { name: 'b' })
    expect([a.networkType, a.segmentationId, a.mtu]).toEqual(['vxlan', 1000, 1450])
    expect(b.segmentationId).toBe(1001)
    await f.cloud.network.deleteNetwork(f.alice, a.id)
    expect((await f.cloud.network.createNetwork(f.alice, {})).segmentationId).toBe(1000)
    await f.cloud.network.createNetwork(f.alice, {})
    const exhausted = await errorOf(f.cloud.network.createNetwork(f.alice, {}))
    expect(exhausted).toMatchObject({
      code: 'CONFLICT',
      details: { type: 'NoNetworkAvailable', reason: 'exhausted' },
    })
  })

  it('lets only admins set provider attributes, shared and external; a taken segment is a conflict', async () => {
    for (const input of [
      { networkType: 'vxlan' as const, segmentationId: 5000 },
      { shared: true },
      { external: true },
    ]) {
      expect((await errorOf(f.cloud.network.createNetwork(f.alice, input))).code).toBe('FORBIDDEN')
    }
    const flat = await f.cloud.network.createNetwork(f.admin, {
      networkType: 'flat',
      physicalNetwork: 'ext',
      external: true,
    })
    expect([flat.networkType, flat.physicalNetwork, flat.segmentationId, flat.mtu]).toEqual([
      'flat',
      'ext',
      null,
      1500,
    ])
    const again = await errorOf(
      f.cloud.network.createNetwork(f.admin, { networkType: 'flat', physicalNetwork: 'ext' }),
    )
    expect(again.code).toBe('CONFLICT')
    await f.cloud.network.createNetwork(f.admin, { networkType: 'vxlan', segmentationId: 5000 })
    expect(
      (await errorOf(f.cloud.network.createNetwork(f.admin, { networkType: 'vxlan', segmentationId: 5000 })))
        .code,
    ).toBe('CONFLICT')
    expect((await errorOf(f.cloud.network.createNetwork(f.admin, { networkType: 'vlan' }))).code).toBe(
      'INVALID',
    )
    expect((await errorOf(f.cloud.network.createNetwork(f.admin, { mtu: 9000 }))).code).toBe('INVALID')
  })

  it('shows other projects only shared and external networks, and hides the rest as not found', async () => {
    const priv = await f.cloud.network.createNetwork(f.alice, { name: 'private' })
    const shared = await f.cloud.network.createNetwork(f.admin, { name: 'shared', shared: true })
    const ext = await f.cloud.network.createNetwork(f.admin, { name: 'ext', external: true })
    const seen = (await f.cloud.network.listNetworks(f.bob)).items.map((n) => n.name).sort()
    expect(seen).toEqual(['ext', 'shared'])
    expect((await errorOf(f.cloud.network.getNetwork(f.bob, priv.id))).code).toBe('NOT_FOUND')
    expect((await f.cloud.network.getNetwork(f.bob, shared.id)).shared).toBe(true)
    expect((await errorOf(f.cloud.network.updateNetwork(f.bob, ext.id, { name: 'x' }))).code).toBe(
      'FORBIDDEN',
    )
    expect((await f.cloud.network.listNetworks(f.admin)).items).toHaveLength(3)
  })

  it('filters by tags, pages with a marker, and sorts', async () => {
    for (const name of ['n1', 'n2', 'n3'])
      await f.cloud.network.createNetwork(f.alice, { name, tags: name === 'n2' ? ['red'] : ['red', 'blue'] })
    const red = await f.cloud.network.listNetworks(f.alice, { tags: ['red', 'blue'] })
    expect(red.items.map((n) => n.name).sort()).toEqual(['n1', 'n3'])
    expect(
      (await f.cloud.network.listNetworks(f.alice, { notTagsAny: ['blue'] })).items.map((n) => n.name),
    ).toEqual(['n2'])
    const first = await f.cloud.network.listNetworks(f.alice, { limit: 2, sortKey: 'name', sortDir: 'desc' })
    expect(first.items.map((n) => n.name)).toEqual(['n3', 'n2'])
    const rest = await f.cloud.network.listNetworks(f.alice, {
      limit: 2,
      sortKey: 'name',
      sortDir: 'desc',
      marker: first.next,
    })
    expect(rest.items.map((n) => n.name)).toEqual(['n1'])
    expect(rest.next).toBeUndefined()
  })

  it('refuses to delete a network with ports, and deletes its subnets with it', async () => {
    const net = await f.cloud.network.createNetwork(f.alice, {})
    const subnet = await f.cloud.network.createSubnet(f.alice, {
      networkId: net.id,
      ipVersion: 4,
      cidr: '10.0.0.0/24',
    })
    const port = await f.cloud.network.createPort(f.alice, { networkId: net.id })
    const inUse = await errorOf(f.cloud.network.deleteNetwork(f.alice, net.id))
    expect(inUse).toMatchObject({ code: 'CONFLICT', details: { type: 'NetworkInUse' } })
    await f.cloud.network.deletePort(f.alice, port.id)
    await f.cloud.network.deleteNetwork(f.alice, net.id)
    expect((await errorOf(f.cloud.network.getSubnet(f.alice, subnet.id))).code).toBe('NOT_FOUND')
    expect(await f.cloud.store.db.selectFrom('net_ip_free_ranges').selectAll().execute()).toEqual([])
  })

  it('counts networks against the project quota', async () => {
    await f.cloud.quotas.setLimit(f.cloud.store, 'p-alice', 'network', 1)
    await f.cloud.network.createNetwork(f.alice, {})
    expect((await errorOf(f.cloud.network.createNetwork(f.alice, {}))).code).toBe('QUOTA_EXCEEDED')
  })

  it('lets a project tag its own networks only: a visible shared one is forbidden, a private one not found', async () => {
    const own = await f.cloud.network.createNetwork(f.alice, {})
    const shared = await f.cloud.network.createNetwork(f.admin, { shared: true })
    const hidden = await f.cloud.network.createNetwork(f.bob, {})
    expect(await f.cloud.network.setTags(f.alice, 'network', own.id, ['b', 'a', 'b'])).toEqual(['a', 'b'])
    await f.cloud.network.addTag(f.alice, 'network', own.id, 'c')
    await f.cloud.network.removeTag(f.alice, 'network', own.id, 'a')
    expect((await f.cloud.network.getNetwork(f.alice, own.id)).tags).toEqual(['b', 'c'])
    expect((await errorOf(f.cloud.network.removeTag(f.alice, 'network', own.id, 'zz'))).code).toBe(
      'NOT_FOUND',
    )
    expect((await errorOf(f.cloud.network.addTag(f.alice, 'network', shared.id, 'x'))).code).toBe('FORBIDDEN')
    expect((await errorOf(f.cloud.network.addTag(f.alice, 'network', hidden.id, 'x'))).code).toBe('NOT_FOUND')
  })
})
