import { CloudError, type HostNetwork } from '@nubis/sdk'
import { familyOf } from './cidr.js'
import { type ActualLink, addOptions, type LinkSpec } from './links.js'
import { bridgeName, greName, vlanName, vxlanName } from './names.js'
import type { HostConfig } from './options.js'
import { parseJsonList, type Runner } from './runner.js'

/** The UDP port of VXLAN (IANA). Without `dstport` iproute2 would use Linux's old default, 8472. */
export const VXLAN_PORT = 4789

/**
 * The links a network needs on a host, in the order to make them: its bridge `brq-<id>`, then the uplink that
 * carries it between hosts — a `vxlan-<VNI>` device (static flood list, no learning), one gretap device per
 * peer (bridge-port `isolated`, so frames from one tunnel never go back out another: the split horizon a full
 * mesh of point-to-point tunnels needs), a VLAN subinterface of the physical interface, or, for a flat
 * network, the physical interface itself. A `local` network is a bridge alone.
 */
export function networkLinks(network: HostNetwork, host: HostConfig, group: number): LinkSpec[] {
  const bridge = bridgeName(network.id)
  const bridgeSpec: LinkSpec = {
    name: bridge,
    owned: true,
    identity: (link) => link.kind === 'bridge',
    create: [['ip', 'link', 'add', bridge, ...addOptions({ up: true }, group), 'type', 'bridge']],
    up: true,
  }
  const id = network.segmentationId ?? 0
  // A link of ours in the bridge; `head` names it (`name X`, or `link P name X` for a VLAN), `type` its kind.
  const uplink = (name: string, type: string, identity: LinkSpec['identity'], head = [name]): LinkSpec => {
    const member = { mtu: network.mtu, master: bridge, up: true }
    const create = ['ip', 'link', 'add', ...head, ...addOptions(member, group), 'type', ...words(type)]
    return { name, owned: true, identity, create: [create], ...member }
  }
  const local = host.tunnelIp
  switch (network.type) {
    case 'local':
      return [bridgeSpec]
    case 'vxlan': {
      const type = `vxlan id ${id} local ${local} dstport ${VXLAN_PORT} nolearning dev ${host.underlayDevice}`
      const identity = (link: ActualLink) =>
        link.kind === 'vxlan' &&
        link.data.id === id &&
        link.data.local === local &&
        link.data.port === VXLAN_PORT &&
        link.data.learning === false &&
        link.data.link === host.underlayDevice
      return [bridgeSpec, uplink(vxlanName(id), type, identity)]
    }
    case 'gre': {
      const peers = network.peers.filter((peer) => peer !== local)
      const tunnels = peers.map((peer) => {
        const identity = (link: ActualLink) =>
          link.kind === 'gretap' &&
          link.data.local === local &&
          link.data.remote === peer &&
          greKey(link.data.ikey) === id
        const spec = uplink(greName(id, peer), `gretap key ${id} local ${local} remote ${peer}`, identity)
        return { ...spec, portFlags: { isolated: true } }
      })
      return [bridgeSpec, ...tunnels]
    }
    case 'vlan': {
      const physical = physicalDevice(network, host)
      const name = vlanName(physical, id)
      const identity = (link: ActualLink) =>
        link.kind === 'vlan' && link.data.id === id && link.parent === physical
      return [bridgeSpec, uplink(name, `vlan id ${id}`, identity, ['link', physical, 'name', name])]
    }
    case 'flat': {
      // Not ours: its MTU is the administrator's; it only joins the bridge.
      const name = physicalDevice(network, host)
      return [bridgeSpec, { name, owned: false, identity: () => true, create: [], master: bridge, up: true }]
    }
  }
}

/** Splits text made of validated words (numbers, addresses, interface names) into argv. */
function words(text: string): string[] {
  return text.split(' ')
}

/** The interface a flat or VLAN network's physical network maps to on `host`. */
function physicalDevice(network: HostNetwork, host: HostConfig): string {
  const device = network.physicalNetwork === null ? undefined : host.physicalNetworks[network.physicalNetwork]
  if (device === undefined) {
    throw new CloudError(
      'DRIVER_FAILED',
      `Host ${host.name} maps no interface to physical network ${network.physicalNetwork ?? '(none)'} of network ${network.id}`,
    )
  }
  return device
}

/** iproute2 prints GRE keys as dotted quads (`0.0.3.233` for 1001). */
function greKey(value: unknown): number | null {
  if (typeof value === 'number') return value
  if (typeof value !== 'string') return null
  const parts = value.split('.').map(Number)
  if (parts.length === 1) return parts[0] ?? null
  return parts.reduce((key, part) => key * 256 + part, 0)
}

/** The flood entries of VXLAN devices: device → peers it sends broadcast and unknown traffic to. */
export type FloodTable = Map<string, Set<string>>

const FLOOD_MAC = '00:00:00:00:00:00'

/** Reads the host's static flood entries (`00:00:00:00:00:00 … dst <peer>`) of every device. */
export async function readFloodTable(runner: Runner): Promise<FloodTable> {
  const entries = parseJsonList<{ mac: string; ifname?: string; dst?: string }>(
    await runner.read(['bridge', '-j', 'fdb', 'show']),
  )
  const table: FloodTable = new Map()
  for (const entry of entries) {
    if (entry.mac !== FLOOD_MAC || !entry.ifname || !entry.dst) continue
    table.set(entry.ifname, (table.get(entry.ifname) ?? new Set()).add(entry.dst))
  }
  return table
}

/** Makes the flood list of a VXLAN network's device exactly its peers (other than the host itself). */
export async function convergeFlood(
  runner: Runner,
  network: HostNetwork,
  actual: ReadonlySet<string>,
): Promise<void> {
  const device = vxlanName(network.segmentationId ?? 0)
  const local = runner.host.tunnelIp
  const wanted = new Set(network.peers.filter((peer) => peer !== local && familyOf(peer) === familyOf(local)))
  for (const peer of wanted) {
    if (!actual.has(peer))
      await runner.change(['bridge', 'fdb', 'append', FLOOD_MAC, 'dev', device, 'dst', peer])
  }
  for (const peer of actual) {
    if (!wanted.has(peer))
      await runner.change(['bridge', 'fdb', 'del', FLOOD_MAC, 'dev', device, 'dst', peer])
  }
}
