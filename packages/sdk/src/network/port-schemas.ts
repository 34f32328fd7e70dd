import { z } from 'zod'
import { idSchema } from '../core/ids.js'
import { commonFilterSchema, networkTagSchema } from './schemas.js'

const name = z.string().max(255)
const description = z.string().max(255)

/** A MAC address in Neutron's form, `fa:16:3e:12:34:56` (either case on input, lower case when stored). */
export const macSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, { message: 'not a MAC address' })
  .transform((mac) => mac.toLowerCase())

/** A requested address: a subnet (any free address of it), an address (in whichever subnet holds it), or both. */
export const fixedIpRequestSchema = z
  .strictObject({ subnetId: z.string().optional(), ipAddress: z.string().optional() })
  .refine((ip) => ip.subnetId !== undefined || ip.ipAddress !== undefined, {
    message: 'a fixed IP needs subnetId, ipAddress or both',
  })

/** An extra address a port may send from: an IP or CIDR, with the port's MAC when none is given. */
export const addressPairSchema = z.strictObject({
  ipAddress: z.string(),
  macAddress: macSchema.optional(),
})

/** What `createPort` accepts. Binding fields are for administrators (and Compute, acting as one). */
export const PortCreateSchema = z.strictObject({
  /**
   * A caller-chosen id (a UUID) makes the create idempotent: the same request replayed — after a timeout, or by a
   * durable task resumed after a crash — returns the port the first one made instead of making a second.
   */
  id: idSchema<'port'>().optional(),
  networkId: z.string().min(1),
  name: name.optional(),
  description: description.optional(),
  projectId: z.string().min(1).max(64).optional(),
  adminStateUp: z.boolean().optional(),
  macAddress: macSchema.optional(),
  /** Absent: one address from each IPv4 subnet (and each IPv6 SLAAC/DHCP subnet). `[]`: no address. */
  fixedIps: z.array(fixedIpRequestSchema).max(16).optional(),
  deviceOwner: z.string().max(255).optional(),
  deviceId: z.string().max(255).optional(),
  bindingHostId: z.string().max(255).optional(),
  /** `binding:profile`: free-form; `{"vif": "veth", "netns": "<name>"}` asks a veth into that namespace. */
  bindingProfile: z.record(z.string(), z.unknown()).optional(),
  bindingVnicType: z.enum(['normal', 'direct', 'macvtap', 'baremetal', 'direct-physical']).optional(),
  portSecurityEnabled: z.boolean().optional(),
  /** Absent: the project's default group (when port security is on). */
  securityGroups: z.array(z.string()).optional(),
  allowedAddressPairs: z.array(addressPairSchema).max(10).optional(),
  tags: z.array(networkTagSchema).optional(),
})
/** Input of `createPort`. */
export type PortCreate = z.input<typeof PortCreateSchema>

/** What `updatePort` accepts. A new `fixedIps` list replaces the old one (kept addresses stay). */
export const PortUpdateSchema = PortCreateSchema.omit({
  id: true,
  networkId: true,
  projectId: true,
  tags: true,
}).partial()
/** Input of `updatePort`. */
export type PortUpdate = z.input<typeof PortUpdateSchema>

/** Filters of `listPorts`. */
export const PortFilterSchema = commonFilterSchema.extend({
  networkId: z.union([z.string(), z.array(z.string())]).optional(),
  deviceId: z.union([z.string(), z.array(z.string())]).optional(),
  deviceOwner: z.union([z.string(), z.array(z.string())]).optional(),
  macAddress: z.string().optional(),
  status: z.string().optional(),
  adminStateUp: z.boolean().optional(),
  bindingHostId: z.string().optional(),
  /** `fixed_ips=ip_address=…` / `subnet_id=…`. */
  fixedIps: z
    .array(z.strictObject({ subnetId: z.string().optional(), ipAddress: z.string().optional() }))
    .optional(),
  securityGroups: z.array(z.string()).optional(),
})
/** Input of `listPorts`. */
export type PortFilter = z.input<typeof PortFilterSchema>

/** Protocols a security group rule may name besides a number 0–255. */
export const PROTOCOL_NAMES = [
  'ah',
  'dccp',
  'egp',
  'esp',
  'gre',
  'icmp',
  'icmpv6',
  'igmp',
  'ipip',
  'ipv6-encap',
  'ipv6-frag',
  'ipv6-icmp',
  'ipv6-nonxt',
  'ipv6-opts',
  'ipv6-route',
  'ospf',
  'pgm',
  'rsvp',
  'sctp',
  'tcp',
  'udp',
  'udplite',
  'vrrp',
] as const

/** What `createSecurityGroup` accepts. */
export const SecurityGroupCreateSchema = z.strictObject({
  name: name.optional(),
  description: description.optional(),
  projectId: z.string().min(1).max(64).optional(),
  stateful: z.boolean().optional(),
  tags: z.array(networkTagSchema).optional(),
})
/** Input of `createSecurityGroup`. */
export type SecurityGroupCreate = z.input<typeof SecurityGroupCreateSchema>

/** What `updateSecurityGroup` accepts. */
export const SecurityGroupUpdateSchema = SecurityGroupCreateSchema.pick({ name: true, description: true })
/** Input of `updateSecurityGroup`. */
export type SecurityGroupUpdate = z.input<typeof SecurityGroupUpdateSchema>

/** What `createSecurityGroupRule` accepts; checked against Neutron's rules in security-group-rules.ts. */
export const SecurityGroupRuleCreateSchema = z.strictObject({
  securityGroupId: z.string().min(1),
  direction: z.enum(['ingress', 'egress']),
  ethertype: z.enum(['IPv4', 'IPv6']).optional(),
  /** A name of {@link PROTOCOL_NAMES}, a number 0–255 (as a string or number), or absent/`null` for any. */
  protocol: z.union([z.string(), z.number().int()]).nullable().optional(),
  portRangeMin: z.number().int().nullable().optional(),
  portRangeMax: z.number().int().nullable().optional(),
  remoteIpPrefix: z.string().nullable().optional(),
  remoteGroupId: z.string().nullable().optional(),
  description: description.optional(),
  projectId: z.string().min(1).max(64).optional(),
})
/** Input of `createSecurityGroupRule`. */
export type SecurityGroupRuleCreate = z.input<typeof SecurityGroupRuleCreateSchema>

/** Filters of `listSecurityGroups`. */
export const SecurityGroupFilterSchema = commonFilterSchema.extend({ stateful: z.boolean().optional() })
/** Input of `listSecurityGroups`. */
export type SecurityGroupFilter = z.input<typeof SecurityGroupFilterSchema>

/** Filters of `listSecurityGroupRules`. */
export const SecurityGroupRuleFilterSchema = commonFilterSchema.extend({
  securityGroupId: z.union([z.string(), z.array(z.string())]).optional(),
  direction: z.enum(['ingress', 'egress']).optional(),
  ethertype: z.enum(['IPv4', 'IPv6']).optional(),
  protocol: z.string().optional(),
  remoteGroupId: z.string().optional(),
})
/** Input of `listSecurityGroupRules`. */
export type SecurityGroupRuleFilter = z.input<typeof SecurityGroupRuleFilterSchema>
