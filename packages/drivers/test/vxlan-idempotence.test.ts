import { randomUUID } from 'node:crypto'
import type { HostDhcp, HostRouter, HostSecurityGroup, HostState } from '@nubis/sdk'
import type { NetnsHosts } from '@nubis/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  configureGuest,
  dhcpClient,
  emptyState,
  type Lab,
  network,
  pings,
  rule,
  skipReason,
  startLab,
  vethPort,
} from './vxlan-helpers.js'

/** What must be identical on a host before the driver touched it and after `clearHost`. */
async function snapshot(net: NetnsHosts, ns: string, prefix: string): Promise<Record<string, string>> {
  const run = async (...argv: string[]) => (await net.exec(ns, argv)).stdout
  const links = JSON.parse(await run('ip', '-j', '-d', 'link', 'show')) as {
    ifname: string
    linkinfo?: { info_kind?: string }
  }[]
  // Rules, user chains and non-default policies, without counters. Table headers are left out: iptables-nft
  // keeps a table once it was used, empty, which filters exactly as no table.
  const rules = (text: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith('-A ') || (line.startsWith(':') && !/^:\S+ ACCEPT( |$)/.test(line)))
      .map((line) => line.replace(/ \[\d+:\d+\]$/, ''))
      .join('\n')
  return {
    links: links.map((l) => `${l.ifname} ${l.linkinfo?.info_kind ?? ''}`).join('\n'),
    addresses: await run('ip', '-br', 'addr'),
    routes: await run('ip', 'route'),
    iptables: rules(await run('iptables-save')),
    ip6tables: rules(await run('ip6tables-save')),
    ebtables: rules(await run('ebtables-save')),
    ipsets: await run('ipset', 'list', '-n'),
    namespaces: (await run('ip', 'netns', 'list'))
      .split('\n')
      .filter((line) => line.startsWith(prefix))
      .join('\n'),
  }
}

// A host with every kind of object (tenant network over VXLAN, filtered port, DHCP server, router with SNAT
// and a floating IP): applying twice changes nothing the second time, a host wiped by hand is repaired by
// applying again, and clearHost leaves it exactly as it was.
describe.skipIf(skipReason !== undefined)(
  `vxlan driver: idempotence${skipReason ? ` [skipped: ${skipReason}]` : ''}`,
  () => {
    let lab: Lab
    let h1State: HostState
    let h2State: HostState
    let before: Record<string, string>
    const vm: Record<string, string> = {}

    beforeAll(async () => {
      lab = await startLab('nbv5', 2)
      const [h1, h2] = lab.net.hosts
      before = await snapshot(lab.net, h1!.namespace, h1!.namespacePrefix)
      vm.a1 = await lab.net.addNamespace('vm-a1')
      vm.a2 = await lab.net.addNamespace('vm-a2')
      const tenant = network({ localId: 11, segmentationId: 1001 })
      const external = network({ localId: 12, segmentationId: 1100, mtu: 1450 })
      const group: HostSecurityGroup = {
        id: randomUUID(),
        rules: [
          rule({ protocol: 'icmp' }),
          rule({ direction: 'egress' }),
          rule({ remoteGroupId: null, protocol: 'tcp', portRangeMin: 22, portRangeMax: 22 }),
        ],
        memberIps: ['198.18.100.11'],
      }
      const a1 = vethPort(tenant, vm.a1, '198.18.100.11', 'fa:16:3e:05:00:11', {
        portSecurity: true,
        securityGroupIds: [group.id],
      })
      const a2 = vethPort(tenant, vm.a2, '198.18.100.12', 'fa:16:3e:05:00:12')
      const v4 = (ip: string, cidr = '198.18.100.0/24') => [
        { subnetId: cidr, ipAddress: ip, cidr, ipVersion: 4 as const },
      ]
      const dhcp: HostDhcp = {
        networkId: tenant.id,
        port: { id: randomUUID(), mac: 'fa:16:3e:05:00:02', fixedIps: v4('198.18.100.2') },
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
        leases: [
          { mac: a1.mac, ipAddress: '198.18.100.11', hostname: 'a1' },
          { mac: a2.mac, ipAddress: '198.18.100.12', hostname: 'a2' },
        ],
      }
      const router: HostRouter = {
        id: randomUUID(),
        gateway: {
          portId: randomUUID(),
          networkId: external.id,
          mac: 'fa:16:3e:05:01:02',
          fixedIps: v4('198.19.0.2', '198.19.0.0/24'),
          enableSnat: true,
          gatewayIp: '198.19.0.254',
        },
        interfaces: [
          {
            portId: randomUUID(),
            networkId: tenant.id,
            mac: 'fa:16:3e:05:00:01',
            fixedIps: v4('198.18.100.1'),
          },
        ],
        routes: [],
        floatingIps: [{ id: randomUUID(), floatingIp: '198.19.0.100', fixedIp: '198.18.100.12' }],
      }
      h1State = {
        host: h1!.name,
        networks: [{ ...tenant, peers: [h2!.tunnelIp] }, external],
        ports: [a1],
        securityGroups: [group],
        dhcp: [dhcp],
        routers: [router],
      }
      h2State = { ...emptyState(h2!.name), networks: [{ ...tenant, peers: [h1!.tunnelIp] }], ports: [a2] }
    })
    afterAll(async () => {
      await lab?.down()
    })

    it('makes changes on a bare host, then none when the same state is applied again', async () => {
      const first = await lab.driver.applyHost(h1State)
      expect(first.failedPorts).toEqual([])
      expect(first.changes).toBeGreaterThan(10)
      expect((await lab.driver.applyHost(h2State)).failedPorts).toEqual([])
      expect(await lab.driver.applyHost(structuredClone(h1State))).toEqual({ changes: 0, failedPorts: [] })
      expect(await lab.driver.applyHost(h2State)).toEqual({ changes: 0, failedPorts: [] })
      await configureGuest(lab.net, vm.a1 as string, '198.18.100.11/24')
      await configureGuest(lab.net, vm.a2 as string, '198.18.100.12/24')
      expect(await pings(lab.net, vm.a2 as string, '198.18.100.11')).toBe(true)
      expect(await pings(lab.net, vm.a2 as string, '198.18.100.1')).toBe(true)
    })

    it('repairs a host wiped by hand (links, namespaces, iptables, ipsets) when the state is applied again', async () => {
      const h1 = lab.net.hosts[0]!
      const run = (...argv: string[]) => lab.net.run(h1.namespace, argv)
      const links = JSON.parse((await run('ip', '-j', 'link', 'show')).stdout) as {
        ifname: string
        group?: string
      }[]
      for (const link of links.filter((l) => l.ifname !== 'lo' && l.ifname !== 'eth0'))
        await run('ip', 'link', 'del', 'dev', link.ifname)
      for (const ns of (await run('ip', 'netns', 'list')).stdout
        .split('\n')
        .filter((line) => line.startsWith(h1.namespacePrefix))) {
        await run('ip', 'netns', 'del', ns.split(' ')[0] as string)
      }
      for (const tool of ['iptables', 'ip6tables']) {
        await run(tool, '-F')
        await run(tool, '-X')
        await run(tool, '-t', 'raw', '-F')
        await run(tool, '-t', 'raw', '-X')
      }
      await run('ebtables', '-F')
      await run('ebtables', '-X')
      await run('ipset', 'destroy')
      expect(await snapshot(lab.net, h1.namespace, h1.namespacePrefix)).toMatchObject({
        links: before.links,
        ipsets: before.ipsets,
      })

      const repaired = await lab.driver.applyHost(h1State)
      expect(repaired.failedPorts).toEqual([])
      expect(repaired.changes).toBeGreaterThan(10)
      expect(await lab.driver.applyHost(h1State)).toEqual({ changes: 0, failedPorts: [] })
      // The guest's veth went with the host end: it gets its address again from the restored DHCP server.
      expect(await dhcpClient(lab.net, vm.a1 as string)).toMatch(
        /^dhcp bound: 198\.18\.100\.11\/24 router=198\.18\.100\.1 mtu=1450/,
      )
      expect(await pings(lab.net, vm.a2 as string, '198.18.100.11')).toBe(true)
      expect(await pings(lab.net, vm.a2 as string, '198.18.100.1')).toBe(true)
      // dnsmasq left running in the deleted namespace was replaced by one in the new namespace.
      const { stdout } = await run(
        'ip',
        'netns',
        'pids',
        `${h1.namespacePrefix}qdhcp-${h1State.dhcp[0]!.networkId}`,
      )
      expect(stdout.trim()).toMatch(/^\d+$/)
    })

    it('clearHost leaves the host exactly as it was before the driver touched it', async () => {
      const h1 = lab.net.hosts[0]!
      await lab.driver.clearHost(h1.name)
      expect(await snapshot(lab.net, h1.namespace, h1.namespacePrefix)).toEqual(before)
      await lab.driver.clearHost(h1.name)
      expect(await lab.driver.applyHost(emptyState(h1.name))).toEqual({ changes: 0, failedPorts: [] })
    })
  },
)
