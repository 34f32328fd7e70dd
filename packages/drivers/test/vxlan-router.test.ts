import { randomUUID } from 'node:crypto'
import type { HostRouter, HostState } from '@nubis/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  configureGuest,
  emptyState,
  type Lab,
  network,
  pings,
  skipReason,
  startLab,
  tcp,
  vethPort,
} from './vxlan-helpers.js'

// A router on h1 between a tenant network (VXLAN, guests on h2) and a flat external network: physical network
// `ext` is h1's interface ext0, a veth to the namespace of an external client (198.19.0.254, also the
// external subnet's gateway). SNAT for the tenant subnet, floating IP 198.19.0.100 for guest a2.
describe.skipIf(skipReason !== undefined)(
  `vxlan driver: router${skipReason ? ` [skipped: ${skipReason}]` : ''}`,
  () => {
    let lab: Lab
    let h1State: HostState
    let router: HostRouter
    let client: string
    const vm: Record<string, string> = {}
    const routerNs = () => `${lab.net.hosts[0]!.namespacePrefix}qrouter-${router.id}`

    beforeAll(async () => {
      lab = await startLab('nbv4', 2, { physicalNetworks: { ext: 'ext0' } })
      const [h1, h2] = lab.net.hosts
      client = await lab.net.addNamespace('ext')
      await lab.net.exec(h1!.namespace, [
        'ip',
        'link',
        'add',
        'ext0',
        'up',
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        client,
      ])
      await lab.net.exec(client, ['ip', 'link', 'set', 'dev', 'eth0', 'up'])
      await configureGuest(lab.net, client, '198.19.0.254/24')
      vm.a2 = await lab.net.addNamespace('vm-a2')
      vm.a3 = await lab.net.addNamespace('vm-a3')
      const tenant = network({ localId: 41, segmentationId: 1001 })
      const external = network({
        localId: 42,
        type: 'flat',
        segmentationId: null,
        physicalNetwork: 'ext',
        mtu: 1500,
      })
      const v4 = (ip: string, cidr: string) => [
        { subnetId: cidr, ipAddress: ip, cidr, ipVersion: 4 as const },
      ]
      router = {
        id: randomUUID(),
        gateway: {
          portId: randomUUID(),
          networkId: external.id,
          mac: 'fa:16:3e:04:01:02',
          fixedIps: v4('198.19.0.2', '198.19.0.0/24'),
          enableSnat: true,
          gatewayIp: '198.19.0.254',
        },
        interfaces: [
          {
            portId: randomUUID(),
            networkId: tenant.id,
            mac: 'fa:16:3e:04:00:01',
            fixedIps: v4('198.18.100.1', '198.18.100.0/24'),
          },
        ],
        routes: [{ destination: '198.19.5.0/24', nexthop: '198.19.0.254' }],
        floatingIps: [{ id: randomUUID(), floatingIp: '198.19.0.100', fixedIp: '198.18.100.12' }],
      }
      h1State = {
        ...emptyState(h1!.name),
        networks: [{ ...tenant, peers: [h2!.tunnelIp] }, external],
        routers: [router],
      }
      const ports = [
        vethPort(tenant, vm.a2, '198.18.100.12', 'fa:16:3e:04:00:12'),
        vethPort(tenant, vm.a3, '198.18.100.13', 'fa:16:3e:04:00:13'),
      ]
      expect((await lab.driver.applyHost(h1State)).failedPorts).toEqual([])
      expect(
        (
          await lab.driver.applyHost({
            ...emptyState(h2!.name),
            networks: [{ ...tenant, peers: [h1!.tunnelIp] }],
            ports,
          })
        ).failedPorts,
      ).toEqual([])
      await configureGuest(lab.net, vm.a2, '198.18.100.12/24', '198.18.100.1')
      await configureGuest(lab.net, vm.a3, '198.18.100.13/24', '198.18.100.1')
    })
    afterAll(async () => {
      await lab?.down()
    })

    it('builds the router namespace: legs with the ports addresses, forwarding, default and static routes', async () => {
      const run = async (...argv: string[]) => (await lab.net.exec(routerNs(), argv)).stdout
      const addresses = JSON.parse(await run('ip', '-j', '-4', 'addr', 'show')) as {
        ifname: string
        addr_info: { local: string }[]
      }[]
      const byDevice = Object.fromEntries(
        addresses.map((a) => [a.ifname, a.addr_info.map((i) => i.local).sort()]),
      )
      expect(byDevice).toMatchObject({
        [`qr-${router.interfaces[0]!.portId.slice(0, 11)}`]: ['198.18.100.1'],
        [`qg-${router.gateway!.portId.slice(0, 11)}`]: ['198.19.0.100', '198.19.0.2'],
      })
      expect((await run('cat', '/proc/sys/net/ipv4/ip_forward')).trim()).toBe('1')
      const routes = await run('ip', 'route')
      expect(routes).toContain('default via 198.19.0.254')
      expect(routes).toContain('198.19.5.0/24 via 198.19.0.254')
      expect(await lab.driver.applyHost(h1State)).toEqual({ changes: 0, failedPorts: [] })
    })

    it('SNATs the tenant subnet to the gateway address', async () => {
      expect(await pings(lab.net, vm.a3 as string, '198.19.0.254')).toBe(true)
      expect(await tcp(lab.net, client, 9091, vm.a3 as string, '198.19.0.254')).toEqual({
        ok: true,
        peer: '198.19.0.2',
      })
    })

    it('reaches a guest by its floating IP from outside (ping, TCP), and the guest sees the real client', async () => {
      expect(await pings(lab.net, client, '198.19.0.100')).toBe(true)
      expect(await tcp(lab.net, vm.a2 as string, 8080, client, '198.19.0.100')).toEqual({
        ok: true,
        peer: '198.19.0.254',
      })
      // And the guest's own connections leave as its floating IP.
      expect(await tcp(lab.net, client, 9090, vm.a2 as string, '198.19.0.254')).toEqual({
        ok: true,
        peer: '198.19.0.100',
      })
    })
  },
)
