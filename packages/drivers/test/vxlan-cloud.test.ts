// The Network service driving the VXLAN driver on namespace hosts: records made through cloud.network become real
// devices, DHCP leases and filters, a host wiped by hand is repaired by resync, and a port its host cannot plug
// shows a failed binding without leaking its address.
import { type Cloud, createCloud, createContext } from '@nubis/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dhcpClient, type Lab, pings, pingsOnce, skipReason, startLab } from './vxlan-helpers.js'

const admin = createContext({ userId: 'root', projectId: 'ops', roles: ['admin', 'member', 'reader'] })

describe.skipIf(skipReason !== undefined)(
  `cloud.network on the vxlan driver${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let lab: Lab
    let cloud: Cloud
    let vm1: string
    let vm2: string
    let networkId: string

    beforeAll(async () => {
      lab = await startLab('nbvc', 2)
      cloud = await createCloud({
        tasks: { recoverEveryMs: 0 },
        network: { driver: lab.driver, gatewayHost: 'h1' },
      })
      vm1 = await lab.net.addNamespace('vm1')
      vm2 = await lab.net.addNamespace('vm2')
      const net = await cloud.network.createNetwork(admin, { name: 'tenant' })
      networkId = net.id
      await cloud.network.createSubnet(admin, { networkId, ipVersion: 4, cidr: '198.18.100.0/24' })
    }, 60_000)
    afterAll(async () => {
      await cloud?.close()
      await lab?.down()
    })

    const plug = (host: string, netns: string) =>
      cloud.network.createPort(admin, {
        networkId,
        bindingHostId: host,
        bindingProfile: { vif: 'veth', netns },
      })

    it('binds ports on two hosts, serves them DHCP from the gateway host, and lets the default group pass them', async () => {
      const p1 = await plug('h1', vm1)
      const p2 = await plug('h2', vm2)
      expect([p1.status, p1.bindingVifType, p2.status, p2.bindingVifType]).toEqual([
        'ACTIVE',
        'veth',
        'ACTIVE',
        'veth',
      ])
      expect(await dhcpClient(lab.net, vm1)).toContain(`dhcp bound: ${p1.fixedIps[0]!.ipAddress}/24`)
      expect(await dhcpClient(lab.net, vm2)).toContain(
        `dhcp bound: ${p2.fixedIps[0]!.ipAddress}/24 router=198.18.100.1 mtu=1450`,
      )
      // Both are in the project's default group, which admits its own members.
      expect(await pings(lab.net, vm2, p1.fixedIps[0]!.ipAddress)).toBe(true)
    })

    it('is repaired by resync after a host lost its devices', async () => {
      const target = (await cloud.network.listPorts(admin, { bindingHostId: 'h1' })).items[0]!.fixedIps[0]!
        .ipAddress
      const h2 = lab.net.hosts[1]!
      const { stdout } = await lab.net.run(h2.namespace, ['ip', '-j', 'link', 'show', 'type', 'vxlan'])
      for (const link of JSON.parse(stdout) as { ifname: string }[])
        await lab.net.exec(h2.namespace, ['ip', 'link', 'del', link.ifname])
      expect(await pingsOnce(lab.net, vm2, target)).toBe(false)
      const report = await cloud.network.resync(admin)
      expect(report.find((r) => r.host === 'h2')?.changes).toBeGreaterThan(0)
      expect(await pings(lab.net, vm2, target)).toBe(true)
      expect((await cloud.network.resync(admin)).map((r) => r.changes)).toEqual([0, 0])
    })

    it('marks a port whose guest namespace does not exist as binding_failed, and its delete frees the address', async () => {
      const failed = await plug('h2', 'nbvc-no-such-guest')
      expect([failed.status, failed.bindingVifType]).toEqual(['DOWN', 'binding_failed'])
      const address = failed.fixedIps[0]!.ipAddress
      await cloud.network.deletePort(admin, failed.id)
      const again = await cloud.network.createPort(admin, { networkId, fixedIps: [{ ipAddress: address }] })
      expect(again.fixedIps[0]!.ipAddress).toBe(address)
      await cloud.network.deletePort(admin, again.id)
    })
  },
)
