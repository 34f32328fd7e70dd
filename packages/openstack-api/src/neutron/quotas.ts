import { type Cloud, CloudError, NETWORK_QUOTAS } from '@nubis/sdk'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { memberOf, toInteger } from './body.js'

/** Neutron's quota resources, as the Network service counts them in `cloud.quotas`. */
const NEUTRON_QUOTAS: readonly string[] = Object.keys(NETWORK_QUOTAS)

type ProjectParams = { Params: { project_id: string } }

/** Neutron's quota actions, checked as the Network service's rules `network:<action>`. */
type QuotaAction = 'get_quota' | 'list_quotas' | 'update_quota' | 'delete_quota'

/** Enforces Neutron's quota `action` for `projectId`'s quotas. */
function enforce(cloud: Cloud, request: FastifyRequest, action: QuotaAction, projectId?: string): void {
  cloud.policy.enforce(
    request.ctx,
    `network:${action}`,
    projectId === undefined ? {} : { project_id: projectId },
  )
}

/** The Neutron quotas of a project: every Neutron resource, -1 where unlimited. */
async function limitsOf(cloud: Cloud, projectId: string): Promise<Record<string, number>> {
  const limits = await cloud.quotas.getLimits(cloud.store, projectId)
  return Object.fromEntries(NEUTRON_QUOTAS.map((name) => [name, limits[name] ?? -1]))
}

/** The changes of a `PUT` body, `{"quota": {"network": 10}}`: known resources, integers of -1 or more. */
function changesOf(body: unknown): [string, number][] {
  const quota = memberOf(body, 'quota')
  const unknown = Object.keys(quota).filter((name) => !NEUTRON_QUOTAS.includes(name))
  if (unknown.length > 0) {
    throw new CloudError('INVALID', `Unrecognized attribute(s) '${unknown.join(', ')}'`, {
      details: { path: unknown[0] },
    })
  }
  return Object.entries(quota).map(([name, raw]) => {
    const limit = toInteger(raw)
    if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < -1) {
      throw new CloudError(
        'INVALID',
        `Invalid input for ${name}. Reason: '${String(raw)}' is not a valid quota limit (an integer of -1 or more).`,
        {
          details: { path: name },
        },
      )
    }
    return [name, limit]
  })
}

/**
 * The quotas extension over `cloud.quotas`: `GET /v2.0/quotas` (projects with quotas of their own, admins),
 * `GET/PUT/DELETE /v2.0/quotas/{project_id}` and, with quota_details, `GET …/{project_id}/details`
 * (`{limit, used, reserved}` per resource; reservations do not exist here, so `reserved` is 0).
 */
export function quotaRoutes(api: FastifyInstance, cloud: Cloud): void {
  api.get('/v2.0/quotas', async (request) => {
    enforce(cloud, request, 'list_quotas')
    const rows = await cloud.store.db
      .selectFrom('quotas')
      .select('project_id')
      .distinct()
      .where('resource', 'in', [...NEUTRON_QUOTAS])
      .orderBy('project_id')
      .execute()
    const quotas = await Promise.all(
      rows.map(async ({ project_id }) => ({
        ...(await limitsOf(cloud, project_id)),
        tenant_id: project_id,
        project_id,
      })),
    )
    return { quotas }
  })

  api.get<ProjectParams>('/v2.0/quotas/:project_id', async (request) => {
    enforce(cloud, request, 'get_quota', request.params.project_id)
    return { quota: await limitsOf(cloud, request.params.project_id) }
  })

  api.get<ProjectParams>('/v2.0/quotas/:project_id/default', async (request) => {
    enforce(cloud, request, 'get_quota', request.params.project_id)
    return {
      quota: Object.fromEntries(NEUTRON_QUOTAS.map((name) => [name, cloud.quotas.defaultLimit(name)])),
    }
  })

  const details = async (request: FastifyRequest<ProjectParams>) => {
    const projectId = request.params.project_id
    enforce(cloud, request, 'get_quota', projectId)
    const usage = await cloud.store.transaction((tx) => cloud.quotas.usage(tx, projectId))
    const limits = await limitsOf(cloud, projectId)
    const quota = Object.fromEntries(
      NEUTRON_QUOTAS.map((name) => [
        name,
        { limit: limits[name], used: usage[name]?.inUse ?? 0, reserved: 0 },
      ]),
    )
    return { quota }
  }
  // Tempest's client asks for `details.json`: Neutron's old format suffix, still accepted there.
  api.get<ProjectParams>('/v2.0/quotas/:project_id/details', details)
  api.get<ProjectParams>('/v2.0/quotas/:project_id/details.json', details)

  api.put<ProjectParams>('/v2.0/quotas/:project_id', async (request) => {
    const projectId = request.params.project_id
    enforce(cloud, request, 'update_quota', projectId)
    const changes = changesOf(request.body)
    await cloud.store.transaction(async (tx) => {
      for (const [name, limit] of changes) await cloud.quotas.setLimit(tx, projectId, name, limit)
    })
    return { quota: await limitsOf(cloud, projectId) }
  })

  api.delete<ProjectParams>('/v2.0/quotas/:project_id', async (request, reply) => {
    const projectId = request.params.project_id
    enforce(cloud, request, 'delete_quota', projectId)
    await cloud.store.transaction(async (tx) => {
      for (const name of NEUTRON_QUOTAS) await cloud.quotas.resetLimits(tx, projectId, name)
    })
    return reply.code(204).send()
  })
}
