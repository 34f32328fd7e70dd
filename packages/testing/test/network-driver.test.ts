import { type HostState, isDriver } from '@nubis/sdk'
import {
  describeNetworkDriverConformance,
  memoryNetworkDriver,
  sampleHostState,
  withFaults,
} from '@nubis/testing'
import { describe, expect, it } from 'vitest'

describeNetworkDriverConformance(
  () => {
    const driver = memoryNetworkDriver()
    return {
      driver,
      physicalNetwork: 'external',
      unpluggablePort: (port) => {
        driver.failPorts.add(port.id)
        return port
      },
    }
  },
  { label: 'memory' },
)
describeNetworkDriverConformance(
  () => ({
    driver: memoryNetworkDriver({
      hosts: [{ name: 'solo', tunnelIp: null }],
      segmentTypes: ['vxlan', 'local'],
      capabilities: { dhcp: false, routers: false, securityGroups: false },
    }),
  }),
  { label: 'memory, one host, VXLAN only, no extras' },
)

const everything = { dhcp: true, routers: true, securityGroups: true, flat: true }
const bare = (host: string): HostState => ({
  host,
  networks: [],
  ports: [],
  securityGroups: [],
  dhcp: [],
  routers: [],
})

describe('memoryNetworkDriver', () => {
  it('is a network driver with two hosts and every feature, data plane included, by default', async () => {
    const network = memoryNetworkDriver()
    expect(isDriver(network)).toBe(true)
    expect(network).toMatchObject({ kind: 'network', name: 'memory' })
    expect(network.capabilities).toEqual({
      dataPlane: true,
      vxlan: true,
      gre: true,
      vlan: true,
      flat: true,
      dhcp: true,
      routers: true,
      securityGroups: true,
    })
    expect(await network.listHosts()).toEqual([
      { name: 'host-1', tunnelIp: '192.0.2.11' },
      { name: 'host-2', tunnelIp: '192.0.2.12' },
    ])
  })

  it('derives the segment flags from segmentTypes and refuses other types with NOT_SUPPORTED', async () => {
    const network = memoryNetworkDriver({
      segmentTypes: ['vlan'],
      capabilities: { vxlan: true, routers: false },
    })
    expect(network.capabilities).toMatchObject({
      vxlan: false,
      gre: false,
      vlan: true,
      flat: false,
      routers: false,
    })
    const vxlan = { type: 'vxlan', segmentationId: 5, physicalNetwork: null } as const
    await expect(network.checkNetwork(vxlan)).rejects.toMatchObject({
      code: 'NOT_SUPPORTED',
      driver: 'memory',
    })
    await expect(
      network.checkNetwork({ type: 'vlan', segmentationId: 10, physicalNetwork: 'physnet1' }),
    ).resolves.toBe(undefined)
  })

  it('checks ids and physical networks with INVALID', async () => {
    const network = memoryNetworkDriver({ physicalNetworks: ['datacentre'] })
    const invalid = { code: 'INVALID' }
    const check = (
      type: 'vxlan' | 'gre' | 'vlan' | 'flat' | 'local',
      id: number | null,
      physical: string | null,
    ) => network.checkNetwork({ type, segmentationId: id, physicalNetwork: physical })
    await expect(check('gre', 2 ** 32 - 1, null)).resolves.toBeUndefined()
    await expect(check('gre', 2 ** 32, null)).rejects.toMatchObject(invalid)
    await expect(check('vxlan', 1.5, null)).rejects.toMatchObject(invalid)
    await expect(check('vxlan', 7, 'datacentre')).rejects.toMatchObject(invalid)
    await expect(check('vlan', null, null)).resolves.toBeUndefined()
    await expect(check('vlan', 7, 'physnet1')).rejects.toMatchObject(invalid)
    await expect(check('flat', null, 'datacentre')).resolves.toBeUndefined()
    await expect(check('flat', null, null)).rejects.toMatchObject(invalid)
    await expect(check('local', 3, null)).rejects.toMatchObject(invalid)
  })

  it('counts one change per object added, changed or removed, and records each call', async () => {
    const network = memoryNetworkDriver()
    const sample = sampleHostState({ host: 'host-1', capabilities: everything, physicalNetwork: 'external' })
    // 2 networks, 2 ports, 1 group, 5 rules, 1 DHCP server, 1 router, 1 floating IP.
    expect(await network.applyHost(sample.state)).toEqual({ changes: 13, failedPorts: [] })
    const next = sample.withPort(sample.state) // the port, its lease (DHCP changed) and address (group changed)
    expect((await network.applyHost(next)).changes).toBe(3)
    const reordered = structuredClone(next)
    reordered.securityGroups[0]!.memberIps.reverse()
    reordered.networks[0]!.peers.push('198.51.100.1', '198.51.100.2')
    expect((await network.applyHost(reordered)).changes).toBe(2) // the peers; member order does not matter
    await network.clearHost('host-1')
    expect(network.history.map((h) => [h.method, h.host, h.changes])).toEqual([
      ['applyHost', 'host-1', 13],
      ['applyHost', 'host-1', 3],
      ['applyHost', 'host-1', 2],
      ['clearHost', 'host-1', 16],
    ])
    expect(network.history[1]!.state).toEqual(next)
    expect(network.applied('host-1')).toBeUndefined()
  })

  it('keeps copies: neither the caller nor a reader can change what a host has', async () => {
    const network = memoryNetworkDriver()
    const { state } = sampleHostState({ host: 'host-2', capabilities: {} })
    await network.applyHost(state)
    state.ports.pop()
    network.applied('host-2')!.ports.pop()
    expect(network.applied('host-2')!.ports).toHaveLength(2)
    expect(network.history[0]!.state!.ports).toHaveLength(2)
    expect(network.applied('host-1')).toBeUndefined()
    await network.applyHost(bare('host-1'))
    expect(network.applied('host-1')).toEqual(bare('host-1'))
  })

  it('reports the ports in failPorts as failed, keeps the rest, and plugs them once cleared', async () => {
    const sample = sampleHostState({ host: 'host-1', capabilities: {} })
    const [first, second] = sample.state.ports
    const network = memoryNetworkDriver({ failPorts: [first!.id] })
    const result = await network.applyHost(sample.state)
    expect(result.failedPorts).toEqual([
      { id: first!.id, reason: expect.stringMatching(/cannot be plugged/) },
    ])
    expect(network.applied('host-1')!.ports.map((p) => p.id)).toEqual([second!.id])
    expect(await network.applyHost(sample.state)).toMatchObject({ changes: 0 })
    network.failPorts.clear()
    expect(await network.applyHost(sample.state)).toEqual({ changes: 1, failedPorts: [] })
  })

  it('refuses unknown hosts, missing features and states that do not hold together', async () => {
    const network = memoryNetworkDriver({ capabilities: { routers: false } })
    const full = sampleHostState({
      host: 'host-1',
      capabilities: everything,
      physicalNetwork: 'external',
    }).state
    await expect(network.applyHost({ ...full, host: 'nowhere' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      resource: { type: 'host', id: 'nowhere' },
    })
    await expect(network.clearHost('nowhere')).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(network.applyHost(full)).rejects.toMatchObject({
      code: 'NOT_SUPPORTED',
      details: { capability: 'routers' },
    })
    const { state } = sampleHostState({ host: 'host-1', capabilities: { securityGroups: true, dhcp: true } })
    const broken = (edit: (s: HostState) => void) => {
      const copy = structuredClone(state)
      edit(copy)
      return network.applyHost(copy)
    }
    const invalid = { code: 'INVALID' }
    await expect(broken((s) => s.networks.pop())).rejects.toMatchObject(invalid)
    await expect(broken((s) => (s.ports[1]!.device = s.ports[0]!.device))).rejects.toMatchObject(invalid)
    await expect(broken((s) => (s.ports[0]!.device = 'tap-name-too-long'))).rejects.toMatchObject(invalid)
    await expect(
      broken((s) => (s.securityGroups[0]!.rules[0]!.remoteGroupId = 'gone')),
    ).rejects.toMatchObject(invalid)
    await expect(broken((s) => (s.networks[0]!.segmentationId = 0))).rejects.toMatchObject(invalid)
    expect(network.history).toEqual([])
  })

  it('answers UNAVAILABLE, retryable, while switched off', async () => {
    const network = memoryNetworkDriver({ unavailable: true })
    const unavailable = { code: 'UNAVAILABLE', retryable: true, driver: 'memory' }
    await expect(network.listHosts()).rejects.toMatchObject(unavailable)
    await expect(
      network.checkNetwork({ type: 'local', segmentationId: null, physicalNetwork: null }),
    ).rejects.toMatchObject(unavailable)
    await expect(network.applyHost(bare('host-1'))).rejects.toMatchObject(unavailable)
    await expect(network.clearHost('host-1')).rejects.toMatchObject(unavailable)
    expect(network.applied('host-1')).toBeUndefined()
    network.setUnavailable(false)
    await expect(network.applyHost(bare('host-1'))).resolves.toEqual({ changes: 0, failedPorts: [] })
  })

  it('injects faults through its faults controller, recording only calls that completed', async () => {
    const network = memoryNetworkDriver()
    network.faults.failOnce('applyHost')
    await expect(network.applyHost(bare('host-1'))).rejects.toMatchObject({
      code: 'DRIVER_FAILED',
      details: { injected: true, method: 'applyHost' },
    })
    expect(network.history).toEqual([])
    await expect(network.applyHost(bare('host-1'))).resolves.toEqual({ changes: 0, failedPorts: [] })

    network.faults.hang('clearHost')
    const controller = new AbortController()
    const pending = network.clearHost('host-1', { signal: controller.signal })
    controller.abort()
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' })
    expect(network.applied('host-1')).toEqual(bare('host-1'))
    network.faults.clear()
    await network.clearHost('host-1')
    expect(network.history.map((h) => h.method)).toEqual(['applyHost', 'clearHost'])
  })

  it('can be wrapped again by withFaults, keeping its switches', async () => {
    const network = memoryNetworkDriver()
    const { driver, faults } = withFaults(network)
    faults.failAlways('listHosts')
    await expect(driver.listHosts()).rejects.toMatchObject({ code: 'DRIVER_FAILED' })
    driver.failPorts.add('p')
    expect(network.failPorts.has('p')).toBe(true)
  })
})
