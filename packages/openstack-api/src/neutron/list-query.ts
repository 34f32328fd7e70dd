import { CloudError } from '@nubis/sdk'
import { toBoolean, toInteger } from './body.js'

// A Neutron list query: `fields=` (repeatable) trims the objects; any attribute may filter, repeated values
// meaning "any of" (`?name=a&name=b`); `tags`, `tags-any`, `not-tags`, `not-tags-any` take comma-separated tags;
// `sort_key`/`sort_dir` come in pairs; `limit`, `marker` and `page_reverse` page. With the filter-validation
// extension, filtering by an attribute the resource lacks is a 400; one it has but the SDK cannot filter on is a
// 400 too, rather than a filter silently ignored.

/** How a filter's value reaches the SDK. */
export type FilterKind =
  /** One value or a list (the SDK takes either). */
  | 'strings'
  /** One value only: several are refused. */
  | 'string'
  /** Always a list (`security_groups`). */
  | 'list'
  | 'boolean'
  | 'integer'
  /** `fixed_ips=ip_address=…` / `fixed_ips=subnet_id=…`, one object per value. */
  | 'fixed-ips'

/** The filters of one resource, by Neutron name: the SDK field and how the value is read. */
export type FilterMap = Readonly<Record<string, readonly [field: string, kind: FilterKind]>>

/** The filters every resource has. */
export const COMMON_FILTERS: FilterMap = {
  id: ['id', 'strings'],
  tenant_id: ['projectId', 'strings'],
  project_id: ['projectId', 'strings'],
}

/** Neutron's attribute names of sort keys whose SDK column is named otherwise. */
const SORT_COLUMNS: Readonly<Record<string, string>> = {
  tenant_id: 'project_id',
  'router:external': 'external',
  'provider:network_type': 'network_type',
  'provider:physical_network': 'physical_network',
  'provider:segmentation_id': 'segmentation_id',
  port_security_enabled: 'port_security',
  'binding:host_id': 'binding_host_id',
  'binding:vnic_type': 'binding_vnic_type',
  'binding:vif_type': 'binding_vif_type',
}

const TAG_FILTERS: Readonly<Record<string, string>> = {
  tags: 'tags',
  'tags-any': 'tagsAny',
  'not-tags': 'notTags',
  'not-tags-any': 'notTagsAny',
}

const PAGING = new Set(['fields', 'limit', 'marker', 'page_reverse', 'sort_key', 'sort_dir'])

/** A parsed list query. */
export interface NeutronListQuery {
  /** The SDK's filter, with `marker`, `sortKey` and `sortDir` (not `limit`: the lister pages). */
  filter: Record<string, unknown>
  /** `fields=`, or undefined for whole objects. */
  fields: string[] | undefined
  /** Page size; undefined (or `limit=0`) for everything. */
  limit: number | undefined
  marker: string | undefined
  /** `page_reverse=True`: the page before the marker. */
  pageReverse: boolean
}

/** What {@link parseListQuery} needs of the resource. */
export interface ListSpec {
  /** Its filters besides {@link COMMON_FILTERS} and the tag filters. */
  filters: FilterMap
  /** Every attribute it shows: what `sort_key` may name, and what filters are "known but unsupported". */
  attributes: readonly string[]
}

const invalid = (message: string, path: string) => new CloudError('INVALID', message, { details: { path } })

/** Parses a list request's query string for a resource. */
export function parseListQuery(query: string, spec: ListSpec): NeutronListQuery {
  const params = new URLSearchParams(query)
  const filters = { ...COMMON_FILTERS, ...spec.filters }
  const filter: Record<string, unknown> = {}
  for (const key of new Set(params.keys())) {
    if (PAGING.has(key)) continue
    const values = params.getAll(key)
    const tagField = TAG_FILTERS[key]
    if (tagField !== undefined) {
      filter[tagField] = values.flatMap((value) => value.split(',')).filter(Boolean)
      continue
    }
    const rule = Object.hasOwn(filters, key) ? filters[key] : undefined
    if (rule === undefined) {
      if (spec.attributes.includes(key)) {
        throw new CloudError('NOT_SUPPORTED', `Filtering by ${key} is not supported`, {
          details: { path: key },
        })
      }
      throw invalid(`${key} is invalid attribute for filtering`, key)
    }
    const [field, kind] = rule
    filter[field] = filterValue(key, kind, values)
  }
  const marker = params.get('marker') ?? undefined
  if (marker !== undefined) filter.marker = marker
  Object.assign(filter, sortOf(params, spec))
  const fields = params
    .getAll('fields')
    .flatMap((value) => value.split(','))
    .filter(Boolean)
  return {
    filter,
    fields: fields.length > 0 ? fields : undefined,
    limit: limitOf(params.get('limit')),
    marker,
    pageReverse: params.has('page_reverse') && booleanValue('page_reverse', params.get('page_reverse')!),
  }
}

function filterValue(key: string, kind: FilterKind, values: string[]): unknown {
  switch (kind) {
    case 'strings':
      return values.length === 1 ? values[0] : values
    case 'list':
      return values
    case 'fixed-ips':
      return values.map((value) => fixedIpFilter(key, value))
    default: {
      if (values.length > 1) {
        throw new CloudError('NOT_SUPPORTED', `Filtering by several values of ${key} is not supported`, {
          details: { path: key },
        })
      }
      const value = values[0]!
      if (kind === 'boolean') return booleanValue(key, value)
      if (kind === 'integer') return integerValue(key, value)
      return value
    }
  }
}

/** `ip_address=10.0.0.5` or `subnet_id=<id>`, a value of the `fixed_ips` filter. */
function fixedIpFilter(key: string, value: string): { ipAddress?: string; subnetId?: string } {
  const at = value.indexOf('=')
  const name = value.slice(0, at)
  const wanted = value.slice(at + 1)
  if (at > 0 && name === 'ip_address') return { ipAddress: wanted }
  if (at > 0 && name === 'subnet_id') return { subnetId: wanted }
  if (name === 'ip_address_substr') {
    throw new CloudError('NOT_SUPPORTED', 'Filtering by ip_address_substr is not supported', {
      details: { path: key },
    })
  }
  throw invalid(`Invalid input for ${key}: expected ip_address=… or subnet_id=…, got '${value}'`, key)
}

function booleanValue(key: string, value: string): boolean {
  const parsed = toBoolean(value)
  if (typeof parsed !== 'boolean')
    throw invalid(`Invalid input for ${key}: '${value}' is not a valid boolean value`, key)
  return parsed
}

function integerValue(key: string, value: string): number {
  const parsed = toInteger(value)
  if (typeof parsed !== 'number') throw invalid(`Invalid input for ${key}: '${value}' is not an integer`, key)
  return parsed
}

/** `limit` as Neutron reads it: an integer ≥ 0, where 0 means no limit. */
function limitOf(raw: string | null): number | undefined {
  if (raw === null) return undefined
  const limit = toInteger(raw)
  if (typeof limit !== 'number' || limit < 0) {
    throw invalid(`Limit must be an integer 0 or greater and not '${raw}'`, 'limit')
  }
  return limit === 0 ? undefined : limit
}

/** `sort_key`s and `sort_dir`s, which Neutron requires in equal numbers; keys must be attributes. */
function sortOf(
  params: URLSearchParams,
  spec: ListSpec,
): { sortKey?: string[]; sortDir?: ('asc' | 'desc')[] } {
  const keys = params.getAll('sort_key')
  const dirs = params.getAll('sort_dir')
  if (keys.length === 0 && dirs.length === 0) return {}
  if (keys.length !== dirs.length)
    throw invalid('The number of sort_keys and sort_dirs must be same', 'sort_key')
  for (const dir of dirs) {
    if (dir !== 'asc' && dir !== 'desc') {
      throw invalid(`${dir} is invalid value for sort_dir, valid value is 'asc' and 'desc'`, 'sort_dir')
    }
  }
  for (const key of keys) {
    if (!spec.attributes.includes(key)) throw invalid(`${key} is invalid attribute for sort_key`, 'sort_key')
  }
  return { sortKey: keys.map((key) => SORT_COLUMNS[key] ?? key), sortDir: dirs as ('asc' | 'desc')[] }
}
