import { CloudError } from '../core/errors.js'
import type { Db } from '../store/types.js'
import { conflict, invalidInput } from './common.js'
import type { NetworkDeps } from './deps.js'
import type { NetworkType } from './spi.js'
import { SEGMENTATION_ID_RANGES } from './state-only-driver.js'

// Segments: which wire a network is (type, physical network, VNI / key / VLAN id). Tenant networks get the
// lowest free id of the configured ranges; the unique index on the segment is what makes a race lose cleanly.

/** A network's segment as stored: `physicalNetwork` '' for none; flat networks hold id 0 (one per physnet). */
export interface Segment {
  networkType: NetworkType
  physicalNetwork: string
  segmentationId: number | null
}

/** The provider fields of a create request. */
export interface ProviderInput {
  networkType?: NetworkType
  physicalNetwork?: string
  segmentationId?: number
}

const OVERHEAD: Record<NetworkType, number> = { vxlan: 50, gre: 42, vlan: 0, flat: 0, local: 0 }

/** The largest MTU a segment of this type carries on the configured underlay. */
export function maxMtu(deps: Pick<NetworkDeps, 'config'>, type: NetworkType): number {
  return deps.config.underlayMtu - OVERHEAD[type]
}

/** The lowest id of `ranges` not in `used` (sorted ascending), or undefined when all are taken. */
export function lowestFree(
  ranges: readonly (readonly [number, number])[],
  used: readonly number[],
): number | undefined {
  const taken = new Set(used)
  for (const [min, max] of [...ranges].sort((a, b) => a[0] - b[0])) {
    for (let id = min; id <= max; id++) if (!taken.has(id)) return id
  }
  return undefined
}

async function usedIds(db: Db, type: NetworkType, physnet: string): Promise<number[]> {
  const rows = await db
    .selectFrom('net_networks')
    .select('segmentation_id')
    .where('network_type', '=', type)
    .where('physical_network', '=', physnet)
    .where('segmentation_id', 'is not', null)
    .orderBy('segmentation_id')
    .execute()
  return rows.map((row) => Number(row.segmentation_id))
}

function rangesFor(deps: Pick<NetworkDeps, 'config'>, type: NetworkType, physnet: string) {
  if (type === 'vxlan') return deps.config.vniRanges
  if (type === 'gre') return deps.config.greRanges
  if (type === 'vlan') return deps.config.vlanRanges[physnet] ?? []
  return []
}

/** Validates provider attributes (or picks the tenant type) and allocates the segment id, inside `db`'s transaction. */
export async function chooseSegment(
  deps: Pick<NetworkDeps, 'config'>,
  db: Db,
  input: ProviderInput,
): Promise<Segment> {
  const type = input.networkType ?? deps.config.tenantNetworkType
  let physnet = input.physicalNetwork ?? ''
  if (type === 'vlan' && physnet === '' && input.networkType === undefined) {
    physnet = Object.keys(deps.config.vlanRanges)[0] ?? ''
  }
  if ((type === 'flat' || type === 'vlan') && physnet === '') {
    throw invalidInput(`provider:physical_network is required for ${type} networks`, 'physicalNetwork')
  }
  if ((type === 'vxlan' || type === 'gre' || type === 'local') && physnet !== '') {
    throw invalidInput(`provider:physical_network is not allowed for ${type} networks`, 'physicalNetwork')
  }
  if (type === 'flat' || type === 'local') {
    if (input.segmentationId !== undefined) {
      throw invalidInput(`provider:segmentation_id is not allowed for ${type} networks`, 'segmentationId')
    }
    if (type === 'local') return { networkType: type, physicalNetwork: '', segmentationId: null }
    const taken = await usedIds(db, 'flat', physnet)
    if (taken.length > 0) {
      throw conflict(
        'FlatNetworkInUse',
        `Unable to create the flat network. Physical network ${physnet} is in use.`,
      )
    }
    return { networkType: type, physicalNetwork: physnet, segmentationId: 0 }
  }
  const limit = SEGMENTATION_ID_RANGES[type]![1]
  if (input.segmentationId !== undefined) {
    if (input.segmentationId > limit) {
      throw invalidInput(
        `provider:segmentation_id ${input.segmentationId} is out of range 1-${limit}`,
        'segmentationId',
      )
    }
    if ((await usedIds(db, type, physnet)).includes(input.segmentationId)) {
      throw conflict('SegmentInUse', `Segmentation id ${input.segmentationId} of ${type} is in use.`)
    }
    return { networkType: type, physicalNetwork: physnet, segmentationId: input.segmentationId }
  }
  const id = lowestFree(rangesFor(deps, type, physnet), await usedIds(db, type, physnet))
  if (id === undefined) {
    throw new CloudError(
      'CONFLICT',
      'Unable to create the network. No tenant network is available for allocation.',
      {
        details: { type: 'NoNetworkAvailable', reason: 'exhausted' },
      },
    )
  }
  return { networkType: type, physicalNetwork: physnet, segmentationId: id }
}

/** The lowest free `local_id` (1–65535). */
export async function nextLocalId(db: Db): Promise<number> {
  const rows = await db.selectFrom('net_networks').select('local_id').orderBy('local_id').execute()
  const id = lowestFree(
    [[1, 65_535]],
    rows.map((row) => Number(row.local_id)),
  )
  if (id === undefined)
    throw conflict('NoNetworkAvailable', 'The cloud has 65535 networks, its limit', { reason: 'exhausted' })
  return id
}

/** Whether a request sets any provider attribute (an admin-only act). */
export function hasProvider(input: ProviderInput): boolean {
  return (
    input.networkType !== undefined ||
    input.physicalNetwork !== undefined ||
    input.segmentationId !== undefined
  )
}
