import { parseOrThrow } from '../core/errors.js'
import { paginate } from '../core/pagination.js'
import type { NetworkApi } from './api.js'
import { applyCommonFilters, whereVisible } from './common.js'
import type { NetworkDeps } from './deps.js'
import { ROUTER_SORT_KEYS, toRouters } from './router-rows.js'
import { RouterFilterSchema } from './router-schemas.js'

/** Listing routers: the caller's project's, by Neutron's filters, a page at a time. */
export function routerListApi(deps: NetworkDeps): Pick<NetworkApi, 'listRouters'> {
  const { store } = deps
  return {
    async listRouters(ctx, input = {}) {
      const { limit, marker, sortKey, sortDir, ...rest } = input
      const filters = parseOrThrow(
        RouterFilterSchema.omit({ limit: true, marker: true, sortKey: true, sortDir: true }),
        rest,
        'router filters',
      )
      let qb = applyCommonFilters(store.db.selectFrom('net_routers').selectAll(), 'net_routers', filters)
      qb = whereVisible(qb, ctx)
      if (filters.adminStateUp !== undefined)
        qb = qb.where('admin_state_up', '=', filters.adminStateUp ? 1 : 0)
      // Every router is ACTIVE: no other status matches.
      if (filters.status !== undefined && filters.status !== 'ACTIVE') qb = qb.where('id', '=', '')
      const page = await paginate(
        qb,
        'net_routers',
        { limit, marker, sortKey, sortDir },
        { sortable: ROUTER_SORT_KEYS },
      )
      return { items: await toRouters(store.db, page.items), next: page.next }
    },
  }
}
