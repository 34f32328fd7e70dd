import { randomUUID } from 'node:crypto'
import { type MemoryNetworkDriver, memoryNetworkDriver } from '@nubis/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { errorOf, type NetworkFixture, networkFixture } from './fixture.js'

// The service with a data plane (the test double): bindings follow what hosts report, a driver failure leaves the
// records whole and the bindings failed, and a replayed create makes one port.
let f: NetworkFixture
let driver: MemoryNetworkDriver
let networkId: string
beforeEach(async () => {
  driver = memoryNetworkDriver({
    hosts: [
      { name: 'hv1', tunnelIp: '198.18.0.1' },
      { name: 'hv2', tunnelIp: '198.18.0.2' },
    ],
  })
  f = await networkFixture({ network: { driver } })
  networkId = (await f.cloud.network.createNetwork(f.admin, { name: 'net' })).id
  await f.cloud.network.createSubnet(f.admin, { networkId, ipVersion: 4, cidr: '10.0.0.0/24' })
})
afterEach(() => f.close())

const held = async () =>
  (await f.cloud.store.db.selectFrom('net_ip_allocations').select('port_id').execute()).length

describe('the data plane behind cloud.network', () => {
  it('binds a port once its host applied it, and tells the other hosts of the network where it is', async () => {
    const a = await f.cloud.network.createPort(f.admin, { networkId, bindingHostId: 'hv1' })
    const b = await f.cloud.network.createPort(f.admin, { networkId, bindingHostId: 'hv2' })
    expect([a.status, a.bindingVifType, b.status]).toEqual(['ACTIVE', 'tap', 'ACTIVE'])
    expect(driver.applied('hv2')?.ports.map((p) => p.id)).toEqual([b.id])
    // hv1 also runs the DHCP server (the gateway host), so hv2 floods to hv1 and hv1 to hv2.
    expect(driver.applied('hv2')?.networks[0]?.peers).toEqual(['198.18.0.1'])
    expect(driver.applied('hv1')?.networks[0]?.peers).toEqual(['198.18.0.2'])
    expect(
      driver
        .applied('hv1')
        ?.dhcp[0]?.leases.map((l) => l.ipAddress)
        .sort(),
    ).toEqual([...a.fixedIps, ...b.fixedIps].map((ip) => ip.ipAddress).sort())
  })

  it('keeps the record and fails the binding when the host cannot plug the port; deleting it leaks nothing', async () => {
    const id = randomUUID()
    driver.failPorts.add(id)
    const port = await f.cloud.network.createPort(f.admin, { id, networkId, bindingHostId: 'hv2' })
    expect([port.status, port.bindingVifType]).toEqual(['DOWN', 'binding_failed'])
    const before = await held()
    await f.cloud.network.deletePort(f.admin, id)
    expect(await held()).toBe(before - 1)
    expect(driver.applied('hv2')?.ports).toEqual([])
  })

  it('fails bindings while the driver is unreachable and recovers them on resync', async () => {
    const failures: string[] = []
    f.cloud.events.on('network.host.sync_failed', (event) => {
      failures.push(event.host)
    })
    await f.cloud.network.createPort(f.admin, { networkId, bindingHostId: 'hv1' }) // the host list is known from now
    driver.setUnavailable(true)
    const port = await f.cloud.network.createPort(f.admin, { networkId, bindingHostId: 'hv2' })
    expect([port.status, port.bindingVifType]).toEqual(['DOWN', 'binding_failed'])
    expect(failures).toContain('hv2')
    driver.setUnavailable(false)
    await f.cloud.network.resync(f.admin)
    expect((await f.cloud.network.getPort(f.admin, port.id)).bindingVifType).toBe('tap')
  })

  it('makes one port of a create replayed with the same id, and refuses the id elsewhere', async () => {
    const id = randomUUID()
    const first = await f.cloud.network.createPort(f.admin, { id, networkId, name: 'once' })
    const again = await f.cloud.network.createPort(f.admin, { id, networkId, name: 'once' })
    expect(again.id).toBe(first.id)
    expect(again.fixedIps).toEqual(first.fixedIps)
    expect((await f.cloud.network.listPorts(f.admin, { name: 'once' })).items).toHaveLength(1)
    const other = (await f.cloud.network.createNetwork(f.admin, {})).id
    expect((await errorOf(f.cloud.network.createPort(f.admin, { id, networkId: other }))).code).toBe(
      'CONFLICT',
    )
  })
})
