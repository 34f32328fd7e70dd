import { randomUUID } from 'node:crypto'
import { z } from 'zod'

/**
 * A resource id branded with its kind, so a `ServerId` cannot be passed where a `NetworkId` is expected.
 * At run time it is a plain string.
 *
 * @example
 * type ServerId = Id<'server'>
 */
export type Id<B extends string> = string & { __brand: B }

/** A new id in OpenStack's usual form: a lower-case, dashed UUID v4. */
export function newId<B extends string>(): Id<B> {
  return randomUUID() as Id<B>
}

// Nova, Neutron, Cinder and Glance ids are dashed UUIDs; Keystone writes `uuid4().hex`, 32 hex digits without
// dashes. Both forms reach every service (a Keystone project id is a Nova `project_id`), so both are accepted.
// The two forms are never converted into each other: ids are compared as strings in the store, and
// `abcd…` and `ab-cd…` would be two different rows. Only the letter case is normalised, as uuidutils does.
const UUID_PATTERN = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/i

/** True when `value` is a UUID in either form {@link idSchema} accepts. */
export function isUuidLike(value: string): boolean {
  return UUID_PATTERN.test(value)
}

/**
 * Zod schema of an id of kind `B`: a UUID, dashed (Nova, Neutron, Cinder, Glance) or 32 hex digits (Keystone),
 * any case on input and lower case on output.
 */
export function idSchema<B extends string>(): z.ZodType<Id<B>, string> {
  return z
    .string()
    .regex(UUID_PATTERN, { message: 'must be a UUID' })
    .transform((value) => value.toLowerCase() as Id<B>)
}

/**
 * Zod schema of an id that OpenStack lets operators choose: Nova flavor ids (`"1"`, `"m1.tiny"`) and
 * Keystone's `default` domain. 1–255 printable characters without `/`, which would break the URL path the id
 * is placed in, and without surrounding whitespace.
 */
export function looseIdSchema<B extends string>(): z.ZodType<Id<B>, string> {
  return z
    .string()
    .min(1)
    .max(255)
    .refine((value) => !CONTROL.test(value) && !value.includes('/') && value.trim() === value, {
      message: 'must be printable, without "/" or surrounding whitespace',
    })
    .transform((value) => value as Id<B>)
}

const CONTROL = /\p{Cc}/u

/**
 * A resource name as OpenStack accepts it: 1–255 characters, no control characters, no leading or trailing
 * whitespace. Neutron also takes an empty name; its schemas use `nameSchema.or(z.literal(''))`.
 */
export const nameSchema = z
  .string()
  .min(1)
  .max(255)
  .refine((value) => !CONTROL.test(value), { message: 'must not contain control characters' })
  .refine((value) => value.trim() === value, { message: 'must not start or end with whitespace' })

/** A resource name; see {@link nameSchema}. */
export type Name = z.output<typeof nameSchema>

/** A free-text description: up to 255 characters (Nova's and Neutron's limit), possibly empty, no control characters. */
export const descriptionSchema = z
  .string()
  .max(255)
  .refine((value) => !CONTROL.test(value), { message: 'must not contain control characters' })

/** A resource description; see {@link descriptionSchema}. */
export type Description = z.output<typeof descriptionSchema>

/** Nova's server metadata quota default (`metadata_items`). */
export const DEFAULT_METADATA_ITEMS = 128

// Nova's `parameter_types.metadata` key pattern: the key also travels in URLs (`/servers/{id}/metadata/{key}`),
// which is why `/` and other separators are left out.
const METADATA_KEY = /^[a-zA-Z0-9\-_:. ]{1,255}$/

/** Options of {@link metadataSchema}. */
export interface MetadataSchemaOptions {
  /** Most key/value pairs allowed; default {@link DEFAULT_METADATA_ITEMS}. */
  maxItems?: number
}

/**
 * Zod schema of key/value metadata as Nova takes it: keys of 1–255 characters among letters, digits and
 * `-_:. `, string values of at most 255 characters, at most `maxItems` pairs.
 */
export function metadataSchema(options: MetadataSchemaOptions = {}) {
  const maxItems = options.maxItems ?? DEFAULT_METADATA_ITEMS
  return z
    .record(
      z.string().regex(METADATA_KEY, { message: 'metadata keys are 1-255 characters of [a-zA-Z0-9-_:. ]' }),
      z.string().max(255),
    )
    .refine((value) => Object.keys(value).length <= maxItems, {
      message: `at most ${maxItems} metadata items are allowed`,
    })
}

/** Key/value metadata; see {@link metadataSchema}. */
export type Metadata = z.output<ReturnType<typeof metadataSchema>>

/** Nova's limit of tags per server (`MAX_TAGS_PER_INSTANCE`); Neutron has none, so the smaller is kept. */
export const MAX_TAGS = 50

/** One tag as Nova and Neutron take it: 1–60 characters, without `,` (list separator) or `/` (URL path). */
export const tagSchema = z
  .string()
  .min(1)
  .max(60)
  .regex(/^[^,/]*$/, { message: 'tags must not contain "," or "/"' })

/** A tag; see {@link tagSchema}. */
export type Tag = z.output<typeof tagSchema>

/** A list of at most {@link MAX_TAGS} tags; duplicates are dropped (tags are a set in Nova and Neutron). */
export const tagsSchema = z
  .array(tagSchema)
  .max(MAX_TAGS)
  .transform((tags) => [...new Set(tags)])

/** A list of tags; see {@link tagsSchema}. */
export type Tags = z.output<typeof tagsSchema>
