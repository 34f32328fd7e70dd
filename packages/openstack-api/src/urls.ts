import type { FastifyRequest } from 'fastify'

/** An OpenStack link object, as in `links: [{ rel: 'self', href }]`. */
export interface Link {
  /** `self`, `bookmark`, `next`, `describedby` … */
  rel: string
  /** An absolute URL. */
  href: string
  /** Media type of the target, where OpenStack gives one (`describedby` links). */
  type?: string
}

// A host name, IPv4 address or bracketed IPv6 address, with an optional port. Anything else in a Host header
// (or X-Forwarded-Host) would be copied into every link of the answer, so it is not trusted.
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/

/**
 * The scheme and authority the client used, e.g. `https://cloud.example:8443`, from which every link of an
 * answer is built. `X-Forwarded-Proto` and `X-Forwarded-Host` count only when the server was created with
 * `trustProxy` (fastify applies it); a scheme other than http(s) or a malformed host falls back to `http` and
 * `localhost`.
 */
export function baseUrl(request: FastifyRequest): string {
  const protocol = request.protocol === 'https' ? 'https' : 'http'
  const host = HOST.test(request.host) ? request.host : 'localhost'
  return `${protocol}://${host}`
}

/** An absolute URL for a path of this server (`/compute/v2.1/servers/1` → `http://host/compute/v2.1/…`). */
export function absoluteUrl(request: FastifyRequest, path: string): string {
  return `${baseUrl(request)}${path.startsWith('/') ? path : `/${path}`}`
}

/** A `self` link to a path of this server: `{ rel: 'self', href: 'http://host/…' }`. */
export function selfLink(request: FastifyRequest, path: string): Link {
  return { rel: 'self', href: absoluteUrl(request, path) }
}

/** A `bookmark` link (Nova's and Cinder's unversioned resource URL) to a path of this server. */
export function bookmarkLink(request: FastifyRequest, path: string): Link {
  return { rel: 'bookmark', href: absoluteUrl(request, path) }
}

/** The path and the query string of the request URL, split at the first `?` (the query without it). */
export function splitUrl(request: FastifyRequest): { path: string; query: string } {
  const at = request.url.indexOf('?')
  return at === -1
    ? { path: request.url, query: '' }
    : { path: request.url.slice(0, at), query: request.url.slice(at + 1) }
}
