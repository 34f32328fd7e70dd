import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { errorOf, type NetworkFixture, networkFixture } from './fixture.js'

let f: NetworkFixture
let networkId: string
beforeEach(async () => {
  f = await networkFixture()
  networkId = (await f.cloud.network.createNetwork(f.alice, { name: 'net' })).id
})
afterEach(() => f.close())

const subnet = (cidr: string, extra: Record<string, unknown> = {}) =>
  f.cloud.network.createSubnet(f.alice, { networkId, ipVersion: cidr.includes(':') ? 6 : 4, cidr, ...extra })

describe('subnets', () => {
  it('defaults gateway and pools as Neutron does', async () => {
    const s = await subnet('10.1.0.0/24')
    expect(s).toMatchObject({
      gatewayIp: '10.1.0.1',
      allocationPools: [{ start: '10.1.0.2', end: '10.1.0.254' }],
      enableDhcp: true,
    })
    const v6 = await subnet('fd00:1::/64', { ipv6AddressMode: 'slaac', ipv6RaMode: 'slaac' })
    expect(v6).toMatchObject({
      gatewayIp: 'fd00:1::1',
      allocationPools: [{ start: 'fd00:1::2', end: 'fd00:1::ffff:ffff:ffff:ffff' }],
    })
    const mid = await f.cloud.network.createSubnet(f.alice, {
      networkId,
      ipVersion: 4,
      cidr: '10.2.0.0/24',
      gatewayIp: '10.2.0.100',
    })
    expect(mid.allocationPools).toEqual([
      { start: '10.2.0.1', end: '10.2.0.99' },
      { start: '10.2.0.101', end: '10.2.0.254' },
    ])
  })

  it('refuses bad CIDRs, overlaps, and pools or gateways that do not fit', async () => {
    await subnet('10.1.0.0/24')
    const cases: [string, Record<string, unknown>, string, string?][] = [
      ['10.1.0.0/25', {}, 'INVALID', 'overlaps'],
      ['10.3.0.5/24', {}, 'INVALID', 'recommended'],
      ['10.3.0.0/33', {}, 'INVALID'],
      ['banana', {}, 'INVALID'],
      ['10.3.0.0/24', { gatewayIp: '10.4.0.1' }, 'INVALID'],
      ['10.3.0.0/24', { allocationPools: [{ start: '10.3.0.10', end: '10.3.1.5' }] }, 'INVALID'],
      ['10.3.0.0/24', { allocationPools: [{ start: '10.3.0.20', end: '10.3.0.10' }] }, 'INVALID'],
      ['10.3.0.0/24', { allocationPools: [{ start: '10.3.0.1', end: '10.3.0.10' }] }, 'CONFLICT'],
      ['10.3.0.0/24', { dnsNameservers: ['8.8.8.8', '8.8.8.8'] }, 'INVALID'],
      ['10.3.0.0/24', { ipv6AddressMode: 'slaac' }, 'INVALID'],
    ]
    for (const [cidr, extra, code, words] of cases) {
      const error = await errorOf(subnet(cidr, extra))
      expect(error.code, `${cidr} ${JSON.stringify(extra)}`).toBe(code)
      if (words) expect(error.message).toContain(words)
    }
    // Nothing half-made: only the first subnet exists.
    expect((await f.cloud.network.listSubnets(f.alice)).items).toHaveLength(1)
  })

  it('updates pools and keeps addresses in use; a subnet with ports cannot be deleted', async () => {
    const s = await subnet('10.5.0.0/29')
    const port = await f.cloud.network.createPort(f.alice, { networkId })
    expect(port.fixedIps).toEqual([{ subnetId: s.id, ipAddress: '10.5.0.2' }])
    const updated = await f.cloud.network.updateSubnet(f.alice, s.id, {
      allocationPools: [{ start: '10.5.0.2', end: '10.5.0.3' }],
    })
    expect(updated.allocationPools).toEqual([{ start: '10.5.0.2', end: '10.5.0.3' }])
    expect((await f.cloud.network.createPort(f.alice, { networkId })).fixedIps[0]?.ipAddress).toBe('10.5.0.3')
    const exhausted = await errorOf(f.cloud.network.createPort(f.alice, { networkId }))
    expect(exhausted).toMatchObject({ code: 'CONFLICT', details: { reason: 'exhausted' } })
    expect((await errorOf(f.cloud.network.deleteSubnet(f.alice, s.id))).details).toMatchObject({
      type: 'SubnetInUse',
    })
  })
})

describe('IPv6 subnets', () => {
  it('give ports SLAAC addresses from their MAC, which go with the subnet when it is deleted', async () => {
    const v6 = await subnet('fd00:9::/64', { ipv6AddressMode: 'slaac', ipv6RaMode: 'slaac' })
    const port = await f.cloud.network.createPort(f.alice, { networkId, macAddress: 'fa:16:3e:00:00:01' })
    expect(port.fixedIps).toEqual([{ subnetId: v6.id, ipAddress: 'fd00:9::f816:3eff:fe00:1' }])
    await f.cloud.network.deleteSubnet(f.alice, v6.id)
    expect((await f.cloud.network.getPort(f.alice, port.id)).fixedIps).toEqual([])
    expect((await errorOf(f.cloud.network.deleteNetwork(f.alice, networkId))).details).toMatchObject({
      type: 'NetworkInUse',
    })
  })
})
