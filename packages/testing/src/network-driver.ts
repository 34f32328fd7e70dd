import {
  type ApplyResult,
  CloudError,
  type Driver,
  defineDriver,
  type HostNetwork,
  type HostState,
  type NetworkCallOptions,
  type NetworkDriver,
  type NetworkDriverCapabilities,
  type NetworkHost,
  type NetworkType,
} from '@nubis/sdk'
import { type Faults, type WithFaultsOptions, withFaults } from './faults.js'
import { checkHostState, countChanges } from './network-host-state.js'

/** Options of {@link memoryNetworkDriver}. */
export interface MemoryNetworkDriverOptions {
  /** Driver name, used in errors; default `memory`. */
  name?: string
  /** The hosts it manages; default `host-1` and `host-2` with tunnel endpoints 192.0.2.11 and 192.0.2.12. */
  hosts?: NetworkHost[]
  /** Segment types it builds (default all five); the `vxlan`, `gre`, `vlan` and `flat` flags follow this list. */
  segmentTypes?: NetworkType[]
  /** Physical networks flat and VLAN segments may name; default `['physnet1', 'external']`. */
  physicalNetworks?: string[]
  /**
   * Flags over the defaults: `dataPlane`, `dhcp`, `routers` and `securityGroups` true. `dataPlane` is on although
   * no packets flow, because it stands in for a real driver: the Network service pushes host states only to
   * drivers with a data plane. Turn it off to test the service as it runs on the state-only default.
   */
  capabilities?: Partial<NetworkDriverCapabilities>
  /** Ports that cannot be plugged from the start (see `failPorts` of {@link MemoryNetworkDriver}). */
  failPorts?: Iterable<string>
  /** Start unreachable, as after `setUnavailable(true)`. */
  unavailable?: boolean
  /** Options of the fault wrapper behind `faults` (its clock, for `delay`). */
  faults?: WithFaultsOptions
}

/** One `applyHost` or `clearHost` that completed, as {@link MemoryNetworkDriver} recorded it. */
export interface HostApplyRecord {
  /** The SPI method called. */
  method: 'applyHost' | 'clearHost'
  /** The host it was called for. */
  host: string
  /** A copy of the state given to `applyHost`; null for `clearHost`. */
  state: HostState | null
  /** Objects added, changed or removed, as returned by `applyHost`. */
  changes: number
  /** The ports reported as not plugged (always empty for `clearHost`). */
  failedPorts: ApplyResult['failedPorts']
}

/**
 * The network driver double of {@link memoryNetworkDriver}: a {@link NetworkDriver} plus the switches tests
 * turn to reach the SPI's error paths and the views to assert what a service asked of the hosts.
 */
export type MemoryNetworkDriver = Driver<
  NetworkDriver & {
    /** Ids of ports that cannot be plugged: `applyHost` reports them in `failedPorts` and keeps the rest. */
    readonly failPorts: Set<string>
    /** Every completed `applyHost` and `clearHost`, oldest first; empty it with `history.length = 0`. */
    readonly history: HostApplyRecord[]
    /** A copy of what `host` has now (the last applied state less its failed ports); undefined when bare. */
    applied(host: string): HostState | undefined
    /** While on, every SPI call fails `UNAVAILABLE` with `retryable: true`, as an unreachable host. */
    setUnavailable(unavailable: boolean): void
  }
> & {
  /** Makes SPI methods fail, stall or hang on demand (see {@link withFaults}); no faults until told. */
  readonly faults: Faults<NetworkDriver>
}

const DEFAULT_HOSTS: readonly NetworkHost[] = [
  { name: 'host-1', tunnelIp: '192.0.2.11' },
  { name: 'host-2', tunnelIp: '192.0.2.12' },
]
const ALL_TYPES: readonly NetworkType[] = ['vxlan', 'gre', 'vlan', 'flat', 'local']

// The double states Neutron's ranges itself rather than borrowing the SDK's: it is an independent check of them.
const ID_RANGES: Record<NetworkType, readonly [number, number] | null> = {
  vxlan: [1, 2 ** 24 - 1],
  gre: [1, 2 ** 32 - 1],
  vlan: [1, 4094],
  flat: null,
  local: null,
}

/**
 * A network driver test double that keeps, per host, the last state applied to it: no devices and no packets,
 * though it declares `dataPlane` so services treat it as a real driver. It counts changes as a real driver
 * would, so services can be tested for convergence: every network, peer, port, security group, rule, DHCP
 * server, router and floating IP added, changed or removed versus the host's previous state is one change,
 * and re-applying a state reports 0. It refuses what a real driver could not build: an unknown host
 * (`NOT_FOUND`), a segment type outside `segmentTypes` or a feature whose flag is off (`NOT_SUPPORTED`), and
 * an inconsistent state (`INVALID`: a port on a network the state lacks, a rule naming a remote group the
 * state lacks, so its members are unknown, a device name twice…).
 *
 * @example
 * const network = memoryNetworkDriver()
 * network.failPorts.add(portId)         // its binding fails: reported in failedPorts
 * network.faults.failOnce('applyHost')  // the next apply fails DRIVER_FAILED
 * network.setUnavailable(true)          // every call is UNAVAILABLE, retryable
 * expect(network.applied('host-1')?.ports.map((p) => p.id)).toEqual([portId])
 */
export function memoryNetworkDriver(options: MemoryNetworkDriverOptions = {}): MemoryNetworkDriver {
  const name = options.name ?? 'memory'
  const hosts = (options.hosts ?? DEFAULT_HOSTS).map((host) => ({ ...host }))
  const types = new Set(options.segmentTypes ?? ALL_TYPES)
  const physicalNetworks = new Set(options.physicalNetworks ?? ['physnet1', 'external'])
  const current = new Map<string, HostState>()
  let unavailable = options.unavailable ?? false

  const reachable = () => {
    if (unavailable) {
      throw new CloudError('UNAVAILABLE', `Network driver ${name} cannot reach its hosts (simulated)`, {
        retryable: true,
      })
    }
  }
  const knownHost = (host: string) => {
    if (!hosts.some((h) => h.name === host)) {
      throw new CloudError('NOT_FOUND', `Host ${host} is not managed by network driver ${name}`, {
        resource: { type: 'host', id: host },
      })
    }
  }
  const checkSegment = (network: Pick<HostNetwork, 'type' | 'physicalNetwork' | 'segmentationId'>) => {
    const { type, physicalNetwork, segmentationId: id } = network
    if (!types.has(type)) {
      throw new CloudError('NOT_SUPPORTED', `Network driver ${name} cannot build ${type} segments`, {
        details: { capability: type },
      })
    }
    const invalid = (message: string, path: string) =>
      new CloudError('INVALID', message, { details: { path } })
    const range = ID_RANGES[type]
    if (range === null && id !== null)
      throw invalid(`A ${type} network has no segmentation id`, 'segmentationId')
    if (range !== null && id !== null && !(Number.isInteger(id) && id >= range[0] && id <= range[1])) {
      throw invalid(
        `A ${type} segmentation id must be in ${range[0]}..${range[1]}, got ${id}`,
        'segmentationId',
      )
    }
    const physical = type === 'flat' || type === 'vlan'
    if (!physical && physicalNetwork !== null) {
      throw invalid(`A ${type} network has no physical network`, 'physicalNetwork')
    }
    // A VLAN segment may come before its physical network is chosen; a flat one is nothing without it.
    if (type === 'flat' && physicalNetwork === null) {
      throw invalid('A flat network needs a physical network', 'physicalNetwork')
    }
    if (physicalNetwork !== null && !physicalNetworks.has(physicalNetwork)) {
      throw invalid(`Unknown physical network '${physicalNetwork}'`, 'physicalNetwork')
    }
  }

  const base = defineDriver({
    kind: 'network',
    name,
    capabilities: {
      dataPlane: true,
      dhcp: true,
      routers: true,
      securityGroups: true,
      ...definedFlags(options.capabilities),
      vxlan: types.has('vxlan'),
      gre: types.has('gre'),
      vlan: types.has('vlan'),
      flat: types.has('flat'),
    } satisfies NetworkDriverCapabilities,
    failPorts: new Set(options.failPorts ?? []),
    history: [] as HostApplyRecord[],

    async listHosts(_options?: NetworkCallOptions): Promise<NetworkHost[]> {
      reachable()
      return hosts.map((host) => ({ ...host }))
    },

    async checkNetwork(
      network: Pick<HostNetwork, 'type' | 'physicalNetwork' | 'segmentationId'>,
      _options?: NetworkCallOptions,
    ): Promise<void> {
      reachable()
      checkSegment(network)
    },

    async applyHost(state: HostState, _options?: NetworkCallOptions): Promise<ApplyResult> {
      reachable()
      knownHost(state.host)
      checkHostState(state, this.capabilities, name)
      for (const network of state.networks) checkSegment(network)
      const given = structuredClone(state)
      const failedPorts = given.ports
        .filter((port) => this.failPorts.has(port.id))
        .map((port) => ({ id: port.id, reason: `Port ${port.id} cannot be plugged (simulated)` }))
      const kept = { ...given, ports: given.ports.filter((port) => !this.failPorts.has(port.id)) }
      const changes = countChanges(current.get(state.host), kept)
      current.set(state.host, kept)
      this.history.push({ method: 'applyHost', host: state.host, state: given, changes, failedPorts })
      return { changes, failedPorts: structuredClone(failedPorts) }
    },

    async clearHost(host: string, _options?: NetworkCallOptions): Promise<void> {
      reachable()
      knownHost(host)
      const changes = countChanges(current.get(host), undefined)
      current.delete(host)
      this.history.push({ method: 'clearHost', host, state: null, changes, failedPorts: [] })
    },

    applied(host: string): HostState | undefined {
      const state = current.get(host)
      return state && structuredClone(state)
    },

    setUnavailable(on: boolean): void {
      unavailable = on
    },
  })
  const { driver, faults } = withFaults(base, options.faults)
  return Object.assign(driver, { faults: faults as unknown as Faults<NetworkDriver> })
}

/** The flags that are set (defineDriver refuses an `undefined` capability). */
function definedFlags(flags: Partial<NetworkDriverCapabilities> = {}): Record<string, boolean> {
  return Object.fromEntries(
    Object.entries(flags).filter((entry): entry is [string, boolean] => entry[1] !== undefined),
  )
}
