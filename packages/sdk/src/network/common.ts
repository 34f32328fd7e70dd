import { type SelectQueryBuilder, type SqlBool, sql } from 'kysely'
import type { RequestContext } from '../core/context.js'
import { CloudError } from '../core/errors.js'
import type { Db, Tables, Transaction } from '../store/types.js'
import type { NetworkResource } from './records.js'

// Helpers every Network module shares: who is admin, not-found errors in Neutron's words, tags, common filters.

/** Whether `ctx` sees every project's resources (an admin, or the host application's trusted context). */
export function isAdmin(ctx: RequestContext): boolean {
  return ctx.trusted || ctx.roles.includes('admin')
}

/** The project a new resource belongs to: the one named, or the caller's. `INVALID` when neither exists. */
export function resourceProject(ctx: RequestContext, requested: string | undefined): string {
  const project = requested ?? ctx.projectId
  if (project === undefined) {
    throw new CloudError('INVALID', 'project_id is required when the token has no project scope', {
      details: { path: 'projectId' },
    })
  }
  return project
}

const LABELS: Record<string, string> = {
  network: 'Network',
  subnet: 'Subnet',
  subnetpool: 'Subnet pool',
  port: 'Port',
  security_group: 'Security group',
  security_group_rule: 'Security group rule',
  router: 'Router',
  floatingip: 'Floating IP',
}

/** `NOT_FOUND` in Neutron's words: "Network <id> could not be found." */
export function notFound(type: string, id: string): CloudError {
  return new CloudError('NOT_FOUND', `${LABELS[type] ?? type} ${id} could not be found.`, {
    resource: { type, id },
  })
}

/** `CONFLICT` with a Neutron error type name in `details.type`, which the REST layer shows. */
export function conflict(type: string, message: string, extra: Record<string, unknown> = {}): CloudError {
  return new CloudError('CONFLICT', message, { details: { type, ...extra } })
}

/** `INVALID` naming the field at fault. */
export function invalidInput(message: string, path: string): CloudError {
  return new CloudError('INVALID', message, { details: { path } })
}

/** 0/1 → boolean. */
export const bool = (value: number | boolean): boolean => value === true || value === 1

/** JSON text → value, for the list columns. */
export const json = <T>(text: string): T => JSON.parse(text) as T

/** The row fields every Network resource shares. */
export interface ResourceRowFields {
  id: string
  project_id: string
  created_at: string
  updated_at: string
  revision: number
}

/** The fields every Network record has (id, project, tags, timestamps, revision), from its row and its tags. */
export function resourceFields(row: ResourceRowFields, tags: string[]): NetworkResource {
  return {
    id: row.id,
    projectId: row.project_id,
    tags,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    revisionNumber: row.revision,
  }
}

/** The tags of many resources in one query. */
export async function loadTags(db: Db, ids: readonly string[]): Promise<Map<string, string[]>> {
  const tags = new Map<string, string[]>(ids.map((id) => [id, []]))
  if (ids.length === 0) return tags
  const rows = await db
    .selectFrom('net_tags')
    .select(['resource_id', 'tag'])
    .where('resource_id', 'in', ids)
    .orderBy('tag')
    .execute()
  for (const row of rows) tags.get(row.resource_id)?.push(row.tag)
  return tags
}

/** Replaces the tags of a resource. */
export async function writeTags(tx: Transaction, id: string, tags: readonly string[]): Promise<void> {
  await tx.db.deleteFrom('net_tags').where('resource_id', '=', id).execute()
  const unique = [...new Set(tags)]
  if (unique.length > 0) {
    await tx.db
      .insertInto('net_tags')
      .values(unique.map((tag) => ({ resource_id: id, tag })))
      .execute()
  }
}

/** The filters every list shares (after parsing). */
export interface CommonFilters {
  id?: string | string[]
  name?: string | string[]
  projectId?: string | string[]
  tags?: string[]
  tagsAny?: string[]
  notTags?: string[]
  notTagsAny?: string[]
}

type NetTable = keyof Tables & `net_${string}`

/** `value` or any of `values`: Neutron's repeated query parameters. */
export const anyOf = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value])

/** Applies id, name, project and tag filters to a query over `table`. */
export function applyCommonFilters<T extends NetTable, O>(
  qb: SelectQueryBuilder<Tables, T, O>,
  table: T,
  filters: CommonFilters,
): SelectQueryBuilder<Tables, T, O> {
  // The table is known only at run time; the columns named here exist on every resource table.
  const ref = (column: string) => sql.ref(`${table}.${column}`)
  let out = qb
  if (filters.id !== undefined) out = out.where(ref('id'), 'in', anyOf(filters.id))
  if (filters.name !== undefined) out = out.where(ref('name'), 'in', anyOf(filters.name))
  if (filters.projectId !== undefined) out = out.where(ref('project_id'), 'in', anyOf(filters.projectId))
  // How many of `tags` the row has, as a scalar subquery compared below.
  const tagged = (tags: string[]) =>
    sql<number>`(select count(distinct net_tags.tag) from net_tags where net_tags.resource_id = ${ref('id')} and net_tags.tag in (${sql.join(tags)}))`
  if (filters.tags?.length) out = out.where(sql<SqlBool>`${tagged(filters.tags)} = ${filters.tags.length}`)
  if (filters.tagsAny?.length) out = out.where(sql<SqlBool>`${tagged(filters.tagsAny)} > 0`)
  if (filters.notTags?.length)
    out = out.where(sql<SqlBool>`${tagged(filters.notTags)} < ${filters.notTags.length}`)
  if (filters.notTagsAny?.length) out = out.where(sql<SqlBool>`${tagged(filters.notTagsAny)} = 0`)
  return out
}

/**
 * Narrows a query over one resource table to the rows `ctx` may see: every row for an admin; else its project's,
 * and those with one of `openFlags` set (the columns that open a resource to every project, e.g. `shared`).
 */
export function whereVisible<T extends NetTable, O>(
  qb: SelectQueryBuilder<Tables, T, O>,
  ctx: RequestContext,
  openFlags: readonly ('shared' | 'external')[] = [],
): SelectQueryBuilder<Tables, T, O> {
  if (isAdmin(ctx)) return qb
  // Unqualified columns, as the typed queries this replaces wrote them: the table is known only at run time.
  const project = ctx.projectId ?? ''
  if (openFlags.length === 0) return qb.where(sql.ref('project_id'), '=', project)
  return qb.where((eb) =>
    eb.or([eb(sql.ref('project_id'), '=', project), ...openFlags.map((flag) => eb(sql.ref(flag), '=', 1))]),
  )
}
