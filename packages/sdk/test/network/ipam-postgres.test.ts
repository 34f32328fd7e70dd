import { testStore } from '@nubis/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Cloud, createCloud } from '../../src/cloud.js'
import { postgresStore } from '../../src/store/postgres.js'
import { memberOf } from './fixture.js'

// Two control planes on one PostgreSQL database, each with its own connection pool, creating ports on one subnet
// at the same time: the free-range update and the allocation's primary key keep every address single.
describe('IPAM with two control planes on one PostgreSQL', () => {
  let one: Cloud
  let two: Cloud
  beforeEach(async () => {
    const store = await testStore('postgres')
    one = await createCloud({ store, tasks: { recoverEveryMs: 0 } })
    two = await createCloud({
      store: postgresStore({ url: store.url, max: 8 }),
      tasks: { recoverEveryMs: 0 },
    })
  })
  afterEach(async () => {
    await two.close()
    await one.close() // drops the database
  })

  it('hands out 200 addresses once each, and VNIs once each', async () => {
    const alice = memberOf('p-alice')
    const nets = await Promise.all(
      [one, two, one, two].map((cloud) => cloud.network.createNetwork(alice, {})),
    )
    expect(new Set(nets.map((n) => n.segmentationId)).size).toBe(4)
    const networkId = nets[0]!.id
    await one.network.createSubnet(alice, { networkId, ipVersion: 4, cidr: '10.0.0.0/24' })
    const create = async (cloud: Cloud, n: number) => {
      const made: string[] = []
      // Eight creates in flight per control plane.
      await Promise.all(
        Array.from({ length: 8 }, async (_, lane) => {
          for (let i = lane; i < n; i += 8) {
            const port = await cloud.network.createPort(alice, { networkId })
            made.push(port.fixedIps[0]!.ipAddress)
          }
        }),
      )
      return made
    }
    const [a, b] = await Promise.all([create(one, 100), create(two, 100)])
    const all = [...a!, ...b!]
    expect(all).toHaveLength(200)
    expect(new Set(all).size).toBe(200)
    const rows = await one.store.db.selectFrom('net_ip_allocations').select('ip_address').execute()
    expect(new Set(rows.map((r) => r.ip_address)).size).toBe(rows.length)
  })
})
