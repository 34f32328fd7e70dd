import type { FastifyInstance } from 'fastify'
import { absoluteUrl } from '../urls.js'
import { type VersionInfo, versionList } from '../versions.js'

/** The one Networking API version: v2.0, at `/v2.0/` under the mount prefix. */
export const NEUTRON_V2: VersionInfo = { id: 'v2.0', status: 'CURRENT', path: '/v2.0/' }

// The core resources Neutron lists at its version root; extension resources (routers, …) are not listed there.
const CORE_RESOURCES = [
  ['subnet', 'subnets'],
  ['subnetpool', 'subnetpools'],
  ['network', 'networks'],
  ['port', 'ports'],
] as const

/**
 * Neutron's discovery: `GET /` answers 200 (not 300, unlike Nova and Glance) with
 * `{"versions": [{"id": "v2.0", "status": "CURRENT", "links": [{"rel": "self", "href": "…/network/v2.0/"}]}]}`
 * and needs no token; `GET /v2.0` lists the core resources and, as behind keystonemiddleware, needs one.
 */
export function versionRoutes(api: FastifyInstance): void {
  api.get('/', { config: { auth: false } }, async (request) =>
    versionList(request, [{ ...NEUTRON_V2, path: `${api.prefix}${NEUTRON_V2.path}` }]),
  )
  const resources = async (request: Parameters<typeof absoluteUrl>[0]) => ({
    resources: CORE_RESOURCES.map(([name, collection]) => ({
      links: [{ rel: 'self', href: absoluteUrl(request, `${api.prefix}/v2.0/${collection}`) }],
      name,
      collection,
    })),
  })
  api.get('/v2.0', resources)
  api.get('/v2.0/', resources)
}
