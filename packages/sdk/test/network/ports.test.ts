import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { errorOf, type NetworkFixture, networkFixture } from './fixture.js'

let f: NetworkFixture
let networkId: string
let subnetId: string
beforeEach(async () => {
  f = await networkFixture()
  networkId = (await f.cloud.network.createNetwork(f.alice, { name: 'net' })).id
  subnetId = (await f.cloud.network.createSubnet(f.alice, { networkId, ipVersion: 4, cidr: '10.0.0.0/24' }))
    .id
})
afterEach(() => f.close())

const addresses = async () =>
  (
    await f.cloud.store.db
      .selectFrom('net_ip_allocations')
      .select('ip_address')
      .orderBy('ip_address')
      .execute()
  ).map((r) => r.ip_address)

describe('ports', () => {
  it('hands out the first free address, a unique MAC and the default security group', async () => {
    const a = await f.cloud.network.createPort(f.alice, { networkId, name: 'a' })
    const b = await f.cloud.network.createPort(f.alice, { networkId, name: 'b' })
    expect(a.fixedIps).toEqual([{ subnetId, ipAddress: '10.0.0.2' }])
    expect(b.fixedIps[0]?.ipAddress).toBe('10.0.0.3')
    expect(a.macAddress).toMatch(/^fa:16:3e(:[0-9a-f]{2}){3}$/)
    expect(a.macAddress).not.toBe(b.macAddress)
    expect(a).toMatchObject({ status: 'DOWN', bindingVifType: 'unbound', portSecurityEnabled: true })
    expect(a.securityGroups).toHaveLength(1)
    await f.cloud.network.deletePort(f.alice, a.id)
    // The freed address is the lowest free again.
    expect((await f.cloud.network.createPort(f.alice, { networkId })).fixedIps[0]?.ipAddress).toBe('10.0.0.2')
  })

  it('takes a requested address, refusing one outside the subnet (400) or in use (409) without leaking', async () => {
    const port = await f.cloud.network.createPort(f.alice, {
      networkId,
      fixedIps: [{ ipAddress: '10.0.0.50' }],
    })
    expect(port.fixedIps).toEqual([{ subnetId, ipAddress: '10.0.0.50' }])
    const outside = await errorOf(
      f.cloud.network.createPort(f.alice, { networkId, fixedIps: [{ subnetId, ipAddress: '10.9.0.5' }] }),
    )
    expect(outside.code).toBe('INVALID')
    const taken = await errorOf(
      f.cloud.network.createPort(f.alice, { networkId, fixedIps: [{ ipAddress: '10.0.0.50' }] }),
    )
    expect(taken).toMatchObject({ code: 'CONFLICT', details: { type: 'IpAddressAlreadyAllocated' } })
    const half = await errorOf(
      f.cloud.network.createPort(f.alice, {
        networkId,
        fixedIps: [{ ipAddress: '10.0.0.60' }, { ipAddress: '10.0.0.50' }],
      }),
    )
    expect(half.code).toBe('CONFLICT')
    expect(await addresses()).toEqual(['10.0.0.50'])
    expect((await f.cloud.network.listPorts(f.alice)).items).toHaveLength(1)
    // The carved-out address stays out of automatic allocation; the one after it is still handed out in order.
    const next = await f.cloud.network.createPort(f.alice, { networkId })
    expect(next.fixedIps[0]?.ipAddress).toBe('10.0.0.2')
  })

  it('replaces fixed IPs on update, keeping the ones named again', async () => {
    const port = await f.cloud.network.createPort(f.alice, {
      networkId,
      fixedIps: [{ ipAddress: '10.0.0.10' }, { ipAddress: '10.0.0.11' }],
    })
    const updated = await f.cloud.network.updatePort(f.alice, port.id, {
      fixedIps: [{ ipAddress: '10.0.0.11' }, { ipAddress: '10.0.0.12' }],
    })
    expect(updated.fixedIps.map((ip) => ip.ipAddress).sort()).toEqual(['10.0.0.11', '10.0.0.12'])
    expect(await addresses()).toEqual(['10.0.0.11', '10.0.0.12'])
  })

  it('records a binding on the state-only driver, admins only', async () => {
    expect(
      (await errorOf(f.cloud.network.createPort(f.alice, { networkId, bindingHostId: 'local' }))).code,
    ).toBe('FORBIDDEN')
    const port = await f.cloud.network.createPort(f.admin, { networkId, bindingHostId: 'local' })
    expect(port).toMatchObject({ status: 'ACTIVE', bindingVifType: 'tap', bindingHostId: 'local' })
  })

  it('keeps port security and groups consistent', async () => {
    const error = await errorOf(
      f.cloud.network.createPort(f.alice, {
        networkId,
        portSecurityEnabled: false,
        securityGroups: [],
        allowedAddressPairs: [{ ipAddress: '10.0.0.99' }],
      }),
    )
    expect(error.code).toBe('CONFLICT')
    const open = await f.cloud.network.createPort(f.alice, { networkId, portSecurityEnabled: false })
    expect(open.securityGroups).toEqual([])
    const missing = await errorOf(
      f.cloud.network.createPort(f.alice, { networkId, securityGroups: ['no-such-group'] }),
    )
    expect(missing.code).toBe('NOT_FOUND')
    expect(await addresses()).toEqual([open.fixedIps[0]!.ipAddress])
  })

  it('allocates the last address of a nearly full /16 as quickly as the first', async () => {
    const big = await f.cloud.network.createNetwork(f.alice, {})
    const s = await f.cloud.network.createSubnet(f.alice, {
      networkId: big.id,
      ipVersion: 4,
      cidr: '172.16.0.0/16',
    })
    // Take everything but one address by updating the pool, then allocate that last one and check exhaustion.
    await f.cloud.network.updateSubnet(f.alice, s.id, {
      allocationPools: [{ start: '172.16.255.254', end: '172.16.255.254' }],
    })
    const last = await f.cloud.network.createPort(f.alice, { networkId: big.id })
    expect(last.fixedIps[0]?.ipAddress).toBe('172.16.255.254')
    expect((await errorOf(f.cloud.network.createPort(f.alice, { networkId: big.id }))).details).toMatchObject(
      { reason: 'exhausted' },
    )
  })
})
