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
  /** Routes the driver adds (`proto static`): destination (`default` or a prefix) → next hop. */
  routes: Map<string, string>
  /** Whether the namespace routes between its interfaces (IPv4, IPv6). */
  forwarding: { 4: boolean; 6: boolean }
}

interface IpAddr {
  ifname: string
  address?: string
  mtu: number
  flags?: string[]
  addr_info?: { family: string; local: string; prefixlen: number; scope: string }[]
}

/**
 * Converges devices (MAC, MTU, state, addresses), static routes and forwarding inside a namespace the driver
 * owns. Devices other than `lo` and the legs are deleted: nothing but the driver puts devices there.
 */
export async function convergeNamespace(runner: Runner, spec: NamespaceSpec): Promise<void> {
  const ns = spec.namespace
  const ip = (...args: string[]) => ipIn(ns, ...args)
  const links = parseJsonList<IpAddr>(await runner.read(ip('-j', 'addr', 'show')))
  const byName = new Map(links.map((link) => [link.ifname, link]))
  for (const link of links) {
    if (link.ifname !== 'lo' && !spec.legs.some((leg) => leg.device === link.ifname)) {
      await runner.change(ip('link', 'del', 'dev', link.ifname), { okCodes: [1] })
    }
  }
  for (const leg of spec.legs) {
    const link = byName.get(leg.device)
    if (!link) continue // its veth could not be made: reported with the leg
    const fix = [
      ...(link.address?.toLowerCase() !== leg.mac.toLowerCase() ? ['address', leg.mac.toLowerCase()] : []),
      ...(link.mtu !== leg.network.mtu ? ['mtu', String(leg.network.mtu)] : []),
      ...(link.flags?.includes('UP') ? [] : ['up']),
    ]
    if (fix.length > 0) await runner.change(ip('link', 'set', 'dev', leg.device, ...fix))
    const have = new Set(
      (link.addr_info ?? [])
        .filter((a) => a.scope !== 'link')
        .map((a) => `${canonicalPrefix(a.local)}/${a.prefixlen}`),
    )
    const want = new Set(
      leg.addresses.map((a) => `${canonicalPrefix(a.split('/')[0] as string)}/${a.split('/')[1]}`),
    )
    for (const address of want) {
      // No duplicate address detection: the service hands out unique addresses, and DAD would delay use by seconds.
      const nodad = familyOf(address) === 6 ? ['nodad'] : []
      if (!have.has(address)) await runner.change(ip('addr', 'add', address, 'dev', leg.device, ...nodad))
    }
    for (const address of have)
      if (!want.has(address)) await runner.change(ip('addr', 'del', address, 'dev', leg.device))
  }
  await convergeForwarding(runner, spec)
  await convergeRoutes(runner, spec)
}

async function convergeForwarding(runner: Runner, spec: NamespaceSpec): Promise<void> {
  const files = { 4: '/proc/sys/net/ipv4/ip_forward', 6: '/proc/sys/net/ipv6/conf/all/forwarding' } as const
  const [v4, v6] = (await runner.read(inNamespace(spec.namespace, ['cat', files[4], files[6]]))).split('\n')
  const have = { 4: v4?.trim() === '1', 6: v6?.trim() === '1' }
  for (const family of [4, 6] as const) {
    if (have[family] === spec.forwarding[family]) continue
    const key = family === 4 ? 'net.ipv4.ip_forward' : 'net.ipv6.conf.all.forwarding'
    await runner.change(
      inNamespace(spec.namespace, ['sysctl', '-qw', `${key}=${spec.forwarding[family] ? 1 : 0}`]),
    )
  }
}

interface IpRoute {
  dst: string
  gateway?: string
}

async function convergeRoutes(runner: Runner, spec: NamespaceSpec): Promise<void> {
  const have = new Map<string, string>()
  for (const family of ['-4', '-6']) {
    const routes = parseJsonList<IpRoute>(
      await runner.read(ipIn(spec.namespace, family, '-j', 'route', 'show', 'proto', 'static')),
    )
    for (const route of routes) have.set(`${family} ${route.dst}`, route.gateway ?? '')
  }
  const want = new Map<string, string>(
    [...spec.routes].map(([dst, via]) => [`-${familyOf(via)} ${dst}`, via]),
  )
  for (const [key, via] of want) {
    if (have.get(key) === via) continue
    const [family = '-4', dst = ''] = key.split(' ')
    await runner.change(ipIn(spec.namespace, family, 'route', 'replace', dst, 'via', via, 'proto', 'static'))
  }
  for (const [key, via] of have) {
    if (want.has(key)) continue
    const [family = '-4', dst = ''] = key.split(' ')
    await runner.change(
      ipIn(spec.namespace, family, 'route', 'del', dst, ...(via ? ['via', via] : []), 'proto', 'static'),
    )
  }
}

/** Route destinations as `ip route` prints them: `default`, a bare address for a host route, else a prefix. */
export function routeDestination(prefix: string): string {
  const canonical = canonicalPrefix(prefix)
  return canonical.endsWith('/0') ? 'default' : canonical
}
