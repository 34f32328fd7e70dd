import { type RawBuilder, type SelectQueryBuilder, type SqlBool, sql } from 'kysely'
import { z } from 'zod'
import { CloudError, parseOrThrow } from './errors.js'

/** A sort direction. */
export type SortDir = 'asc' | 'desc'

/** One sort key with its direction. */
export interface SortSpec {
  key: string
  dir: SortDir
}

// OpenStack takes `sort_key=a&sort_key=b`: one value or several, always handled as a list.
const oneOrMany = <T extends z.ZodType>(item: T) =>
  z
    .union([item, z.array(item)])
    .optional()
    .transform((value): z.output<T>[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]))

/**
 * The paging part of every list call: `limit` (≥ 1; larger than the service's maximum is clamped, as Nova and
 * Neutron do), `marker` (the id of the last item of the previous page), and `sortKey`/`sortDir`, each one value or
 * several. Query-string numbers (`"20"`) are accepted.
 */
export const listQuerySchema = z.object({
  limit: z
    .union([z.number(), z.string().regex(/^\d+$/).transform(Number)])
    .pipe(z.number().int().min(1))
    .optional(),
  marker: z.string().min(1).max(255).optional(),
  sortKey: oneOrMany(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { message: 'not a column name' })),
  sortDir: oneOrMany(z.enum(['asc', 'desc'])),
})

/** A parsed list query; see {@link listQuerySchema}. */
export type ListQuery = z.output<typeof listQuerySchema>
/** What a list call accepts; see {@link listQuerySchema}. */
export type ListQueryInput = z.input<typeof listQuerySchema>

/** Options of {@link paginate}: what the service allows. */
export interface PaginateOptions {
  /** Columns of the table that callers may sort by (`id` always may). */
  sortable: readonly string[]
  /** Sort used when the caller names no key; default `id asc`. */
  defaultSort?: readonly SortSpec[]
  /** Largest page (Nova's `max_limit`); default 1000. */
  maxLimit?: number
}

/** One page of a list. */
export interface Page<T> {
  items: T[]
  /** Marker of the next page; absent on the last page. */
  next?: string
}

/** Default largest page, Nova's and Neutron's `max_limit`. */
export const DEFAULT_MAX_LIMIT = 1000

/** Resolves the caller's sort keys and directions against what the service allows; `id` is always appended. */
export function resolveSort(query: ListQuery, options: PaginateOptions): SortSpec[] {
  const keys = [...new Set(query.sortKey)]
  const dirs = query.sortDir
  const defaults = options.defaultSort ?? [{ key: 'id', dir: 'asc' }]
  const base = keys.length === 0 ? defaults.map((spec) => spec.key) : keys
  if (dirs.length > base.length) {
    throw new CloudError('INVALID', 'Sort direction size exceeds sort key size', {
      details: { path: 'sortDir' },
    })
  }
  const specs = base.map((key, i): SortSpec => {
    if (keys.length > 0 && key !== 'id' && !options.sortable.includes(key)) {
      throw new CloudError(
        'INVALID',
        `Sort key [${key}] is not supported; sortable: ${['id', ...options.sortable].join(', ')}`,
        {
          details: { path: 'sortKey', key },
        },
      )
    }
    // A direction missing for a later key follows the first given one (Nova's rule), else the default.
    return { key, dir: dirs[i] ?? dirs[0] ?? defaults[i]?.dir ?? defaults[0]?.dir ?? 'asc' }
  })
  // Without a unique last key, rows that tie on every sort key could be skipped or repeated across pages.
  if (!specs.some((spec) => spec.key === 'id')) specs.push({ key: 'id', dir: specs.at(-1)?.dir ?? 'asc' })
  return specs
}

/**
 * Runs one page of `qb` (a query over `table` with its filters applied, selecting at least `id`) using keyset
 * pagination: rows after the marker row in the sort order, `limit + 1` fetched to learn whether a next page
 * exists. NULLs sort first ascending and last descending on both dialects.
 *
 * @throws CloudError `INVALID` for an unknown sort key, or a marker that is not a row `qb` can see
 *   (Nova's `marker [<id>] not found`).
 */
export async function paginate<DB, TB extends keyof DB & string, O extends { id: string }>(
  qb: SelectQueryBuilder<DB, TB, O>,
  table: TB,
  query: ListQueryInput,
  options: PaginateOptions,
): Promise<Page<O>> {
  const parsed = parseOrThrow(listQuerySchema, query, 'query')
  const specs = resolveSort(parsed, options)
  const maxLimit = options.maxLimit ?? DEFAULT_MAX_LIMIT
  const limit = Math.min(parsed.limit ?? maxLimit, maxLimit)
  const ref = (key: string) => sql.ref(`${table}.${key}`)

  let page = qb.clearOrderBy().clearLimit().clearOffset()
  if (parsed.marker !== undefined) {
    // The marker row is looked up through the caller's own filters: a row the caller cannot list is no marker.
    const row: Record<string, unknown> | undefined = await page
      .clearSelect()
      .select(specs.map((spec) => ref(spec.key).as(spec.key)))
      .where(sql<SqlBool>`${ref('id')} = ${parsed.marker}`)
      .executeTakeFirst()
    if (!row) {
      throw new CloudError('INVALID', `marker [${parsed.marker}] not found`, {
        resource: { type: table, id: parsed.marker },
        details: { path: 'marker' },
      })
    }
    page = page.where(after(specs, row, ref))
  }
  for (const { key, dir } of specs) {
    page = page.orderBy(ref(key), (ob) => (dir === 'asc' ? ob.asc().nullsFirst() : ob.desc().nullsLast()))
  }
  const rows = await page.limit(limit + 1).execute()
  if (rows.length <= limit) return { items: rows }
  const items = rows.slice(0, limit)
  return { items, next: String(items.at(-1)!.id) }
}

// Row-value comparison `(a, b) > (x, y)` cannot mix directions or handle NULLs, so the condition is spelled out:
// (k1 after v1) or (k1 = v1 and k2 after v2) or … with NULL treated as the smallest value.
function after(
  specs: readonly SortSpec[],
  marker: Record<string, unknown>,
  ref: (key: string) => RawBuilder<unknown>,
): RawBuilder<SqlBool> {
  const disjuncts: RawBuilder<SqlBool>[] = []
  const equal: RawBuilder<SqlBool>[] = []
  for (const { key, dir } of specs) {
    const value = marker[key] ?? null
    const column = ref(key)
    let beyond: RawBuilder<SqlBool> | undefined
    if (value === null) beyond = dir === 'asc' ? sql<SqlBool>`${column} is not null` : undefined
    else if (dir === 'asc') beyond = sql<SqlBool>`${column} > ${value}`
    else beyond = sql<SqlBool>`(${column} < ${value} or ${column} is null)`
    if (beyond) disjuncts.push(sql<SqlBool>`(${sql.join([...equal, beyond], sql` and `)})`)
    equal.push(value === null ? sql<SqlBool>`${column} is null` : sql<SqlBool>`${column} = ${value}`)
  }
  // `id` is last and never NULL, so there is always at least one disjunct.
  return sql<SqlBool>`(${sql.join(disjuncts, sql` or `)})`
}
