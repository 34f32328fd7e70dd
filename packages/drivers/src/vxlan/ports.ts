import type { HostNetwork, HostPort } from '@nubis/sdk'
import { addOptions, type LinkSpec } from './links.js'
import { bridgeName, legHostName } from './names.js'

/** Name of the guest end of a veth vif inside its namespace. */
export const GUEST_DEVICE = 'eth0'

/**
 * The host device of a port, in its network's bridge, at the network's MTU, up when the port is admin-up.
 * - `tap`: a persistent tap device that the hypervisor opens (QEMU `ifname=`); the guest sets the MAC.
 * - `veth`: a veth pair whose far end is `eth0` in the namespace `vif.netns` (containers, tests), with the
 *   port's MAC and MTU, brought up — addresses are the guest's business (DHCP, or set by hand).
 */
export function portLink(port: HostPort, network: HostNetwork, group: number): LinkSpec {
  const spec = { mtu: network.mtu, master: bridgeName(network.id), up: port.adminStateUp }
  if (port.vif.type === 'tap') {
    return {
      name: port.device,
      owned: true,
      identity: (link) => link.kind === 'tun' && link.data.type === 'tap',
      // `ip tuntap add` takes no link options: the rest follows in one `ip link set`.
      create: [
        ['ip', 'tuntap', 'add', 'dev', port.device, 'mode', 'tap'],
        ['ip', 'link', 'set', 'dev', port.device, ...addOptions(spec, group)],
      ],
      ...spec,
    }
  }
  const { netns } = port.vif
  return {
    name: port.device,
    owned: true,
    identity: (link) => link.kind === 'veth',
    create: [
      [
        ...['ip', 'link', 'add', port.device, ...addOptions(spec, group), 'type', 'veth'],
        ...[
          'peer',
          'name',
          GUEST_DEVICE,
          'netns',
          netns,
          'address',
          port.mac.toLowerCase(),
          'mtu',
          String(network.mtu),
        ],
      ],
      // The kernel refuses `up` for a peer made straight into another namespace.
      ['ip', '-n', netns, 'link', 'set', 'dev', GUEST_DEVICE, 'up'],
    ],
    ...spec,
  }
}

/** A port of a router or DHCP server: a veth pair from the network's bridge into the service's namespace. */
export interface Leg {
  portId: string
  network: HostNetwork
  /** The namespace and the name of the device there (`qr-…`, `qg-…`, `ns-…`). */
  namespace: string
  device: string
  mac: string
  /** Interface addresses, `address/length`. */
  addresses: string[]
}

/** The host end of a {@link Leg}: made together with the namespace end, which gets the port's MAC and MTU. */
export function legLink(leg: Leg, group: number): LinkSpec {
  const name = legHostName(leg.portId)
  const spec = { mtu: leg.network.mtu, master: bridgeName(leg.network.id), up: true }
  const peer = [
    'peer',
    'name',
    leg.device,
    'netns',
    leg.namespace,
    'address',
    leg.mac.toLowerCase(),
    'mtu',
    String(leg.network.mtu),
  ]
  return {
    name,
    owned: true,
    identity: (link) => link.kind === 'veth',
    create: [['ip', 'link', 'add', name, ...addOptions(spec, group), 'type', 'veth', ...peer]],
    ...spec,
  }
}
