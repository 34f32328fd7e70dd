import type { Cloud, Identity } from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'
import { type FieldMap, listQuery, rename, unwrap } from './input.js'
import { collection, roleView } from './render.js'
import { impliedRolesView, impliedRoleView, roleInferencesView } from './render-assignments.js'

/** Keystone's names of a role's fields. */
const ROLE_FIELDS: FieldMap = {
  name: 'name',
  domain_id: 'domainId',
  description: 'description',
  options: 'options',
}

/** The filters of `GET /v3/roles`: global roles unless `domain_id` is given. */
const ROLE_FILTERS: FieldMap = { name: 'name', domain_id: 'domainId' }

// The SDK does not export its role schemas (see sdk-types.ts): the input is renamed here, and the SDK validates it.
type RoleCreate = Parameters<Identity['createRole']>[1]
type RoleUpdate = Parameters<Identity['updateRole']>[2]
type RoleFilters = NonNullable<Parameters<Identity['listRoles']>[1]>

type IdParams = { Params: { id: string } }
type RuleParams = { Params: { priorId: string; impliedId: string } }

/**
 * `/v3/roles`: create (201), list (`?name`, `?domain_id`), show, update (PATCH, 200) and delete (204); and the
 * implication rules between roles: `/v3/roles/{prior}/implies/{implied}` (PUT 201, GET 200, HEAD 204,
 * DELETE 204), `/v3/roles/{prior}/implies` and `/v3/role_inferences`.
 */
export function roleRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { identity } = cloud

  api.post('/v3/roles', async (request, reply) => {
    const input = rename(unwrap(request.body, 'role'), ROLE_FIELDS) as RoleCreate
    const role = await identity.createRole(request.ctx, input)
    return reply.code(201).send({ role: roleView(request, role) })
  })

  api.get('/v3/roles', async (request) => {
    const page = await identity.listRoles(request.ctx, listQuery<RoleFilters>(request, ROLE_FILTERS))
    return collection(
      request,
      'roles',
      page.items.map((role) => roleView(request, role)),
      page,
    )
  })

  api.get<IdParams>('/v3/roles/:id', async (request) => ({
    role: roleView(request, await identity.getRole(request.ctx, request.params.id)),
  }))

  api.patch<IdParams>('/v3/roles/:id', async (request) => {
    const { id } = request.params
    const patch = rename(unwrap(request.body, 'role'), ROLE_FIELDS, { id }) as RoleUpdate
    return { role: roleView(request, await identity.updateRole(request.ctx, id, patch)) }
  })

  api.delete<IdParams>('/v3/roles/:id', async (request, reply) => {
    await identity.deleteRole(request.ctx, request.params.id)
    return reply.code(204).send()
  })

  impliedRoleRoutes(api, cloud)
}

/** The implication rules between roles. */
function impliedRoleRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { identity } = cloud
  const rule = '/v3/roles/:priorId/implies/:impliedId'

  api.put<RuleParams>(rule, async (request, reply) => {
    const { priorId, impliedId } = request.params
    const inference = await identity.createImpliedRole(request.ctx, priorId, impliedId)
    return reply.code(201).send(impliedRoleView(request, inference))
  })

  // Keystone answers HEAD with 204 where GET has a body, so HEAD is not derived from GET here.
  api.head<RuleParams>(rule, async (request, reply) => {
    const { priorId, impliedId } = request.params
    await identity.getImpliedRole(request.ctx, priorId, impliedId)
    return reply.code(204).send()
  })

  api.get<RuleParams>(rule, { exposeHeadRoute: false }, async (request) => {
    const { priorId, impliedId } = request.params
    return impliedRoleView(request, await identity.getImpliedRole(request.ctx, priorId, impliedId))
  })

  api.delete<RuleParams>(rule, async (request, reply) => {
    const { priorId, impliedId } = request.params
    await identity.deleteImpliedRole(request.ctx, priorId, impliedId)
    return reply.code(204).send()
  })

  api.get<{ Params: { priorId: string } }>('/v3/roles/:priorId/implies', async (request) =>
    impliedRolesView(request, await identity.listImpliedRoles(request.ctx, request.params.priorId)),
  )

  api.get('/v3/role_inferences', async (request) =>
    roleInferencesView(request, await identity.listRoleInferenceRules(request.ctx)),
  )
}
