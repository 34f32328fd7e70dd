import type { Db } from '../store/types.js'
import { chunks } from './common.js'
import { impliedRules } from './implied-roles.js'
import { subtreeIds } from './project-rows.js'
import { GLOBAL } from './role-tables.js'

/** A grant, stored or derived; the derived ones say where they came from. */
export interface Grant {
  actor_type: 'user' | 'group'
  actor_id: string
  target_type: 'project' | 'domain' | 'system'
  target_id: string
  role_id: string
  inherited: boolean
  /** Came through this group's membership. */
  membership?: string
  /** Implied by this role. */
  priorRoleId?: string
  /** Inherited from a grant on this target. */
  inheritedFrom?: { projectId: string } | { domainId: string }
}

/**
 * Expands stored grants the way Keystone's `effective` listing does, in its order: group grants become grants to
 * each member (only `onlyUser` when given), inherited grants become grants on every project they reach, implied
 * roles are added after each role that implies them, and domain-specific roles are dropped.
 */
export async function expandEffective(db: Db, grants: readonly Grant[], onlyUser?: string): Promise<Grant[]> {
  const viaUsers = await expandGroups(db, grants, onlyUser)
  const onProjects = await expandInherited(db, viaUsers)
  const withImplied = await expandImplied(db, onProjects)
  return dropDomainRoles(db, withImplied)
}

async function expandGroups(db: Db, grants: readonly Grant[], onlyUser?: string): Promise<Grant[]> {
  const groupIds = [...new Set(grants.filter((g) => g.actor_type === 'group').map((g) => g.actor_id))]
  const members = new Map<string, string[]>()
  for (const ids of chunks(groupIds)) {
    if (ids.length === 0) continue
    let qb = db.selectFrom('identity_group_members').selectAll().where('group_id', 'in', ids)
    if (onlyUser !== undefined) qb = qb.where('user_id', '=', onlyUser)
    for (const row of await qb.orderBy('user_id').execute()) {
      members.set(row.group_id, [...(members.get(row.group_id) ?? []), row.user_id])
    }
  }
  return grants.flatMap((g) =>
    g.actor_type === 'user'
      ? [g]
      : (members.get(g.actor_id) ?? []).map(
          (userId): Grant => ({ ...g, actor_type: 'user', actor_id: userId, membership: g.actor_id }),
        ),
  )
}

async function expandInherited(db: Db, grants: readonly Grant[]): Promise<Grant[]> {
  const reach = new Map<string, string[]>()
  const projectsUnder = async (g: Grant): Promise<string[]> => {
    const key = `${g.target_type}:${g.target_id}`
    let ids = reach.get(key)
    if (!ids) {
      ids =
        g.target_type === 'domain'
          ? (
              await db
                .selectFrom('identity_projects')
                .select('id')
                .where('domain_id', '=', g.target_id)
                .orderBy('id')
                .execute()
            ).map((row) => row.id)
          : await subtreeIds(db, g.target_id)
      reach.set(key, ids)
    }
    return ids
  }
  const out: Grant[] = []
  for (const g of grants) {
    if (!g.inherited || g.target_type === 'system') {
      out.push(g)
      continue
    }
    const from = g.target_type === 'domain' ? { domainId: g.target_id } : { projectId: g.target_id }
    for (const projectId of await projectsUnder(g)) {
      out.push({ ...g, target_type: 'project', target_id: projectId, inherited: false, inheritedFrom: from })
    }
  }
  return out
}

async function expandImplied(db: Db, grants: readonly Grant[]): Promise<Grant[]> {
  const rules = await impliedRules(db)
  if (rules.size === 0) return [...grants]
  const out: Grant[] = []
  for (const g of grants) {
    out.push(g)
    // Breadth first, each implied grant naming the role that implied it directly; `seen` stops cycles.
    const seen = new Set([g.role_id])
    let frontier = [g]
    while (frontier.length > 0) {
      const next: Grant[] = []
      for (const prior of frontier) {
        for (const implied of rules.get(prior.role_id) ?? []) {
          if (seen.has(implied)) continue
          seen.add(implied)
          next.push({ ...prior, role_id: implied, priorRoleId: prior.role_id })
        }
      }
      out.push(...next)
      frontier = next
    }
  }
  return out
}

async function dropDomainRoles(db: Db, grants: readonly Grant[]): Promise<Grant[]> {
  const roleIds = [...new Set(grants.map((g) => g.role_id))]
  const domainRoles = new Set<string>()
  for (const ids of chunks(roleIds)) {
    if (ids.length === 0) continue
    const rows = await db
      .selectFrom('identity_roles')
      .select('id')
      .where('id', 'in', ids)
      .where('domain_id', '<>', GLOBAL)
      .execute()
    for (const row of rows) domainRoles.add(row.id)
  }
  return grants.filter((g) => !domainRoles.has(g.role_id))
}
