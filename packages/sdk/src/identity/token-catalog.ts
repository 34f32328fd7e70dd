import type { CatalogEntry } from './catalog-schemas.js'
import type { IdentityDeps } from './deps.js'

// Keystone's endpoint URL templates: `$(project_id)s` (older catalogs: `%(tenant_id)s`) stand for the token's
// project, `$(user_id)s` for its user.
const PLACEHOLDER = /[$%]\((\w+)\)s/g

/** The values a URL template may use, for one token. */
export interface CatalogOptions {
  projectId?: string
  userId?: string
}

/** Fills in a URL template, or returns undefined when it needs a value the token lacks. */
export function formatUrl(url: string, options: CatalogOptions): string | undefined {
  const values: Record<string, string | undefined> = {
    project_id: options.projectId,
    tenant_id: options.projectId,
    user_id: options.userId,
  }
  let missing = false
  const out = url.replace(PLACEHOLDER, (_, key: string) => {
    const value = values[key]
    if (value === undefined) missing = true
    return value ?? ''
  })
  return missing ? undefined : out
}

/**
 * The catalog of a token: enabled services, each with its enabled endpoints whose URL could be filled in.
 * Two queries; services are in type order so catalogs compare equal across calls.
 */
export async function buildCatalog(
  deps: Pick<IdentityDeps, 'store'>,
  options: CatalogOptions,
): Promise<CatalogEntry[]> {
  const db = deps.store.db
  const services = await db
    .selectFrom('identity_services')
    .selectAll()
    .where('enabled', '=', 1)
    .orderBy('type')
    .orderBy('id')
    .execute()
  const endpoints = await db
    .selectFrom('identity_endpoints')
    .selectAll()
    .where('enabled', '=', 1)
    .orderBy('interface')
    .orderBy('id')
    .execute()
  return services.map((service) => ({
    id: service.id,
    type: service.type,
    name: service.name,
    endpoints: endpoints.flatMap((endpoint) => {
      if (endpoint.service_id !== service.id) return []
      const url = formatUrl(endpoint.url, options)
      if (url === undefined) return []
      return [{ id: endpoint.id, interface: endpoint.interface, regionId: endpoint.region_id, url }]
    }),
  }))
}
