import type { Cloud } from '@nubis/sdk'
import { authenticate } from '../auth.js'
import { defineApi } from '../define-api.js'
import { keystoneErrors } from '../formatters.js'
import { type VersionInfo, versionDocument, versionEntry } from '../versions.js'
import { authRoutes } from './auth-routes.js'
import { crudRoutes } from './crud-routes.js'

/** Options of {@link keystoneApi}. */
export interface KeystoneApiOptions {
  /** The cloud whose Identity service answers. */
  cloud: Cloud
}

/** The one Identity version served: Keystone v3 at the 3.14 level (Ussuri), what Tempest 33 expects. */
export const KEYSTONE_V3: VersionInfo = {
  id: 'v3.14',
  status: 'stable',
  path: '/v3/',
  updated: '2020-04-07T00:00:00Z',
  mediaTypes: [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
}

/**
 * Keystone v3 over `cloud.identity`: tokens, the catalog, and users, projects, domains, groups, roles, role
 * assignments, regions, services, endpoints, credentials and application credentials. Mount it with a prefix:
 *
 * @example
 * await app.register(keystoneApi, { prefix: '/identity', cloud })
 */
export const keystoneApi = defineApi<KeystoneApiOptions>({
  name: 'identity',
  formatter: keystoneErrors,
  versions: [KEYSTONE_V3],
  routes(api, { cloud }) {
    api.addHook(
      'onRequest',
      authenticate((token, signal) => cloud.identity.contextFromToken(token, { signal })),
    )
    const version = (path: string) => ({ ...KEYSTONE_V3, path: `${api.prefix}${path}` })
    api.get('/', { config: { auth: false } }, async (request, reply) =>
      reply.code(300).send(versionDocument(request, [version('/v3/')])),
    )
    for (const path of ['/v3', '/v3/']) {
      api.get(path, { config: { auth: false } }, async (request) => ({
        version: versionEntry(request, version('/v3/')),
      }))
    }
    authRoutes(api, cloud)
    crudRoutes(api, cloud)
  },
})
