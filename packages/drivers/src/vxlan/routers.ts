import type { HostNetwork, HostRouter, HostRouterPort } from '@nubis/sdk'
import { canonicalAddress, familyOf, interfaceAddress } from './cidr.js'
import { cutFloatingIps } from './conntrack.js'
import { parseSave, planTable, type TableSpec } from './iptables.js'
import { legName, routerNamespace } from './names.js'
import { convergeNamespace, type NamespaceSpec, routeDestination } from './namespaces.js'
import { iptablesTools } from './options.js'
import type { Leg } from './ports.js'
import { inNamespace, ipIn, parseJsonList, type Runner } from './runner.js'

// A router is a namespace `<prefix>qrouter-<id>` with one leg per interface (`qr-…`) and one on the external
// network (`qg-…`), forwarding on, a default route via the external subnet's gateway, SNAT of the internal
// subnets to the gateway address, and floating IPs as 1:1 NAT (the floating address is added to `qg-` so the
// router answers ARP for it). IPv6 addresses are put on the legs and IPv6 forwarding is on, but the router
// sends no router advertisements: guests get IPv6 only by static configuration.

/** The legs and namespace layout of a router. */
export function routerSpec(
  router: HostRouter,
  prefix: string,
  networks: ReadonlyMap<string, HostNetwork>,
): NamespaceSpec {
  const namespace = routerNamespace(prefix, router.id)
  const leg = (port: HostRouterPort, role: 'qr' | 'qg', extra: string[] = []): Leg => ({
    portId: port.portId,
    network: networks.get(port.networkId) as HostNetwork,
    namespace,
    device: legName(role, port.portId),
    mac: port.mac,
    addresses: [...port.fixedIps.map((ip) => interfaceAddress(ip.ipAddress, ip.cidr)), ...extra],
  })
  const gateway = router.gateway
  const floating = gateway
    ? router.floatingIps.map(
        (fip) => `${canonicalAddress(fip.floatingIp)}/${familyOf(fip.floatingIp) === 4 ? 32 : 128}`,
      )
    : []
  const legs = [
    ...router.interfaces.map((port) => leg(port, 'qr')),
    ...(gateway ? [leg(gateway, 'qg', floating)] : []),
  ]
  const routes = new Map<string, string>()
  if (gateway?.gatewayIp) routes.set('default', gateway.gatewayIp)
  for (const route of router.routes) routes.set(routeDestination(route.destination), route.nexthop)
  const all = legs.flatMap((l) => l.addresses)
  return {
    namespace,
    legs,
    routes,
    forwarding: { 4: all.some((a) => familyOf(a) === 4), 6: all.some((a) => familyOf(a) === 6) },
  }
}

/** The NAT table of a router: DNAT and SNAT of floating IPs, SNAT of internal IPv4 subnets when enabled. */
export function natTable(router: HostRouter): TableSpec {
  const gateway = router.gateway
  if (!gateway) return { table: 'nat', chains: new Map(), jumps: [] }
  const qg = legName('qg', gateway.portId)
  const v4 = router.floatingIps.filter((fip) => familyOf(fip.floatingIp) === 4 && familyOf(fip.fixedIp) === 4)
  const dnat = v4.map((fip) => `-d ${fip.floatingIp}/32 -j DNAT --to-destination ${fip.fixedIp}`)
  const snat = v4.map((fip) => `-s ${fip.fixedIp}/32 -o ${qg} -j SNAT --to-source ${fip.floatingIp}`)
  const external = gateway.fixedIps.find((ip) => ip.ipVersion === 4)?.ipAddress
  if (gateway.enableSnat && external) {
    const subnets = [
      ...new Set(
        router.interfaces.flatMap((port) =>
          port.fixedIps.filter((ip) => ip.ipVersion === 4).map((ip) => ip.cidr),
        ),
      ),
    ]
    snat.push(...subnets.map((cidr) => `-s ${cidr} -o ${qg} -j SNAT --to-source ${external}`))
  }
  return {
    table: 'nat',
    chains: new Map([
      ['nb-pre', dnat],
      ['nb-out', dnat],
      ['nb-post', snat],
    ]),
    jumps: [
      { from: 'PREROUTING', to: 'nb-pre' },
      { from: 'OUTPUT', to: 'nb-out' },
      { from: 'POSTROUTING', to: 'nb-post' },
    ],
  }
}

/** Converges the inside of a router's namespace (its legs exist already). */
export async function convergeRouter(runner: Runner, router: HostRouter, spec: NamespaceSpec): Promise<void> {
  const ns = spec.namespace
  const qg = router.gateway ? legName('qg', router.gateway.portId) : null
  // Floating IPs about to disappear from qg-: their NATed flows are cut once the rules are gone.
  const before = qg ? await hostAddresses(runner, ns, qg) : []
  await convergeNamespace(runner, spec)
  const tools = iptablesTools(runner.config.iptables, 4)
  const actual = parseSave(await runner.read(inNamespace(ns, [tools.save, '-t', 'nat']))).get('nat')
  const plan = planTable(actual, natTable(router))
  if (plan.restore !== null)
    await runner.change(inNamespace(ns, [tools.restore, '-w', '--noflush']), { stdin: plan.restore })
  const kept = new Set(router.floatingIps.map((fip) => canonicalAddress(fip.floatingIp)))
  await cutFloatingIps(
    runner,
    ns,
    before.filter((ip) => !kept.has(ip)),
  )
}

/** The single-host (/32, /128) addresses of a device: floating IPs on `qg-`. */
async function hostAddresses(runner: Runner, namespace: string, device: string): Promise<string[]> {
  const result = await runner.probe(ipIn(namespace, '-j', 'addr', 'show', 'dev', device))
  if (result.exitCode !== 0) return []
  const [link] = parseJsonList<{ addr_info?: { local: string; prefixlen: number }[] }>(result.stdout)
  return (link?.addr_info ?? [])
    .filter((a) => a.prefixlen === 32 || a.prefixlen === 128)
    .map((a) => canonicalAddress(a.local))
}
