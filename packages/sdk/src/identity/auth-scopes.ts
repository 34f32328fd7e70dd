import type { RequestContext } from '../core/context.js'
import { CloudError } from '../core/errors.js'
import type { Store } from '../store/types.js'
import { toDomain } from './domains.js'
import { effectiveRoles } from './effective-roles.js'
import { toProjects } from './project-rows.js'
import type { Domain, Project } from './schemas.js'

/** What the caller's token could be scoped to: `/v3/auth/projects`, `/v3/auth/domains`, `/v3/auth/system`. */
export interface AuthScopesApi {
  /** Enabled projects where the caller has a role, directly, through a group or by inheritance. */
  listAuthProjects(ctx: RequestContext): Promise<Project[]>
  /** Enabled domains where the caller has a role. */
  listAuthDomains(ctx: RequestContext): Promise<Domain[]>
  /** Whether the caller has a role on the system. */
  hasSystemAccess(ctx: RequestContext): Promise<boolean>
}

function userOf(ctx: RequestContext): string {
  if (!ctx.userId) throw new CloudError('UNAUTHORIZED', 'The request you have made requires authentication.')
  return ctx.userId
}

/**
 * Builds the {@link AuthScopesApi}. Every user may ask about themselves, so there is no policy rule: the answer
 * is always about `ctx.userId`.
 */
export function authScopesApi(deps: { store: Store }): AuthScopesApi {
  const { db } = deps.store
  // The candidates are the projects of the caller's grants and, for inherited grants, every project below them;
  // the effective-roles query then settles each one, so the rules live in one place.
  const candidates = async (userId: string) => {
    const groups = db.selectFrom('identity_group_members').select('group_id').where('user_id', '=', userId)
    const grants = await db
      .selectFrom('identity_assignments')
      .select(['target_type', 'target_id', 'inherited'])
      .where((eb) =>
        eb.or([
          eb.and([eb('actor_type', '=', 'user'), eb('actor_id', '=', userId)]),
          eb.and([eb('actor_type', '=', 'group'), eb('actor_id', 'in', groups)]),
        ]),
      )
      .execute()
    return grants
  }

  return {
    async listAuthProjects(ctx) {
      const userId = userOf(ctx)
      const grants = await candidates(userId)
      if (grants.length === 0) return []
      const rows = await db.selectFrom('identity_projects').selectAll().where('enabled', '=', 1).execute()
      const inheritedFrom = new Set(
        grants.filter((g) => g.inherited && g.target_type !== 'system').map((g) => g.target_id),
      )
      const direct = new Set(
        grants.filter((g) => !g.inherited && g.target_type === 'project').map((g) => g.target_id),
      )
      const byId = new Map(rows.map((row) => [row.id, row]))
      const below = (id: string): boolean => {
        for (let row = byId.get(id); row; row = row.parent_id ? byId.get(row.parent_id) : undefined) {
          if (row.id !== id && inheritedFrom.has(row.id)) return true
          if (!row.parent_id && inheritedFrom.has(row.domain_id)) return true
        }
        return false
      }
      const picked = []
      for (const row of rows) {
        if (!direct.has(row.id) && !below(row.id)) continue
        if ((await effectiveRoles(db, userId, { projectId: row.id })).length > 0) picked.push(row)
      }
      return toProjects(db, picked)
    },

    async listAuthDomains(ctx) {
      const userId = userOf(ctx)
      const ids = (await candidates(userId))
        .filter((g) => g.target_type === 'domain' && !g.inherited)
        .map((g) => g.target_id)
      if (ids.length === 0) return []
      const rows = await db
        .selectFrom('identity_domains')
        .selectAll()
        .where('id', 'in', ids)
        .where('enabled', '=', 1)
        .execute()
      return rows.map(toDomain)
    },

    async hasSystemAccess(ctx) {
      return (await effectiveRoles(db, userOf(ctx), { system: true })).length > 0
    },
  }
}
