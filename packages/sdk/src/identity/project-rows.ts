import { type Selectable, sql } from 'kysely'
import type { Db, Transaction } from '../store/types.js'
import { chunks, jsonObject, notFound } from './common.js'
import type { Project } from './schemas.js'
import type { ProjectsTable } from './tables.js'

// Reading projects: rows with their tags, and the hierarchy through recursive queries (one round trip each,
// the same SQL on SQLite and PostgreSQL).

type Reader = Pick<Transaction, 'db'>

/** Reads a project, or throws `NOT_FOUND`. */
export async function requireProject(tx: Reader, id: string): Promise<Selectable<ProjectsTable>> {
  const row = await tx.db.selectFrom('identity_projects').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('project', id)
  return row
}

/** The tags of each project, in name order. */
export async function tagsOf(db: Db, projectIds: readonly string[]): Promise<Map<string, string[]>> {
  const tags = new Map<string, string[]>(projectIds.map((id) => [id, []]))
  for (const ids of chunks(projectIds)) {
    if (ids.length === 0) continue
    const rows = await db
      .selectFrom('identity_project_tags')
      .select(['project_id', 'name'])
      .where('project_id', 'in', ids)
      .orderBy('name')
      .execute()
    for (const row of rows) tags.get(row.project_id)?.push(row.name)
  }
  return tags
}

/** Maps stored projects to their public form, reading their tags in one query. */
export async function toProjects(db: Db, rows: readonly Selectable<ProjectsTable>[]): Promise<Project[]> {
  const tags = await tagsOf(
    db,
    rows.map((row) => row.id),
  )
  return rows.map((row) => toProject(row, tags.get(row.id) ?? []))
}

/** Maps one stored project; a top-level project shows its domain as parent, as Keystone does. */
export function toProject(row: Selectable<ProjectsTable>, tags: string[]): Project {
  return {
    id: row.id,
    name: row.name,
    domainId: row.domain_id,
    parentId: row.parent_id ?? row.domain_id,
    description: row.description,
    enabled: Boolean(row.enabled),
    isDomain: false,
    tags,
    options: jsonObject(row.options),
    extra: jsonObject(row.extra),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** Ids of the ancestors of project `id`, nearest first (its parent, then the parent's parent …). */
export async function ancestorIds(db: Db, id: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    with recursive up(id, parent_id, depth) as (
      select id, parent_id, 0 from identity_projects where id = ${id}
      union all
      select p.id, p.parent_id, up.depth + 1 from identity_projects p join up on p.id = up.parent_id
    )
    select id from up where depth > 0 order by depth`.execute(db)
  return rows.map((row) => row.id)
}

/** Ids of every project below project `id` (not `id` itself), parents before children. */
export async function subtreeIds(db: Db, id: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    with recursive down(id, depth) as (
      select id, 1 from identity_projects where parent_id = ${id}
      union all
      select p.id, down.depth + 1 from identity_projects p join down on p.parent_id = down.id
    )
    select id from down order by depth, id`.execute(db)
  return rows.map((row) => row.id)
}

/** Reads projects by id, in the order of `ids`. */
export async function projectsByIds(db: Db, ids: readonly string[]): Promise<Selectable<ProjectsTable>[]> {
  const byId = new Map<string, Selectable<ProjectsTable>>()
  for (const part of chunks(ids)) {
    if (part.length === 0) continue
    const rows = await db.selectFrom('identity_projects').selectAll().where('id', 'in', part).execute()
    for (const row of rows) byId.set(row.id, row)
  }
  return ids.flatMap((id) => byId.get(id) ?? [])
}
