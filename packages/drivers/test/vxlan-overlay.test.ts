import type { HostState } from '@nubis/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  configureGuest,
  type Lab,
  neighbourMac,
  network,
  pings,
  pingsOnce,
  skipReason,
  startLab,
  vethPort,
} from './vxlan-helpers.js'

// Two hosts, two tenants with the same subnet (198.18.100.0/24) on VNIs 1001 and 1002: the overlay carries
// each tenant's frames between the hosts and keeps the tenants apart.
describe.skipIf(skipReason !== undefined)(
  `vxlan driver: overlay${skipReason ? ` [skipped: ${skipReason}]` : ''}`,
  () => {
    let lab: Lab
    const vm: Record<string, string> = {}
    const netA = network({ localId: 1, segmentationId: 1001 })
    const netB = network({ localId: 2, segmentationId: 1002 })

    beforeAll(async () => {
      lab = await startLab('nbv1', 2)
      const [h1, h2] = lab.net.hosts as [(typeof lab.net.hosts)[0], (typeof lab.net.hosts)[0]]
      for (const name of ['a1', 'a2', 'b1', 'b2', 'b4']) vm[name] = await lab.net.addNamespace(`vm-${name}`)
      const on = (peer: typeof h1) => [
        { ...netA, peers: [peer.tunnelIp] },
        { ...netB, peers: [peer.tunnelIp] },
      ]
      const ports = {
        a1: vethPort(netA, vm.a1 as string, '198.18.100.11', 'fa:16:3e:0a:00:11'),
        a2: vethPort(netA, vm.a2 as string, '198.18.100.12', 'fa:16:3e:0a:00:12'),
        b1: vethPort(netB, vm.b1 as string, '198.18.100.11', 'fa:16:3e:0b:00:11'),
        b2: vethPort(netB, vm.b2 as string, '198.18.100.12', 'fa:16:3e:0b:00:12'),
        b4: vethPort(netB, vm.b4 as string, '198.18.100.14', 'fa:16:3e:0b:00:14'),
      }
      const state = (host: typeof h1, peer: typeof h1, portList: HostState['ports']): HostState => ({
        host: host.name,
        networks: on(peer),
        ports: portList,
        securityGroups: [],
        dhcp: [],
        routers: [],
      })
      const r1 = await lab.driver.applyHost(state(h1, h2, [ports.a1, ports.b1]))
      const r2 = await lab.driver.applyHost(state(h2, h1, [ports.a2, ports.b2, ports.b4]))
      expect(r1.failedPorts).toEqual([])
      expect(r2.failedPorts).toEqual([])
      const ips: Record<string, string> = { a1: '.11', a2: '.12', b1: '.11', b2: '.12', b4: '.14' }
      for (const [name, ns] of Object.entries(vm))
        await configureGuest(lab.net, ns, `198.18.100${ips[name]}/24`)
    })
    afterAll(async () => {
      await lab?.down()
    })

    it('builds vxlan-<VNI> on the tunnel address, UDP 4789, no learning, MTU 1450, in brq-<id>, flooding to the peer', async () => {
      const [h1] = lab.net.hosts
      const { stdout } = await lab.net.exec(h1!.namespace, ['ip', '-j', '-d', 'link', 'show', 'vxlan-1001'])
      const [link] = JSON.parse(stdout) as {
        mtu: number
        master: string
        linkinfo: { info_data: Record<string, unknown> }
      }[]
      expect(link).toMatchObject({ mtu: 1450, master: `brq-${netA.id.slice(0, 11)}` })
      expect(link?.linkinfo.info_data).toMatchObject({
        id: 1001,
        local: '198.18.0.1',
        port: 4789,
        learning: false,
        link: 'eth0',
      })
      const fdb = await lab.net.exec(h1!.namespace, ['bridge', 'fdb', 'show', 'dev', 'vxlan-1001'])
      expect(fdb.stdout).toContain('00:00:00:00:00:00 dst 198.18.0.2')
      const guest = await lab.net.exec(vm.a1 as string, ['ip', '-j', 'link', 'show', 'eth0'])
      expect(JSON.parse(guest.stdout)[0]).toMatchObject({ mtu: 1450, address: 'fa:16:3e:0a:00:11' })
    })

    it('carries each tenant between the hosts, the same addresses in both', async () => {
      expect(await pings(lab.net, vm.a1 as string, '198.18.100.12')).toBe(true)
      expect(await pings(lab.net, vm.b1 as string, '198.18.100.12')).toBe(true)
      // The same address answered by each tenant's own guest.
      expect(await neighbourMac(lab.net, vm.a1 as string, '198.18.100.12')).toBe('fa:16:3e:0a:00:12')
      expect(await neighbourMac(lab.net, vm.b1 as string, '198.18.100.12')).toBe('fa:16:3e:0b:00:12')
    })

    it('keeps the tenants apart: an address of tenant B is unreachable from tenant A', async () => {
      expect(await pings(lab.net, vm.b1 as string, '198.18.100.14')).toBe(true)
      expect(await pingsOnce(lab.net, vm.a1 as string, '198.18.100.14')).toBe(false)
    })

    it('passes full 1450-byte frames (1422-byte DF pings) across the overlay', async () => {
      expect(await pings(lab.net, vm.a1 as string, '198.18.100.12', '-M', 'do', '-s', '1422')).toBe(true)
    })
  },
)
