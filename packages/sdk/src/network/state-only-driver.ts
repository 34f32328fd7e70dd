import { type Driver, defineDriver } from '../core/driver.js'
import { CloudError } from '../core/errors.js'
import type {
  ApplyResult,
  HostNetwork,
  HostState,
  NetworkCallOptions,
  NetworkDriver,
  NetworkHost,
  NetworkType,
} from './spi.js'

/** Options of {@link stateOnlyNetwork}. */
export interface StateOnlyNetworkOptions {
  /** Names of the hosts ports may be bound to; default `['local']`, the one machine of an embedded cloud. */
  hosts?: string[]
}

/**
 * Valid segmentation ids per segment type, as Neutron's: VXLAN VNIs are 24 bits, GRE keys 32 bits, and VLAN
 * ids 0 and 4095 are reserved by 802.1Q. Flat and local segments have none.
 */
export const SEGMENTATION_ID_RANGES: Readonly<Record<NetworkType, readonly [number, number] | null>> = {
  vxlan: [1, 16_777_215],
  gre: [1, 4_294_967_295],
  vlan: [1, 4_094],
  flat: null,
  local: null,
}

/**
 * Throws `INVALID` when a segment's id does not fit its type: out of {@link SEGMENTATION_ID_RANGES}, not an
 * integer, or present on a flat or local segment. A null id on a tunnel or VLAN segment passes: the service
 * has not chosen it yet. Shared by drivers so every back end refuses the same segments.
 */
export function checkSegmentationId(network: Pick<HostNetwork, 'type' | 'segmentationId'>): void {
  const { type, segmentationId: id } = network
  if (!(type in SEGMENTATION_ID_RANGES)) {
    throw new CloudError('INVALID', `Unknown network type '${String(type)}'`, {
      details: { path: 'type' },
    })
  }
  const range = SEGMENTATION_ID_RANGES[type]
  if (id === null) return
  if (range === null) {
    throw new CloudError('INVALID', `A ${type} network has no segmentation id, got ${id}`, {
      details: { path: 'segmentationId' },
    })
  }
  const [min, max] = range
  if (!Number.isInteger(id) || id < min || id > max) {
    throw new CloudError(
      'INVALID',
      `A ${type} segmentation id must be an integer in ${min}..${max}, got ${id}`,
      {
        details: { path: 'segmentationId', min, max },
      },
    )
  }
}

/** The driver made by {@link stateOnlyNetwork}. */
export type StateOnlyNetworkDriver = Driver<NetworkDriver>

/**
 * The embedded default network driver: it keeps **no data plane**. No device is made on any host and **no
 * packets flow** between ports; networks, subnets, ports, security groups, routers and floating IPs exist only
 * as records in the Network service, with their addresses allocated as usual. It is what `createCloud` uses
 * when no network driver is given, so a cloud runs on a laptop or in CI without root, and the whole Neutron
 * API answers as it would on a real cloud. Pick a real driver (`vxlan` from `@nubis/drivers/vxlan`) when
 * servers must talk to each other.
 *
 * Every segment type is accepted, since nothing has to be built; segmentation ids are still checked, so a
 * request a real cloud would refuse is refused here too. `applyHost` reports no change and `clearHost` does
 * nothing, as there is nothing on the host to converge.
 *
 * @example
 * const cloud = await createCloud({ store, network: { driver: stateOnlyNetwork({ hosts: ['hv1', 'hv2'] }) } })
 */
export function stateOnlyNetwork(options: StateOnlyNetworkOptions = {}): StateOnlyNetworkDriver {
  const names = options.hosts ?? ['local']
  for (const name of names) {
    if (typeof name !== 'string' || name === '') {
      throw new CloudError(
        'INVALID',
        'Host names of the state-only network driver must be non-empty strings',
        {
          details: { path: 'hosts' },
        },
      )
    }
  }
  if (new Set(names).size !== names.length) {
    throw new CloudError('INVALID', `Host names must be unique, got ${names.join(', ')}`, {
      details: { path: 'hosts' },
    })
  }
  // Copied so a caller changing its array later does not change the hosts ports were bound to.
  const hosts: readonly NetworkHost[] = names.map((name) => ({ name, tunnelIp: null }))

  return defineDriver<NetworkDriver>({
    kind: 'network',
    name: 'state-only',
    capabilities: {
      dataPlane: false,
      vxlan: true,
      gre: true,
      vlan: true,
      flat: true,
      dhcp: true,
      routers: true,
      securityGroups: true,
    },

    async listHosts(_options?: NetworkCallOptions): Promise<NetworkHost[]> {
      return hosts.map((host) => ({ ...host }))
    },

    async checkNetwork(
      network: Pick<HostNetwork, 'type' | 'physicalNetwork' | 'segmentationId'>,
      _options?: NetworkCallOptions,
    ): Promise<void> {
      checkSegmentationId(network)
    },

    async applyHost(_state: HostState, _options?: NetworkCallOptions): Promise<ApplyResult> {
      return { changes: 0, failedPorts: [] }
    },

    async clearHost(_host: string, _options?: NetworkCallOptions): Promise<void> {},
  })
}
