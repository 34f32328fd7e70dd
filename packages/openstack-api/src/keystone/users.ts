import {
  ChangePasswordSchema,
  type Cloud,
  type ListQueryInput,
  UserCreateSchema,
  type UserFilters,
  UserUpdateSchema,
} from '@nubis/sdk'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { type FieldMap, listQuery, queryString, readResource } from './input.js'
import { collection, groupView, projectView, userView } from './render.js'

/** Keystone's names of a user's fields; other attributes are kept as extra ones. */
const USER_FIELDS: FieldMap = {
  name: 'name',
  domain_id: 'domainId',
  enabled: 'enabled',
  password: 'password',
  default_project_id: 'defaultProjectId',
  description: 'description',
  email: 'email',
  options: 'options',
}

/** The filters of `GET /v3/users`. */
const USER_FILTERS: FieldMap = { name: 'name', domain_id: 'domainId', enabled: 'enabled' }

/** The body of `POST /v3/users/{id}/password`. */
const PASSWORD_FIELDS: FieldMap = { original_password: 'originalPassword', password: 'password' }

type IdParams = { Params: { id: string } }

/**
 * `/v3/users`: create (201), list (`?name`, `?domain_id`, `?enabled`), show, update (PATCH, 200) and delete
 * (204); a user's own password change (`POST /v3/users/{id}/password`, 204, no token: the original password is
 * the proof); and the user's groups and projects.
 */
export function userRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { identity } = cloud

  api.post('/v3/users', async (request, reply) => {
    const input = readResource(UserCreateSchema, request.body, 'user', USER_FIELDS, { extra: true })
    const user = await identity.createUser(request.ctx, input)
    return reply.code(201).send({ user: userView(request, user) })
  })

  api.get('/v3/users', async (request) => {
    const filters = listQuery<UserFilters & ListQueryInput>(request, USER_FILTERS)
    const page = await identity.listUsers(request.ctx, filters)
    return collection(
      request,
      'users',
      page.items.map((user) => userView(request, user)),
      page,
    )
  })

  api.get<IdParams>('/v3/users/:id', async (request) => ({
    user: userView(request, await identity.getUser(request.ctx, request.params.id)),
  }))

  api.patch<IdParams>('/v3/users/:id', async (request) => {
    const { id } = request.params
    const patch = readResource(UserUpdateSchema, request.body, 'user', USER_FIELDS, { extra: true, id })
    return { user: userView(request, await identity.updateUser(request.ctx, id, patch)) }
  })

  api.delete<IdParams>('/v3/users/:id', async (request, reply) => {
    await identity.deleteUser(request.ctx, request.params.id)
    return reply.code(204).send()
  })

  api.post<IdParams>('/v3/users/:id/password', { config: { auth: false } }, async (request, reply) => {
    const input = readResource(ChangePasswordSchema, request.body, 'user', PASSWORD_FIELDS)
    await identity.changePassword(request.params.id, input)
    return reply.code(204).send()
  })

  api.get<IdParams>('/v3/users/:id/groups', async (request) => {
    const groups = await identity.listGroupsForUser(request.ctx, request.params.id)
    return collection(
      request,
      'groups',
      groups.map((group) => groupView(request, group)),
    )
  })

  api.get<IdParams>('/v3/users/:id/projects', async (request) => {
    const projects = await userProjects(cloud, request, request.params.id)
    return collection(
      request,
      'projects',
      projects.map((project) => projectView(request, project)),
    )
  })
}

/**
 * The projects where the user has a role, directly, through a group or by inheritance, as Keystone's
 * `GET /v3/users/{id}/projects` lists them (`?name`, `?domain_id`, `?enabled` narrow it).
 *
 * The SDK has no call for this list: the route checks Keystone's `identity:list_user_projects` rule itself
 * (admins, readers, the user), then reads the assignments with the system context.
 */
async function userProjects(cloud: Cloud, request: FastifyRequest, userId: string) {
  const { identity } = cloud
  const user = await identity.getUser(request.ctx, userId)
  cloud.policy.enforce(request.ctx, 'identity:list_user_projects', {
    user_id: userId,
    domain_id: user.domainId,
  })
  const system = cloud.system(request.ctx.signal)
  const assignments = await identity.listRoleAssignments(system, { userId, effective: true })
  const ids = [...new Set(assignments.flatMap((a) => ('project' in a.scope ? [a.scope.project.id] : [])))]
  const projects = await Promise.all(ids.map((id) => identity.getProject(system, id)))
  const name = queryString(request, 'name')
  const domainId = queryString(request, 'domain_id')
  const enabled = queryString(request, 'enabled')
  return projects
    .filter((p) => name === undefined || p.name === name)
    .filter((p) => domainId === undefined || p.domainId === domainId)
    .filter((p) => enabled === undefined || p.enabled === ['true', 'True', '1'].includes(enabled))
    .sort((a, b) => a.name.localeCompare(b.name))
}
