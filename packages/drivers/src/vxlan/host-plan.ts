import type { HostDhcp, HostNetwork, HostPort, HostRouter, HostState } from '@nubis/sdk'
import { type DhcpFiles, dhcpFiles, dhcpSpec } from './dhcp.js'
import type { LinkSpec } from './links.js'
import type { NamespaceSpec } from './namespaces.js'
import type { HostConfig } from './options.js'
import { type Leg, legLink, portLink } from './ports.js'
import { routerSpec } from './routers.js'
import { networkLinks } from './segments.js'

/** Everything a host must have, derived from its state before anything is read or changed. */
export interface HostPlan {
  networks: Map<string, HostNetwork>
  /** Each network's links (bridge first), or why it cannot be built here (an unmapped physical network). */
  networkLinks: Map<string, LinkSpec[] | { error: string }>
  ports: { port: HostPort; link: LinkSpec }[]
  routers: { router: HostRouter; spec: NamespaceSpec }[]
  dhcps: { dhcp: HostDhcp; spec: NamespaceSpec; files: DhcpFiles }[]
  /** The veth pairs into router and DHCP namespaces. */
  legs: { leg: Leg; link: LinkSpec }[]
  /** Names of every link of the driver's group that may stay. */
  links: Set<string>
  /** Names of the router and DHCP namespaces that may stay. */
  namespaces: Set<string>
}

/** Derives the {@link HostPlan} of `state` on `host`. */
export function planHost(state: HostState, host: HostConfig, stateDir: string, group: number): HostPlan {
  const networks = new Map(state.networks.map((network) => [network.id, network]))
  const network = (id: string) => networks.get(id) as HostNetwork
  const byNetwork = new Map<string, LinkSpec[] | { error: string }>()
  for (const n of state.networks) {
    try {
      byNetwork.set(n.id, networkLinks(n, host, group))
    } catch (error) {
      byNetwork.set(n.id, { error: error instanceof Error ? error.message : String(error) })
    }
  }
  const prefix = host.namespacePrefix
  const routers = state.routers.map((router) => ({ router, spec: routerSpec(router, prefix, networks) }))
  const dhcps = state.dhcp.map((dhcp) => {
    const spec = dhcpSpec(dhcp, prefix, network(dhcp.networkId))
    return { dhcp, spec, files: dhcpFiles(stateDir, spec.namespace) }
  })
  const services = [...routers, ...dhcps]
  const legs = services.flatMap(({ spec }) => spec.legs.map((leg) => ({ leg, link: legLink(leg, group) })))
  const ports = state.ports.map((port) => ({ port, link: portLink(port, network(port.networkId), group) }))
  const links = new Set([
    ...[...byNetwork.values()].flatMap((specs) =>
      Array.isArray(specs) ? specs.map((spec) => spec.name) : [],
    ),
    ...ports.map(({ link }) => link.name),
    ...legs.map(({ link }) => link.name),
  ])
  const namespaces = new Set(services.map(({ spec }) => spec.namespace))
  return { networks, networkLinks: byNetwork, ports, routers, dhcps, legs, links, namespaces }
}
