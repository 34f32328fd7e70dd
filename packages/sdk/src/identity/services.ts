import type { Selectable } from 'kysely'
import type { RequestContext } from '../core/context.js'
import { parseOrThrow } from '../core/errors.js'
import { type ListQueryInput, type Page, paginate } from '../core/pagination.js'
import { casUpdate, newResourceColumns } from '../store/cas.js'
import type { Transaction } from '../store/types.js'
import {
  type Service,
  type ServiceCreate,
  ServiceCreateSchema,
  type ServiceFilters,
  ServiceFiltersSchema,
  type ServiceUpdate,
  ServiceUpdateSchema,
} from './catalog-schemas.js'
import type { ServicesTable } from './catalog-tables.js'
import { newHexId, notFound, nowIso } from './common.js'
import type { IdentityDeps } from './deps.js'
import './events.js'

/** Services of the catalog (`compute`, `network` …). */
export interface ServicesApi {
  /** Creates a service. */
  createService(ctx: RequestContext, input: ServiceCreate): Promise<Service>
  /** The service `id`, or `NOT_FOUND`. */
  getService(ctx: RequestContext, id: string): Promise<Service>
  /** One page of services, filtered by type and name. */
  listServices(ctx: RequestContext, filters?: ServiceFilters & ListQueryInput): Promise<Page<Service>>
  /** Changes a service. */
  updateService(ctx: RequestContext, id: string, patch: ServiceUpdate): Promise<Service>
  /** Deletes a service with its endpoints. */
  deleteService(ctx: RequestContext, id: string): Promise<void>
}

/** A boolean column's value: `fallback` when the caller said nothing. */
export const bool = (value: boolean | undefined, fallback: 1 | 0) =>
  value === undefined ? fallback : value ? 1 : 0

/** Maps a stored service. */
export function toService(row: Selectable<ServicesTable>): Service {
  const { id, type, name, description, created_at, updated_at } = row
  return {
    id,
    type,
    name,
    description,
    enabled: Boolean(row.enabled),
    createdAt: created_at,
    updatedAt: updated_at,
  }
}

/** Reads a service, or throws `NOT_FOUND`. */
export async function requireService(tx: Pick<Transaction, 'db'>, id: string) {
  const row = await tx.db.selectFrom('identity_services').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('service', id)
  return row
}

/** Builds the {@link ServicesApi}. */
export function servicesApi(deps: IdentityDeps): ServicesApi {
  const { store, policy, events } = deps
  return {
    async createService(ctx, input) {
      policy.enforce(ctx, 'identity:create_service', {})
      const body = parseOrThrow(ServiceCreateSchema, input, 'service')
      return store.transaction(async (tx) => {
        const id = newHexId()
        const row = {
          ...newResourceColumns(id, nowIso(deps)),
          type: body.type,
          name: body.name ?? '',
          description: body.description ?? '',
          enabled: bool(body.enabled, 1),
        }
        await tx.db.insertInto('identity_services').values(row).execute()
        events.emitAfterCommit(tx, 'identity.service.created', {
          id,
          type: row.type,
          requestId: ctx.requestId,
        })
        return toService(row)
      })
    },

    async getService(ctx, id) {
      policy.enforce(ctx, 'identity:get_service', {})
      return toService(await requireService(store, id))
    },

    async listServices(ctx, filters = {}) {
      policy.enforce(ctx, 'identity:list_services', {})
      const f = parseOrThrow(ServiceFiltersSchema, filters, 'filters')
      let qb = store.db.selectFrom('identity_services').selectAll()
      if (f.type !== undefined) qb = qb.where('type', '=', f.type)
      if (f.name !== undefined) qb = qb.where('name', '=', f.name)
      const page = await paginate(qb, 'identity_services', filters, { sortable: ['type', 'name'] })
      return { ...page, items: page.items.map(toService) }
    },

    async updateService(ctx, id, patch) {
      policy.enforce(ctx, 'identity:update_service', {})
      const body = parseOrThrow(ServiceUpdateSchema, patch, 'service')
      return store.transaction(async (tx) => {
        const current = await requireService(tx, id)
        const { enabled, ...rest } = body
        const changes = { ...rest, ...(enabled !== undefined && { enabled: bool(enabled, 1) }) }
        const row = await casUpdate(tx, 'identity_services', id, current.revision, changes, {
          type: 'service',
          now: nowIso(deps),
        })
        events.emitAfterCommit(tx, 'identity.service.updated', {
          id,
          type: row.type,
          requestId: ctx.requestId,
        })
        return toService(row)
      })
    },

    async deleteService(ctx, id) {
      policy.enforce(ctx, 'identity:delete_service', {})
      await store.transaction(async (tx) => {
        const current = await requireService(tx, id)
        await tx.db.deleteFrom('identity_endpoints').where('service_id', '=', id).execute()
        await tx.db.deleteFrom('identity_services').where('id', '=', id).execute()
        events.emitAfterCommit(tx, 'identity.service.deleted', {
          id,
          type: current.type,
          requestId: ctx.requestId,
        })
      })
    },
  }
}
