import { CloudError, type HostState, parseOrThrow } from '@nubis/sdk'
import { z } from 'zod'
import { isAddress, isPrefix } from './cidr.js'
import { interfaceName } from './options.js'

// Parts of a host state end up in text the driver writes — iptables-restore and ipset input, dnsmasq
// configuration, file paths — where a newline, space or comma would be syntax. Everything that goes there
// is checked against a strict shape first, so a state can never smuggle in a rule or an option.

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id of 1-64 of A-Z a-z 0-9 _ -')
const mac = z.string().regex(/^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/, 'must be a MAC address')
const address = z.string().refine(isAddress, 'must be an IP address')
const prefix = z.string().refine(isPrefix, 'must be an IP address or CIDR')
const cidr = z.string().refine((text) => text.includes('/') && isPrefix(text), 'must be a CIDR')

const fixedIp = z.object({
  subnetId: z.string(),
  ipAddress: address,
  cidr,
  ipVersion: z.union([z.literal(4), z.literal(6)]),
})

const network = z.object({
  id,
  type: z.enum(['vxlan', 'gre', 'vlan', 'flat', 'local']),
  segmentationId: z.number().int().nonnegative().nullable(),
  physicalNetwork: z.string().nullable(),
  mtu: z.number().int().min(576).max(65_535),
  localId: z.number().int().min(1).max(65_535),
  peers: z.array(address),
})

const port = z.object({
  id,
  networkId: id,
  mac,
  fixedIps: z.array(fixedIp),
  device: interfaceName,
  vif: z.union([
    z.object({ type: z.literal('tap') }),
    z.object({ type: z.literal('veth'), netns: z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,254}$/) }),
  ]),
  adminStateUp: z.boolean(),
  portSecurity: z.boolean(),
  securityGroupIds: z.array(z.string()),
  allowedAddressPairs: z.array(z.object({ ipAddress: prefix, macAddress: z.union([mac, z.literal('')]) })),
})

const rule = z.object({
  direction: z.enum(['ingress', 'egress']),
  ethertype: z.enum(['IPv4', 'IPv6']),
  protocol: z
    .string()
    .regex(/^[a-z0-9-]{1,20}$/i)
    .nullable(),
  portRangeMin: z.number().int().min(0).max(65_535).nullable(),
  portRangeMax: z.number().int().min(0).max(65_535).nullable(),
  remoteIpPrefix: prefix.nullable(),
  remoteGroupId: z.string().nullable(),
})

const securityGroup = z.object({ id: z.string().min(1), rules: z.array(rule), memberIps: z.array(prefix) })

const routerPort = z.object({ portId: id, networkId: id, mac, fixedIps: z.array(fixedIp) })

const route = z.object({ destination: cidr, nexthop: address })

const dhcp = z.object({
  networkId: id,
  port: z.object({ id, mac, fixedIps: z.array(fixedIp) }),
  subnets: z.array(
    z.object({
      id: z.string(),
      cidr,
      ipVersion: z.union([z.literal(4), z.literal(6)]),
      gatewayIp: address.nullable(),
      dnsNameservers: z.array(address),
      hostRoutes: z.array(route),
    }),
  ),
  leases: z.array(z.object({ mac, ipAddress: address, hostname: z.string() })),
})

const router = z.object({
  id,
  gateway: routerPort.extend({ enableSnat: z.boolean(), gatewayIp: address.nullable() }).nullable(),
  interfaces: z.array(routerPort),
  routes: z.array(route),
  floatingIps: z.array(z.object({ floatingIp: address, fixedIp: address })),
})

const hostState = z.object({
  host: z.string(),
  networks: z.array(network),
  ports: z.array(port),
  securityGroups: z.array(securityGroup),
  dhcp: z.array(dhcp),
  routers: z.array(router),
})

/**
 * Checks a host state before anything is changed: the shapes above, and that every port, router port and
 * DHCP server names a network of the state and every device name is used once. Throws `INVALID`.
 */
export function checkState(state: HostState): void {
  parseOrThrow(hostState, state, 'host state')
  const invalid = (message: string) =>
    new CloudError('INVALID', `Invalid host state for ${state.host}: ${message}`)
  const networks = new Set(state.networks.map((n) => n.id))
  if (networks.size !== state.networks.length) throw invalid('a network is listed twice')
  const onNetwork = (what: string, networkId: string) => {
    if (!networks.has(networkId))
      throw invalid(`${what} is on network ${networkId}, which is not in the state`)
  }
  for (const p of state.ports) onNetwork(`port ${p.id}`, p.networkId)
  for (const d of state.dhcp) onNetwork(`the DHCP server of ${d.networkId}`, d.networkId)
  for (const r of state.routers) {
    for (const p of [...r.interfaces, ...(r.gateway ? [r.gateway] : [])])
      onNetwork(`router port ${p.portId}`, p.networkId)
  }
  const devices = state.ports.map((p) => p.device)
  const twice = devices.find((device, i) => devices.indexOf(device) !== i)
  if (twice !== undefined) throw invalid(`device ${twice} is used by two ports`)
  const reserved = devices.find((device) => /^(brq-|vxlan-|gre-)/.test(device))
  if (reserved !== undefined)
    throw invalid(`device ${reserved} has a name the driver keeps for its own links`)
}
