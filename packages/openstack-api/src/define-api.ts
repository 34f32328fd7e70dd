import { CloudError } from '@nubis/sdk'
import type { FastifyInstance, FastifyPluginAsync, FastifyPluginOptions } from 'fastify'
import { useErrorFormat } from './error-handling.js'
import type { ErrorFormatter } from './formatters.js'
import type { VersionInfo } from './versions.js'

/** What an OpenStack API plugin declares; see {@link defineApi}. */
export interface ApiDefinition<Options extends FastifyPluginOptions> {
  /** The API's name in the version registry and logs: `identity`, `compute`, `network` … */
  name: string
  /** How its errors look. */
  formatter: ErrorFormatter
  /** Its versions, with paths relative to the prefix it is mounted at (`/v3/`). */
  versions?: readonly VersionInfo[]
  /** Adds its routes and hooks (`authenticate`) to `api`, the plugin's own encapsulated instance. */
  routes(api: FastifyInstance, options: Options): Promise<void> | void
}

/**
 * Makes a fastify plugin of an OpenStack API: registered with a prefix on a server from `createApiServer`, it
 * answers every error under that prefix (its routes' and unknown URLs') in `formatter`'s shape, and adds its
 * versions to the server's `/`.
 *
 * @example
 * const identityApi = defineApi<{ cloud: Cloud }>({
 *   name: 'identity',
 *   formatter: keystoneErrors,
 *   versions: [{ id: 'v3.14', status: 'stable', path: '/v3/' }],
 *   async routes(api, { cloud }) {
 *     api.addHook('onRequest', authenticate((token, signal) => validateToken(cloud, token, signal)))
 *     api.get('/v3/projects', async (request) => ({ projects: [] }))
 *   },
 * })
 * await app.register(identityApi, { prefix: '/identity', cloud })
 */
export function defineApi<Options extends FastifyPluginOptions = Record<never, never>>(
  definition: ApiDefinition<Options>,
): FastifyPluginAsync<Options> {
  return async (api, options) => {
    // Without a prefix the plugin's 404 handler would clash with the server's, and its URLs with other APIs'.
    if (!api.prefix) {
      throw new CloudError(
        'INVALID',
        `Register the ${definition.name} API with a prefix, e.g. /${definition.name}`,
      )
    }
    useErrorFormat(api, definition.formatter)
    for (const version of definition.versions ?? []) {
      api.openstack.versions.register(definition.name, {
        ...version,
        path: joinPath(api.prefix, version.path),
      })
    }
    await definition.routes(api, options)
  }
}

/** `/identity` + `/v3/` → `/identity/v3/`. */
function joinPath(prefix: string, path: string): string {
  return `${prefix.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`
}
