import type { NetworkType } from './spi.js'

// What the Network service returns. Field names are Neutron's, camel-cased; the REST layer maps them back.

/** Fields every Network resource has. */
export interface NetworkResource {
  id: string
  projectId: string
  createdAt: string
  updatedAt: string
  /** Neutron's `revision_number`: grows by one with every change. */
  revisionNumber: number
  tags: string[]
}

/** A network. */
export interface Network extends NetworkResource {
  name: string
  description: string
  adminStateUp: boolean
  status: 'ACTIVE' | 'DOWN'
  shared: boolean
  external: boolean
  mtu: number
  portSecurityEnabled: boolean
  networkType: NetworkType
  physicalNetwork: string | null
  segmentationId: number | null
  subnets: string[]
}

/** A subnet. */
export interface Subnet extends NetworkResource {
  networkId: string
  name: string
  description: string
  ipVersion: 4 | 6
  cidr: string
  gatewayIp: string | null
  allocationPools: { start: string; end: string }[]
  enableDhcp: boolean
  dnsNameservers: string[]
  hostRoutes: { destination: string; nexthop: string }[]
  ipv6AddressMode: string | null
  ipv6RaMode: string | null
  subnetpoolId: string | null
}

/** A subnet pool. */
export interface SubnetPool extends NetworkResource {
  name: string
  description: string
  ipVersion: 4 | 6
  prefixes: string[]
  defaultPrefixlen: number
  minPrefixlen: number
  maxPrefixlen: number
  shared: boolean
  isDefault: boolean
}

/** An address of a port. */
export interface FixedIp {
  subnetId: string
  ipAddress: string
}

/** A port. */
export interface Port extends NetworkResource {
  networkId: string
  name: string
  description: string
  adminStateUp: boolean
  /** `DOWN` until bound and plugged, then `ACTIVE`; `binding_failed` binds leave it `DOWN`. */
  status: 'ACTIVE' | 'DOWN' | 'BUILD'
  macAddress: string
  fixedIps: FixedIp[]
  deviceOwner: string
  deviceId: string
  bindingHostId: string
  /** `unbound`, `tap`, `veth` or `binding_failed`. */
  bindingVifType: string
  bindingVifDetails: Record<string, unknown>
  bindingVnicType: string
  bindingProfile: Record<string, unknown>
  portSecurityEnabled: boolean
  securityGroups: string[]
  allowedAddressPairs: { ipAddress: string; macAddress: string }[]
}

/** A security group rule. */
export interface SecurityGroupRule {
  id: string
  projectId: string
  securityGroupId: string
  direction: 'ingress' | 'egress'
  ethertype: 'IPv4' | 'IPv6'
  protocol: string | null
  portRangeMin: number | null
  portRangeMax: number | null
  remoteIpPrefix: string | null
  remoteGroupId: string | null
  description: string
  createdAt: string
  updatedAt: string
  revisionNumber: number
}

/** A security group with its rules. */
export interface SecurityGroup extends NetworkResource {
  name: string
  description: string
  stateful: boolean
  securityGroupRules: SecurityGroupRule[]
}

/** A router. */
export interface Router extends NetworkResource {
  name: string
  description: string
  adminStateUp: boolean
  status: 'ACTIVE' | 'DOWN'
  externalGatewayInfo: {
    networkId: string
    enableSnat: boolean
    externalFixedIps: FixedIp[]
  } | null
  routes: { destination: string; nexthop: string }[]
}

/** What adding or removing a router interface reports, as Neutron does. */
export interface RouterInterfaceInfo {
  id: string
  projectId: string
  portId: string
  subnetId: string
  subnetIds: string[]
  networkId: string
}

/** A floating IP. */
export interface FloatingIp extends NetworkResource {
  floatingNetworkId: string
  floatingIpAddress: string
  portId: string | null
  fixedIpAddress: string | null
  routerId: string | null
  status: 'ACTIVE' | 'DOWN'
  description: string
}
