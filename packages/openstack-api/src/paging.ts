import type { FastifyRequest } from 'fastify'
import { absoluteUrl, type Link, splitUrl } from './urls.js'

/** What the link helpers need of a page: the marker of the next page, absent on the last one. */
export interface PageMarker {
  /** The `marker` that fetches the next page (the last item's id), as the SDK's `paginate` returns it. */
  next?: string
}

/** The `<collection>_links` member of a Nova, Neutron or Cinder list answer. */
export type PageLinks<K extends string> = { [P in `${K}_links`]?: Link[] }

/**
 * The URL of the page after `page`: the request's own URL with `marker` set to `page.next`, every other
 * query parameter (`limit`, filters, repeated `sort_key`s) kept as the client sent it.
 */
export function nextPageUrl(request: FastifyRequest, page: PageMarker): string | undefined {
  if (page.next === undefined) return undefined
  const { path, query } = splitUrl(request)
  const params = new URLSearchParams(query)
  params.set('marker', page.next)
  return absoluteUrl(request, `${path}?${params}`)
}

/**
 * Nova's, Neutron's and Cinder's paging links, to spread into a list answer:
 * `{ servers: [...], ...pageLinks(request, page, 'servers') }` adds
 * `servers_links: [{ rel: 'next', href: '…/servers?limit=2&marker=<id>' }]` when there is a next page, and
 * nothing on the last page, as those APIs do.
 */
export function pageLinks<K extends string>(
  request: FastifyRequest,
  page: PageMarker,
  collectionKey: K,
): PageLinks<K> {
  const next = nextPageUrl(request, page)
  if (next === undefined) return {}
  return { [`${collectionKey}_links`]: [{ rel: 'next', href: next }] } as PageLinks<K>
}

/** Keystone's `links` member of a list answer. */
export interface CollectionLinks {
  /** The URL of this answer, query included. */
  self: string
  /** Always null: Keystone does not page backwards. */
  previous: string | null
  /** The next page, or null on the last (or only) page. */
  next: string | null
}

/**
 * Keystone's list links: `{ users: [...], links: collectionLinks(request, page) }` gives
 * `{ self, previous: null, next }`. Without a page (Keystone lists are not paged by default) `next` is null.
 */
export function collectionLinks(request: FastifyRequest, page: PageMarker = {}): CollectionLinks {
  return {
    self: absoluteUrl(request, request.url),
    previous: null,
    next: nextPageUrl(request, page) ?? null,
  }
}
