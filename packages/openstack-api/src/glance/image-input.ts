import { CloudError, fromZodError, ImageCreateSchema } from '@nubis/sdk'
import { z } from 'zod'
import { imageSchema } from './image-schemas.js'
import { checkObject } from './schema-check.js'
import type { ImageCreate } from './sdk-types.js'

// `POST /v2/images` takes a flat object of Glance's attributes, unknown keys being custom properties. Glance's
// deserializer and image factory refuse what the service owns, in this order: `403` for attributes the client
// may never send, `400` for a body its schema rejects, `403` for reserved and read-only names.

/** Glance's settable base attributes, mapped to the SDK's fields. */
export const IMAGE_FIELDS: Readonly<Record<string, string>> = {
  id: 'id',
  name: 'name',
  visibility: 'visibility',
  protected: 'protected',
  os_hidden: 'hidden',
  disk_format: 'diskFormat',
  container_format: 'containerFormat',
  min_disk: 'minDisk',
  min_ram: 'minRam',
  tags: 'tags',
  owner: 'owner',
}

/** Attributes only the service sets; sending one is `Attribute 'x' is read-only.` (403). */
export const READ_ONLY = new Set([
  'created_at',
  'updated_at',
  'status',
  'checksum',
  'size',
  'virtual_size',
  'direct_url',
  'self',
  'file',
  'schema',
  'id',
  'os_hash_algo',
  'os_hash_value',
  'stores',
])

/** Names Glance keeps for itself; sending one is `Attribute 'x' is reserved.` (403). */
export const RESERVED = new Set(['location', 'locations', 'deleted', 'deleted_at'])

/** True for a custom property in Glance's own namespace (`os_glance_import_task` …), which clients may not set. */
export function inReservedNamespace(key: string): boolean {
  return key.startsWith('os_glance')
}

const forbidden = (message: string, path: string) =>
  new CloudError('FORBIDDEN', message, { details: { path } })

/** Refuses a key a client may not set: read-only, reserved, or in Glance's namespace. */
export function checkWritable(key: string, readOnly: ReadonlySet<string> = READ_ONLY): void {
  if (readOnly.has(key)) throw forbidden(`Attribute '${key}' is read-only.`, key)
  if (RESERVED.has(key) || inReservedNamespace(key)) throw forbidden(`Attribute '${key}' is reserved.`, key)
}

// `id` may be chosen at creation, so only the attributes Glance never takes from a client are refused first.
const NEVER_SENT = new Set(['direct_url', 'self', 'file', 'schema', 'stores'])
const READ_ONLY_AT_CREATE = new Set([...READ_ONLY].filter((key) => key !== 'id'))

/**
 * The SDK input of a create body. Nulls of attributes the SDK has no null for (`disk_format`, `owner` …) mean
 * "not set", as Glance reads them.
 */
export function createInput(body: unknown): ImageCreate {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new CloudError(
      'INVALID',
      "Provided object does not match schema 'image': body is not of type 'object'",
    )
  }
  const source = body as Record<string, unknown>
  for (const key of Object.keys(source)) if (NEVER_SENT.has(key)) checkWritable(key)
  checkObject(imageSchema(), source)
  const input: Record<string, unknown> = {}
  const properties: Record<string, string> = {}
  for (const [key, value] of Object.entries(source)) {
    const field = Object.hasOwn(IMAGE_FIELDS, key) ? IMAGE_FIELDS[key] : undefined
    if (field !== undefined) {
      if (value !== null || field === 'name') input[field] = value
      continue
    }
    if (key.length > 255) {
      throw new CloudError('INVALID', 'Custom property should not be greater than 255 characters.', {
        details: { path: key },
      })
    }
    checkWritable(key, READ_ONLY_AT_CREATE)
    properties[key] = value as string
  }
  if (Object.keys(properties).length > 0) input.properties = properties
  checkSdkInput(ImageCreateSchema, input, 'image')
  return input as ImageCreate
}

/**
 * Validates an input with the SDK's schema, naming a bad field as Glance does (`min_ram`, not `minRam`), so the
 * 400 speaks the client's language. The SDK validates again; this only chooses the words.
 */
export function checkSdkInput(schema: z.ZodType, input: unknown, what: string): void {
  const result = schema.safeParse(input)
  if (result.success) return
  const glanceName = new Map(Object.entries(IMAGE_FIELDS).map(([glance, sdk]) => [sdk, glance]))
  const issues = result.error.issues.map((issue) => {
    const [head, ...rest] = issue.path
    const name = typeof head === 'string' ? (glanceName.get(head) ?? head) : head
    return { ...issue, path: name === undefined ? [] : [name, ...rest] }
  })
  throw fromZodError(new z.ZodError(issues), what)
}
