import type { RequestContext } from '../core/context.js'
import { CloudError, parseOrThrow } from '../core/errors.js'
import type { Db } from '../store/types.js'
import { addNames } from './assignment-names.js'
import type { IdentityDeps } from './deps.js'
import { expandEffective, type Grant } from './effective-assignments.js'
import { ancestorIds, requireProject, subtreeIds } from './project-rows.js'
import { type AssignmentFilters, AssignmentFiltersSchema, type RoleAssignment } from './role-schemas.js'

type Filters = ReturnType<typeof AssignmentFiltersSchema.parse>

/**
 * Keystone's `/v3/role_assignments`. Without `effective`, the grants as stored, filtered. With it, what the
 * grants amount to: group grants become grants to each member, inherited grants land on every project below
 * their target (and no longer on the target), implied roles are added, and domain-specific roles dropped.
 */
export async function listAssignments(
  deps: IdentityDeps,
  ctx: RequestContext,
  input: AssignmentFilters,
): Promise<RoleAssignment[]> {
  const f = parseOrThrow(AssignmentFiltersSchema, input, 'filters')
  const db = deps.store.db
  const project = f.projectId ? await requireProject(deps.store, f.projectId) : undefined
  const action = f.includeSubtree
    ? 'identity:list_role_assignments_for_tree'
    : 'identity:list_role_assignments'
  deps.policy.enforce(ctx, action, {
    domain_id: project?.domain_id ?? f.domainId,
    project_id: f.projectId,
    user_id: f.userId,
    group_id: f.groupId,
  })
  if (f.effective && f.groupId) {
    throw new CloudError(
      'INVALID',
      'Combining effective and group filter will always result in an empty list.',
    )
  }
  if (f.includeSubtree && !f.projectId) {
    throw new CloudError('INVALID', 'includeSubtree requires projectId')
  }
  const subtree = project && f.includeSubtree ? await subtreeIds(db, project.id) : []
  const projects = project ? [project.id, ...subtree] : undefined

  let grants: Grant[]
  if (!f.effective) {
    grants = await fetchGrants(db, f, projects)
  } else {
    // Fetch every grant that could reach the filtered target, expand, then filter what came out.
    const reach = project ? [...projects!, ...(await ancestorIds(db, project.id))] : undefined
    const raw = await fetchGrants(
      db,
      { ...f, roleId: undefined, inherited: undefined },
      reach,
      project?.domain_id,
    )
    grants = (await expandEffective(db, raw, f.userId)).filter((g) => matches(g, f, projects))
  }
  const out = grants.map(toAssignment)
  return f.includeNames ? addNames(db, out) : out
}

async function fetchGrants(
  db: Db,
  f: Partial<Filters>,
  projects: string[] | undefined,
  projectDomain?: string,
): Promise<Grant[]> {
  let qb = db.selectFrom('identity_assignments').selectAll()
  if (f.userId !== undefined) {
    const userId = f.userId
    // Effective listings reach the user through their groups too.
    qb = f.effective
      ? qb.where((eb) =>
          eb.or([
            eb.and([eb('actor_type', '=', 'user'), eb('actor_id', '=', userId)]),
            eb.and([
              eb('actor_type', '=', 'group'),
              eb(
                'actor_id',
                'in',
                eb.selectFrom('identity_group_members').select('group_id').where('user_id', '=', userId),
              ),
            ]),
          ]),
        )
      : qb.where('actor_type', '=', 'user').where('actor_id', '=', userId)
  }
  if (f.groupId !== undefined) qb = qb.where('actor_type', '=', 'group').where('actor_id', '=', f.groupId)
  if (f.roleId !== undefined) qb = qb.where('role_id', '=', f.roleId)
  if (f.inherited !== undefined) qb = qb.where('inherited', '=', f.inherited ? 1 : 0)
  if (projects) {
    const ids = projects
    qb = qb.where((eb) => {
      const onProjects = eb.and([eb('target_type', '=', 'project'), eb('target_id', 'in', ids)])
      if (!projectDomain) return onProjects
      return eb.or([
        onProjects,
        eb.and([eb('target_type', '=', 'domain'), eb('target_id', '=', projectDomain)]),
      ])
    })
  } else if (f.domainId !== undefined) {
    qb = qb.where('target_type', '=', 'domain').where('target_id', '=', f.domainId)
  } else if (f.system !== undefined) {
    qb = qb.where('target_type', '=', 'system')
  }
  const rows = await qb.orderBy('role_id').orderBy('actor_id').orderBy('target_id').execute()
  return rows.map((row) => ({ ...row, inherited: row.inherited === 1 }))
}

function matches(g: Grant, f: Filters, projects: string[] | undefined): boolean {
  if (f.roleId !== undefined && g.role_id !== f.roleId) return false
  if (f.userId !== undefined && g.actor_id !== f.userId) return false
  if (projects) return g.target_type === 'project' && projects.includes(g.target_id)
  if (f.domainId !== undefined) return g.target_type === 'domain' && g.target_id === f.domainId
  if (f.system !== undefined) return g.target_type === 'system'
  return true
}

function toAssignment(g: Grant): RoleAssignment {
  const scope: RoleAssignment['scope'] =
    g.target_type === 'project'
      ? { project: { id: g.target_id } }
      : g.target_type === 'domain'
        ? { domain: { id: g.target_id } }
        : { system: 'all' }
  return {
    role: { id: g.role_id },
    ...(g.actor_type === 'user' ? { user: { id: g.actor_id } } : { group: { id: g.actor_id } }),
    scope,
    inherited: g.inherited,
    ...(g.membership && { membership: g.membership }),
    ...(g.priorRoleId && { priorRoleId: g.priorRoleId }),
    ...(g.inheritedFrom && { inheritedFrom: g.inheritedFrom }),
  }
}
