import type { Selectable } from 'kysely'
import type { RequestContext } from '../core/context.js'
import { CloudError, parseOrThrow } from '../core/errors.js'
import { type ListQueryInput, type Page, paginate } from '../core/pagination.js'
import { casUpdate, newResourceColumns } from '../store/cas.js'
import type { Transaction } from '../store/types.js'
import { deleteRoleDependents, holdersOf } from './cascade.js'
import { duplicate, jsonObject, newHexId, notFound, nowIso } from './common.js'
import type { IdentityDeps } from './deps.js'
import { requireDomain } from './domains.js'
import './events.js'
import { type ImpliedRolesApi, impliedRolesApi } from './implied-roles.js'
import {
  type Role,
  type RoleCreate,
  RoleCreateSchema,
  type RoleFilters,
  RoleFiltersSchema,
  type RoleUpdate,
  RoleUpdateSchema,
} from './role-schemas.js'
import { GLOBAL, type RolesTable } from './role-tables.js'

/** Roles, global or domain-specific, and the implication rules between them. */
export interface RolesApi extends ImpliedRolesApi {
  /** Creates a role; names are unique among global roles, and within a domain for domain roles. */
  createRole(ctx: RequestContext, input: RoleCreate): Promise<Role>
  /** The role `id`, or `NOT_FOUND`. */
  getRole(ctx: RequestContext, id: string): Promise<Role>
  /** One page of global roles, or of one domain's roles with `domainId`. */
  listRoles(ctx: RequestContext, filters?: RoleFilters & ListQueryInput): Promise<Page<Role>>
  /** Changes a role's name, description or options; an immutable role cannot change (`FORBIDDEN`). */
  updateRole(ctx: RequestContext, id: string, patch: RoleUpdate): Promise<Role>
  /** Deletes a role with its grants and implication rules, revoking the tokens of those who held it. */
  deleteRole(ctx: RequestContext, id: string): Promise<void>
}

/** Maps a stored role to its public form: global roles show `domainId: null`. */
export function toRole(row: Selectable<RolesTable>): Role {
  return {
    id: row.id,
    name: row.name,
    domainId: row.domain_id === GLOBAL ? null : row.domain_id,
    description: row.description,
    options: jsonObject(row.options),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** Reads a role, or throws `NOT_FOUND`. */
export async function requireRole(tx: Pick<Transaction, 'db'>, id: string): Promise<Selectable<RolesTable>> {
  const row = await tx.db.selectFrom('identity_roles').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('role', id)
  return row
}

// Keystone names domain roles' actions apart (`identity:create_domain_role`) so operators can delegate them.
const action = (verb: string, domainId: string) =>
  domainId === GLOBAL ? `identity:${verb}_role` : `identity:${verb}_domain_role`

async function assertNameFree(tx: Transaction, domainId: string, name: string): Promise<void> {
  const taken = await tx.db
    .selectFrom('identity_roles')
    .select('id')
    .where('domain_id', '=', domainId)
    .where('name', '=', name)
    .executeTakeFirst()
  if (taken) throw duplicate('role', name)
}

/** Builds the {@link RolesApi}. */
export function rolesApi(deps: IdentityDeps): RolesApi {
  const { store, policy, events } = deps
  const readable = async (ctx: RequestContext, id: string) => {
    const row = await requireRole(store, id)
    policy.enforce(ctx, action('get', row.domain_id), { role_id: id, domain_id: row.domain_id || undefined })
    return row
  }

  return {
    ...impliedRolesApi(deps),

    async createRole(ctx, input) {
      const body = parseOrThrow(RoleCreateSchema, input, 'role')
      const domainId = body.domainId ?? GLOBAL
      policy.enforce(ctx, action('create', domainId), { domain_id: body.domainId ?? undefined })
      return store.transaction(async (tx) => {
        if (domainId !== GLOBAL) await requireDomain(tx, domainId)
        await assertNameFree(tx, domainId, body.name)
        const id = newHexId()
        const row = {
          ...newResourceColumns(id, nowIso(deps)),
          name: body.name,
          domain_id: domainId,
          description: body.description ?? '',
          options: JSON.stringify(body.options ?? {}),
        }
        await tx.db.insertInto('identity_roles').values(row).execute()
        const data = { id, domainId: body.domainId ?? null, requestId: ctx.requestId }
        events.emitAfterCommit(tx, 'identity.role.created', data)
        return toRole(row)
      })
    },

    async getRole(ctx, id) {
      return toRole(await readable(ctx, id))
    },

    async listRoles(ctx, filters = {}) {
      const f = parseOrThrow(RoleFiltersSchema, filters, 'filters')
      const domainId = f.domainId ?? GLOBAL
      const list = domainId === GLOBAL ? 'identity:list_roles' : 'identity:list_domain_roles'
      policy.enforce(ctx, list, { domain_id: f.domainId })
      let qb = store.db.selectFrom('identity_roles').selectAll().where('domain_id', '=', domainId)
      if (f.name !== undefined) qb = qb.where('name', '=', f.name)
      const page = await paginate(qb, 'identity_roles', filters, { sortable: ['name'] })
      return { ...page, items: page.items.map(toRole) }
    },

    async updateRole(ctx, id, patch) {
      const body = parseOrThrow(RoleUpdateSchema, patch, 'role')
      return store.transaction(async (tx) => {
        const current = await requireRole(tx, id)
        policy.enforce(ctx, action('update', current.domain_id), {
          role_id: id,
          domain_id: current.domain_id || undefined,
        })
        const options = { ...jsonObject(current.options), ...body.options }
        // Only lifting the immutable flag itself is allowed on an immutable role, as in Keystone.
        if (jsonObject(current.options).immutable === true && options.immutable !== false) {
          throw new CloudError('FORBIDDEN', `Role ${id} is immutable.`, { resource: { type: 'role', id } })
        }
        if (body.name !== undefined && body.name !== current.name) {
          await assertNameFree(tx, current.domain_id, body.name)
        }
        const row = await casUpdate(
          tx,
          'identity_roles',
          id,
          current.revision,
          {
            ...(body.name !== undefined && { name: body.name }),
            ...(body.description !== undefined && { description: body.description }),
            ...(body.options !== undefined && { options: JSON.stringify(options) }),
          },
          { type: 'role', now: nowIso(deps) },
        )
        const data = { id, domainId: toRole(row).domainId, requestId: ctx.requestId }
        events.emitAfterCommit(tx, 'identity.role.updated', data)
        return toRole(row)
      })
    },

    async deleteRole(ctx, id) {
      await store.transaction(async (tx) => {
        const current = await requireRole(tx, id)
        policy.enforce(ctx, action('delete', current.domain_id), {
          role_id: id,
          domain_id: current.domain_id || undefined,
        })
        if (jsonObject(current.options).immutable === true) {
          throw new CloudError('FORBIDDEN', `Role ${id} is immutable.`, { resource: { type: 'role', id } })
        }
        for (const userId of await holdersOf(tx, [id])) await deps.revoke(tx, { userId, roleId: id })
        await deleteRoleDependents(tx, [id])
        await tx.db.deleteFrom('identity_roles').where('id', '=', id).execute()
        const data = { id, domainId: toRole(current).domainId, requestId: ctx.requestId }
        events.emitAfterCommit(tx, 'identity.role.deleted', data)
      })
    },
  }
}
