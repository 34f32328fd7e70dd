import { CloudError } from '@nubis/sdk'
import type { ImageListQuery } from './sdk-types.js'

// `GET /v2/images` takes Glance's query: paging (`limit`, `marker`), sorting in two syntaxes, named filters
// (`size` exactly, as Glance filters every base attribute), and any other parameter as a custom property filter. Parameters are validated with Glance's messages here; the
// values themselves (sizes, booleans, statuses) are judged by the SDK's filter schema.

/** Glance's page size when the client names none (`limit_param_default`). */
export const DEFAULT_PAGE_SIZE = 25

/** Sort keys Glance accepts (`_available_sort_keys`), mapped to the SDK's names for them. */
export const SORT_KEYS: Readonly<Record<string, string>> = {
  name: 'name',
  status: 'status',
  container_format: 'container_format',
  disk_format: 'disk_format',
  size: 'size',
  id: 'id',
  created_at: 'created_at',
  updated_at: 'updated_at',
}

/** Query parameters that name a filter, mapped to the SDK's filter names. */
const FILTERS: Readonly<Record<string, keyof ImageListQuery>> = {
  name: 'name',
  status: 'status',
  visibility: 'visibility',
  owner: 'owner',
  disk_format: 'diskFormat',
  container_format: 'containerFormat',
  protected: 'protected',
  os_hidden: 'hidden',
  size_min: 'sizeMin',
  size_max: 'sizeMax',
  member_status: 'memberStatus',
}

// Base attributes Glance filters on that the SDK cannot (yet): refusing them is better than reading them as
// custom properties, which would silently match nothing.
const UNSUPPORTED = new Set([
  'id',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'created_at',
  'updated_at',
  'virtual_size',
  'min_ram',
  'min_disk',
])

// Filters Glance also takes as `in:a,b` lists, which the SDK cannot match.
const LIST_FILTERS = new Set(['name', 'status', 'container_format', 'disk_format'])

const PAGING = new Set(['limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'tag', 'size'])

const invalid = (message: string, path: string) => new CloudError('INVALID', message, { details: { path } })

/** A key Glance accepts for sorting, else INVALID with its message. */
function sortKey(key: string): string {
  const mapped = Object.hasOwn(SORT_KEYS, key) ? SORT_KEYS[key] : undefined
  if (mapped === undefined) {
    const available = Object.keys(SORT_KEYS).join(', ')
    throw invalid(`Invalid sort key: ${key}. It must be one of the following: ${available}.`, 'sort_key')
  }
  return mapped
}

/** `asc` or `desc`, else INVALID with Glance's message. */
function sortDir(dir: string): 'asc' | 'desc' {
  if (dir !== 'asc' && dir !== 'desc') throw invalid(`Invalid sort direction: ${dir}`, 'sort_dir')
  return dir
}

/**
 * The sort of a list request, as Glance reads it: `sort=name:asc,size:desc`, or repeated `sort_key`/`sort_dir`
 * where one direction applies to every key and several must pair with the keys. Default `created_at desc`.
 */
export function sortOf(params: URLSearchParams): { sortKey: string[]; sortDir: ('asc' | 'desc')[] } {
  if (params.has('sort')) {
    if (params.has('sort_key') || params.has('sort_dir')) {
      throw invalid('Old and new sorting syntax cannot be combined', 'sort')
    }
    const pairs = (params.get('sort') ?? '').trim().split(',')
    const specs = pairs.map((pair) => {
      const [key = '', dir = ''] = pair.split(':', 2)
      return { key: sortKey(key.trim()), dir: sortDir(dir.trim() || 'desc') }
    })
    return { sortKey: specs.map((spec) => spec.key), sortDir: specs.map((spec) => spec.dir) }
  }
  const keys = params.getAll('sort_key').map((key) => sortKey(key.trim()))
  const dirs = params.getAll('sort_dir').map((dir) => sortDir(dir.trim()))
  if (dirs.length > 1 && dirs.length !== keys.length) {
    throw invalid('Number of sort dirs does not match the number of sort keys', 'sort_dir')
  }
  const sortKeys = keys.length > 0 ? keys : ['created_at']
  return { sortKey: sortKeys, sortDir: sortKeys.map((_, i) => dirs[i] ?? dirs[0] ?? 'desc') }
}

/** `limit` as Glance reads it: an integer ≥ 0; default {@link DEFAULT_PAGE_SIZE}. */
function limitOf(params: URLSearchParams): number {
  const raw = params.get('limit')
  if (raw === null) return DEFAULT_PAGE_SIZE
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw invalid('limit param must be an integer', 'limit')
  const limit = Number(raw)
  if (limit < 0) throw invalid('limit param must be positive', 'limit')
  // The SDK pages by at least one; Glance's `limit=0` pages by its default.
  return limit === 0 ? DEFAULT_PAGE_SIZE : limit
}

/** The `listImages` query of a `GET /v2/images` query string. */
export function listQueryOf(query: string): ImageListQuery {
  const params = new URLSearchParams(query)
  if (params.has('changes-since')) {
    throw invalid('The "changes-since" filter is no longer available on v2.', 'changes-since')
  }
  const out: Record<string, unknown> = { limit: limitOf(params), ...sortOf(params) }
  const marker = params.get('marker')
  if (marker !== null) out.marker = marker
  const tags = params.getAll('tag').map((tag) => tag.trim())
  if (tags.length > 0) out.tags = tags
  const properties: Record<string, string> = {}
  for (const key of new Set(params.keys())) {
    if (PAGING.has(key)) continue
    // A repeated single-valued parameter counts once, with its last value, as webob's `params.pop` reads it.
    const value = params.getAll(key).at(-1) ?? ''
    if (UNSUPPORTED.has(key) || (LIST_FILTERS.has(key) && value.startsWith('in:'))) {
      throw new CloudError('NOT_SUPPORTED', `Filtering images by ${key}=${value} is not supported`, {
        details: { path: key },
      })
    }
    const filter = Object.hasOwn(FILTERS, key) ? FILTERS[key] : undefined
    if (filter !== undefined) out[filter] = value
    else properties[key] = value
  }
  if (Object.keys(properties).length > 0) out.properties = properties
  const size = params.getAll('size').at(-1)
  if (size !== undefined) exactSize(out, size)
  return out as ImageListQuery
}

/** `size=N` as the SDK can filter it: the range [N, N], narrowed by `size_min`/`size_max` when also given. */
function exactSize(out: Record<string, unknown>, value: string): void {
  if (!/^\d+$/.test(value.trim())) throw invalid(`Invalid size filter value: ${value}`, 'size')
  const size = Number(value)
  const bound = (key: string) =>
    typeof out[key] === 'string' && /^\d+$/.test(out[key]) ? Number(out[key]) : undefined
  out.sizeMin = Math.max(size, bound('sizeMin') ?? 0)
  out.sizeMax = Math.min(size, bound('sizeMax') ?? size)
}
