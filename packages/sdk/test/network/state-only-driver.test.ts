import { describeNetworkDriverConformance, sampleHostState } from '@nubis/testing'
import { describe, expect, it } from 'vitest'
import { isDriver } from '../../src/core/driver.js'
import { checkSegmentationId, stateOnlyNetwork } from '../../src/network/state-only-driver.js'

// Keeping no data plane, the state-only driver reports no change for any state: the tests of the contract
// that count changes do not apply to it; those of hosts and segments do.
describeNetworkDriverConformance(() => ({ driver: stateOnlyNetwork() }), {
  label: 'state-only',
  only: [
    'lists at least one host, each name once',
    'accepts valid segments of the types it declares and refuses the others with NOT_SUPPORTED',
    'refuses VXLAN ids 0 and 16777216 with INVALID, accepts 1 and 16777215',
    'refuses VLAN ids 0 and 4095 with INVALID',
    'clears a bare host without error, twice',
  ],
})

describe('stateOnlyNetwork', () => {
  it('is the network driver state-only: every segment type and feature, no data plane', () => {
    const network = stateOnlyNetwork()
    expect(isDriver(network)).toBe(true)
    expect(network).toMatchObject({ kind: 'network', name: 'state-only' })
    expect(network.capabilities).toEqual({
      dataPlane: false,
      vxlan: true,
      gre: true,
      vlan: true,
      flat: true,
      dhcp: true,
      routers: true,
      securityGroups: true,
    })
  })

  it('lists the hosts it is given, without tunnel endpoints; one named local by default', async () => {
    await expect(stateOnlyNetwork().listHosts()).resolves.toEqual([{ name: 'local', tunnelIp: null }])
    const hosts = ['hv1', 'hv2']
    const network = stateOnlyNetwork({ hosts })
    hosts.push('hv3')
    await expect(network.listHosts()).resolves.toEqual([
      { name: 'hv1', tunnelIp: null },
      { name: 'hv2', tunnelIp: null },
    ])
    expect(() => stateOnlyNetwork({ hosts: ['a', 'a'] })).toThrow(
      expect.objectContaining({ code: 'INVALID' }),
    )
    expect(() => stateOnlyNetwork({ hosts: [''] })).toThrow(expect.objectContaining({ code: 'INVALID' }))
  })

  it('accepts any segment type, physical network included, but checks segmentation ids', async () => {
    const network = stateOnlyNetwork()
    const check = (type: 'vxlan' | 'gre' | 'vlan' | 'flat' | 'local', id: number | null) =>
      network.checkNetwork({ type, segmentationId: id, physicalNetwork: type === 'flat' ? 'anything' : null })
    const invalid = { code: 'INVALID', driver: 'state-only', details: { path: 'segmentationId' } }
    for (const [type, id] of [
      ['vxlan', 16_777_215],
      ['vxlan', null],
      ['gre', 2 ** 32 - 1],
      ['vlan', 4094],
      ['flat', null],
      ['local', null],
    ] as const) {
      await expect(check(type, id), `${type} ${id}`).resolves.toBeUndefined()
    }
    for (const [type, id] of [
      ['vxlan', 0],
      ['vxlan', 16_777_216],
      ['vxlan', 2.5],
      ['gre', 2 ** 32],
      ['vlan', 0],
      ['vlan', 4095],
      ['flat', 1],
      ['local', 1],
    ] as const) {
      await expect(check(type, id), `${type} ${id}`).rejects.toMatchObject(invalid)
    }
  })

  it('applies any state with no change and clears hosts without doing anything', async () => {
    const network = stateOnlyNetwork()
    const sample = sampleHostState({ host: 'local', capabilities: network.capabilities })
    await expect(network.applyHost(sample.state)).resolves.toEqual({ changes: 0, failedPorts: [] })
    await expect(network.applyHost(sample.withPort(sample.state))).resolves.toEqual({
      changes: 0,
      failedPorts: [],
    })
    await expect(network.clearHost('local')).resolves.toBeUndefined()
  })

  it('refuses an unknown segment type with INVALID when called without a driver', () => {
    expect(() => checkSegmentationId({ type: 'geneve' as never, segmentationId: 1 })).toThrow(
      expect.objectContaining({ code: 'INVALID', details: { path: 'type' } }),
    )
  })
})
