import type { Selectable } from 'kysely'
import type { RequestContext } from '../core/context.js'
import { CloudError, parseOrThrow } from '../core/errors.js'
import { type ListQueryInput, type Page, paginate } from '../core/pagination.js'
import { casUpdate, newResourceColumns } from '../store/cas.js'
import type { Transaction } from '../store/types.js'
import {
  type Endpoint,
  type EndpointCreate,
  EndpointCreateSchema,
  type EndpointFilters,
  EndpointFiltersSchema,
  type EndpointUpdate,
  EndpointUpdateSchema,
} from './catalog-schemas.js'
import type { EndpointsTable } from './catalog-tables.js'
import { newHexId, notFound, nowIso } from './common.js'
import type { IdentityDeps } from './deps.js'
import './events.js'
import { bool } from './services.js'

/** Endpoints of the catalog's services. */
export interface EndpointsApi {
  /** Creates an endpoint of an existing service, in an existing region when one is named. */
  createEndpoint(ctx: RequestContext, input: EndpointCreate): Promise<Endpoint>
  /** The endpoint `id`, or `NOT_FOUND`. */
  getEndpoint(ctx: RequestContext, id: string): Promise<Endpoint>
  /** One page of endpoints, filtered by service, region, interface and enabled state. */
  listEndpoints(ctx: RequestContext, filters?: EndpointFilters & ListQueryInput): Promise<Page<Endpoint>>
  /** Changes an endpoint. */
  updateEndpoint(ctx: RequestContext, id: string, patch: EndpointUpdate): Promise<Endpoint>
  /** Deletes an endpoint. */
  deleteEndpoint(ctx: RequestContext, id: string): Promise<void>
}

/** Maps a stored endpoint. */
export function toEndpoint(row: Selectable<EndpointsTable>): Endpoint {
  return {
    id: row.id,
    serviceId: row.service_id,
    regionId: row.region_id,
    interface: row.interface,
    url: row.url,
    enabled: Boolean(row.enabled),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

async function requireEndpoint(tx: Pick<Transaction, 'db'>, id: string) {
  const row = await tx.db.selectFrom('identity_endpoints').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('endpoint', id)
  return row
}

// An endpoint's service and region must exist; INVALID, since the caller named them in the body.
async function assertRefs(tx: Transaction, serviceId?: string, regionId?: string | null): Promise<void> {
  if (
    serviceId &&
    !(await tx.db.selectFrom('identity_services').select('id').where('id', '=', serviceId).executeTakeFirst())
  ) {
    throw new CloudError('INVALID', `Service ${serviceId} does not exist`)
  }
  if (
    regionId &&
    !(await tx.db.selectFrom('identity_regions').select('id').where('id', '=', regionId).executeTakeFirst())
  ) {
    throw new CloudError('INVALID', `Region ${regionId} does not exist`)
  }
}

/** Builds the {@link EndpointsApi}. */
export function endpointsApi(deps: IdentityDeps): EndpointsApi {
  const { store, policy, events } = deps
  return {
    async createEndpoint(ctx, input) {
      policy.enforce(ctx, 'identity:create_endpoint', {})
      const body = parseOrThrow(EndpointCreateSchema, input, 'endpoint')
      return store.transaction(async (tx) => {
        await assertRefs(tx, body.serviceId, body.regionId)
        const id = newHexId()
        const row = {
          ...newResourceColumns(id, nowIso(deps)),
          service_id: body.serviceId,
          region_id: body.regionId ?? null,
          interface: body.interface,
          url: body.url,
          enabled: bool(body.enabled, 1),
        }
        await tx.db.insertInto('identity_endpoints').values(row).execute()
        events.emitAfterCommit(tx, 'identity.endpoint.created', {
          id,
          serviceId: body.serviceId,
          requestId: ctx.requestId,
        })
        return toEndpoint(row)
      })
    },

    async getEndpoint(ctx, id) {
      policy.enforce(ctx, 'identity:get_endpoint', {})
      return toEndpoint(await requireEndpoint(store, id))
    },

    async listEndpoints(ctx, filters = {}) {
      policy.enforce(ctx, 'identity:list_endpoints', {})
      const f = parseOrThrow(EndpointFiltersSchema, filters, 'filters')
      let qb = store.db.selectFrom('identity_endpoints').selectAll()
      if (f.serviceId !== undefined) qb = qb.where('service_id', '=', f.serviceId)
      if (f.regionId !== undefined) qb = qb.where('region_id', '=', f.regionId)
      if (f.interface !== undefined) qb = qb.where('interface', '=', f.interface)
      if (f.enabled !== undefined) qb = qb.where('enabled', '=', f.enabled ? 1 : 0)
      const page = await paginate(qb, 'identity_endpoints', filters, {
        sortable: ['service_id', 'interface'],
      })
      return { ...page, items: page.items.map(toEndpoint) }
    },

    async updateEndpoint(ctx, id, patch) {
      policy.enforce(ctx, 'identity:update_endpoint', {})
      const body = parseOrThrow(EndpointUpdateSchema, patch, 'endpoint')
      return store.transaction(async (tx) => {
        const current = await requireEndpoint(tx, id)
        await assertRefs(tx, body.serviceId, body.regionId)
        const changes = {
          ...(body.serviceId !== undefined && { service_id: body.serviceId }),
          ...(body.regionId !== undefined && { region_id: body.regionId }),
          ...(body.interface !== undefined && { interface: body.interface }),
          ...(body.url !== undefined && { url: body.url }),
          ...(body.enabled !== undefined && { enabled: bool(body.enabled, 1) }),
        }
        const row = await casUpdate(tx, 'identity_endpoints', id, current.revision, changes, {
          type: 'endpoint',
          now: nowIso(deps),
        })
        events.emitAfterCommit(tx, 'identity.endpoint.updated', {
          id,
          serviceId: row.service_id,
          requestId: ctx.requestId,
        })
        return toEndpoint(row)
      })
    },

    async deleteEndpoint(ctx, id) {
      policy.enforce(ctx, 'identity:delete_endpoint', {})
      await store.transaction(async (tx) => {
        const current = await requireEndpoint(tx, id)
        await tx.db.deleteFrom('identity_endpoints').where('id', '=', id).execute()
        events.emitAfterCommit(tx, 'identity.endpoint.deleted', {
          id,
          serviceId: current.service_id,
          requestId: ctx.requestId,
        })
      })
    },
  }
}
