import type { HostNetwork, HostRouter, HostRouterPort } from '@nubis/sdk'
import { canonicalAddress, familyOf, interfaceAddress } from './cidr.js'
import { cutFloatingIps } from './conntrack.js'
import { parseSave, planTable, type TableSpec } from './iptables.js'
import { legName, routerNamespace } from './names.js'
import { convergeNamespace, type NamespaceSpec, routeDestination } from './namespaces.js'
import { iptablesTools } from './options.js'
import type { Leg } from './ports.js'
import { inNamespace, type Runner } from './runner.js'

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
  const tools = iptablesTools(runner.config.iptables, 4)
  const saved = runner.read(inNamespace(ns, [tools.save, '-t', 'nat']))
  // Avoid an unhandled rejection while the namespace is converged; the error surfaces when awaited below.
  saved.catch(() => {})
  const before = await convergeNamespace(runner, spec)
  const plan = planTable(parseSave(await saved).get('nat'), natTable(router))
  if (plan.restore !== null)
    await runner.change(inNamespace(ns, [tools.restore, '-w', '--noflush']), { stdin: plan.restore })
  // Floating IPs gone from qg-: their NATed flows are cut now that the rules are gone.
  const qg = router.gateway ? legName('qg', router.gateway.portId) : null
  const kept = new Set(router.floatingIps.map((fip) => canonicalAddress(fip.floatingIp)))
  const floatingBefore = (before.get(qg ?? '') ?? [])
    .filter((a) => a.endsWith('/32') || a.endsWith('/128'))
    .map((a) => a.split('/')[0] as string)
  await cutFloatingIps(
    runner,
    ns,
    floatingBefore.filter((ip) => !kept.has(ip)),
  )
}
