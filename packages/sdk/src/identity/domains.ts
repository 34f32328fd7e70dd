import type { Selectable } from 'kysely'
import type { RequestContext } from '../core/context.js'
import { CloudError, parseOrThrow } from '../core/errors.js'
import { type ListQueryInput, type Page, paginate } from '../core/pagination.js'
import { casUpdate, newResourceColumns } from '../store/cas.js'
import type { Transaction } from '../store/types.js'
import {
  deleteGroupDependents,
  deleteProjectDependents,
  deleteRoleDependents,
  deleteUserDependents,
} from './cascade.js'
import { duplicate, jsonObject, newHexId, notFound, nowIso } from './common.js'
import type { IdentityDeps } from './deps.js'
import './events.js'
import {
  type Domain,
  type DomainCreate,
  DomainCreateSchema,
  type DomainFilters,
  DomainFiltersSchema,
  type DomainUpdate,
  DomainUpdateSchema,
} from './schemas.js'
import type { DomainsTable } from './tables.js'

/** The domain every cloud has, where users and projects go when no domain is named (Keystone's `default`). */
export const DEFAULT_DOMAIN_ID = 'default'

/** Domains: the namespaces of projects, users, groups and domain-specific roles. */
export interface DomainsApi {
  /** Creates a domain. Names are unique across the cloud (`CONFLICT`). */
  createDomain(ctx: RequestContext, input: DomainCreate): Promise<Domain>
  /** The domain `id`, or `NOT_FOUND`. */
  getDomain(ctx: RequestContext, id: string): Promise<Domain>
  /** One page of domains, filtered by name and enabled state. */
  listDomains(ctx: RequestContext, filters?: DomainFilters & ListQueryInput): Promise<Page<Domain>>
  /** Changes a domain; disabling it revokes the tokens of its users and projects. */
  updateDomain(ctx: RequestContext, id: string, patch: DomainUpdate): Promise<Domain>
  /**
   * Deletes a disabled domain with everything in it: projects, users, groups, domain roles and their grants.
   * An enabled domain, and the default domain, cannot be deleted (`FORBIDDEN`, as in Keystone).
   */
  deleteDomain(ctx: RequestContext, id: string): Promise<void>
}

/** Maps a stored domain to its public form. */
export function toDomain(row: Selectable<DomainsTable>): Domain {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    enabled: Boolean(row.enabled),
    options: jsonObject(row.options),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** Reads a domain in `tx`, or throws `NOT_FOUND`. */
export async function requireDomain(
  tx: Pick<Transaction, 'db'>,
  id: string,
): Promise<Selectable<DomainsTable>> {
  const row = await tx.db.selectFrom('identity_domains').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('domain', id)
  return row
}

async function assertNameFree(tx: Transaction, name: string, except?: string): Promise<void> {
  let qb = tx.db.selectFrom('identity_domains').select('id').where('name', '=', name)
  if (except) qb = qb.where('id', '<>', except)
  if (await qb.executeTakeFirst()) throw duplicate('domain', name)
}

/** Builds the {@link DomainsApi}. */
export function domainsApi(deps: IdentityDeps): DomainsApi {
  const { store, policy, events } = deps
  return {
    async createDomain(ctx, input) {
      policy.enforce(ctx, 'identity:create_domain', {})
      const body = parseOrThrow(DomainCreateSchema, input, 'domain')
      return store.transaction(async (tx) => {
        await assertNameFree(tx, body.name)
        const id = body.id ?? newHexId()
        if (await tx.db.selectFrom('identity_domains').select('id').where('id', '=', id).executeTakeFirst()) {
          throw duplicate('domain', id)
        }
        const row = {
          ...newResourceColumns(id, nowIso(deps)),
          name: body.name,
          description: body.description ?? '',
          enabled: body.enabled === false ? 0 : 1,
          options: JSON.stringify(body.options ?? {}),
        }
        await tx.db.insertInto('identity_domains').values(row).execute()
        events.emitAfterCommit(tx, 'identity.domain.created', { id, requestId: ctx.requestId })
        return toDomain(row)
      })
    },

    async getDomain(ctx, id) {
      policy.enforce(ctx, 'identity:get_domain', { domain_id: id })
      return toDomain(await requireDomain(store, id))
    },

    async listDomains(ctx, filters = {}) {
      policy.enforce(ctx, 'identity:list_domains', {})
      const f = parseOrThrow(DomainFiltersSchema, filters, 'filters')
      let qb = store.db.selectFrom('identity_domains').selectAll()
      if (f.name !== undefined) qb = qb.where('name', '=', f.name)
      if (f.enabled !== undefined) qb = qb.where('enabled', '=', f.enabled ? 1 : 0)
      const page = await paginate(qb, 'identity_domains', filters, { sortable: ['name', 'enabled'] })
      return { ...page, items: page.items.map(toDomain) }
    },

    async updateDomain(ctx, id, patch) {
      policy.enforce(ctx, 'identity:update_domain', { domain_id: id })
      const body = parseOrThrow(DomainUpdateSchema, patch, 'domain')
      return store.transaction(async (tx) => {
        const current = await requireDomain(tx, id)
        if (body.name !== undefined) await assertNameFree(tx, body.name, id)
        const row = await casUpdate(
          tx,
          'identity_domains',
          id,
          current.revision,
          {
            ...(body.name !== undefined && { name: body.name }),
            ...(body.description !== undefined && { description: body.description }),
            ...(body.enabled !== undefined && { enabled: body.enabled ? 1 : 0 }),
            ...(body.options !== undefined && { options: JSON.stringify(body.options) }),
          },
          { type: 'domain', now: nowIso(deps) },
        )
        if (current.enabled && !row.enabled) await deps.revoke(tx, { domainId: id })
        events.emitAfterCommit(tx, 'identity.domain.updated', { id, requestId: ctx.requestId })
        return toDomain(row)
      })
    },

    async deleteDomain(ctx, id) {
      policy.enforce(ctx, 'identity:delete_domain', { domain_id: id })
      await store.transaction(async (tx) => {
        const current = await requireDomain(tx, id)
        if (id === DEFAULT_DOMAIN_ID)
          throw new CloudError('FORBIDDEN', 'The default domain cannot be deleted.')
        if (current.enabled) {
          throw new CloudError(
            'FORBIDDEN',
            `Cannot delete a domain that is enabled, please disable it first.`,
            {
              resource: { type: 'domain', id },
            },
          )
        }
        await deleteDomainContents(tx, id)
        await tx.db.deleteFrom('identity_domains').where('id', '=', id).execute()
        await deps.revoke(tx, { domainId: id })
        events.emitAfterCommit(tx, 'identity.domain.deleted', { id, requestId: ctx.requestId })
      })
    },
  }
}

// Everything a domain owns, and everything that names those things; grants on the domain itself too.
async function deleteDomainContents(tx: Transaction, domainId: string): Promise<void> {
  const ids = async (table: 'identity_projects' | 'identity_users' | 'identity_groups' | 'identity_roles') =>
    (await tx.db.selectFrom(table).select('id').where('domain_id', '=', domainId).execute()).map((r) => r.id)
  const [projects, users, groups, roles] = [
    await ids('identity_projects'),
    await ids('identity_users'),
    await ids('identity_groups'),
    await ids('identity_roles'),
  ]
  await deleteProjectDependents(tx, projects)
  await deleteUserDependents(tx, users)
  await deleteGroupDependents(tx, groups)
  await deleteRoleDependents(tx, roles)
  await tx.db
    .deleteFrom('identity_assignments')
    .where('target_type', '=', 'domain')
    .where('target_id', '=', domainId)
    .execute()
  for (const table of ['identity_projects', 'identity_users', 'identity_groups', 'identity_roles'] as const) {
    await tx.db.deleteFrom(table).where('domain_id', '=', domainId).execute()
  }
}
