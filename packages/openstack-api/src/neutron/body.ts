import { CloudError, fromZodError } from '@nubis/sdk'
import { z } from 'zod'

// Neutron's request bodies are wrapped (`{"network": {...}}`, or `{"networks": [...]}` for a bulk create) and
// snake_case, with a few namespaced names (`router:external`, `binding:host_id`); the SDK takes camelCase objects.
// These helpers unwrap, rename, convert the values Neutron converts itself (`"True"`, `"42"`), refuse attributes
// the resource does not have (Neutron's 400 "Unrecognized attribute(s)"), and let the SDK's own schema judge
// the result, with a failure named as the client named the field.

/** How one Neutron attribute of a body becomes an SDK input field. */
export interface AttributeRule {
  /** The SDK's name of the field. */
  field: string
  /** Neutron's own conversion of the JSON value (`convert_to_boolean`, `convert_to_int` …). */
  convert?: (value: unknown) => unknown
}

/** The attributes a body may carry, by Neutron name: an SDK field name, or a rule with a conversion. */
export type AttributeMap = Readonly<Record<string, string | AttributeRule>>

const TRUE = new Set(['true', '1', 'yes', 'on'])
const FALSE = new Set(['false', '0', 'no', 'off'])

/** Neutron's `convert_to_boolean`: `"True"`, `"false"`, `1`, `0` → booleans; anything else is left to the schema. */
export function toBoolean(value: unknown): unknown {
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase()
    if (TRUE.has(text)) return true
    if (FALSE.has(text)) return false
  }
  if (value === 0 || value === 1) return value === 1
  return value
}

/** Neutron's `convert_to_int`: a string of digits → a number; anything else is left to the schema. */
export function toInteger(value: unknown): unknown {
  return typeof value === 'string' && /^\s*[+-]?\d{1,15}\s*$/.test(value) ? Number(value) : value
}

/** `ip_address` → `ipAddress`. */
export const camelCase = (name: string): string =>
  name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

/** `ipAddress` → `ip_address`. */
export const snakeCase = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

/** Renames the keys of nested objects (`fixed_ips: [{subnet_id}]`) to camelCase, at every depth. */
export function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [camelCase(key), camelKeys(item)]))
}

/** A boolean attribute, read with {@link toBoolean}. */
export const boolean = (field: string): AttributeRule => ({ field, convert: toBoolean })
/** An integer attribute, read with {@link toInteger}. */
export const integer = (field: string): AttributeRule => ({ field, convert: toInteger })
/** An attribute holding snake_case objects (`fixed_ips`, `allocation_pools`), renamed with {@link camelKeys}. */
export const nested = (field: string): AttributeRule => ({ field, convert: camelKeys })

/**
 * A list attribute where `null` means the empty list, as Neutron's `convert_none_to_empty_list` reads
 * `routes`, `host_routes`, `dns_nameservers` and `security_groups` (Tempest clears routes with `routes: null`).
 */
export const list = (
  field: string,
  convert: (value: unknown) => unknown = (value) => value,
): AttributeRule => ({
  field,
  convert: (value) => (value === null ? [] : convert(value)),
})

const ruleOf = (rule: string | AttributeRule): AttributeRule =>
  typeof rule === 'string' ? { field: rule } : rule

const invalid = (message: string, path: string) => new CloudError('INVALID', message, { details: { path } })

/**
 * The objects of a create body: `[object]` for `{"<member>": {...}}`, the list for a bulk `{"<collection>": [...]}`
 * when `collection` is given. Anything else is Neutron's 400.
 */
export function createItems(
  body: unknown,
  member: string,
  collection?: string,
): { items: object[]; bulk: boolean } {
  const envelope = isObject(body) ? body : {}
  if (collection !== undefined && Array.isArray(envelope[collection])) {
    const items = envelope[collection] as unknown[]
    if (items.length === 0) throw invalid(`Resources required: ${collection} is empty`, collection)
    if (!items.every(isObject)) throw invalid(`Every item of ${collection} must be an object`, collection)
    return { items, bulk: true }
  }
  return { items: [memberOf(body, member)], bulk: false }
}

/** The object of `{"<member>": {...}}`; 400 when the body has no such object. */
export function memberOf(body: unknown, member: string): Record<string, unknown> {
  const value = isObject(body) ? body[member] : undefined
  if (!isObject(value)) throw invalid(`Unable to find '${member}' in request body`, member)
  return value
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** What {@link toInput} needs to know besides the attribute map. */
export interface InputOptions {
  /** `POST` or `PUT`: which message refuses a read-only attribute. */
  method: 'POST' | 'PUT'
  /** Attributes the resource shows but a body may not set here (`id`, `status` …). */
  readOnly: readonly string[]
  /** The SDK's input schema, which judges the renamed object. */
  schema: z.ZodType
  /** The member name, for messages (`network`). */
  member: string
}

/**
 * Renames a Neutron object per `attributes` into the SDK's input, converting values as Neutron does, and checks
 * it with the SDK's schema. An attribute the map lacks is a 400, as Neutron refuses it.
 */
export function toInput(
  object: Readonly<Record<string, unknown>>,
  attributes: AttributeMap,
  options: InputOptions,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const unknown: string[] = []
  for (const [key, value] of Object.entries(object)) {
    const rule = Object.hasOwn(attributes, key) ? attributes[key] : undefined
    if (rule !== undefined) {
      const { field, convert } = ruleOf(rule)
      out[field] = convert ? convert(value) : value
    } else if (options.readOnly.includes(key)) {
      throw options.method === 'POST'
        ? invalid(`Attribute '${key}' not allowed in POST`, key)
        : invalid(`Cannot update read-only attribute ${key}`, key)
    } else unknown.push(key)
  }
  if (unknown.length > 0) throw invalid(`Unrecognized attribute(s) '${unknown.join(', ')}'`, unknown[0]!)
  sameOwner(object)
  checkInput(options.schema, out, options.member, attributes)
  return out
}

/** `tenant_id` and `project_id` are one attribute under two names: both given and different is Neutron's 400. */
function sameOwner(object: Readonly<Record<string, unknown>>): void {
  const { tenant_id: tenant, project_id: project } = object
  if (tenant !== undefined && project !== undefined && tenant !== project) {
    throw invalid("'project_id' and 'tenant_id' do not match", 'project_id')
  }
}

/** Validates a renamed input with the SDK's `schema`, naming a bad field as the client sent it. */
export function checkInput(
  schema: z.ZodType,
  input: unknown,
  member: string,
  attributes: AttributeMap,
): void {
  const result = schema.safeParse(input)
  if (result.success) return
  const neutronName = new Map(Object.entries(attributes).map(([name, rule]) => [ruleOf(rule).field, name]))
  neutronName.set('projectId', 'project_id')
  const issues = result.error.issues.map((issue) => {
    const [head, ...rest] = issue.path
    const name = typeof head === 'string' ? (neutronName.get(head) ?? snakeCase(head)) : head
    const tail = rest.map((part) => (typeof part === 'string' ? snakeCase(part) : part))
    return { ...issue, path: name === undefined ? [] : [name, ...tail] }
  })
  throw fromZodError(new z.ZodError(issues), member)
}
