import { randomBytes, randomInt, randomUUID } from 'node:crypto'
import type {
  HostFixedIp,
  HostNetwork,
  HostPort,
  HostRouter,
  HostSecurityGroup,
  HostState,
  HostVif,
  NetworkDriverCapabilities,
} from '@nubis/sdk'

/** Options of {@link sampleHostState}. */
export interface SampleHostStateOptions {
  /** The host the state is for. */
  host: string
  /** Flags deciding what the state holds: security groups, a DHCP server, a router (each only when on). */
  capabilities: Readonly<Partial<NetworkDriverCapabilities>>
  /** How ports reach their guest; default a tap device, which works wherever `/dev/net/tun` does. */
  vif?: (portId: string) => HostVif
  /** A physical network the driver knows: the router's external network is then flat on it, else VXLAN. */
  physicalNetwork?: string
  /** Tunnel endpoints of other hosts, the tenant network's flood list; default none. */
  peers?: string[]
  /** Ports on the tenant network; default 2. */
  ports?: number
}

/** A valid host state and the means to grow it, from {@link sampleHostState}. */
export interface SampleHostState {
  /** The whole state: a VXLAN tenant network, its ports, and what the capabilities allow. */
  readonly state: HostState
  /** The tenant network, whose subnet is 198.18.100.0/24. */
  readonly network: HostNetwork
  /** A new port on the tenant network, with the next free address, not added to any state. */
  port(): HostPort
  /** A copy of `state` with `port` (default a new one) added, as a service would: in leases and members. */
  withPort(state: HostState, port?: HostPort): HostState
}

const TENANT_CIDR = '198.18.100.0/24'
const EXTERNAL_CIDR = '198.18.101.0/24'

/**
 * Builds a small but complete host state from scratch, as the Network service would send it: a VXLAN network
 * with a VNI drawn at random (so runs on shared hosts do not collide) and its ports (devices `tap` + 11 hex
 * characters, MACs `fa:16:3e:…`, addresses in 198.18.100.0/24); with `securityGroups`, a group with SSH,
 * ICMP, remote-group and egress rules; with `dhcp`, a DHCP server and a lease per port; with `routers`, a
 * router with an interface, a gateway on an external network (198.18.101.0/24) and a floating IP. Small on
 * purpose: a real driver applies it well under a second.
 *
 * @example
 * const sample = sampleHostState({ host: 'host-1', capabilities: driver.capabilities })
 * await driver.applyHost(sample.state)
 * await driver.applyHost(sample.withPort(sample.state)) // one more port
 */
export function sampleHostState(options: SampleHostStateOptions): SampleHostState {
  const { capabilities } = options
  const vif = options.vif ?? (() => ({ type: 'tap' }) as const)
  const vni = randomInt(100_000, 16_000_000)
  const localId = randomInt(1_000, 60_000)
  const network: HostNetwork = {
    id: randomUUID(),
    type: 'vxlan',
    segmentationId: vni,
    physicalNetwork: null,
    mtu: 1450,
    localId,
    peers: [...(options.peers ?? [])],
  }
  const subnetId = randomUUID()
  const address = (ip: string, cidr = TENANT_CIDR, id = subnetId): HostFixedIp[] => [
    { subnetId: id, ipAddress: ip, cidr, ipVersion: 4 },
  ]
  const groupId = randomUUID()
  let nextHost = 10
  const port = (): HostPort => {
    const id = randomUUID()
    return {
      id,
      networkId: network.id,
      mac: randomMac(),
      fixedIps: address(`198.18.100.${nextHost++}`),
      device: `tap${id.replaceAll('-', '').slice(0, 11)}`,
      vif: vif(id),
      adminStateUp: true,
      portSecurity: capabilities.securityGroups === true,
      securityGroupIds: capabilities.securityGroups ? [groupId] : [],
      allowedAddressPairs: [],
    }
  }
  const withPort = (state: HostState, added: HostPort = port()): HostState => {
    const next = structuredClone(state)
    next.ports.push(structuredClone(added))
    const ips = added.fixedIps.map((ip) => ip.ipAddress)
    for (const group of next.securityGroups) {
      if (added.securityGroupIds.includes(group.id)) group.memberIps.push(...ips)
    }
    for (const dhcp of next.dhcp.filter((d) => d.networkId === added.networkId)) {
      dhcp.leases.push(...ips.map((ip) => ({ mac: added.mac, ipAddress: ip, hostname: hostname(ip) })))
    }
    return next
  }

  let state: HostState = {
    host: options.host,
    networks: [network],
    ports: [],
    securityGroups: [],
    dhcp: [],
    routers: [],
  }
  if (capabilities.securityGroups) state.securityGroups.push(securityGroup(groupId))
  if (capabilities.dhcp) {
    state.dhcp.push({
      networkId: network.id,
      port: { id: randomUUID(), mac: randomMac(), fixedIps: address('198.18.100.2') },
      subnets: [
        {
          id: subnetId,
          cidr: TENANT_CIDR,
          ipVersion: 4,
          gatewayIp: '198.18.100.1',
          dnsNameservers: ['198.18.100.2'],
          hostRoutes: [],
          ipv6AddressMode: null,
        },
      ],
      leases: [],
    })
  }
  for (let i = 0; i < (options.ports ?? 2); i++) state = withPort(state)
  if (capabilities.routers) {
    const flat = options.physicalNetwork !== undefined && capabilities.flat === true
    const external: HostNetwork = {
      id: randomUUID(),
      type: flat ? 'flat' : 'vxlan',
      segmentationId: flat ? null : vni + 1,
      physicalNetwork: flat ? (options.physicalNetwork ?? null) : null,
      mtu: flat ? 1500 : 1450,
      localId: localId + 1,
      peers: [],
    }
    const fixedIp = state.ports[0]?.fixedIps[0]?.ipAddress
    const router: HostRouter = {
      id: randomUUID(),
      gateway: {
        portId: randomUUID(),
        networkId: external.id,
        mac: randomMac(),
        fixedIps: address('198.18.101.10', EXTERNAL_CIDR, randomUUID()),
        enableSnat: true,
        gatewayIp: '198.18.101.1',
      },
      interfaces: [
        { portId: randomUUID(), networkId: network.id, mac: randomMac(), fixedIps: address('198.18.100.1') },
      ],
      routes: [],
      floatingIps: fixedIp ? [{ id: randomUUID(), floatingIp: '198.18.101.50', fixedIp }] : [],
    }
    state.networks.push(external)
    state.routers.push(router)
  }
  return { state: structuredClone(state), network: structuredClone(network), port, withPort }
}

/** A group as Neutron's default one plus SSH and ICMP in: members reach each other, anything goes out. */
function securityGroup(id: string): HostSecurityGroup {
  const rule = (fields: Partial<HostSecurityGroup['rules'][number]>) => ({
    id: randomUUID(),
    direction: 'ingress' as const,
    ethertype: 'IPv4' as const,
    protocol: null,
    portRangeMin: null,
    portRangeMax: null,
    remoteIpPrefix: null,
    remoteGroupId: null,
    ...fields,
  })
  return {
    id,
    rules: [
      rule({ protocol: 'tcp', portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '0.0.0.0/0' }),
      rule({ protocol: 'icmp' }),
      rule({ remoteGroupId: id }),
      rule({ direction: 'egress' }),
      rule({ direction: 'egress', ethertype: 'IPv6' }),
    ],
    memberIps: [],
  }
}

/** A MAC in OpenStack's prefix, as Neutron makes them. */
export function randomMac(): string {
  return `fa:16:3e:${[...randomBytes(3)].map((byte) => byte.toString(16).padStart(2, '0')).join(':')}`
}

function hostname(ip: string): string {
  return `host-${ip.replaceAll('.', '-')}`
}
