import type { Cloud } from '@nubis/sdk'
import { authenticate } from '../auth.js'
import { defineApi } from '../define-api.js'
import { glanceErrors } from '../formatters.js'
import { negotiateErrorMedia } from './error-media.js'
import { imageDataRoutes } from './image-data.js'
import { imageRoutes } from './images.js'
import { importRoutes } from './import.js'
import { acceptImageData, acceptJsonPatch } from './media.js'
import { memberRoutes } from './members.js'
import { schemaRoutes } from './schemas-routes.js'
import { tagAndActionRoutes } from './tags.js'
import { GLANCE_V2, versionRoutes } from './versions.js'

/** Options of {@link glanceApi}. */
export interface GlanceApiOptions {
  /** The cloud whose Image service (`cloud.image`) answers. */
  cloud: Cloud
}

/**
 * Glance v2 over `cloud.image`: images and their JSON-patch updates, data upload and download (streamed, with
 * `Range`), `glance-direct` staging and the interoperable import, members, tags, deactivation, the JSON-schema
 * documents and version discovery. Errors have webob's body (JSON, HTML or text as the client accepts), quota
 * errors are 413. Mount it with a prefix; the catalog's image endpoint is that prefix, unversioned, as clients
 * expect of Glance:
 *
 * @example
 * await app.register(glanceApi, { prefix: '/image', cloud })
 */
export const glanceApi = defineApi<GlanceApiOptions>({
  name: 'image',
  formatter: glanceErrors,
  versions: [GLANCE_V2],
  routes(api, { cloud }) {
    api.addHook(
      'onRequest',
      authenticate((token, signal) => cloud.identity.contextFromToken(token, { signal })),
    )
    negotiateErrorMedia(api)
    acceptImageData(api)
    acceptJsonPatch(api)
    versionRoutes(api)
    schemaRoutes(api)
    imageRoutes(api, cloud)
    imageDataRoutes(api, cloud)
    importRoutes(api, cloud)
    memberRoutes(api, cloud)
    tagAndActionRoutes(api, cloud)
  },
})
