import { randomUUID } from 'node:crypto'
import { vxlanNetwork } from '@nubis/drivers/vxlan'
import type { HostSecurityGroup, HostState } from '@nubis/sdk'
import { scriptedTransport } from '@nubis/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  configureGuest,
  emptyState,
  type Lab,
  network,
  pings,
  rule,
  skipReason,
  startLab,
  vethPort,
} from './vxlan-helpers.js'

// Ports the host cannot plug are reported in failedPorts, leave nothing behind, and do not stop the rest.
describe.skipIf(skipReason !== undefined)(
  `vxlan driver: failed ports${skipReason ? ` [skipped: ${skipReason}]` : ''}`,
  () => {
    let lab: Lab
    let good: HostState
    const vm: Record<string, string> = {}

    beforeAll(async () => {
      lab = await startLab('nbv7', 1)
      vm.g1 = await lab.net.addNamespace('vm-g1')
      vm.g2 = await lab.net.addNamespace('vm-g2')
    })
    afterAll(async () => {
      await lab?.down()
    })

    it('reports a veth port into a namespace that does not exist, and plugs the others', async () => {
      const h1 = lab.net.hosts[0]!
      const tenant = network({ localId: 71 })
      const group: HostSecurityGroup = {
        id: randomUUID(),
        rules: [rule(), rule({ direction: 'egress' })],
        memberIps: [],
      }
      const sg = { portSecurity: true, securityGroupIds: [group.id] }
      const ports = [
        vethPort(tenant, vm.g1 as string, '198.18.100.11', 'fa:16:3e:07:00:11', sg),
        vethPort(tenant, vm.g2 as string, '198.18.100.12', 'fa:16:3e:07:00:12', sg),
      ]
      const bad = vethPort(tenant, 'nbv7-no-such-namespace', '198.18.100.13', 'fa:16:3e:07:00:13', sg)
      good = { ...emptyState(h1.name), networks: [tenant], ports, securityGroups: [group] }
      const result = await lab.driver.applyHost({ ...good, ports: [...ports, bad] })
      expect(result.failedPorts).toEqual([
        { id: bad.id, reason: 'namespace nbv7-no-such-namespace of its veth vif does not exist' },
      ])
      expect(result.changes).toBeGreaterThan(0)
      await configureGuest(lab.net, vm.g1 as string, '198.18.100.11/24')
      await configureGuest(lab.net, vm.g2 as string, '198.18.100.12/24')
      expect(await pings(lab.net, vm.g1 as string, '198.18.100.12')).toBe(true)
      // Nothing of the failed port: no device, no chain; so without it the host is already right.
      const save = await lab.net.exec(h1.namespace, ['iptables-save'])
      expect(save.stdout).not.toContain(bad.device)
      expect(await lab.driver.applyHost(good)).toEqual({ changes: 0, failedPorts: [] })
    })

    it('reports a port whose device name is taken by an interface Nubis did not make', async () => {
      const h1 = lab.net.hosts[0]!
      await lab.net.exec(h1.namespace, [
        'ip',
        'link',
        'add',
        'tapforeign',
        'type',
        'veth',
        'peer',
        'name',
        'tapforeign1',
      ])
      const taken = vethPort(good.networks[0]!, vm.g2 as string, '198.18.100.14', 'fa:16:3e:07:00:14', {
        device: 'tapforeign',
      })
      const result = await lab.driver.applyHost({ ...good, ports: [...good.ports, taken] })
      expect(result.failedPorts).toEqual([
        { id: taken.id, reason: expect.stringContaining('was not made by Nubis') },
      ])
      expect(await pings(lab.net, vm.g1 as string, '198.18.100.12')).toBe(true)
      await lab.net.exec(h1.namespace, ['ip', 'link', 'del', 'tapforeign'])
    })

    it('fails the ports of a network the host cannot build (physical network not mapped), not the others', async () => {
      const flat = network({
        localId: 72,
        type: 'flat',
        segmentationId: null,
        physicalNetwork: 'nowhere',
        mtu: 1500,
      })
      const stranded = vethPort(flat, vm.g2 as string, '198.18.101.12', 'fa:16:3e:07:01:12')
      const result = await lab.driver.applyHost({
        ...good,
        networks: [...good.networks, flat],
        ports: [...good.ports, stranded],
      })
      expect(result.failedPorts).toEqual([
        { id: stranded.id, reason: expect.stringContaining(`maps no interface to physical network nowhere`) },
      ])
      expect(await pings(lab.net, vm.g1 as string, '198.18.100.12')).toBe(true)
      expect((await lab.driver.applyHost(good)).failedPorts).toEqual([])
      expect(await lab.driver.applyHost(good)).toEqual({ changes: 0, failedPorts: [] })
    })
  },
)

// Parts of a state end up in iptables-restore, ipset and dnsmasq input: what could smuggle syntax in is refused
// before any command runs.
describe('vxlan driver: state checks (scripted host)', () => {
  const tenant = network({ localId: 73 })
  const port = vethPort(tenant, 'nbv7-vm', '198.18.100.11', 'fa:16:3e:07:02:11')
  it.each([
    ['a device name with a newline', { ...port, device: 'tap0\n-A FORWARD' }],
    ['a device name of the driver', { ...port, device: 'brq-1234' }],
    ['a MAC that is not one', { ...port, mac: 'fa:16:3e:07:02:11,198.18.100.99' }],
    ['a namespace path', { ...port, vif: { type: 'veth' as const, netns: '../../proc/1/ns/net' } }],
    ['a port on a network not in the state', { ...port, networkId: 'elsewhere' }],
  ])('refuses %s with INVALID', async (_what, bad) => {
    const host = scriptedTransport([])
    const driver = vxlanNetwork({ hosts: [{ name: 'hv1', transport: host, tunnelIp: '198.18.0.1' }] })
    const state = { ...emptyState('hv1'), networks: [tenant], ports: [bad] }
    await expect(driver.applyHost(state)).rejects.toMatchObject({ code: 'INVALID' })
    expect(host.calls).toEqual([])
  })

  it('refuses an unknown host with NOT_FOUND', async () => {
    const driver = vxlanNetwork({
      hosts: [{ name: 'hv1', transport: scriptedTransport([]), tunnelIp: '198.18.0.1' }],
    })
    await expect(driver.applyHost(emptyState('hv9'))).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})
