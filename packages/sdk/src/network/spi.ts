import type { DriverBase } from '../core/driver.js'

// The Network service keeps every record; a network driver only makes hosts look like the state it is given.
// The contract is declarative — "make host H exactly this" — so re-applying the same state changes nothing, and
// a host that lost its devices (reboot, wiped namespaces) is repaired by applying its state again.

/** Kinds of network segment. */
export type NetworkType = 'vxlan' | 'gre' | 'vlan' | 'flat' | 'local'

/** Optional features of a network driver. */
export interface NetworkDriverCapabilities {
  /** Packets really flow: false for the embedded default, which keeps state only. */
  dataPlane: boolean
  /** Segment types it can build. */
  vxlan: boolean
  gre: boolean
  vlan: boolean
  flat: boolean
  /** DHCP servers for subnets with `enable_dhcp`. */
  dhcp: boolean
  /** Routers (SNAT, floating IPs). */
  routers: boolean
  /** Security groups and port security. */
  securityGroups: boolean
  /** Flags of later features. */
  [flag: string]: boolean
}

/** A host a driver manages. */
export interface NetworkHost {
  /** The name ports are bound to (`binding:host_id`). */
  name: string
  /** Underlay address used as tunnel endpoint (VTEP), or null when the host has no tunnels. */
  tunnelIp: string | null
}

/** One segment present on a host. */
export interface HostNetwork {
  id: string
  type: NetworkType
  /** VNI, GRE key or VLAN id; null for flat and local. */
  segmentationId: number | null
  /** Physical network name for flat and vlan; the driver maps it to an interface. */
  physicalNetwork: string | null
  mtu: number
  /**
   * A small number (1–65535) unique among the cloud's networks, for host-local tables that are too narrow for
   * a VNI, such as conntrack zones.
   */
  localId: number
  /** Tunnel endpoints of the other hosts where this network is present: the flood list. */
  peers: string[]
}

/** An address on a port. */
export interface HostFixedIp {
  subnetId: string
  ipAddress: string
  /** The subnet's CIDR, e.g. `10.0.0.0/24`. */
  cidr: string
  ipVersion: 4 | 6
}

/** How a port reaches its guest. */
export type HostVif =
  /** A tap device the hypervisor opens (QEMU `-netdev tap,ifname=`). */
  | { type: 'tap' }
  /** A veth pair whose far end is moved into network namespace `netns` as `eth0` (containers, tests). */
  | { type: 'veth'; netns: string }

/** A bound port on a host. */
export interface HostPort {
  id: string
  networkId: string
  mac: string
  fixedIps: HostFixedIp[]
  /** Host-side device name, at most 15 characters. */
  device: string
  vif: HostVif
  adminStateUp: boolean
  /** When false, no filtering and no anti-spoofing at all. */
  portSecurity: boolean
  securityGroupIds: string[]
  /** Extra (IP or CIDR, MAC) pairs the port may send from. */
  allowedAddressPairs: { ipAddress: string; macAddress: string }[]
}

/** A security group rule as the data plane needs it. */
export interface HostSecurityGroupRule {
  id: string
  direction: 'ingress' | 'egress'
  ethertype: 'IPv4' | 'IPv6'
  /** Protocol name (`tcp`, `udp`, `icmp`, `icmpv6`…) or number as a string; null for any. */
  protocol: string | null
  portRangeMin: number | null
  portRangeMax: number | null
  remoteIpPrefix: string | null
  /** Another group whose ports' addresses are the allowed remotes (an ipset). */
  remoteGroupId: string | null
}

/** A security group used by ports on the host. */
export interface HostSecurityGroup {
  id: string
  /** Always stateful: replies to allowed traffic pass. */
  rules: HostSecurityGroupRule[]
  /** Addresses of every port in the group, cloud-wide: what `remoteGroupId` rules match. */
  memberIps: string[]
}

/** A subnet served by DHCP. */
export interface HostDhcpSubnet {
  id: string
  cidr: string
  ipVersion: 4 | 6
  gatewayIp: string | null
  dnsNameservers: string[]
  hostRoutes: { destination: string; nexthop: string }[]
  /** IPv6 only: `slaac`, `dhcpv6-stateful` or `dhcpv6-stateless`. */
  ipv6AddressMode: string | null
}

/** A DHCP server for one network, on the host chosen for it. */
export interface HostDhcp {
  networkId: string
  /** The DHCP port: the server's own MAC and addresses. */
  port: { id: string; mac: string; fixedIps: HostFixedIp[] }
  subnets: HostDhcpSubnet[]
  /** Static leases: every port of the network with its addresses. */
  leases: { mac: string; ipAddress: string; hostname: string }[]
}

/** A router interface or gateway port. */
export interface HostRouterPort {
  portId: string
  networkId: string
  mac: string
  fixedIps: HostFixedIp[]
}

/** A router on the host chosen for it. */
export interface HostRouter {
  id: string
  /** The port on the external network, or null without a gateway. */
  gateway: (HostRouterPort & { enableSnat: boolean; gatewayIp: string | null }) | null
  interfaces: HostRouterPort[]
  routes: { destination: string; nexthop: string }[]
  /** 1:1 NAT: traffic to `floatingIp` goes to `fixedIp`, and `fixedIp`'s outbound traffic leaves as `floatingIp`. */
  floatingIps: { id: string; floatingIp: string; fixedIp: string }[]
}

/** Everything one host must have. Whatever Nubis made on the host that is not here is removed. */
export interface HostState {
  host: string
  networks: HostNetwork[]
  ports: HostPort[]
  securityGroups: HostSecurityGroup[]
  dhcp: HostDhcp[]
  routers: HostRouter[]
}

/** What applying a host's state did. */
export interface ApplyResult {
  /** How many changes were made; 0 when the host already matched. */
  changes: number
  /** Ports that could not be plugged, with the reason: the service marks their binding failed. */
  failedPorts: { id: string; reason: string }[]
}

/** Options every driver call takes. */
export interface NetworkCallOptions {
  signal?: AbortSignal
}

/**
 * The SPI of network drivers (`kind: 'network'`). Drivers hold no cloud state: `applyHost` receives the whole
 * desired state of one host and converges the host to it. The contract checked by the conformance suite in
 * @nubis/testing (`describeNetworkDriverConformance`):
 * - applying a state twice makes no change the second time (`changes === 0`);
 * - what is left out of a state is removed from the host; `clearHost` removes everything the driver made;
 * - a port the host cannot plug is reported in `failedPorts`, and the rest of the state is still applied;
 * - a segment type the driver lacks is `NOT_SUPPORTED` from `checkNetwork`, before any record is made.
 */
export interface NetworkDriver extends DriverBase {
  readonly kind: 'network'
  readonly capabilities: NetworkDriverCapabilities
  /** The hosts this driver manages. */
  listHosts(options?: NetworkCallOptions): Promise<NetworkHost[]>
  /**
   * Throws `NOT_SUPPORTED` (segment type absent) or `INVALID` (unknown physical network) for a segment the
   * driver cannot build; called before a network is recorded.
   */
  checkNetwork(
    network: Pick<HostNetwork, 'type' | 'physicalNetwork' | 'segmentationId'>,
    options?: NetworkCallOptions,
  ): Promise<void>
  /** Converges `state.host` to `state`. */
  applyHost(state: HostState, options?: NetworkCallOptions): Promise<ApplyResult>
  /** Removes everything the driver made on `host`. */
  clearHost(host: string, options?: NetworkCallOptions): Promise<void>
}
