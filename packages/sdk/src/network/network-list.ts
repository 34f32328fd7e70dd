import { parseOrThrow } from '../core/errors.js'
import { paginate } from '../core/pagination.js'
import type { NetworkApi } from './api.js'
import { applyCommonFilters, whereVisible } from './common.js'
import type { NetworkDeps } from './deps.js'
import { toNetworks } from './network-rows.js'
import { NetworkFilterSchema } from './schemas.js'

/** Columns networks may be sorted by, as Neutron names them. */
export const NETWORK_SORT_KEYS = [
  'name',
  'project_id',
  'admin_state_up',
  'shared',
  'mtu',
  'created_at',
  'updated_at',
]

/** Listing networks: the caller's, shared and external ones, by Neutron's filters, a page at a time. */
export function networkListApi(deps: NetworkDeps): Pick<NetworkApi, 'listNetworks'> {
  const { store } = deps
  return {
    async listNetworks(ctx, input = {}) {
      const { limit, marker, sortKey, sortDir, ...rest } = input
      const filters = parseOrThrow(
        NetworkFilterSchema.omit({ limit: true, marker: true, sortKey: true, sortDir: true }),
        rest,
        'network filters',
      )
      let qb = applyCommonFilters(store.db.selectFrom('net_networks').selectAll(), 'net_networks', filters)
      qb = whereVisible(qb, ctx, ['shared', 'external'])
      if (filters.shared !== undefined) qb = qb.where('shared', '=', filters.shared ? 1 : 0)
      if (filters.external !== undefined) qb = qb.where('external', '=', filters.external ? 1 : 0)
      if (filters.adminStateUp !== undefined)
        qb = qb.where('admin_state_up', '=', filters.adminStateUp ? 1 : 0)
      if (filters.status !== undefined && filters.status !== 'ACTIVE') qb = qb.where('id', '=', '')
      if (filters.networkType !== undefined) qb = qb.where('network_type', '=', filters.networkType)
      if (filters.physicalNetwork !== undefined)
        qb = qb.where('physical_network', '=', filters.physicalNetwork)
      if (filters.segmentationId !== undefined) qb = qb.where('segmentation_id', '=', filters.segmentationId)
      if (filters.mtu !== undefined) qb = qb.where('mtu', '=', filters.mtu)
      const page = await paginate(
        qb,
        'net_networks',
        { limit, marker, sortKey, sortDir },
        { sortable: NETWORK_SORT_KEYS },
      )
      return { items: await toNetworks(store.db, page.items), next: page.next }
    },
  }
}
