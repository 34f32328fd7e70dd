import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { HostDhcp, HostNetwork, HostPort, HostSecurityGroup, HostState } from '@nubis/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  dhcpClient,
  emptyState,
  type Lab,
  network,
  rule,
  skipReason,
  startLab,
  vethPort,
} from './vxlan-helpers.js'

// dnsmasq in a DHCP namespace on h1 gives a guest on h2 its address over VXLAN, with the router and MTU
// options, through the guest port's security group; changed leases are reloaded with SIGHUP, changed options
// restart it, and nothing happens when nothing changed.
describe.skipIf(skipReason !== undefined)(
  `vxlan driver: DHCP${skipReason ? ` [skipped: ${skipReason}]` : ''}`,
  () => {
    let lab: Lab
    let tenant: HostNetwork
    let dhcp: HostDhcp
    let guest: HostPort
    let h1State: HostState
    let vm: string
    const dhcpNs = () => `${lab.net.hosts[0]!.namespacePrefix}qdhcp-${tenant.id}`
    const dnsmasqPid = async () => (await readFile(`${lab.stateDir}/${dhcpNs()}/pid`, 'utf8')).trim()

    beforeAll(async () => {
      lab = await startLab('nbv2', 2)
      const [h1, h2] = lab.net.hosts
      vm = await lab.net.addNamespace('vm-a5')
      tenant = network({ localId: 21, segmentationId: 1001 })
      // Only what DHCP needs gets through: the group allows nothing in.
      const group: HostSecurityGroup = {
        id: randomUUID(),
        rules: [rule({ direction: 'egress' })],
        memberIps: [],
      }
      guest = vethPort(tenant, vm, '198.18.100.15', 'fa:16:3e:0a:00:15', {
        portSecurity: true,
        securityGroupIds: [group.id],
      })
      const v4 = (ip: string) => [
        { subnetId: 'sub-a', ipAddress: ip, cidr: '198.18.100.0/24', ipVersion: 4 as const },
      ]
      dhcp = {
        networkId: tenant.id,
        port: { id: randomUUID(), mac: 'fa:16:3e:0a:00:02', fixedIps: v4('198.18.100.2') },
        subnets: [
          {
            id: 'sub-a',
            cidr: '198.18.100.0/24',
            ipVersion: 4,
            gatewayIp: '198.18.100.1',
            dnsNameservers: [],
            hostRoutes: [],
            ipv6AddressMode: null,
          },
        ],
        leases: [{ mac: guest.mac, ipAddress: '198.18.100.15', hostname: 'vm-a5' }],
      }
      h1State = { ...emptyState(h1!.name), networks: [{ ...tenant, peers: [h2!.tunnelIp] }], dhcp: [dhcp] }
      const h2State = {
        ...emptyState(h2!.name),
        networks: [{ ...tenant, peers: [h1!.tunnelIp] }],
        ports: [guest],
        securityGroups: [group],
      }
      expect((await lab.driver.applyHost(h1State)).failedPorts).toEqual([])
      expect((await lab.driver.applyHost(h2State)).failedPorts).toEqual([])
    })
    afterAll(async () => {
      await lab?.down()
    })

    it('gives the guest its address, router and MTU 1450 over VXLAN, through its security group', async () => {
      // The guest's eth0 starts without address; its MTU was set by the driver, DHCP sets it again.
      expect(await dhcpClient(lab.net, vm)).toBe('dhcp bound: 198.18.100.15/24 router=198.18.100.1 mtu=1450')
      const { stdout } = await lab.net.exec(vm, ['ip', '-j', 'route', 'show', 'default'])
      expect(JSON.parse(stdout)).toMatchObject([{ gateway: '198.18.100.1', dev: 'eth0' }])
    })

    it('runs dnsmasq in its namespace with private files, no DNS, and the static lease only', async () => {
      const pid = await dnsmasqPid()
      expect((await lab.net.run(dhcpNs(), ['ip', 'netns', 'identify', pid])).stdout.trim()).toBe(dhcpNs())
      const conf = await readFile(`${lab.stateDir}/${dhcpNs()}/dnsmasq.conf`, 'utf8')
      expect(conf).toContain('port=0')
      expect(conf).toContain('dhcp-range=set:')
      expect(await readFile(`${lab.stateDir}/${dhcpNs()}/hosts`, 'utf8')).toBe(
        'fa:16:3e:0a:00:15,198.18.100.15,vm-a5\n',
      )
      // Nothing listens for DNS in the namespace.
      expect((await lab.net.exec(dhcpNs(), ['ss', '-Hlnu', 'sport = :53'])).stdout.trim()).toBe('')
      expect(await lab.driver.applyHost(h1State)).toEqual({ changes: 0, failedPorts: [] })
    })

    it('reloads changed leases with SIGHUP (same process) and restarts on changed options', async () => {
      const pid = await dnsmasqPid()
      const withLease = structuredClone(h1State)
      withLease.dhcp[0]!.leases.push({
        mac: 'fa:16:3e:0a:00:16',
        ipAddress: '198.18.100.16',
        hostname: 'vm-a6',
      })
      expect((await lab.driver.applyHost(withLease)).changes).toBe(2) // write the hosts file, SIGHUP
      expect(await dnsmasqPid()).toBe(pid)
      const withDns = structuredClone(withLease)
      withDns.dhcp[0]!.subnets[0]!.dnsNameservers = ['198.18.100.53']
      expect((await lab.driver.applyHost(withDns)).changes).toBeGreaterThan(0)
      expect(await dnsmasqPid()).not.toBe(pid)
      expect(await lab.driver.applyHost(withDns)).toEqual({ changes: 0, failedPorts: [] })
    })
  },
)
