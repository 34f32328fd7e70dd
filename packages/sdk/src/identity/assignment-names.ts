import type { Db } from '../store/types.js'
import { chunks } from './common.js'
import type { NamedRef, RoleAssignment } from './role-schemas.js'
import { GLOBAL } from './role-tables.js'

type Named = { id: string; name: string; domain_id?: string }
type NamedTable = 'identity_roles' | 'identity_users' | 'identity_groups' | 'identity_projects'

/**
 * Fills in names, as Keystone's `include_names`: the name of every role, actor and target, and the id and name
 * of the domain each lives in. A handful of queries whatever the number of assignments.
 */
export async function addNames(db: Db, assignments: RoleAssignment[]): Promise<RoleAssignment[]> {
  const roles = await byId(
    db,
    'identity_roles',
    assignments.map((a) => a.role.id),
  )
  const users = await byId(
    db,
    'identity_users',
    assignments.flatMap((a) => (a.user ? [a.user.id] : [])),
  )
  const groups = await byId(
    db,
    'identity_groups',
    assignments.flatMap((a) => (a.group ? [a.group.id] : [])),
  )
  const projects = await byId(
    db,
    'identity_projects',
    assignments.flatMap((a) => ('project' in a.scope ? [a.scope.project.id] : [])),
  )
  const domainIds = [
    ...[...roles.values(), ...users.values(), ...groups.values(), ...projects.values()].flatMap((row) =>
      row.domain_id && row.domain_id !== GLOBAL ? [row.domain_id] : [],
    ),
    ...assignments.flatMap((a) => ('domain' in a.scope ? [a.scope.domain.id] : [])),
  ]
  const domains = await domainNames(db, domainIds)

  const named = (ref: NamedRef, row: Named | undefined): NamedRef => {
    if (!row) return ref
    const domainId = row.domain_id && row.domain_id !== GLOBAL ? row.domain_id : undefined
    return {
      id: ref.id,
      name: row.name,
      ...(domainId && { domainId, domainName: domains.get(domainId) }),
    }
  }
  return assignments.map((a) => ({
    ...a,
    role: named(a.role, roles.get(a.role.id)),
    ...(a.user && { user: named(a.user, users.get(a.user.id)) }),
    ...(a.group && { group: named(a.group, groups.get(a.group.id)) }),
    scope:
      'project' in a.scope
        ? { project: named(a.scope.project, projects.get(a.scope.project.id)) }
        : 'domain' in a.scope
          ? { domain: { id: a.scope.domain.id, name: domains.get(a.scope.domain.id) } }
          : a.scope,
  }))
}

async function byId(db: Db, table: NamedTable, ids: string[]): Promise<Map<string, Named>> {
  const out = new Map<string, Named>()
  for (const part of chunks([...new Set(ids)])) {
    if (part.length === 0) continue
    const rows = await db
      .selectFrom(table)
      .select(['id', 'name', 'domain_id'])
      .where('id', 'in', part)
      .execute()
    for (const row of rows) out.set(row.id, row)
  }
  return out
}

async function domainNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const part of chunks([...new Set(ids)])) {
    if (part.length === 0) continue
    const rows = await db
      .selectFrom('identity_domains')
      .select(['id', 'name'])
      .where('id', 'in', part)
      .execute()
    for (const row of rows) out.set(row.id, row.name)
  }
  return out
}
