import { CloudError, fromZodError } from '@nubis/sdk'
import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import { parseBody } from '../body.js'

// Keystone speaks snake_case and wraps every body (`{"user": {...}}`); the SDK takes camelCase objects. These
// helpers translate one into the other and let the SDK's own schemas judge the result, so a bad field is
// reported under the name the client sent (`Invalid user.domain_id: …`).

/** Keystone's names of an object's fields, mapped to the SDK's (`domain_id` → `domainId`). */
export type FieldMap = Readonly<Record<string, string>>

/** What happens to the keys a {@link FieldMap} does not name. */
export interface RenameOptions {
  /** Keep them in `extra`, as Keystone keeps unknown attributes of users and projects; else drop them. */
  extra?: boolean
  /** The id in the URL of an update: a body `id` must match it (Keystone's "Cannot change ID"), then is dropped. */
  id?: string
}

// Never stored as extra attributes: Keystone sets the id itself and builds the links.
const NEVER_EXTRA = new Set(['id', 'links'])

/**
 * Renames the keys of `source` per `fields`. Keys it does not name go to `extra` when `options.extra` is set
 * and are dropped otherwise, as Keystone accepts (and keeps) attributes it has no column for.
 */
export function rename(
  source: Readonly<Record<string, unknown>>,
  fields: FieldMap,
  options: RenameOptions = {},
): Record<string, unknown> {
  if (options.id !== undefined && source.id !== undefined && source.id !== options.id) {
    throw new CloudError('INVALID', 'Cannot change ID', { details: { path: 'id' } })
  }
  const out: Record<string, unknown> = {}
  const extra: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(source)) {
    if (key === 'id' && options.id !== undefined) continue
    const to = Object.hasOwn(fields, key) ? fields[key] : undefined
    if (to !== undefined) out[to] = value
    else if (options.extra && !NEVER_EXTRA.has(key)) extra[key] = value
  }
  if (Object.keys(extra).length > 0) out.extra = extra
  return out
}

/** The object inside a wrapped body: `{"user": {...}}` → `{...}`; INVALID when it is missing or not an object. */
export function unwrap(body: unknown, key: string): Record<string, unknown> {
  const envelope = z.object({ [key]: z.record(z.string(), z.unknown()) })
  const parsed: Record<string, Record<string, unknown>> = parseBody(envelope, body)
  return parsed[key] ?? {}
}

/**
 * Reads the resource `key` of a Keystone request body as the SDK input `schema` describes: unwrapped, renamed
 * per `fields`, and validated by the SDK's schema with failures named in snake_case. The result is the renamed
 * input (the SDK applies the schema's defaults and transforms itself).
 *
 * @example
 * const input = readResource(UserCreateSchema, request.body, 'user', USER_FIELDS, { extra: true })
 */
export function readResource<S extends z.ZodType>(
  schema: S,
  body: unknown,
  key: string,
  fields: FieldMap,
  options: RenameOptions = {},
): z.input<S> {
  const input = rename(unwrap(body, key), fields, options)
  checkInput(schema, input, key, fields)
  return input as z.input<S>
}

/** Validates an already renamed input with the SDK's `schema`, naming a bad field as Keystone does. */
export function checkInput(schema: z.ZodType, input: unknown, what: string, fields: FieldMap): void {
  const result = schema.safeParse(input)
  if (result.success) return
  const keystoneName = new Map(Object.entries(fields).map(([snake, camel]) => [camel, snake]))
  const issues = result.error.issues.map((issue) => {
    const [head, ...rest] = issue.path
    const name = typeof head === 'string' ? (keystoneName.get(head) ?? head) : head
    return { ...issue, path: name === undefined ? [] : [name, ...rest] }
  })
  throw fromZodError(new z.ZodError(issues), what)
}

// Keystone's paging and sorting parameters, where a list is paged (`?limit=2&marker=<id>`).
const PAGING: FieldMap = { limit: 'limit', marker: 'marker', sort_key: 'sortKey', sort_dir: 'sortDir' }

/**
 * The SDK's list filters from the query string: the parameters `fields` names, renamed, with `limit`,
 * `marker`, `sort_key` and `sort_dir`. Other parameters are ignored, as Keystone ignores filters it does not
 * know; the SDK's filter schemas parse the values (`enabled=true`).
 *
 * @example
 * const page = await identity.listUsers(request.ctx, listQuery(request, { name: 'name', domain_id: 'domainId' }))
 */
export function listQuery<T extends object>(request: FastifyRequest, fields: FieldMap): T {
  return rename(queryOf(request), { ...PAGING, ...fields }) as T
}

/** The query string as an object of strings (or lists of strings for repeated parameters). */
export function queryOf(request: FastifyRequest): Readonly<Record<string, unknown>> {
  const query: unknown = request.query
  return query !== null && typeof query === 'object' ? (query as Record<string, unknown>) : {}
}

/**
 * A Keystone boolean query flag (`?effective`, `?include_names`, `?parents_as_list`): true when present with
 * any value but `0`, even empty, as Keystone's `query_filter_is_true` reads it.
 */
export function queryFlag(request: FastifyRequest, name: string): boolean {
  const value = queryOf(request)[name]
  if (value === undefined) return false
  const last = Array.isArray(value) ? value.at(-1) : value
  return String(last ?? '').trim() !== '0'
}

/** A single-valued query parameter (the last one when repeated), or undefined. */
export function queryString(request: FastifyRequest, name: string): string | undefined {
  const value = queryOf(request)[name]
  const last: unknown = Array.isArray(value) ? value.at(-1) : value
  return typeof last === 'string' ? last : undefined
}
