import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { HostSecurityGroup, HostSecurityGroupRule, HostState } from '@nubis/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ruleMatch } from '../src/vxlan/rule-match.js'
import {
  configureGuest,
  emptyState,
  type Lab,
  neighbourMac,
  network,
  pings,
  pingsOnce,
  rule,
  skipReason,
  startLab,
  tcp,
  vethPort,
} from './vxlan-helpers.js'

// Security groups on real packets, one host, guests t (.11, filtered), a (.12) and d (.13). t's group lets in
// ICMP from a only and TCP 8080 from the members of group "members" (an ipset), and anything out.
describe.skipIf(skipReason !== undefined)(
  `vxlan driver: security groups${skipReason ? ` [skipped: ${skipReason}]` : ''}`,
  () => {
    let lab: Lab
    let state: HostState
    const vm: Record<string, string> = {}
    const icmpFromA = rule({ protocol: 'icmp', remoteIpPrefix: '198.18.100.12/32' })
    const members: HostSecurityGroup = { id: randomUUID(), rules: [], memberIps: ['198.18.100.12'] }
    const apply = async (next: HostState) => {
      const result = await lab.driver.applyHost(next)
      expect(result.failedPorts).toEqual([])
      state = next
      return result
    }

    beforeAll(async () => {
      lab = await startLab('nbv3', 1)
      const h1 = lab.net.hosts[0]!
      for (const name of ['t', 'a', 'd']) vm[name] = await lab.net.addNamespace(`vm-${name}`)
      const tenant = network({ localId: 31, segmentationId: 1001 })
      const group: HostSecurityGroup = {
        id: randomUUID(),
        rules: [
          icmpFromA,
          rule({ protocol: 'tcp', portRangeMin: 8080, portRangeMax: 8080, remoteGroupId: members.id }),
          rule({ direction: 'egress' }),
        ],
        memberIps: ['198.18.100.11'],
      }
      const ports = [
        vethPort(tenant, vm.t as string, '198.18.100.11', 'fa:16:3e:03:00:11', {
          portSecurity: true,
          securityGroupIds: [group.id],
        }),
        vethPort(tenant, vm.a as string, '198.18.100.12', 'fa:16:3e:03:00:12'),
        vethPort(tenant, vm.d as string, '198.18.100.13', 'fa:16:3e:03:00:13'),
      ]
      await apply({ ...emptyState(h1.name), networks: [tenant], ports, securityGroups: [group, members] })
      await configureGuest(lab.net, vm.t as string, '198.18.100.11/24')
      await configureGuest(lab.net, vm.a as string, '198.18.100.12/24')
      await configureGuest(lab.net, vm.d as string, '198.18.100.13/24')
    })
    afterAll(async () => {
      await lab?.down()
    })

    it('lets in ICMP from the allowed source only, and replies to what the guest started', async () => {
      expect(await pings(lab.net, vm.a as string, '198.18.100.11')).toBe(true)
      expect(await pingsOnce(lab.net, vm.d as string, '198.18.100.11')).toBe(false)
      // Stateful: d may not start anything towards t, but answers t.
      expect(await pings(lab.net, vm.t as string, '198.18.100.13')).toBe(true)
    })

    it('lets in TCP 8080 from members of the remote group (ipset), and follows membership without rule changes', async () => {
      expect(await tcp(lab.net, vm.t as string, 8080, vm.a as string, '198.18.100.11')).toEqual({
        ok: true,
        peer: '198.18.100.12',
      })
      expect((await tcp(lab.net, vm.t as string, 8080, vm.d as string, '198.18.100.11', 1)).ok).toBe(false)
      const joined = structuredClone(state)
      joined.securityGroups[1]!.memberIps.push('198.18.100.13')
      expect((await apply(joined)).changes).toBe(1) // one `ipset restore`
      expect(await tcp(lab.net, vm.t as string, 8080, vm.d as string, '198.18.100.11')).toEqual({
        ok: true,
        peer: '198.18.100.13',
      })
      const { stdout } = await lab.net.exec(lab.net.hosts[0]!.namespace, ['ipset', 'list', '-n'])
      expect(stdout.trim()).toMatch(/^nb4-[0-9a-f]{16}$/)
    })

    it('drops what the guest sends from an address that is not its own, unless an allowed address pair covers it', async () => {
      await lab.net.exec(vm.t as string, ['ip', 'addr', 'add', '198.18.100.99/32', 'dev', 'eth0'])
      expect(await pingsOnce(lab.net, vm.t as string, '198.18.100.12', '-I', '198.18.100.99')).toBe(false)
      // Not even its ARP request got through (ebtables): a's ARP cache was not poisoned with .99.
      expect(await neighbourMac(lab.net, vm.a as string, '198.18.100.99')).toBe(null)
      const paired = structuredClone(state)
      paired.ports[0]!.allowedAddressPairs = [{ ipAddress: '198.18.100.99', macAddress: '' }]
      await apply(paired)
      expect(await pings(lab.net, vm.t as string, '198.18.100.12', '-I', '198.18.100.99')).toBe(true)
      expect(await neighbourMac(lab.net, vm.a as string, '198.18.100.99')).toBe('fa:16:3e:03:00:11')
      await lab.net.exec(vm.t as string, ['ip', 'addr', 'del', '198.18.100.99/32', 'dev', 'eth0'])
    })

    it('tracks the network in its own conntrack zone', async () => {
      const { stdout } = await lab.net.exec(lab.net.hosts[0]!.namespace, ['conntrack', '-L', '-w', '31'])
      expect(stdout).toContain('src=198.18.100.12 dst=198.18.100.11')
    })

    it('cuts an ESTABLISHED flow when the rule that allowed it is removed', async () => {
      // a pings t every 0.1 s for 2 s; after 0.6 s the ICMP rule goes away.
      const flow = lab.net.run(vm.a as string, ['ping', '-n', '-i', '0.1', '-w', '2', '198.18.100.11'])
      await sleep(600)
      const revoked = structuredClone(state)
      revoked.securityGroups[0]!.rules = revoked.securityGroups[0]!.rules.filter((r) => r.id !== icmpFromA.id)
      await apply(revoked)
      const { stdout } = await flow
      const [, sent = '0', received = '0'] = /(\d+) packets transmitted, (\d+) received/.exec(stdout) ?? []
      expect(Number(received)).toBeGreaterThanOrEqual(3)
      expect(Number(received)).toBeLessThan(Number(sent) - 5)
    })

    it('filters nothing on a port without port security', async () => {
      const open = structuredClone(state)
      open.ports[0]!.portSecurity = false
      await apply(open)
      expect(await pings(lab.net, vm.d as string, '198.18.100.11')).toBe(true)
      const save = await lab.net.exec(lab.net.hosts[0]!.namespace, ['iptables-save', '-t', 'filter'])
      expect(save.stdout).not.toContain('nb-i-')
    })
  },
)

// How rules become iptables matches, without a host: remote side by direction, ports and ICMP types, families.
describe('vxlan driver: security group rules as iptables matches', () => {
  const present = new Set(['g1'])
  it.each<[Partial<HostSecurityGroupRule>, number, string]>([
    [
      { protocol: 'tcp', portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '10.0.0.5' },
      4,
      '-s 10.0.0.5/32 -p tcp -m tcp --dport 22 ',
    ],
    [
      { direction: 'egress' as const, protocol: '17', portRangeMin: 1000, portRangeMax: 2000 },
      4,
      '-p udp -m udp --dport 1000:2000 ',
    ],
    [{ protocol: 'tcp', portRangeMin: 1, portRangeMax: 65_535, remoteIpPrefix: '0.0.0.0/0' }, 4, '-p tcp '],
    [{ protocol: 'icmp', portRangeMin: 8, portRangeMax: 0 }, 4, '-p icmp -m icmp --icmp-type 8/0 '],
    [
      { ethertype: 'IPv6' as const, protocol: 'icmp', portRangeMin: 128 },
      6,
      '-p ipv6-icmp -m icmp6 --icmpv6-type 128 ',
    ],
    [{ direction: 'egress' as const, remoteGroupId: 'g1' }, 4, '-m set --match-set nb4-'],
    [{ remoteIpPrefix: '10.1.2.3/24' }, 4, '-s 10.1.2.0/24 '],
    [{}, 4, ''],
  ])('%o in IPv%i → %s', (fields, family, expected) => {
    const match = ruleMatch(rule(fields), family as 4 | 6, present)
    expect(match?.startsWith(expected)).toBe(true)
    if (fields.remoteGroupId) expect(match).toMatch(/ dst $/)
  })

  it.each<[Partial<HostSecurityGroupRule>, number, string]>([
    [{ remoteIpPrefix: '2001:db8::/64' }, 4, 'a prefix of the other family'],
    [{ remoteGroupId: 'unknown' }, 4, 'a remote group absent from the host state'],
    [{ protocol: 'icmpv6' }, 4, 'ICMPv6 in an IPv4 chain'],
  ])('%o matches nothing in IPv%i: %s', (fields, family, _why) => {
    expect(ruleMatch(rule(fields), family as 4 | 6, present)).toBe(null)
  })
})
