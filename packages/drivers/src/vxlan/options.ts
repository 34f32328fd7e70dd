import { parseOrThrow, type Transport } from '@nubis/sdk'
import { z } from 'zod'
import { familyOf, isAddress } from './cidr.js'

/** A Linux interface name: at most 15 characters, none that iptables or our text formats would read as syntax. */
export const interfaceName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/, 'must be an interface name (1-15 of A-Z a-z 0-9 _ . -)')

const transport = z.custom<Transport>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Transport).run === 'function' &&
    typeof (value as Transport).exec === 'function',
  'must be a Transport (localTransport(), sshTransport()…)',
)

const hostSchema = z.object({
  name: z.string().min(1),
  transport,
  // IPv4 only: the flood list, identity checks and gretap tunnels are written for IPv4 underlays.
  tunnelIp: z.string().refine((ip) => isAddress(ip) && familyOf(ip) === 4, 'must be an IPv4 address'),
  underlayDevice: interfaceName.default('eth0'),
  physicalNetworks: z.record(z.string().min(1), interfaceName).default({}),
  namespacePrefix: z
    .string()
    .regex(/^[a-z0-9-]*$/, 'must be made of a-z 0-9 -')
    .max(40)
    .default(''),
})

const optionsSchema = z
  .object({
    hosts: z.array(hostSchema).min(1),
    iptables: z.enum(['iptables', 'iptables-legacy']).default('iptables'),
    dnsmasq: z.string().min(1).default('dnsmasq'),
    stateDir: z.string().startsWith('/').default('/var/lib/nubis/network'),
    linkGroup: z.number().int().min(1).max(2_147_483_647).default(28_258),
    vniRange: z.tuple([z.number().int().min(1), z.number().int().max(16_777_215)]).optional(),
    commandTimeoutMs: z.number().int().positive().default(30_000),
  })
  .superRefine((options, ctx) => {
    const names = options.hosts.map((host) => host.name)
    const duplicate = names.find((name, i) => names.indexOf(name) !== i)
    if (duplicate !== undefined)
      ctx.addIssue({ code: 'custom', message: `host ${duplicate} is listed twice` })
  })

/** One host of {@link VxlanNetworkOptions}. */
export interface VxlanHostOptions {
  /** The name ports are bound to (`binding:host_id`). */
  name: string
  /** How commands reach the host (root is needed): `localTransport()`, `sshTransport(…)`, a namespace… */
  transport: Transport
  /** Underlay IPv4 address of the host: VXLAN/GRE tunnel endpoint (VTEP). */
  tunnelIp: string
  /** Interface carrying the tunnels; default `eth0`. */
  underlayDevice?: string
  /** Physical network name → interface, for flat and VLAN networks (e.g. `{ physnet1: 'eth1' }`). */
  physicalNetworks?: Record<string, string>
  /**
   * Prefix of the namespaces the driver makes on this host (`<prefix>qrouter-<id>`, `<prefix>qdhcp-<id>`);
   * default none. Namespace names are machine-wide, so hosts simulated on one machine need distinct prefixes.
   */
  namespacePrefix?: string
}

/** Options of {@link vxlanNetwork}. */
export interface VxlanNetworkOptions {
  /** The hosts the driver manages. */
  hosts: VxlanHostOptions[]
  /** The iptables flavour, used for ip6tables too; default `iptables` (Debian's is nf_tables based). Never mix both on one host. */
  iptables?: 'iptables' | 'iptables-legacy'
  /** Path or name of dnsmasq (Debian: `dnsmasq-base`); default `dnsmasq`. */
  dnsmasq?: string
  /** Where DHCP servers keep their config, leases and pid files, one directory per namespace; default `/var/lib/nubis/network`. */
  stateDir?: string
  /** The link group marking every interface the driver makes (`ip link show group N`); default 28258. */
  linkGroup?: number
  /** VNIs the driver accepts for VXLAN networks (inclusive); default all of 1–16777215. */
  vniRange?: [number, number]
  /** Bound on each command, in ms; default 30000. */
  commandTimeoutMs?: number
}

/** A host with its defaults filled in. */
export type HostConfig = z.output<typeof hostSchema>

/** The driver's options with their defaults filled in. */
export type DriverConfig = z.output<typeof optionsSchema>

/** Validates the options (`INVALID` naming the field) and fills in the defaults. */
export function resolveOptions(options: VxlanNetworkOptions): DriverConfig {
  return parseOrThrow(optionsSchema, options, 'vxlan driver options')
}

/** The program names of the chosen iptables flavour, per address family. */
export function iptablesTools(flavour: DriverConfig['iptables'], family: 4 | 6) {
  const base = family === 4 ? 'iptables' : 'ip6tables'
  const name = flavour === 'iptables' ? base : `${base}-legacy`
  return { save: `${name}-save`, restore: `${name}-restore` }
}
