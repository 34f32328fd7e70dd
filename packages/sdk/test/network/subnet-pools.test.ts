import { testStore } from '@nubis/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Cloud, createCloud } from '../../src/cloud.js'
import type { SubnetPoolCreate } from '../../src/network/schemas.js'
import { postgresStore } from '../../src/store/postgres.js'
import { errorOf, memberOf, type NetworkFixture, networkFixture } from './fixture.js'

let f: NetworkFixture
let networkId: string
beforeEach(async () => {
  f = await networkFixture({ quotas: { defaults: { subnetpool: 3 } } })
  networkId = (await f.cloud.network.createNetwork(f.alice, { name: 'net' })).id
})
afterEach(() => f.close())

const pool = (input: Partial<SubnetPoolCreate> = {}) =>
  f.cloud.network.createSubnetPool(f.alice, {
    name: 'pool',
    prefixes: ['10.0.0.0/22'],
    defaultPrefixlen: 24,
    minPrefixlen: 22,
    maxPrefixlen: 28,
    ...input,
  })

/** A subnet of `networkId` (default the fixture's) taken from `subnetpoolId`. */
const fromPool = (
  subnetpoolId: string,
  extra: { prefixlen?: number; cidr?: string; networkId?: string } = {},
) => f.cloud.network.createSubnet(f.alice, { networkId, ipVersion: 4, subnetpoolId, ...extra })

describe('subnet pools', () => {
  it('merge their prefixes and take Neutron’s default prefix lengths', async () => {
    const v4 = await f.cloud.network.createSubnetPool(f.alice, {
      prefixes: ['10.1.0.0/16', '10.0.0.0/16', '10.0.128.0/17'],
    })
    expect(v4).toMatchObject({
      projectId: 'p-alice',
      ipVersion: 4,
      prefixes: ['10.0.0.0/15'],
      minPrefixlen: 8,
      maxPrefixlen: 32,
      defaultPrefixlen: 8,
      shared: false,
      isDefault: false,
      revisionNumber: 1,
    })
    const v6 = await f.cloud.network.createSubnetPool(f.alice, { prefixes: ['fd00::/48'] })
    expect(v6).toMatchObject({ ipVersion: 6, minPrefixlen: 64, maxPrefixlen: 128, defaultPrefixlen: 64 })
    await expect(f.cloud.network.getSubnetPool(f.alice, v4.id)).resolves.toEqual(v4)
    const listed = await f.cloud.network.listSubnetPools(f.alice, { ipVersion: 6 })
    expect(listed.items.map((p) => p.id)).toEqual([v6.id])
  })

  it('refuse mixed versions, host bits and prefix lengths out of order', async () => {
    const cases: [Partial<SubnetPoolCreate>, string?][] = [
      [{ prefixes: ['10.0.0.0/8', 'fd00::/48'] }, 'Cannot mix IPv4 and IPv6'],
      [{ prefixes: ['10.0.0.5/24'] }, 'recommended'],
      [{ prefixes: [] }],
      [{ minPrefixlen: 24, maxPrefixlen: 20, defaultPrefixlen: 22 }, 'min_prefixlen=24, max_prefixlen=20'],
      [{ maxPrefixlen: 33 }, 'max_prefixlen=33, ip_version_max=32'],
      [{ defaultPrefixlen: 20 }, 'default_prefixlen=20, min_prefixlen=22'],
      [{ defaultPrefixlen: 29 }, 'default_prefixlen=29, max_prefixlen=28'],
    ]
    for (const [input, words] of cases) {
      const error = await errorOf(pool(input))
      expect(error.code, JSON.stringify(input)).toBe('INVALID')
      if (words) expect(error.message).toContain(words)
    }
    expect((await f.cloud.network.listSubnetPools(f.alice)).items).toEqual([])
  })

  it('grow but never shrink', async () => {
    const p = await pool()
    const grown = await f.cloud.network.updateSubnetPool(f.alice, p.id, {
      prefixes: ['10.0.0.0/22', '10.0.4.0/22', '192.168.0.0/24'],
      name: 'bigger',
    })
    expect(grown).toMatchObject({
      name: 'bigger',
      prefixes: ['10.0.0.0/21', '192.168.0.0/24'],
      revisionNumber: 2,
    })
    const shrink = await errorOf(
      f.cloud.network.updateSubnetPool(f.alice, p.id, { prefixes: ['10.0.0.0/22'] }),
    )
    expect(shrink).toMatchObject({ code: 'INVALID' })
    expect(shrink.message).toContain('Existing prefixes must be a subset of the new prefixes')
    const mixed = await errorOf(f.cloud.network.updateSubnetPool(f.alice, p.id, { prefixes: ['fd00::/48'] }))
    expect(mixed.code).toBe('INVALID')
    const bounds = await errorOf(f.cloud.network.updateSubnetPool(f.alice, p.id, { minPrefixlen: 25 }))
    expect(bounds.message).toContain('default_prefixlen=24, min_prefixlen=25')
  })

  it('keep one default per IP version, set by administrators only', async () => {
    expect((await errorOf(pool({ isDefault: true }))).code).toBe('FORBIDDEN')
    expect((await errorOf(pool({ shared: true }))).code).toBe('FORBIDDEN')
    const first = await f.cloud.network.createSubnetPool(f.admin, {
      prefixes: ['10.0.0.0/8'],
      isDefault: true,
    })
    const second = await errorOf(
      f.cloud.network.createSubnetPool(f.admin, { prefixes: ['11.0.0.0/8'], isDefault: true }),
    )
    expect(second).toMatchObject({ code: 'INVALID', message: expect.stringContaining('Only one default') })
    await f.cloud.network.createSubnetPool(f.admin, { prefixes: ['fd00::/8'], isDefault: true })
    const other = await f.cloud.network.createSubnetPool(f.admin, { prefixes: ['11.0.0.0/8'] })
    expect(
      (await errorOf(f.cloud.network.updateSubnetPool(f.admin, other.id, { isDefault: true }))).code,
    ).toBe('INVALID')
    await f.cloud.network.updateSubnetPool(f.admin, first.id, { isDefault: false })
    await expect(
      f.cloud.network.updateSubnetPool(f.admin, other.id, { isDefault: true }),
    ).resolves.toMatchObject({
      isDefault: true,
    })
    const mine = await pool()
    expect(
      (await errorOf(f.cloud.network.updateSubnetPool(f.alice, mine.id, { isDefault: true }))).code,
    ).toBe('FORBIDDEN')
  })

  it('are private to their project unless shared', async () => {
    const p = await pool()
    const { network } = f.cloud
    for (const call of [
      network.getSubnetPool(f.bob, p.id),
      network.updateSubnetPool(f.bob, p.id, { name: 'x' }),
      network.deleteSubnetPool(f.bob, p.id),
    ]) {
      expect((await errorOf(call)).code).toBe('NOT_FOUND')
    }
    const bobNet = await network.createNetwork(f.bob, { name: 'b' })
    const take = network.createSubnet(f.bob, { networkId: bobNet.id, ipVersion: 4, subnetpoolId: p.id })
    expect((await errorOf(take)).code).toBe('NOT_FOUND')
    const shared = await network.createSubnetPool(f.admin, { prefixes: ['172.16.0.0/12'], shared: true })
    expect((await network.listSubnetPools(f.bob)).items.map((x) => x.id)).toEqual([shared.id])
    expect((await errorOf(network.updateSubnetPool(f.bob, shared.id, { name: 'x' }))).code).toBe('FORBIDDEN')
    const subnet = await network.createSubnet(f.bob, {
      networkId: bobNet.id,
      ipVersion: 4,
      subnetpoolId: shared.id,
      prefixlen: 24,
    })
    expect(subnet).toMatchObject({ cidr: '172.16.0.0/24', subnetpoolId: shared.id })
  })

  it('count against the subnetpool quota', async () => {
    await pool()
    await pool()
    await pool()
    expect((await errorOf(pool())).code).toBe('QUOTA_EXCEEDED')
  })
})

describe('subnets from a pool', () => {
  it('hand out the pool’s blocks in turn until it is exhausted', async () => {
    const p = await pool()
    const cidrs: string[] = []
    for (let i = 0; i < 4; i++) cidrs.push((await fromPool(p.id)).cidr)
    expect(cidrs).toEqual(['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24'])
    const exhausted = await errorOf(fromPool(p.id))
    expect(exhausted).toMatchObject({
      code: 'CONFLICT',
      details: { type: 'SubnetAllocationError', reason: 'exhausted' },
    })
    expect((await errorOf(fromPool(p.id, { prefixlen: 28 }))).details?.reason).toBe('exhausted')
  })

  it('fit a smaller block into the smallest free space, keeping big blocks whole', async () => {
    const p = await pool()
    expect((await fromPool(p.id)).cidr).toBe('10.0.0.0/24')
    const small = await fromPool(p.id, { prefixlen: 26 })
    expect(small).toMatchObject({ cidr: '10.0.1.0/26', subnetpoolId: p.id, gatewayIp: '10.0.1.1' })
    expect((await fromPool(p.id)).cidr).toBe('10.0.2.0/24')
    expect((await fromPool(p.id, { prefixlen: 25 })).cidr).toBe('10.0.1.128/25')
    // A freed block is handed out again.
    await f.cloud.network.deleteSubnet(f.alice, small.id)
    expect((await fromPool(p.id, { prefixlen: 26 })).cidr).toBe('10.0.1.0/26')
  })

  it('take a requested CIDR only from inside the prefixes and clear of other subnets', async () => {
    const p = await pool()
    await fromPool(p.id, { cidr: '10.0.2.0/24' })
    // Best fit: the lone /24 left at the end goes before the /23 at the start is cut.
    expect((await fromPool(p.id)).cidr).toBe('10.0.3.0/24')
    const other = (await f.cloud.network.createNetwork(f.alice, { name: 'other' })).id
    const overlap = await errorOf(fromPool(p.id, { cidr: '10.0.2.128/25', networkId: other }))
    expect(overlap).toMatchObject({ code: 'INVALID', details: { type: 'SubnetAllocationError' } })
    const outside = await errorOf(fromPool(p.id, { cidr: '192.168.0.0/24', networkId: other }))
    expect(outside).toMatchObject({ code: 'INVALID', details: { type: 'SubnetAllocationError' } })
    const tooSmall = await errorOf(fromPool(p.id, { cidr: '10.0.1.0/29', networkId: other }))
    expect(tooSmall.message).toContain('maximum allowed prefix is 28')
    await expect(fromPool(p.id, { cidr: '10.0.1.0/28', networkId: other })).resolves.toMatchObject({
      cidr: '10.0.1.0/28',
    })
  })

  it('refuse lengths outside the pool’s bounds and another IP version', async () => {
    const p = await pool()
    expect((await errorOf(fromPool(p.id, { prefixlen: 29 }))).message).toContain(
      'maximum allowed prefix is 28',
    )
    expect((await errorOf(fromPool(p.id, { prefixlen: 21 }))).message).toContain(
      'minimum allowed prefix is 22',
    )
    const v6 = f.cloud.network.createSubnet(f.alice, { networkId, ipVersion: 6, subnetpoolId: p.id })
    expect((await errorOf(v6)).code).toBe('INVALID')
    expect((await errorOf(fromPool('no-such-pool'))).code).toBe('NOT_FOUND')
  })

  it('keep their pool from being deleted', async () => {
    const p = await pool()
    const subnet = await fromPool(p.id)
    const error = await errorOf(f.cloud.network.deleteSubnetPool(f.alice, p.id))
    expect(error).toMatchObject({ code: 'INVALID', details: { type: 'SubnetPoolDeleteError' } })
    await f.cloud.network.deleteSubnet(f.alice, subnet.id)
    await f.cloud.network.deleteSubnetPool(f.alice, p.id)
    expect((await errorOf(f.cloud.network.getSubnetPool(f.alice, p.id))).code).toBe('NOT_FOUND')
  })
})

describe('two control planes on one PostgreSQL', () => {
  let one: Cloud
  let two: Cloud
  beforeEach(async () => {
    const store = await testStore('postgres')
    one = await createCloud({ store, tasks: { recoverEveryMs: 0 } })
    two = await createCloud({ store: postgresStore({ url: store.url }), tasks: { recoverEveryMs: 0 } })
  })
  afterEach(async () => {
    await two.close()
    await one.close() // drops the database
  })

  it('never hand out the same block twice', async () => {
    const alice = memberOf('p-alice')
    const p = await one.network.createSubnetPool(alice, { prefixes: ['10.0.0.0/22'], defaultPrefixlen: 24 })
    const networks = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((i) => one.network.createNetwork(alice, { name: `n${i}` })),
    )
    const results = await Promise.allSettled(
      networks.map((n, i) =>
        (i % 2 ? two : one).network.createSubnet(alice, {
          networkId: n.id,
          ipVersion: 4,
          subnetpoolId: p.id,
        }),
      ),
    )
    const cidrs = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.cidr] : []))
    expect(cidrs.sort()).toEqual(['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24'])
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ details: { reason: 'exhausted' } })
    }
  })
})
