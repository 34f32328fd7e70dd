import { type RawBuilder, type SqlBool, sql } from 'kysely'
import type { Db } from '../store/types.js'

/** Where a token is scoped. */
export type RoleScope = { projectId: string } | { domainId: string } | { system: true }

/** A role as a token carries it. */
export interface EffectiveRole {
  id: string
  name: string
}

/**
 * The roles a user holds in a scope, as a token scoped there carries them: granted to the user or to one of
 * their groups, directly on the scope or inherited from the project's ancestors or its domain, and then every
 * role those imply. Domain-specific roles are left out (they only ever count through the global roles they
 * imply), as in Keystone. Sorted by name.
 *
 * Runs on every token validation that misses the cache, so it is one SQL statement: recursive CTEs walk the
 * project's ancestors and the implication rules in the database, on SQLite and PostgreSQL alike.
 */
export async function effectiveRoles(db: Db, userId: string, scope: RoleScope): Promise<EffectiveRole[]> {
  const granted = grantedIn(scope)
  const { rows } = await sql<EffectiveRole>`
    with recursive
      ${ancestorsCte(scope)},
      actors(kind, id) as (
        select cast('user' as text), cast(${userId} as text)
        union all
        select cast('group' as text), group_id from identity_group_members where user_id = ${userId}
      ),
      granted(role_id) as (
        select a.role_id from identity_assignments a
        join actors x on a.actor_type = x.kind and a.actor_id = x.id
        where ${granted}
      ),
      expanded(role_id) as (
        select role_id from granted
        union
        select i.implied_role_id from identity_implied_roles i join expanded e on i.prior_role_id = e.role_id
      )
    select r.id, r.name from identity_roles r
    where r.domain_id = '' and r.id in (select role_id from expanded)
    order by r.name, r.id`.execute(db)
  return rows
}

// The project and its ancestors with their depth (0 for the project). Only a project scope needs it; for the
// others it is an empty relation, which keeps the statement's shape the same.
function ancestorsCte(scope: RoleScope): RawBuilder<unknown> {
  const start = 'projectId' in scope ? scope.projectId : null
  return sql`ancestors(id, parent_id, domain_id, depth) as (
        select id, parent_id, domain_id, 0 from identity_projects where id = ${start}
        union all
        select p.id, p.parent_id, p.domain_id, a.depth + 1
        from identity_projects p join ancestors a on p.id = a.parent_id
      )`
}

// Which grants count in the scope. On a project: direct grants on it, inherited grants on its ancestors, and
// inherited grants on its domain. Inherited grants never count on the target they were made on.
function grantedIn(scope: RoleScope): RawBuilder<SqlBool> {
  if ('projectId' in scope) {
    return sql<SqlBool>`(
          (a.target_type = 'project' and a.target_id = ${scope.projectId} and a.inherited = 0)
          or (a.target_type = 'project' and a.inherited = 1
              and a.target_id in (select id from ancestors where depth > 0))
          or (a.target_type = 'domain' and a.inherited = 1
              and a.target_id in (select domain_id from ancestors where depth = 0))
        )`
  }
  if ('domainId' in scope) {
    return sql<SqlBool>`(a.target_type = 'domain' and a.target_id = ${scope.domainId} and a.inherited = 0)`
  }
  return sql<SqlBool>`(a.target_type = 'system' and a.target_id = 'all')`
}
