import type { CatalogEntry, TokenInfo } from '@nubis/sdk'

/** Keystone's time format: ISO 8601 with microseconds and `Z` (`2025-01-01T00:00:00.000000Z`). */
export function keystoneTime(ms: number | string): string {
  const iso = new Date(ms).toISOString()
  return `${iso.slice(0, -1)}000Z`
}

/** A token's catalog as Keystone shows it: every endpoint carries both `region` and `region_id`. */
export function catalogBody(catalog: readonly CatalogEntry[]) {
  return catalog.map((service) => ({
    id: service.id,
    type: service.type,
    name: service.name,
    endpoints: service.endpoints.map((endpoint) => ({
      id: endpoint.id,
      interface: endpoint.interface,
      region: endpoint.regionId,
      region_id: endpoint.regionId,
      url: endpoint.url,
    })),
  }))
}

/**
 * The body of `POST` and `GET /v3/auth/tokens`. Scoped tokens carry their roles and, unless the client asked
 * `nocatalog`, the service catalog.
 */
export function tokenBody(info: TokenInfo, catalog: readonly CatalogEntry[] | undefined) {
  const token: Record<string, unknown> = {
    methods: info.methods,
    user: {
      id: info.user.id,
      name: info.user.name,
      domain: info.user.domain,
      password_expires_at: info.user.passwordExpiresAt && keystoneTime(info.user.passwordExpiresAt),
    },
    audit_ids: info.auditIds,
    expires_at: keystoneTime(info.expiresAt),
    issued_at: keystoneTime(info.issuedAt),
  }
  const scoped = info.project !== undefined || info.domain !== undefined || info.system === true
  if (info.project) {
    token.project = info.project
    token.is_domain = false
  }
  if (info.domain) token.domain = info.domain
  if (info.system) token.system = { all: true }
  if (scoped) {
    token.roles = info.roles
    if (catalog) token.catalog = catalogBody(catalog)
  }
  if (info.applicationCredential) token.application_credential = info.applicationCredential
  return { token }
}
