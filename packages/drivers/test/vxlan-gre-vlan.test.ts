import { createHash } from 'node:crypto'
import { vxlanNetwork } from '@nubis/drivers/vxlan'
import type { HostNetwork, HostState } from '@nubis/sdk'
import { kernelHas, type ScriptStep, scriptedTransport } from '@nubis/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  configureGuest,
  emptyState,
  type Lab,
  network,
  pings,
  skipReason,
  startLab,
  vethPort,
} from './vxlan-helpers.js'

const GROUP = '28258'
const words = (line: string) => line.split(' ')
const bridge = (net: HostNetwork) => `brq-${net.id.slice(0, 11)}`
const greDevice = (key: number, peer: string) =>
  `gre-${createHash('sha256').update(`${key}/${peer}`).digest('hex').slice(0, 11)}`
const link = (ifname: string, extra: Record<string, unknown> = {}) => ({
  ifname,
  mtu: 1500,
  flags: ['BROADCAST', 'UP'],
  group: 'default',
  ...extra,
})

/** The reads every apply starts with (side by side, issued in this order), answered as a host with `links`. */
function reads(links: object[], iptables = { v4: '', v6: '' }): ScriptStep[] {
  return [
    { argv: ['ip', '-j', '-d', 'link', 'show'], stdout: JSON.stringify(links) },
    { argv: ['bridge', '-j', 'fdb', 'show'], stdout: '[]' },
    { argv: ['ip', 'netns', 'list'] },
    {
      argv: [
        'find',
        '/var/lib/nubis/network',
        '-mindepth',
        '1',
        '-maxdepth',
        '1',
        '-type',
        'd',
        '-name',
        'qdhcp-*',
      ],
      exitCode: 1,
    },
    { argv: ['ipset', 'save'] },
    { argv: ['iptables-save'], stdout: iptables.v4 },
    { argv: ['ip6tables-save'], stdout: iptables.v6 },
    {
      argv: [
        'cat',
        '/proc/sys/net/bridge/bridge-nf-call-iptables',
        '/proc/sys/net/bridge/bridge-nf-call-ip6tables',
      ],
      stdout: '1\n1\n',
    },
    { argv: ['ebtables-save'] },
  ]
}

/** An iptables-restore step; its input is checked by `check` and kept in `seen`. */
function restore(tool: string, seen: string[], check: (input: string) => boolean): ScriptStep {
  return {
    argv: [tool, '-w', '--noflush'],
    stdin: (input = '') => {
      seen.push(input)
      return check(input)
    },
  }
}

/** What `iptables-save` prints after `input` (a --noflush restore adding chains and jumps) was applied. */
function savedAfter(input: string): string {
  return input
    .split('COMMIT\n')
    .filter((section) => section.startsWith('*'))
    .map((section) => {
      const lines = section.split('\n')
      const jumps = lines.filter((l) => l.startsWith('-I ')).map((l) => l.replace(/^-I (\S+) 1 /, '-A $1 '))
      const chains = lines.filter((l) => l.startsWith(':'))
      return [lines[0], ...chains, ...jumps, ...lines.filter((l) => l.startsWith('-A ')), 'COMMIT', ''].join(
        '\n',
      )
    })
    .join('')
}

const driverOn = (transport: ReturnType<typeof scriptedTransport>) =>
  vxlanNetwork({
    hosts: [{ name: 'hv1', transport, tunnelIp: '198.18.0.1', physicalNetworks: { physnet1: 'eth1' } }],
  })

describe('vxlan driver: GRE and VLAN commands (scripted host)', () => {
  const gre = network({
    localId: 5,
    type: 'gre',
    segmentationId: 77,
    peers: ['198.18.0.1', '198.18.0.2', '198.18.0.3'],
  })
  const state: HostState = { ...emptyState('hv1'), networks: [gre] }

  it('makes one gretap per peer (key, local, remote), all in the bridge as isolated ports, then nothing more', async () => {
    const peers = ['198.18.0.2', '198.18.0.3']
    const seen: string[] = []
    const host = scriptedTransport([
      ...reads([link('lo'), link('eth0')]),
      { argv: words(`ip link add ${bridge(gre)} group ${GROUP} up type bridge`) },
      ...peers.flatMap((peer): ScriptStep[] => [
        {
          argv: words(
            `ip link add ${greDevice(77, peer)} group ${GROUP} mtu 1450 master ${bridge(gre)} up ` +
              `type gretap key 77 local 198.18.0.1 remote ${peer}`,
          ),
        },
        { argv: words(`bridge link set dev ${greDevice(77, peer)} isolated on`) },
      ]),
      restore('iptables-restore', seen, (input) =>
        input.includes(`-A nb-ct -i ${bridge(gre)} -j CT --zone 5\n`),
      ),
      restore('ip6tables-restore', seen, (input) => input.includes('-I PREROUTING 1 -j nb-ct')),
    ])
    expect(await driverOn(host).applyHost(state)).toEqual({ changes: 7, failedPorts: [] })
    host.assertDone()

    // The same host, now as the first apply left it: only reads.
    const made = peers.map((peer) =>
      link(greDevice(77, peer), {
        mtu: 1450,
        master: bridge(gre),
        group: GROUP,
        linkinfo: {
          info_kind: 'gretap',
          info_data: { remote: peer, local: '198.18.0.1', ikey: '0.0.0.77', okey: '0.0.0.77' },
          info_slave_data: { isolated: true },
        },
      }),
    )
    const links = [
      link('lo'),
      link('eth0'),
      link(bridge(gre), { group: GROUP, linkinfo: { info_kind: 'bridge' } }),
      ...made,
    ]
    const quiet = scriptedTransport(
      reads(links, { v4: savedAfter(seen[0] ?? ''), v6: savedAfter(seen[1] ?? '') }),
    )
    expect(await driverOn(quiet).applyHost(state)).toEqual({ changes: 0, failedPorts: [] })
    quiet.assertDone()
  })

  it('drops the tunnel of a peer that left and remakes one whose key changed', async () => {
    const tunnel = (peer: string, data: Record<string, unknown>) =>
      link(greDevice(77, peer), {
        group: GROUP,
        mtu: 1450,
        master: bridge(gre),
        linkinfo: { info_kind: 'gretap', info_data: data, info_slave_data: { isolated: true } },
      })
    const host = scriptedTransport([
      ...reads([
        link('eth0'),
        link(bridge(gre), { group: GROUP, linkinfo: { info_kind: 'bridge' } }),
        tunnel('198.18.0.9', {}),
        tunnel('198.18.0.2', { remote: '198.18.0.2', local: '198.18.0.1', ikey: '0.0.0.78' }),
      ]),
      { argv: words(`ip link del dev ${greDevice(77, '198.18.0.9')}`) },
      { argv: words(`ip link del dev ${greDevice(77, '198.18.0.2')}`) },
      {
        argv: words(
          `ip link add ${greDevice(77, '198.18.0.2')} group ${GROUP} mtu 1450 master ${bridge(gre)} up ` +
            'type gretap key 77 local 198.18.0.1 remote 198.18.0.2',
        ),
      },
      { argv: words(`bridge link set dev ${greDevice(77, '198.18.0.2')} isolated on`) },
      { argv: (argv) => argv[0] === 'iptables-restore', name: 'iptables-restore' },
      { argv: (argv) => argv[0] === 'ip6tables-restore', name: 'ip6tables-restore' },
    ])
    const single = { ...state, networks: [{ ...gre, peers: ['198.18.0.2'] }] }
    expect((await driverOn(host).applyHost(single)).changes).toBe(6)
    host.assertDone()
  })

  it('puts a VLAN subinterface <physdev>.<vid> in the bridge, and a flat network its physical interface itself', async () => {
    const vlan = network({
      localId: 6,
      type: 'vlan',
      segmentationId: 100,
      physicalNetwork: 'physnet1',
      mtu: 1500,
    })
    const flat = network({
      localId: 7,
      type: 'flat',
      segmentationId: null,
      physicalNetwork: 'physnet1',
      mtu: 1500,
    })
    // The two networks are built side by side: their commands may interleave.
    const host = scriptedTransport(
      [
        ...reads([link('eth0'), link('eth1', { flags: ['BROADCAST'] })]),
        { argv: words(`ip link add ${bridge(vlan)} group ${GROUP} up type bridge`) },
        {
          argv: words(
            `ip link add link eth1 name eth1.100 group ${GROUP} mtu 1500 master ${bridge(vlan)} up type vlan id 100`,
          ),
        },
        { argv: words(`ip link add ${bridge(flat)} group ${GROUP} up type bridge`) },
        // Not made, not deleted, MTU untouched: only put in the bridge and brought up.
        { argv: words(`ip link set dev eth1 master ${bridge(flat)} up`) },
        { argv: (argv) => argv[0] === 'iptables-restore', name: 'iptables-restore' },
        { argv: (argv) => argv[0] === 'ip6tables-restore', name: 'ip6tables-restore' },
      ],
      { ordered: false },
    )
    const result = await driverOn(host).applyHost({ ...emptyState('hv1'), networks: [vlan, flat] })
    expect(result).toEqual({ changes: 6, failedPorts: [] })
    host.assertDone()
  })

  it('checks segments statically: ids in range, physical networks mapped on every host', async () => {
    const driver = driverOn(scriptedTransport([]))
    await expect(
      driver.checkNetwork({ type: 'gre', segmentationId: 77, physicalNetwork: null }),
    ).resolves.toBeUndefined()
    await expect(
      driver.checkNetwork({ type: 'gre', segmentationId: 0, physicalNetwork: null }),
    ).rejects.toMatchObject({ code: 'INVALID' })
    await expect(
      driver.checkNetwork({ type: 'vlan', segmentationId: 4094, physicalNetwork: 'physnet1' }),
    ).resolves.toBeUndefined()
    await expect(
      driver.checkNetwork({ type: 'vlan', segmentationId: 4095, physicalNetwork: 'physnet1' }),
    ).rejects.toMatchObject({ code: 'INVALID' })
    await expect(
      driver.checkNetwork({ type: 'vlan', segmentationId: 5, physicalNetwork: 'physnet2' }),
    ).rejects.toMatchObject({ code: 'INVALID' })
    await expect(
      driver.checkNetwork({ type: 'flat', segmentationId: null, physicalNetwork: null }),
    ).rejects.toMatchObject({ code: 'INVALID' })
    await expect(
      driver.checkNetwork({ type: 'vxlan', segmentationId: 16_777_216, physicalNetwork: null }),
    ).rejects.toMatchObject({ code: 'INVALID' })
  })
})

// Real packets over GRE and VLAN, where the kernel has gretap and 8021q (this machine's has neither).
const [hasGre, hasVlan] = skipReason
  ? [false, false]
  : await Promise.all([kernelHas('gretap'), kernelHas('vlan')])
const greSkip = skipReason ?? (hasGre ? undefined : 'the kernel has no gretap devices')
const vlanSkip = skipReason ?? (hasVlan ? undefined : 'the kernel has no 802.1Q vlan devices')

describe.skipIf(greSkip !== undefined)(
  `vxlan driver: GRE between two hosts${greSkip ? ` [skipped: ${greSkip}]` : ''}`,
  () => {
    let lab: Lab
    beforeAll(async () => {
      lab = await startLab('nbv6g', 2)
    })
    afterAll(async () => {
      await lab?.down()
    })

    it('carries a tenant network between the hosts', async () => {
      const [h1, h2] = lab.net.hosts
      const tunnels = network({
        localId: 61,
        type: 'gre',
        segmentationId: 77,
        mtu: 1400,
        peers: [h1!.tunnelIp, h2!.tunnelIp],
      })
      const [vm1, vm2] = [await lab.net.addNamespace('vm-1'), await lab.net.addNamespace('vm-2')]
      await lab.driver.applyHost({
        ...emptyState(h1!.name),
        networks: [tunnels],
        ports: [vethPort(tunnels, vm1, '198.18.100.11', 'fa:16:3e:06:00:11')],
      })
      await lab.driver.applyHost({
        ...emptyState(h2!.name),
        networks: [tunnels],
        ports: [vethPort(tunnels, vm2, '198.18.100.12', 'fa:16:3e:06:00:12')],
      })
      await configureGuest(lab.net, vm1, '198.18.100.11/24')
      await configureGuest(lab.net, vm2, '198.18.100.12/24')
      expect(await pings(lab.net, vm1, '198.18.100.12')).toBe(true)
    })
  },
)

describe.skipIf(vlanSkip !== undefined)(
  `vxlan driver: VLAN between two hosts${vlanSkip ? ` [skipped: ${vlanSkip}]` : ''}`,
  () => {
    let lab: Lab
    beforeAll(async () => {
      lab = await startLab('nbv6v', 2, { physicalNetworks: { physnet1: 'ph0' } })
      // A trunk: each host's ph0 on a VLAN-unaware bridge, which passes tagged frames as they are.
      const trunk = await lab.net.addNamespace('trunk')
      await lab.net.exec(trunk, ['ip', 'link', 'add', 'br0', 'up', 'type', 'bridge'])
      for (const [i, host] of lab.net.hosts.entries()) {
        await lab.net.exec(host.namespace, [
          'ip',
          'link',
          'add',
          'ph0',
          'up',
          'type',
          'veth',
          'peer',
          'name',
          `t${i}`,
          'netns',
          trunk,
        ])
        await lab.net.exec(trunk, ['ip', 'link', 'set', 'dev', `t${i}`, 'master', 'br0', 'up'])
      }
    })
    afterAll(async () => {
      await lab?.down()
    })

    it('carries a tenant network between the hosts', async () => {
      const [h1, h2] = lab.net.hosts
      const vlan = network({
        localId: 62,
        type: 'vlan',
        segmentationId: 100,
        physicalNetwork: 'physnet1',
        mtu: 1500,
      })
      const [vm1, vm2] = [await lab.net.addNamespace('vm-1'), await lab.net.addNamespace('vm-2')]
      await lab.driver.applyHost({
        ...emptyState(h1!.name),
        networks: [vlan],
        ports: [vethPort(vlan, vm1, '198.18.100.11', 'fa:16:3e:06:01:11')],
      })
      await lab.driver.applyHost({
        ...emptyState(h2!.name),
        networks: [vlan],
        ports: [vethPort(vlan, vm2, '198.18.100.12', 'fa:16:3e:06:01:12')],
      })
      await configureGuest(lab.net, vm1, '198.18.100.11/24')
      await configureGuest(lab.net, vm2, '198.18.100.12/24')
      expect(await pings(lab.net, vm1, '198.18.100.12')).toBe(true)
    })
  },
)
