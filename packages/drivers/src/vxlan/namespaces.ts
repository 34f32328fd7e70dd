import { canonicalPrefix, familyOf } from './cidr.js'
import type { Leg } from './ports.js'
import { inNamespace, ipIn, parseJsonList, type Runner } from './runner.js'

/** Names of the network namespaces on the machine (`ip netns list`). */
export async function listNamespaces(runner: Runner): Promise<Set<string>> {
  const out = await runner.read(['ip', 'netns', 'list'])
  return new Set(
    out.split('\n').flatMap((line) => (line.trim() === '' ? [] : [line.trim().split(/\s+/)[0] as string])),
  )
}

/** Makes a namespace with its loopback up. */
export async function createNamespace(runner: Runner, namespace: string): Promise<void> {
  await runner.change(['ip', 'netns', 'add', namespace])
  await runner.change(ipIn(namespace, 'link', 'set', 'dev', 'lo', 'up'))
}

/** What the inside of a router or DHCP namespace must look like. */
export interface NamespaceSpec {
  namespace: string
  legs: Leg[]
  /**
   * Routes the driver adds (`proto static`): destination (`default` or a prefix) → next hop; null for a
   * namespace that routes nothing (its static routes are then not even read).
   */
  routes: Map<string, string> | null
  /** Whether the namespace forwards between its interfaces (IPv4, IPv6); null to leave the defaults (off). */
  forwarding: { 4: boolean; 6: boolean } | null
}

interface IpAddr {
  ifname: string
  address?: string
  mtu: number
  flags?: string[]
  addr_info?: { local: string; prefixlen: number; scope: string }[]
}

interface IpRoute {
  dst: string
  gateway?: string
}

const FORWARDING = {
  4: ['/proc/sys/net/ipv4/ip_forward', 'net.ipv4.ip_forward'],
  6: ['/proc/sys/net/ipv6/conf/all/forwarding', 'net.ipv6.conf.all.forwarding'],
} as const

/**
 * Converges devices (MAC, MTU, state, addresses), forwarding and static routes inside a namespace the driver
 * owns; devices other than `lo` and the legs are deleted, as nothing but the driver puts devices there.
 * Returns each device's global addresses as they were before (`address/length`).
 */
export async function convergeNamespace(runner: Runner, spec: NamespaceSpec): Promise<Map<string, string[]>> {
  const ns = spec.namespace
  const ip = (...args: string[]) => ipIn(ns, ...args)
  const routeReads =
    spec.routes === null
      ? []
      : ['-4', '-6'].map((family) => runner.read(ip(family, '-j', 'route', 'show', 'proto', 'static')))
  const [addrs, forwarding, ...routes] = await Promise.all([
    runner.read(ip('-j', 'addr', 'show')),
    spec.forwarding === null ? '' : runner.read(inNamespace(ns, ['cat', FORWARDING[4][0], FORWARDING[6][0]])),
    ...routeReads,
  ])
  const links = parseJsonList<IpAddr>(addrs)
  const before = new Map(
    links.map((link) => [
      link.ifname,
      (link.addr_info ?? [])
        .filter((a) => a.scope !== 'link')
        .map((a) => `${canonicalPrefix(a.local)}/${a.prefixlen}`),
    ]),
  )
  for (const link of links) {
    if (link.ifname !== 'lo' && !spec.legs.some((leg) => leg.device === link.ifname)) {
      await runner.change(ip('link', 'del', 'dev', link.ifname), { okCodes: [1] })
    }
  }
  for (const leg of spec.legs) {
    const link = links.find((l) => l.ifname === leg.device)
    if (!link) continue // its veth could not be made: reported with the leg
    const fix = [
      ...(link.address?.toLowerCase() !== leg.mac.toLowerCase() ? ['address', leg.mac.toLowerCase()] : []),
      ...(link.mtu !== leg.network.mtu ? ['mtu', String(leg.network.mtu)] : []),
      ...(link.flags?.includes('UP') ? [] : ['up']),
    ]
    if (fix.length > 0) await runner.change(ip('link', 'set', 'dev', leg.device, ...fix))
    const have = new Set(before.get(leg.device))
    const want = new Set(
      leg.addresses.map((a) => `${canonicalPrefix(a.split('/')[0] as string)}/${a.split('/')[1]}`),
    )
    for (const address of want) {
      // No duplicate address detection: addresses are unique by construction, and DAD delays their use.
      const nodad = familyOf(address) === 6 ? ['nodad'] : []
      if (!have.has(address)) await runner.change(ip('addr', 'add', address, 'dev', leg.device, ...nodad))
    }
    for (const address of have)
      if (!want.has(address)) await runner.change(ip('addr', 'del', address, 'dev', leg.device))
  }
  if (spec.forwarding !== null) {
    const values = forwarding.split('\n').map((line) => line.trim() === '1')
    for (const family of [4, 6] as const) {
      if (values[family === 4 ? 0 : 1] === spec.forwarding[family]) continue
      await runner.change(
        inNamespace(ns, ['sysctl', '-qw', `${FORWARDING[family][1]}=${spec.forwarding[family] ? 1 : 0}`]),
      )
    }
  }
  if (spec.routes !== null) await convergeRoutes(runner, ns, spec.routes, routes)
  return before
}

/** Makes the static routes exactly `wanted`, given `ip -4/-6 -j route show proto static` output. */
async function convergeRoutes(
  runner: Runner,
  ns: string,
  wanted: Map<string, string>,
  read: string[],
): Promise<void> {
  const have = new Map<string, string>()
  for (const [i, family] of ['-4', '-6'].entries()) {
    for (const route of parseJsonList<IpRoute>(read[i] ?? ''))
      have.set(`${family} ${route.dst}`, route.gateway ?? '')
  }
  const want = new Map<string, string>([...wanted].map(([dst, via]) => [`-${familyOf(via)} ${dst}`, via]))
  for (const [key, via] of want) {
    if (have.get(key) === via) continue
    const [family = '-4', dst = ''] = key.split(' ')
    await runner.change(ipIn(ns, family, 'route', 'replace', dst, 'via', via, 'proto', 'static'))
  }
  for (const [key, via] of have) {
    if (want.has(key)) continue
    const [family = '-4', dst = ''] = key.split(' ')
    await runner.change(
      ipIn(ns, family, 'route', 'del', dst, ...(via ? ['via', via] : []), 'proto', 'static'),
    )
  }
}

/** Route destinations as `ip route` prints them: `default`, a bare address for a host route, else a prefix. */
export function routeDestination(prefix: string): string {
  const canonical = canonicalPrefix(prefix)
  return canonical.endsWith('/0') ? 'default' : canonical
}
