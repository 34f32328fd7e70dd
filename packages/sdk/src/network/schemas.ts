import { z } from 'zod'
import { listQuerySchema } from '../core/pagination.js'
import type { NetworkType } from './spi.js'

// Inputs of the Network service. Field names are Neutron's, camel-cased; records are in records.ts.

/** Neutron's limit on names and descriptions. */
const name = z.string().max(255)
const description = z.string().max(255)

/** A resource tag: 1–255 characters, without `,` (Neutron's tag filters are comma-separated lists). */
export const networkTagSchema = z
  .string()
  .min(1)
  .max(255)
  .refine((tag) => !tag.includes(','), { message: 'tags must not contain ","' })

/** Segment types a network may have. */
export const NETWORK_TYPES = [
  'vxlan',
  'gre',
  'vlan',
  'flat',
  'local',
] as const satisfies readonly NetworkType[]

/** What `createNetwork` accepts. Provider attributes, `shared` and `external` are for administrators. */
export const NetworkCreateSchema = z.strictObject({
  name: name.optional(),
  description: description.optional(),
  /** Owner project; only administrators may name another than their own. */
  projectId: z.string().min(1).max(64).optional(),
  adminStateUp: z.boolean().optional(),
  shared: z.boolean().optional(),
  /** `router:external`: routers may use it as gateway and floating IPs come from it. */
  external: z.boolean().optional(),
  /** Default: the driver's overlay MTU (1450 for VXLAN on a 1500 underlay). */
  mtu: z.number().int().min(68).max(9216).optional(),
  portSecurityEnabled: z.boolean().optional(),
  networkType: z.enum(NETWORK_TYPES).optional(),
  physicalNetwork: z.string().min(1).max(64).optional(),
  segmentationId: z.number().int().min(1).max(16_777_215).optional(),
  tags: z.array(networkTagSchema).optional(),
})
/** Input of `createNetwork`. */
export type NetworkCreate = z.input<typeof NetworkCreateSchema>

/** What `updateNetwork` accepts; provider attributes cannot change once set. */
export const NetworkUpdateSchema = NetworkCreateSchema.pick({
  name: true,
  description: true,
  adminStateUp: true,
  shared: true,
  external: true,
  mtu: true,
  portSecurityEnabled: true,
})
/** Input of `updateNetwork`. */
export type NetworkUpdate = z.input<typeof NetworkUpdateSchema>

/** Filters every list call shares: tags (all of / any of / none of) and the paging fields. */
export const commonFilterSchema = listQuerySchema.extend({
  id: z.union([z.string(), z.array(z.string())]).optional(),
  name: z.union([z.string(), z.array(z.string())]).optional(),
  projectId: z.union([z.string(), z.array(z.string())]).optional(),
  tags: z.array(z.string()).optional(),
  tagsAny: z.array(z.string()).optional(),
  notTags: z.array(z.string()).optional(),
  notTagsAny: z.array(z.string()).optional(),
})

/** Filters of `listNetworks`. */
export const NetworkFilterSchema = commonFilterSchema.extend({
  shared: z.boolean().optional(),
  external: z.boolean().optional(),
  adminStateUp: z.boolean().optional(),
  status: z.string().optional(),
  networkType: z.string().optional(),
  physicalNetwork: z.string().optional(),
  segmentationId: z.number().int().optional(),
  mtu: z.number().int().optional(),
})
/** Input of `listNetworks`. */
export type NetworkFilter = z.input<typeof NetworkFilterSchema>

/** An allocation pool: the addresses of a subnet that automatic allocation hands out. */
export const allocationPoolSchema = z.strictObject({ start: z.string(), end: z.string() })
/** A route pushed to a subnet's hosts (DHCP option 121) or a router's static route. */
export const routeSchema = z.strictObject({ destination: z.string(), nexthop: z.string() })

/** IPv6 address modes, as Neutron names them. */
export const IPV6_MODES = ['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless'] as const

/** What `createSubnet` accepts. Either `cidr`, or `subnetpoolId` (with an optional `prefixlen`). */
export const SubnetCreateSchema = z.strictObject({
  networkId: z.string().min(1),
  name: name.optional(),
  description: description.optional(),
  projectId: z.string().min(1).max(64).optional(),
  ipVersion: z.union([z.literal(4), z.literal(6)]),
  cidr: z.string().optional(),
  subnetpoolId: z.string().optional(),
  prefixlen: z.number().int().min(0).max(128).optional(),
  /** `null` for no gateway; absent for the first address of the CIDR. */
  gatewayIp: z.string().nullable().optional(),
  allocationPools: z.array(allocationPoolSchema).optional(),
  enableDhcp: z.boolean().optional(),
  dnsNameservers: z.array(z.string()).max(5).optional(),
  hostRoutes: z.array(routeSchema).max(20).optional(),
  ipv6AddressMode: z.enum(IPV6_MODES).optional(),
  ipv6RaMode: z.enum(IPV6_MODES).optional(),
  tags: z.array(networkTagSchema).optional(),
})
/** Input of `createSubnet`. */
export type SubnetCreate = z.input<typeof SubnetCreateSchema>

/** What `updateSubnet` accepts. */
export const SubnetUpdateSchema = SubnetCreateSchema.pick({
  name: true,
  description: true,
  gatewayIp: true,
  allocationPools: true,
  enableDhcp: true,
  dnsNameservers: true,
  hostRoutes: true,
})
/** Input of `updateSubnet`. */
export type SubnetUpdate = z.input<typeof SubnetUpdateSchema>

/** Filters of `listSubnets`. */
export const SubnetFilterSchema = commonFilterSchema.extend({
  networkId: z.union([z.string(), z.array(z.string())]).optional(),
  ipVersion: z.union([z.literal(4), z.literal(6)]).optional(),
  cidr: z.string().optional(),
  gatewayIp: z.string().optional(),
  enableDhcp: z.boolean().optional(),
  subnetpoolId: z.string().optional(),
})
/** Input of `listSubnets`. */
export type SubnetFilter = z.input<typeof SubnetFilterSchema>

/** What `createSubnetPool` accepts. */
export const SubnetPoolCreateSchema = z.strictObject({
  name: name.optional(),
  description: description.optional(),
  projectId: z.string().min(1).max(64).optional(),
  prefixes: z.array(z.string()).min(1),
  defaultPrefixlen: z.number().int().min(0).max(128).optional(),
  minPrefixlen: z.number().int().min(0).max(128).optional(),
  maxPrefixlen: z.number().int().min(0).max(128).optional(),
  shared: z.boolean().optional(),
  isDefault: z.boolean().optional(),
  tags: z.array(networkTagSchema).optional(),
})
/** Input of `createSubnetPool`. */
export type SubnetPoolCreate = z.input<typeof SubnetPoolCreateSchema>

/** What `updateSubnetPool` accepts: prefixes may only grow. */
export const SubnetPoolUpdateSchema = SubnetPoolCreateSchema.pick({
  name: true,
  description: true,
  prefixes: true,
  defaultPrefixlen: true,
  minPrefixlen: true,
  maxPrefixlen: true,
  isDefault: true,
}).partial()
/** Input of `updateSubnetPool`. */
export type SubnetPoolUpdate = z.input<typeof SubnetPoolUpdateSchema>

/** Filters of `listSubnetPools`. */
export const SubnetPoolFilterSchema = commonFilterSchema.extend({
  ipVersion: z.union([z.literal(4), z.literal(6)]).optional(),
  shared: z.boolean().optional(),
  isDefault: z.boolean().optional(),
})
/** Input of `listSubnetPools`. */
export type SubnetPoolFilter = z.input<typeof SubnetPoolFilterSchema>
