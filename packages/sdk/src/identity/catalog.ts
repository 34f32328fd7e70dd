import type { CatalogEntry } from './catalog-schemas.js'
import type { IdentityDeps } from './deps.js'
import { type EndpointsApi, endpointsApi } from './endpoints.js'
import { type ServicesApi, servicesApi } from './services.js'
import { buildCatalog, type CatalogOptions } from './token-catalog.js'

/** Services and endpoints of the catalog, and the catalog tokens carry. */
export interface CatalogApi extends ServicesApi, EndpointsApi {
  /**
   * The catalog a token carries: enabled services with their enabled endpoints. `$(project_id)s` and
   * `$(tenant_id)s` in URLs become `projectId`; an endpoint whose URL still needs a value it lacks is left out,
   * as Keystone does for unscoped tokens. No policy check: authentication calls it for the token being issued.
   */
  catalog(options?: CatalogOptions): Promise<CatalogEntry[]>
}

/** Builds the {@link CatalogApi}. */
export function catalogApi(deps: IdentityDeps): CatalogApi {
  return {
    ...servicesApi(deps),
    ...endpointsApi(deps),
    catalog: (options = {}) => buildCatalog(deps, options),
  }
}
