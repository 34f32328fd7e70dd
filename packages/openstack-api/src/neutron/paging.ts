import type { FastifyRequest } from 'fastify'
import { absoluteUrl, type Link, splitUrl } from '../urls.js'
import type { NeutronListQuery } from './list-query.js'
import type { ListPage } from './sdk-types.js'

// Neutron answers a list without `limit` whole, and with one a page plus `<collection>_links`. The SDK pages
// forward only, at most its maximum per call: a whole list is read page after page, and a reversed page
// (`page_reverse=True`, the items before the marker) is read forward in the opposite order, then turned round.

/** The items of one answer, and whether more lie beyond them in the direction read. */
export interface ListResult<T> {
  items: T[]
  more: boolean
}

/** Runs a list call for `query`: every page when no limit is given, else one page of `limit` items. */
export async function runList<T extends { id: string }>(
  list: (filter: Record<string, unknown>) => Promise<ListPage<T>>,
  query: NeutronListQuery,
): Promise<ListResult<T>> {
  const filter = query.pageReverse ? reversed(query.filter) : { ...query.filter }
  if (query.limit !== undefined) {
    const page = await list({ ...filter, limit: query.limit })
    return { items: query.pageReverse ? page.items.reverse() : page.items, more: page.next !== undefined }
  }
  const items: T[] = []
  for (let marker = query.marker; ; ) {
    const page = await list({ ...filter, ...(marker !== undefined && { marker }) })
    items.push(...page.items)
    if (page.next === undefined || page.items.length === 0) break
    marker = page.next
  }
  return { items: query.pageReverse ? items.reverse() : items, more: false }
}

/** The filter with every sort direction flipped (`id desc` when no sort was asked for). */
function reversed(filter: Record<string, unknown>): Record<string, unknown> {
  const keys = (filter.sortKey as string[] | undefined) ?? ['id']
  const dirs = (filter.sortDir as string[] | undefined) ?? keys.map(() => 'asc')
  return { ...filter, sortKey: keys, sortDir: dirs.map((dir) => (dir === 'asc' ? 'desc' : 'asc')) }
}

/**
 * Neutron's `<collection>_links` of a paged answer: `next` (marker: the last item) while items follow, and
 * `previous` (marker: the first item, `page_reverse=True`) while items precede; nothing without `limit`.
 */
export function neutronPageLinks(
  request: FastifyRequest,
  collection: string,
  query: NeutronListQuery,
  result: ListResult<{ id: string }>,
): Record<string, Link[]> {
  if (query.limit === undefined) return {}
  const first = result.items[0]?.id ?? query.marker
  const last = result.items.at(-1)?.id ?? query.marker
  // Read forward, `more` means items follow; reversed, items precede. A marker means items lie on its other side.
  const hasNext = query.pageReverse ? query.marker !== undefined : result.more
  const hasPrevious = query.pageReverse ? result.more : query.marker !== undefined
  const links: Link[] = []
  if (hasNext && last !== undefined) links.push({ rel: 'next', href: pageUrl(request, last, false) })
  if (hasPrevious && first !== undefined) links.push({ rel: 'previous', href: pageUrl(request, first, true) })
  return links.length > 0 ? { [`${collection}_links`]: links } : {}
}

/** The request's URL with `marker` (and `page_reverse` for a previous page) replaced. */
function pageUrl(request: FastifyRequest, marker: string, reverse: boolean): string {
  const { path, query } = splitUrl(request)
  const params = new URLSearchParams(query)
  params.set('marker', marker)
  params.delete('page_reverse')
  if (reverse) params.set('page_reverse', 'True')
  return absoluteUrl(request, `${path}?${params}`)
}
