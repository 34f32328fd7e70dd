import type { Cloud } from '@nubis/sdk'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { queryFlag, queryString } from './input.js'
import { collection, roleView, type View } from './render.js'
import { assignmentView } from './render-assignments.js'
import type { AssignmentFilters, Grant } from './sdk-types.js'

// Who a grant is made to and where, as the URL names them and as the SDK's grant object does.
const ACTORS = [
  { path: 'users', key: 'userId' },
  { path: 'groups', key: 'groupId' },
] as const
const TARGETS = [
  { path: 'projects', key: 'projectId' },
  { path: 'domains', key: 'domainId' },
] as const

type Actor = (typeof ACTORS)[number]
type Target = (typeof TARGETS)[number] | { path: 'system'; key: 'system' }
type GrantParams = { targetId?: string; actorId: string; roleId?: string }

/** The SDK grant a URL names; `roleId` is `''` for a list of grants, which takes none. */
function grantOf(target: Target, actor: Actor, params: GrantParams, inherited: boolean): Grant {
  return {
    roleId: params.roleId ?? '',
    [actor.key]: params.actorId,
    ...(target.key === 'system' ? { system: 'all' as const } : { [target.key]: params.targetId }),
    ...(inherited && { inherited }),
  }
}

/**
 * Role grants, each answered as Keystone does (PUT, GET/HEAD check and DELETE all 204; a list is
 * `{ roles, links }`), for users and groups on:
 * - projects and domains: `/v3/{projects|domains}/{id}/{users|groups}/{id}/roles[/{role}]`;
 * - the system: `/v3/system/{users|groups}/{id}/roles[/{role}]`;
 * - the projects below a domain or project (OS-INHERIT):
 *   `/v3/OS-INHERIT/{domains|projects}/{id}/{users|groups}/{id}/roles/{role}/inherited_to_projects`, and the
 *   list `/v3/OS-INHERIT/domains/{id}/{users|groups}/{id}/roles/inherited_to_projects`;
 *
 * and `/v3/role_assignments` with Keystone's filters (`user.id`, `group.id`, `role.id`, `scope.project.id`,
 * `scope.domain.id`, `scope.system`, `scope.OS-INHERIT:inherited_to`) and flags (`effective`,
 * `include_names`, `include_subtree`).
 */
export function assignmentRoutes(api: FastifyInstance, cloud: Cloud): void {
  for (const actor of ACTORS) {
    for (const target of TARGETS) {
      const at = `/${target.path}/:targetId/${actor.path}/:actorId/roles`
      grantRoutes(api, cloud, `/v3${at}`, target, actor, false)
      grantRoutes(api, cloud, `/v3/OS-INHERIT${at}`, target, actor, true)
    }
    grantRoutes(
      api,
      cloud,
      `/v3/system/${actor.path}/:actorId/roles`,
      { path: 'system', key: 'system' },
      actor,
      false,
    )
  }

  api.get('/v3/role_assignments', async (request) => {
    const assignments = await cloud.identity.listRoleAssignments(request.ctx, assignmentFilters(request))
    return collection(
      request,
      'role_assignments',
      assignments.map((a) => assignmentView(request, a)),
    )
  })
}

/** The routes of one kind of grant under `base` (`…/roles`); inherited ones end in `/inherited_to_projects`. */
function grantRoutes(
  api: FastifyInstance,
  cloud: Cloud,
  base: string,
  target: Target,
  actor: Actor,
  inherited: boolean,
): void {
  const { identity } = cloud
  const suffix = inherited ? '/inherited_to_projects' : ''
  const one = `${base}/:roleId${suffix}`
  type Params = { Params: GrantParams }
  const grant = (request: FastifyRequest<Params>) => grantOf(target, actor, request.params, inherited)

  api.put<Params>(one, async (request, reply) => {
    await identity.grantRole(request.ctx, grant(request))
    return reply.code(204).send()
  })

  // GET and the HEAD fastify derives from it: 204 when the grant exists, 404 when it does not.
  api.get<Params>(one, async (request, reply) => {
    await identity.checkRole(request.ctx, grant(request))
    return reply.code(204).send()
  })

  api.delete<Params>(one, async (request, reply) => {
    await identity.revokeRole(request.ctx, grant(request))
    return reply.code(204).send()
  })

  // Keystone lists inherited grants on domains only.
  if (inherited && target.key !== 'domainId') return
  api.get<Params>(`${base}${suffix}`, async (request) => {
    const { roleId: _, ...target } = grant(request)
    const roles = await identity.listGrants(request.ctx, target)
    return collection(
      request,
      'roles',
      roles.map((role): View => roleView(request, role)),
    )
  })
}

/** The SDK's filters of `/v3/role_assignments` from Keystone's query parameters. */
function assignmentFilters(request: FastifyRequest): AssignmentFilters {
  const inheritedTo = queryString(request, 'scope.OS-INHERIT:inherited_to')
  const system = queryString(request, 'scope.system')
  return {
    userId: queryString(request, 'user.id'),
    groupId: queryString(request, 'group.id'),
    roleId: queryString(request, 'role.id'),
    projectId: queryString(request, 'scope.project.id'),
    domainId: queryString(request, 'scope.domain.id'),
    ...(system !== undefined && { system: system as 'all' }),
    ...(inheritedTo !== undefined && { inherited: inheritedTo === 'projects' }),
    effective: queryFlag(request, 'effective'),
    includeNames: queryFlag(request, 'include_names'),
    includeSubtree: queryFlag(request, 'include_subtree'),
  }
}
