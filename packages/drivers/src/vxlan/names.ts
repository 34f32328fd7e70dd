import { createHash } from 'node:crypto'

// Every name the driver gives to something on a host, in one place. Interface names have at most 15
// characters, iptables chain names 28, ipset names 31. Links the driver makes also carry its link group, so
// they can be found again without any state; chains and sets start with `nb-`/`nb4-`/`nb6-` for the same reason.

/** Prefix of every iptables chain the driver owns. */
export const CHAIN_PREFIX = 'nb-'

/** The bridge of a network: `brq-` and the first 11 characters of its id, as Neutron's Linux bridge agent. */
export function bridgeName(networkId: string): string {
  return `brq-${networkId.slice(0, 11)}`
}

/** Wildcard (iptables `+` suffix) matching every bridge of the driver. */
export const BRIDGE_WILDCARD = 'brq-+'

/** The VXLAN device of a VNI (`vxlan-16777215` is 14 characters). */
export function vxlanName(vni: number): string {
  return `vxlan-${vni}`
}

/**
 * The gretap device towards one peer: gretap is point-to-point, so a GRE network has one per peer, all in the
 * bridge. Key and peer do not fit in 15 characters, so the name holds a hash of both.
 */
export function greName(key: number, peer: string): string {
  return `gre-${shortHash(`${key}/${peer}`, 11)}`
}

/** The VLAN subinterface `<physdev>.<vid>`, the physical name shortened if the whole would pass 15 characters. */
export function vlanName(physicalDevice: string, vid: number): string {
  const suffix = `.${vid}`
  return `${physicalDevice.slice(0, 15 - suffix.length)}${suffix}`
}

/** Host side of the veth pair of a router or DHCP port (Neutron's `tap` + 11 characters of the port id). */
export function legHostName(portId: string): string {
  return `tap${portId.slice(0, 11)}`
}

/** Namespace side of a router interface (`qr-`), router gateway (`qg-`) or DHCP port (`ns-`). */
export function legName(role: 'qr' | 'qg' | 'ns', portId: string): string {
  return `${role}-${portId.slice(0, 11)}`
}

/** The namespace of a router. */
export function routerNamespace(prefix: string, routerId: string): string {
  return `${prefix}qrouter-${routerId}`
}

/** The namespace of a network's DHCP server. */
export function dhcpNamespace(prefix: string, networkId: string): string {
  return `${prefix}qdhcp-${networkId}`
}

/** Security-group chains of a port: ingress (`i`, to the guest), egress (`o`), anti-spoofing (`s`). */
export function portChain(kind: 'i' | 'o' | 's', device: string): string {
  return `${CHAIN_PREFIX}${kind}-${device}`
}

/** The ipset of a remote security group's addresses of one family. */
export function groupSetName(groupId: string, family: 4 | 6): string {
  return `nb${family}-${shortHash(groupId, 16)}`
}

/** True for the name of a set the driver made. */
export function isGroupSet(name: string): boolean {
  return /^nb[46]-[0-9a-f]{16}$/.test(name)
}

/** A stable hex digest of `text`, `length` characters long. */
export function shortHash(text: string, length = 12): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length)
}
