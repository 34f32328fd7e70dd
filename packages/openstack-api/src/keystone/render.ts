import type {
  ApplicationCredential,
  Credential,
  Domain,
  Endpoint,
  Group,
  Project,
  Region,
  Service,
  User,
} from '@nubis/sdk'
import type { FastifyRequest } from 'fastify'
import { type CollectionLinks, collectionLinks, type PageMarker } from '../paging.js'
import { absoluteUrl } from '../urls.js'
import type { Role } from './sdk-types.js'
import { keystoneTime } from './token-body.js'

// The bodies of Keystone v3's resources, snake_case, each with `links.self`, as its API reference shows them.

/** A Keystone object: snake_case members and its own `links`. */
export type View = Record<string, unknown>

/**
 * The absolute URL of a Keystone v3 path for this request, the API's mount prefix included:
 * `v3Url(request, '/users/1')` → `http://host/identity/v3/users/1`.
 */
export function v3Url(request: FastifyRequest, path: string): string {
  const route = request.routeOptions.url ?? request.url
  const at = route.indexOf('/v3/')
  const prefix = at === -1 ? '' : route.slice(0, at)
  return absoluteUrl(request, `${prefix}/v3${path}`)
}

/** `{ self: <url of path> }`, the `links` member of every Keystone object. */
export function selfLinks(request: FastifyRequest, path: string): { self: string } {
  return { self: v3Url(request, path) }
}

/**
 * A Keystone list answer: `{ users: [...], links: { self, previous: null, next } }`, `next` set from the SDK's
 * page marker when there is a next page.
 */
export function collection<K extends string>(
  request: FastifyRequest,
  key: K,
  items: readonly View[],
  page: PageMarker = {},
): { [P in K]: readonly View[] } & { links: CollectionLinks } {
  return { [key]: items, links: collectionLinks(request, page) } as { [P in K]: readonly View[] } & {
    links: CollectionLinks
  }
}

/** A time as Keystone writes it, or null. */
function time(value: string | null | undefined): string | null {
  return value ? keystoneTime(value) : null
}

/** A user: extra attributes, `description` and `email` flattened in, `default_project_id` only when set. */
export function userView(request: FastifyRequest, user: User): View {
  return {
    ...user.extra,
    ...(user.description !== undefined && { description: user.description }),
    ...(user.email !== undefined && { email: user.email }),
    id: user.id,
    name: user.name,
    domain_id: user.domainId,
    enabled: user.enabled,
    ...(user.defaultProjectId !== undefined && { default_project_id: user.defaultProjectId }),
    password_expires_at: time(user.passwordExpiresAt),
    options: user.options,
    links: selfLinks(request, `/users/${user.id}`),
  }
}

/** A project, extra attributes flattened in. */
export function projectView(request: FastifyRequest, project: Project): View {
  return {
    ...project.extra,
    id: project.id,
    name: project.name,
    domain_id: project.domainId,
    parent_id: project.parentId,
    description: project.description,
    enabled: project.enabled,
    is_domain: project.isDomain,
    tags: project.tags,
    options: project.options,
    links: selfLinks(request, `/projects/${project.id}`),
  }
}

/** A domain; Keystone stores domains as projects, hence the (always empty) `tags`. */
export function domainView(request: FastifyRequest, domain: Domain): View {
  return {
    id: domain.id,
    name: domain.name,
    description: domain.description,
    enabled: domain.enabled,
    tags: [],
    options: domain.options,
    links: selfLinks(request, `/domains/${domain.id}`),
  }
}

/** A group. */
export function groupView(request: FastifyRequest, group: Group): View {
  const { id, name, domainId, description } = group
  return { id, name, domain_id: domainId, description, links: selfLinks(request, `/groups/${id}`) }
}

/** A role; `domain_id` is null for a global role. */
export function roleView(request: FastifyRequest, role: Role): View {
  const { id, name, domainId, description, options } = role
  return { id, name, domain_id: domainId, description, options, links: selfLinks(request, `/roles/${id}`) }
}

/** A region of the catalog. */
export function regionView(request: FastifyRequest, region: Region): View {
  return {
    id: region.id,
    description: region.description,
    parent_region_id: region.parentRegionId,
    links: selfLinks(request, `/regions/${region.id}`),
  }
}

/** A service of the catalog. */
export function serviceView(request: FastifyRequest, service: Service): View {
  const { id, type, name, description, enabled } = service
  return { id, type, name, description, enabled, links: selfLinks(request, `/services/${id}`) }
}

/** An endpoint: its region both as the legacy `region` and as `region_id`, as Keystone shows it. */
export function endpointView(request: FastifyRequest, endpoint: Endpoint): View {
  return {
    id: endpoint.id,
    interface: endpoint.interface,
    region: endpoint.regionId,
    region_id: endpoint.regionId,
    service_id: endpoint.serviceId,
    url: endpoint.url,
    enabled: endpoint.enabled,
    links: selfLinks(request, `/endpoints/${endpoint.id}`),
  }
}

/** A credential, its blob the string the client stored. */
export function credentialView(request: FastifyRequest, credential: Credential): View {
  const { id, userId, projectId, type, blob } = credential
  return {
    id,
    user_id: userId,
    project_id: projectId,
    type,
    blob,
    links: selfLinks(request, `/credentials/${id}`),
  }
}

/** An application credential; `secret` only in the answer to its creation. */
export function appCredentialView(request: FastifyRequest, credential: ApplicationCredential): View {
  const { id, name, description, userId, projectId, expiresAt, unrestricted, roles, secret } = credential
  return {
    id,
    name,
    description,
    user_id: userId,
    project_id: projectId,
    // Keystone shows this one naive, with microseconds, as it was sent: `2026-01-01T00:00:00.123456`.
    expires_at: expiresAt ? expiresAt.replace(/Z$/, '') : null,
    unrestricted,
    roles: roles.map((role) => ({ id: role.id, name: role.name, domain_id: null })),
    ...(secret !== undefined && { secret }),
    links: selfLinks(request, `/users/${userId}/application_credentials/${id}`),
  }
}
