import type { Selectable } from 'kysely'
import type { RequestContext } from '../core/context.js'
import { parseOrThrow } from '../core/errors.js'
import { type ListQueryInput, type Page, paginate } from '../core/pagination.js'
import { casUpdate, newResourceColumns } from '../store/cas.js'
import type { Transaction } from '../store/types.js'
import { deleteUserDependents } from './cascade.js'
import { duplicate, jsonObject, listDomainScope, newHexId, notFound, nowIso } from './common.js'
import type { IdentityDeps } from './deps.js'
import { DEFAULT_DOMAIN_ID, requireDomain } from './domains.js'
import './events.js'
import {
  type User,
  type UserCreate,
  UserCreateSchema,
  type UserFilters,
  UserFiltersSchema,
  type UserOptions,
  type UserUpdate,
  UserUpdateSchema,
} from './schemas.js'
import type { UsersTable } from './tables.js'
import { passwordColumns, recordPassword } from './user-passwords.js'

/** Users. Password changes by the user themselves go through authentication, not through this API. */
export interface UsersApi {
  /** Creates a user, hashing `password` when given. Names are unique within the domain (`CONFLICT`). */
  createUser(ctx: RequestContext, input: UserCreate): Promise<User>
  /** The user `id`, or `NOT_FOUND`. */
  getUser(ctx: RequestContext, id: string): Promise<User>
  /** One page of users, filtered by domain, name and enabled state. */
  listUsers(ctx: RequestContext, filters?: UserFilters & ListQueryInput): Promise<Page<User>>
  /**
   * Changes a user as an administrator. Setting `password` replaces it (recorded in the history) and, like
   * disabling the user, revokes their tokens.
   */
  updateUser(ctx: RequestContext, id: string, patch: UserUpdate): Promise<User>
  /** Deletes a user with their memberships, grants, password history and credentials; revokes their tokens. */
  deleteUser(ctx: RequestContext, id: string): Promise<void>
}

/** Maps a stored user to its public form; the password hash stays behind. */
export function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    name: row.name,
    domainId: row.domain_id,
    enabled: Boolean(row.enabled),
    ...(row.default_project_id !== null && { defaultProjectId: row.default_project_id }),
    ...(row.description !== null && { description: row.description }),
    ...(row.email !== null && { email: row.email }),
    options: jsonObject(row.options) as UserOptions,
    passwordExpiresAt: row.password_expires_at,
    extra: jsonObject(row.extra),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** Reads a user, or throws `NOT_FOUND`. */
export async function requireUser(tx: Pick<Transaction, 'db'>, id: string): Promise<Selectable<UsersTable>> {
  const row = await tx.db.selectFrom('identity_users').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('user', id)
  return row
}

async function assertNameFree(tx: Transaction, domainId: string, name: string): Promise<void> {
  const taken = await tx.db
    .selectFrom('identity_users')
    .select('id')
    .where('domain_id', '=', domainId)
    .where('name', '=', name)
    .executeTakeFirst()
  if (taken) throw duplicate('user', name)
}

/** Builds the {@link UsersApi}. */
export function usersApi(deps: IdentityDeps): UsersApi {
  const { store, policy, events } = deps
  const target = (row: { id: string; domain_id: string }) => ({ user_id: row.id, domain_id: row.domain_id })

  return {
    async createUser(ctx, input) {
      const body = parseOrThrow(UserCreateSchema, input, 'user')
      const domainId = body.domainId ?? ctx.domainId ?? DEFAULT_DOMAIN_ID
      policy.enforce(ctx, 'identity:create_user', { domain_id: domainId })
      const options = body.options ?? {}
      // Hashing is slow on purpose; doing it before the transaction keeps the write lock short.
      const hash = body.password ? await deps.passwords.hash(body.password) : null
      return store.transaction(async (tx) => {
        await requireDomain(tx, domainId)
        await assertNameFree(tx, domainId, body.name)
        const id = newHexId()
        const now = nowIso(deps)
        const row = {
          ...newResourceColumns(id, now),
          name: body.name,
          domain_id: domainId,
          enabled: body.enabled === false ? 0 : 1,
          default_project_id: body.defaultProjectId ?? null,
          description: body.description ?? null,
          email: body.email ?? null,
          extra: JSON.stringify(body.extra ?? {}),
          options: JSON.stringify(options),
          ...passwordColumns(deps, hash, options, now),
          last_active_at: null,
        }
        await tx.db.insertInto('identity_users').values(row).execute()
        if (hash) await recordPassword(deps, tx, id, hash, now)
        events.emitAfterCommit(tx, 'identity.user.created', { id, domainId, requestId: ctx.requestId })
        return toUser(row)
      })
    },

    async getUser(ctx, id) {
      const row = await requireUser(store, id)
      policy.enforce(ctx, 'identity:get_user', target(row))
      return toUser(row)
    },

    async listUsers(ctx, filters = {}) {
      const f = parseOrThrow(UserFiltersSchema, filters, 'filters')
      const domainId = listDomainScope(deps, ctx, 'identity:list_users', f.domainId)
      let qb = store.db.selectFrom('identity_users').selectAll()
      if (domainId !== undefined) qb = qb.where('domain_id', '=', domainId)
      if (f.name !== undefined) qb = qb.where('name', '=', f.name)
      if (f.enabled !== undefined) qb = qb.where('enabled', '=', f.enabled ? 1 : 0)
      const page = await paginate(qb, 'identity_users', filters, {
        sortable: ['name', 'domain_id', 'enabled'],
      })
      return { ...page, items: page.items.map(toUser) }
    },

    async updateUser(ctx, id, patch) {
      const body = parseOrThrow(UserUpdateSchema, patch, 'user')
      const hash = body.password ? await deps.passwords.hash(body.password) : null
      return store.transaction(async (tx) => {
        const current = await requireUser(tx, id)
        policy.enforce(ctx, 'identity:update_user', target(current))
        if (body.name !== undefined && body.name !== current.name) {
          await assertNameFree(tx, current.domain_id, body.name)
        }
        const now = nowIso(deps)
        // Options merge key by key, as Keystone's do; a null value would remove one, which zod already refused.
        const options = { ...(jsonObject(current.options) as UserOptions), ...body.options }
        const row = await casUpdate(
          tx,
          'identity_users',
          id,
          current.revision,
          {
            ...(body.name !== undefined && { name: body.name }),
            ...(body.enabled !== undefined && { enabled: body.enabled ? 1 : 0 }),
            ...(body.defaultProjectId !== undefined && { default_project_id: body.defaultProjectId }),
            ...(body.description !== undefined && { description: body.description }),
            ...(body.email !== undefined && { email: body.email }),
            ...(body.extra !== undefined && { extra: JSON.stringify(body.extra) }),
            ...(body.options !== undefined && { options: JSON.stringify(options) }),
            ...(body.password !== undefined && passwordColumns(deps, hash, options, now)),
          },
          { type: 'user', now },
        )
        if (hash) await recordPassword(deps, tx, id, hash, now)
        const disabled = current.enabled === 1 && row.enabled === 0
        if (disabled || body.password !== undefined) await deps.revoke(tx, { userId: id })
        events.emitAfterCommit(tx, 'identity.user.updated', {
          id,
          domainId: row.domain_id,
          requestId: ctx.requestId,
        })
        return toUser(row)
      })
    },

    async deleteUser(ctx, id) {
      await store.transaction(async (tx) => {
        const current = await requireUser(tx, id)
        policy.enforce(ctx, 'identity:delete_user', target(current))
        await deleteUserDependents(tx, [id])
        await tx.db.deleteFrom('identity_users').where('id', '=', id).execute()
        await deps.revoke(tx, { userId: id })
        events.emitAfterCommit(tx, 'identity.user.deleted', {
          id,
          domainId: current.domain_id,
          requestId: ctx.requestId,
        })
      })
    },
  }
}
