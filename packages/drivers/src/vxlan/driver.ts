import {
  type ApplyResult,
  CloudError,
  type Driver,
  defineDriver,
  type HostNetwork,
  type HostState,
  type NetworkCallOptions,
  type NetworkDriver,
  SEGMENTATION_ID_RANGES,
} from '@nubis/sdk'
import { applyState } from './apply.js'
import { type DriverConfig, type HostConfig, resolveOptions, type VxlanNetworkOptions } from './options.js'
import { createRunner } from './runner.js'

/**
 * The Linux network driver: each host's data plane is made of Linux bridges, VXLAN devices (or gretap
 * tunnels, VLAN subinterfaces, physical interfaces), veth and tap ports, iptables + ipset security groups with
 * per-network conntrack zones, ebtables MAC and ARP anti-spoofing, and router and DHCP (dnsmasq) network
 * namespaces — the design of Neutron's Linux bridge agent, driven agentlessly through each host's Transport.
 * Nothing is kept between calls: every `applyHost` reads the host and converges it, so it also repairs a host
 * that lost its devices. Everything it makes is marked (link group, `nb-` chains, `nb4-`/`nb6-` sets, namespace
 * names, the state directory), so `clearHost` finds it all without any state.
 *
 * Hosts need root, iproute2, iptables (with ip6tables and ebtables), ipset, conntrack and dnsmasq
 * (`dnsmasq-base`), and a kernel with bridge, br_netfilter, veth, tun and vxlan (gretap and 8021q for GRE and
 * VLAN networks). IPv6 subnets get addresses on router and DHCP ports and IPv6 security-group rules, but no
 * DHCPv6 and no router advertisements: IPv6 guests need static configuration.
 *
 * @example
 * const network = vxlanNetwork({
 *   hosts: [{ name: 'hv1', transport: sshTransport({ host: 'hv1', username: 'root', privateKey, hostKey }), tunnelIp: '10.0.0.11' }],
 * })
 * const cloud = await createCloud({ store, network: { driver: network } })
 */
export function vxlanNetwork(options: VxlanNetworkOptions): Driver<NetworkDriver> {
  const config = resolveOptions(options)
  const hosts = new Map(config.hosts.map((host) => [host.name, host]))
  // One call at a time per host: two converging the same host at once would each undo the other's work.
  const queues = new Map<string, Promise<unknown>>()
  const onHost = <T>(name: string, work: (host: HostConfig) => Promise<T>): Promise<T> => {
    const host = hosts.get(name)
    if (!host) {
      return Promise.reject(
        new CloudError('NOT_FOUND', `Host ${name} is not managed by the vxlan network driver`, {
          resource: { type: 'host', id: name },
        }),
      )
    }
    const run = (queues.get(name) ?? Promise.resolve()).catch(() => {}).then(() => work(host))
    queues.set(name, run)
    return run
  }
  const driver: NetworkDriver = {
    kind: 'network',
    name: 'vxlan',
    capabilities: {
      dataPlane: true,
      vxlan: true,
      gre: true,
      vlan: true,
      flat: true,
      dhcp: true,
      routers: true,
      securityGroups: true,
    },
    async listHosts() {
      return config.hosts.map((host) => ({ name: host.name, tunnelIp: host.tunnelIp }))
    },
    async checkNetwork(network) {
      checkSegment(network, config)
    },
    applyHost(state: HostState, options: NetworkCallOptions = {}): Promise<ApplyResult> {
      return onHost(state.host, (host) => applyState(createRunner(config, host, options.signal), state))
    },
    async clearHost(name: string, options: NetworkCallOptions = {}): Promise<void> {
      const empty: HostState = {
        host: name,
        networks: [],
        ports: [],
        securityGroups: [],
        dhcp: [],
        routers: [],
      }
      await onHost(name, (host) => applyState(createRunner(config, host, options.signal), empty))
    },
  }
  return defineDriver(driver)
}

/**
 * The static check of a segment before a network is recorded: ids in range, physical networks mapped on
 * every host. The kernel is not probed: a host lacking gretap or 8021q reports it when the network is applied.
 */
function checkSegment(
  network: Pick<HostNetwork, 'type' | 'physicalNetwork' | 'segmentationId'>,
  config: DriverConfig,
): void {
  const invalid = (message: string) => new CloudError('INVALID', message, { details: { type: network.type } })
  const id = network.segmentationId
  const inRange = (min: number, max: number) => id !== null && Number.isInteger(id) && id >= min && id <= max
  switch (network.type) {
    case 'vxlan': {
      const [min, max] = config.vniRange ?? SEGMENTATION_ID_RANGES.vxlan!
      if (!inRange(min, max)) throw invalid(`VXLAN network id ${id} is outside ${min}-${max}`)
      return
    }
    case 'gre': {
      const [min, max] = SEGMENTATION_ID_RANGES.gre!
      if (!inRange(min, max)) throw invalid(`GRE key ${id} is outside ${min}-${max}`)
      return
    }
    case 'vlan': {
      const [min, max] = SEGMENTATION_ID_RANGES.vlan!
      if (!inRange(min, max)) throw invalid(`VLAN id ${id} is outside ${min}-${max}`)
      checkPhysical(network.physicalNetwork, config, invalid)
      return
    }
    case 'flat':
      checkPhysical(network.physicalNetwork, config, invalid)
      return
    case 'local':
      return
    default:
      throw new CloudError(
        'NOT_SUPPORTED',
        `Network type ${String(network.type)} is not supported by the vxlan driver`,
      )
  }
}

function checkPhysical(
  physical: string | null,
  config: DriverConfig,
  invalid: (message: string) => CloudError,
): void {
  if (physical === null) throw invalid('A flat or VLAN network needs a physical network')
  const missing = config.hosts
    .filter((host) => host.physicalNetworks[physical] === undefined)
    .map((host) => host.name)
  if (missing.length > 0)
    throw invalid(`Physical network ${physical} is not mapped on host(s) ${missing.join(', ')}`)
}
