import type { Selectable } from 'kysely'
import type { RequestContext } from '../core/context.js'
import { CloudError, parseOrThrow } from '../core/errors.js'
import { type ListQueryInput, type Page, paginate } from '../core/pagination.js'
import { casUpdate, newResourceColumns } from '../store/cas.js'
import type { Transaction } from '../store/types.js'
import {
  type Region,
  type RegionCreate,
  RegionCreateSchema,
  type RegionUpdate,
  RegionUpdateSchema,
} from './catalog-schemas.js'
import type { RegionsTable } from './catalog-tables.js'
import { duplicate, newHexId, notFound, nowIso } from './common.js'
import type { IdentityDeps } from './deps.js'
import './events.js'

/** Regions of the catalog. */
export interface RegionsApi {
  /** Creates a region, under `parentRegionId` when given; the id may be chosen (`RegionOne`). */
  createRegion(ctx: RequestContext, input: RegionCreate): Promise<Region>
  /** The region `id`, or `NOT_FOUND`. */
  getRegion(ctx: RequestContext, id: string): Promise<Region>
  /** One page of regions, optionally only the children of `parentRegionId`. */
  listRegions(
    ctx: RequestContext,
    filters?: { parentRegionId?: string } & ListQueryInput,
  ): Promise<Page<Region>>
  /** Changes a region; a parent that would make a cycle is refused (`INVALID`). */
  updateRegion(ctx: RequestContext, id: string, patch: RegionUpdate): Promise<Region>
  /** Deletes a region with no child regions and no endpoints (`CONFLICT` otherwise). */
  deleteRegion(ctx: RequestContext, id: string): Promise<void>
}

/** Maps a stored region. */
export function toRegion(row: Selectable<RegionsTable>): Region {
  const { id, description, parent_region_id, created_at, updated_at } = row
  return { id, description, parentRegionId: parent_region_id, createdAt: created_at, updatedAt: updated_at }
}

async function requireRegion(tx: Pick<Transaction, 'db'>, id: string): Promise<Selectable<RegionsTable>> {
  const row = await tx.db.selectFrom('identity_regions').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('region', id)
  return row
}

// The parent must exist, and walking up from it must never come back to `id`.
async function assertParent(tx: Transaction, id: string, parentId: string): Promise<void> {
  const seen = new Set<string>()
  for (let at: string | null = parentId; at !== null; ) {
    if (at === id || seen.has(at))
      throw new CloudError('INVALID', `Region ${parentId} cannot be the parent of ${id}`)
    seen.add(at)
    at = (
      await requireRegion(tx, at).catch(() => {
        throw new CloudError('INVALID', `Parent region ${at} does not exist`)
      })
    ).parent_region_id
  }
}

/** Builds the {@link RegionsApi}. */
export function regionsApi(deps: IdentityDeps): RegionsApi {
  const { store, policy, events } = deps
  return {
    async createRegion(ctx, input) {
      policy.enforce(ctx, 'identity:create_region', {})
      const body = parseOrThrow(RegionCreateSchema, input, 'region')
      return store.transaction(async (tx) => {
        const id = body.id ?? newHexId()
        if (await tx.db.selectFrom('identity_regions').select('id').where('id', '=', id).executeTakeFirst()) {
          throw duplicate('region', id)
        }
        if (body.parentRegionId) await assertParent(tx, id, body.parentRegionId)
        const row = {
          ...newResourceColumns(id, nowIso(deps)),
          description: body.description ?? '',
          parent_region_id: body.parentRegionId ?? null,
        }
        await tx.db.insertInto('identity_regions').values(row).execute()
        events.emitAfterCommit(tx, 'identity.region.created', { id, requestId: ctx.requestId })
        return toRegion(row)
      })
    },

    async getRegion(ctx, id) {
      policy.enforce(ctx, 'identity:get_region', {})
      return toRegion(await requireRegion(store, id))
    },

    async listRegions(ctx, filters = {}) {
      policy.enforce(ctx, 'identity:list_regions', {})
      let qb = store.db.selectFrom('identity_regions').selectAll()
      if (filters.parentRegionId !== undefined) qb = qb.where('parent_region_id', '=', filters.parentRegionId)
      const page = await paginate(qb, 'identity_regions', filters, { sortable: [] })
      return { ...page, items: page.items.map(toRegion) }
    },

    async updateRegion(ctx, id, patch) {
      policy.enforce(ctx, 'identity:update_region', {})
      const body = parseOrThrow(RegionUpdateSchema, patch, 'region')
      return store.transaction(async (tx) => {
        const current = await requireRegion(tx, id)
        if (body.parentRegionId) await assertParent(tx, id, body.parentRegionId)
        const row = await casUpdate(
          tx,
          'identity_regions',
          id,
          current.revision,
          {
            ...(body.description !== undefined && { description: body.description }),
            ...(body.parentRegionId !== undefined && { parent_region_id: body.parentRegionId }),
          },
          { type: 'region', now: nowIso(deps) },
        )
        events.emitAfterCommit(tx, 'identity.region.updated', { id, requestId: ctx.requestId })
        return toRegion(row)
      })
    },

    async deleteRegion(ctx, id) {
      policy.enforce(ctx, 'identity:delete_region', {})
      await store.transaction(async (tx) => {
        await requireRegion(tx, id)
        const child = await tx.db
          .selectFrom('identity_regions')
          .select('id')
          .where('parent_region_id', '=', id)
          .executeTakeFirst()
        const endpoint = await tx.db
          .selectFrom('identity_endpoints')
          .select('id')
          .where('region_id', '=', id)
          .executeTakeFirst()
        if (child || endpoint) {
          const what = child ? 'child regions' : 'endpoints'
          throw new CloudError('CONFLICT', `Region ${id} still has ${what}`, {
            resource: { type: 'region', id },
          })
        }
        await tx.db.deleteFrom('identity_regions').where('id', '=', id).execute()
        events.emitAfterCommit(tx, 'identity.region.deleted', { id, requestId: ctx.requestId })
      })
    },
  }
}
