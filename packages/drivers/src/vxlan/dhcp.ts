import type { HostDhcp, HostNetwork } from '@nubis/sdk'
import { contains, interfaceAddress, ipv4Network } from './cidr.js'
import { convergeDnsmasq, removeDnsmasq } from './dnsmasq.js'
import { dhcpNamespace, legName, shortHash } from './names.js'
import { convergeNamespace, type NamespaceSpec } from './namespaces.js'
import type { Leg } from './ports.js'
import type { Runner } from './runner.js'

// A network's DHCP server is dnsmasq in the namespace `<prefix>qdhcp-<network id>`, on a leg into the
// network's bridge that holds the DHCP port's addresses. It only hands out the static leases of the state
// (one per port address), with the subnet's router, DNS servers, host routes and the network's MTU, and
// serves no DNS (`port=0`). Its files live in `<stateDir>/<namespace>/`: the options in `dnsmasq.conf`
// (a change restarts it) and the leases in `hosts` (a change only needs SIGHUP, which rereads that file).
// IPv6 subnets get no DHCPv6 nor router advertisements.

/** The files of one DHCP server. */
export interface DhcpFiles {
  dir: string
  conf: string
  hosts: string
  pid: string
  leases: string
}

/** Where a DHCP server's files are. */
export function dhcpFiles(stateDir: string, namespace: string): DhcpFiles {
  const dir = `${stateDir}/${namespace}`
  return {
    dir,
    conf: `${dir}/dnsmasq.conf`,
    hosts: `${dir}/hosts`,
    pid: `${dir}/pid`,
    leases: `${dir}/leases`,
  }
}

/** The namespace layout of a DHCP server: one leg, nothing routed. */
export function dhcpSpec(dhcp: HostDhcp, prefix: string, network: HostNetwork): NamespaceSpec {
  const namespace = dhcpNamespace(prefix, dhcp.networkId)
  const leg: Leg = {
    portId: dhcp.port.id,
    network,
    namespace,
    device: legName('ns', dhcp.port.id),
    mac: dhcp.port.mac,
    addresses: dhcp.port.fixedIps.map((ip) => interfaceAddress(ip.ipAddress, ip.cidr)),
  }
  return { namespace, legs: [leg], routes: null, forwarding: null }
}

/** What dnsmasq is to run with: its configuration and its static leases, or null when no IPv4 subnet needs it. */
export function dnsmasqConfig(
  dhcp: HostDhcp,
  network: HostNetwork,
  files: DhcpFiles,
): { conf: string; hosts: string } | null {
  const subnets = dhcp.subnets.filter((subnet) => subnet.ipVersion === 4)
  if (subnets.length === 0) return null
  const lines = [
    '# Written by Nubis (vxlan driver): changes are overwritten.',
    'no-resolv',
    'no-hosts',
    'port=0',
    'bind-interfaces',
    `interface=${legName('ns', dhcp.port.id)}`,
    'except-interface=lo',
    `pid-file=${files.pid}`,
    `dhcp-leasefile=${files.leases}`,
    `dhcp-hostsfile=${files.hosts}`,
  ]
  for (const subnet of subnets) {
    const tag = `s${shortHash(subnet.id, 8)}`
    const { network: address, netmask } = ipv4Network(subnet.cidr)
    lines.push(`dhcp-range=set:${tag},${address},static,${netmask},86400s`)
    const option = (name: string, values: string[]) =>
      lines.push([`dhcp-option=tag:${tag}`, `option:${name}`, ...values].join(','))
    if (subnet.gatewayIp) option('router', [subnet.gatewayIp])
    option('mtu', [String(network.mtu)])
    // An empty option stops dnsmasq from naming itself, which serves no DNS here.
    option(
      'dns-server',
      subnet.dnsNameservers.filter((ip) => !ip.includes(':')),
    )
    const routes = subnet.hostRoutes.filter((r) => !r.destination.includes(':'))
    if (routes.length > 0) {
      // Clients that take option 121 ignore the router option, so the default route goes in too.
      const all = [
        ...routes.map((r) => [r.destination, r.nexthop]),
        ...(subnet.gatewayIp ? [['0.0.0.0/0', subnet.gatewayIp]] : []),
      ]
      option('classless-static-route', all.flat())
    }
  }
  const leases = dhcp.leases
    .filter((lease) => subnets.some((subnet) => contains(subnet.cidr, lease.ipAddress)))
    .map((lease) =>
      [lease.mac.toLowerCase(), lease.ipAddress, hostname(lease.hostname)].filter(Boolean).join(','),
    )
  return { conf: `${lines.join('\n')}\n`, hosts: `${[...new Set(leases)].sort().join('\n')}\n` }
}

/**
 * A host name dnsmasq accepts: a DNS label starting with a letter (a field like `12` or `5m` would be read as a
 * lease time), or `''` to send none.
 */
function hostname(name: string): string {
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '')
  if (label === '') return ''
  return (/^[a-z]/.test(label) ? label : `host-${label}`).slice(0, 63)
}

/**
 * Converges one DHCP server whose leg exists: the namespace side of the leg, then dnsmasq — or, when no IPv4
 * subnet needs one, no dnsmasq (`hadFiles`: whether its directory was found, so there is something to remove).
 */
export async function convergeDhcp(
  runner: Runner,
  server: { dhcp: HostDhcp; spec: NamespaceSpec; files: DhcpFiles },
  network: HostNetwork,
  hadFiles: boolean,
): Promise<void> {
  await convergeNamespace(runner, server.spec)
  const wanted = dnsmasqConfig(server.dhcp, network, server.files)
  if (wanted) await convergeDnsmasq(runner, server.spec.namespace, server.files, wanted)
  else if (hadFiles) await removeDnsmasq(runner, server.files)
}
