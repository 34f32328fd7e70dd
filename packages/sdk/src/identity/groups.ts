import type { Selectable } from 'kysely'
import type { RequestContext } from '../core/context.js'
import { parseOrThrow } from '../core/errors.js'
import { type ListQueryInput, type Page, paginate } from '../core/pagination.js'
import { casUpdate, newResourceColumns } from '../store/cas.js'
import type { Transaction } from '../store/types.js'
import { deleteGroupDependents, membersOf } from './cascade.js'
import { duplicate, listDomainScope, newHexId, notFound, nowIso } from './common.js'
import type { IdentityDeps } from './deps.js'
import { DEFAULT_DOMAIN_ID, requireDomain } from './domains.js'
import './events.js'
import { type GroupMembersApi, groupMembersApi } from './group-members.js'
import {
  type Group,
  type GroupCreate,
  GroupCreateSchema,
  type GroupFilters,
  GroupFiltersSchema,
  type GroupUpdate,
  GroupUpdateSchema,
} from './schemas.js'
import type { GroupsTable } from './tables.js'

/** Groups, with their members (see {@link GroupMembersApi}). */
export interface GroupsApi extends GroupMembersApi {
  /** Creates a group. Names are unique within the domain (`CONFLICT`). */
  createGroup(ctx: RequestContext, input: GroupCreate): Promise<Group>
  /** The group `id`, or `NOT_FOUND`. */
  getGroup(ctx: RequestContext, id: string): Promise<Group>
  /** One page of groups, filtered by domain and name. */
  listGroups(ctx: RequestContext, filters?: GroupFilters & ListQueryInput): Promise<Page<Group>>
  /** Changes a group's name or description. */
  updateGroup(ctx: RequestContext, id: string, patch: GroupUpdate): Promise<Group>
  /** Deletes a group with its memberships and grants; its members' tokens are revoked. */
  deleteGroup(ctx: RequestContext, id: string): Promise<void>
}

/** Maps a stored group to its public form. */
export function toGroup(row: Selectable<GroupsTable>): Group {
  const { id, name, domain_id, description, created_at, updated_at } = row
  return { id, name, domainId: domain_id, description, createdAt: created_at, updatedAt: updated_at }
}

/** Reads a group, or throws `NOT_FOUND`. */
export async function requireGroup(
  tx: Pick<Transaction, 'db'>,
  id: string,
): Promise<Selectable<GroupsTable>> {
  const row = await tx.db.selectFrom('identity_groups').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('group', id)
  return row
}

async function assertNameFree(tx: Transaction, domainId: string, name: string): Promise<void> {
  const taken = await tx.db
    .selectFrom('identity_groups')
    .select('id')
    .where('domain_id', '=', domainId)
    .where('name', '=', name)
    .executeTakeFirst()
  if (taken) throw duplicate('group', name)
}

const target = (row: { id: string; domain_id: string }) => ({ group_id: row.id, domain_id: row.domain_id })

/** Builds the {@link GroupsApi}. */
export function groupsApi(deps: IdentityDeps): GroupsApi {
  const { store, policy, events } = deps

  return {
    ...groupMembersApi(deps),

    async createGroup(ctx, input) {
      const body = parseOrThrow(GroupCreateSchema, input, 'group')
      const domainId = body.domainId ?? ctx.domainId ?? DEFAULT_DOMAIN_ID
      policy.enforce(ctx, 'identity:create_group', { domain_id: domainId })
      return store.transaction(async (tx) => {
        await requireDomain(tx, domainId)
        await assertNameFree(tx, domainId, body.name)
        const id = newHexId()
        const row = {
          ...newResourceColumns(id, nowIso(deps)),
          name: body.name,
          domain_id: domainId,
          description: body.description ?? '',
        }
        await tx.db.insertInto('identity_groups').values(row).execute()
        events.emitAfterCommit(tx, 'identity.group.created', { id, domainId, requestId: ctx.requestId })
        return toGroup(row)
      })
    },

    async getGroup(ctx, id) {
      const row = await requireGroup(store, id)
      policy.enforce(ctx, 'identity:get_group', target(row))
      return toGroup(row)
    },

    async listGroups(ctx, filters = {}) {
      const f = parseOrThrow(GroupFiltersSchema, filters, 'filters')
      const domainId = listDomainScope(deps, ctx, 'identity:list_groups', f.domainId)
      let qb = store.db.selectFrom('identity_groups').selectAll()
      if (domainId !== undefined) qb = qb.where('domain_id', '=', domainId)
      if (f.name !== undefined) qb = qb.where('name', '=', f.name)
      const page = await paginate(qb, 'identity_groups', filters, { sortable: ['name', 'domain_id'] })
      return { ...page, items: page.items.map(toGroup) }
    },

    async updateGroup(ctx, id, patch) {
      const body = parseOrThrow(GroupUpdateSchema, patch, 'group')
      return store.transaction(async (tx) => {
        const current = await requireGroup(tx, id)
        policy.enforce(ctx, 'identity:update_group', target(current))
        if (body.name !== undefined && body.name !== current.name) {
          await assertNameFree(tx, current.domain_id, body.name)
        }
        const row = await casUpdate(
          tx,
          'identity_groups',
          id,
          current.revision,
          {
            ...(body.name !== undefined && { name: body.name }),
            ...(body.description !== undefined && { description: body.description }),
          },
          { type: 'group', now: nowIso(deps) },
        )
        events.emitAfterCommit(tx, 'identity.group.updated', {
          id,
          domainId: row.domain_id,
          requestId: ctx.requestId,
        })
        return toGroup(row)
      })
    },

    async deleteGroup(ctx, id) {
      await store.transaction(async (tx) => {
        const current = await requireGroup(tx, id)
        policy.enforce(ctx, 'identity:delete_group', target(current))
        // The members lose whatever the group gave them, so their tokens go too.
        for (const userId of await membersOf(tx, id)) await deps.revoke(tx, { userId })
        await deleteGroupDependents(tx, [id])
        await tx.db.deleteFrom('identity_groups').where('id', '=', id).execute()
        const domainId = current.domain_id
        events.emitAfterCommit(tx, 'identity.group.deleted', { id, domainId, requestId: ctx.requestId })
      })
    },
  }
}
