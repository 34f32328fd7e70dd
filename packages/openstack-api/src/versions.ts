import { CloudError } from '@nubis/sdk'
import type { FastifyRequest } from 'fastify'
import { absoluteUrl, type Link } from './urls.js'

/** A media type entry of a version document (`{ base: 'application/json', type: '…identity-v3+json' }`). */
export interface MediaType {
  /** The base media type, `application/json`. */
  base: string
  /** The API's vendor media type. */
  type: string
}

/** One version of one API, as a plugin describes it. */
export interface VersionInfo {
  /** `v3.14`, `v2.1`, `v2.0` … */
  id: string
  /** `stable` (Keystone), `CURRENT`, `SUPPORTED`, `DEPRECATED` (Nova, Neutron, Cinder, Glance). */
  status: string
  /** Where the version is served: a path of the server, e.g. `/identity/v3/`. */
  path: string
  /** ISO 8601 date of the version's last change. */
  updated?: string
  /** Highest microversion (Nova, Cinder): `2.96`. */
  version?: string
  /** Lowest microversion (Nova, Cinder): `2.1`. */
  minVersion?: string
  /** Keystone lists its media types. */
  mediaTypes?: readonly MediaType[]
}

/** A {@link VersionInfo} in the registry, with the API that registered it. */
export interface RegisteredVersion extends VersionInfo {
  /** The API's name, e.g. `identity`. */
  api: string
}

/** A version as clients read it: absolute links, OpenStack's field names. */
export interface VersionEntry {
  id: string
  status: string
  updated?: string
  version?: string
  min_version?: string
  links: Link[]
  'media-types'?: MediaType[]
}

/**
 * The versions of the APIs mounted on a server. Plugins register theirs when they are registered (`defineApi`
 * does it); the server's `/` answers with all of them, so it never advertises an API that would answer 404.
 */
export class VersionRegistry {
  readonly #entries: RegisteredVersion[] = []

  /** Adds a version. The same path twice is a mistake in the plugin setup, so it throws CONFLICT. */
  register(api: string, info: VersionInfo): void {
    if (this.#entries.some((entry) => entry.path === info.path)) {
      throw new CloudError('CONFLICT', `A version is already registered at ${info.path}`)
    }
    this.#entries.push({ ...info, api })
  }

  /** Registered versions, all of them or those of one API, in registration order. */
  list(api?: string): readonly RegisteredVersion[] {
    return api === undefined ? [...this.#entries] : this.#entries.filter((entry) => entry.api === api)
  }
}

/** A version as clients read it, with its `self` link made absolute for this request. */
export function versionEntry(request: FastifyRequest, info: VersionInfo): VersionEntry {
  return {
    id: info.id,
    status: info.status,
    ...(info.updated !== undefined && { updated: info.updated }),
    ...(info.version !== undefined && { version: info.version }),
    ...(info.minVersion !== undefined && { min_version: info.minVersion }),
    links: [{ rel: 'self', href: absoluteUrl(request, info.path) }],
    ...(info.mediaTypes && { 'media-types': info.mediaTypes.map((media) => ({ ...media })) }),
  }
}

/**
 * Keystone's multiple-choice document, `{ versions: { values: [...] } }`, answered with status 300 at an API's
 * root and at the server's `/`.
 */
export function versionDocument(
  request: FastifyRequest,
  infos: readonly VersionInfo[],
): { versions: { values: VersionEntry[] } } {
  return { versions: { values: infos.map((info) => versionEntry(request, info)) } }
}

/** Nova's, Neutron's, Cinder's and Glance's multiple-choice document: `{ versions: [...] }`. */
export function versionList(
  request: FastifyRequest,
  infos: readonly VersionInfo[],
): { versions: VersionEntry[] } {
  return { versions: infos.map((info) => versionEntry(request, info)) }
}
