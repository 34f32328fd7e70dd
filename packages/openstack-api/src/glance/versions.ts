import type { FastifyInstance, FastifyRequest } from 'fastify'
import { type VersionInfo, versionList } from '../versions.js'

/**
 * The newest v2 minor version advertised. Clients and Tempest read it as a promise of features: 2.11 is the last
 * one served whole (multiple stores, interoperable import, hidden images); 2.12 would add the image tasks API,
 * 2.13 deleting data from one store, 2.14 and 2.16 the cache API, which Nubis does not have.
 */
export const GLANCE_NEWEST_MINOR = 11

/** The current Image API version: v2.11. */
export const GLANCE_V2: VersionInfo = { id: `v2.${GLANCE_NEWEST_MINOR}`, status: 'CURRENT', path: '/v2/' }

/**
 * Every version Glance lists when it runs with multiple stores and an image cache, newest first: all are v2 at
 * `/v2/`, told apart by the features clients may expect (`v2.6` interoperable import, `v2.8` multiple stores …).
 */
export const GLANCE_VERSIONS: readonly VersionInfo[] = Array.from(
  { length: GLANCE_NEWEST_MINOR + 1 },
  (_, i) => ({
    id: `v2.${GLANCE_NEWEST_MINOR - i}`,
    status: i === 0 ? 'CURRENT' : 'SUPPORTED',
    path: '/v2/',
  }),
)

/**
 * Glance's version discovery: `GET /` answers 300 Multiple Choices and `GET /versions` 200, both with
 * `{"versions": [{"id": "v2.16", "status": "CURRENT", "links": [{"rel": "self", "href": "…/image/v2/"}]}, …]}`.
 * Neither needs a token.
 */
export function versionRoutes(api: FastifyInstance): void {
  const document = (request: FastifyRequest) =>
    versionList(
      request,
      GLANCE_VERSIONS.map((version) => ({ ...version, path: `${api.prefix}${version.path}` })),
    )
  api.get('/', { config: { auth: false } }, async (request, reply) => reply.code(300).send(document(request)))
  api.get('/versions', { config: { auth: false } }, async (request) => document(request))
}
