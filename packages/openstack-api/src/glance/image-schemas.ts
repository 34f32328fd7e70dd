import { CONTAINER_FORMATS, DISK_FORMATS, IMAGE_STATUSES, MEMBER_STATUSES, VISIBILITIES } from '@nubis/sdk'

// The JSON-schema documents of `/v2/schemas/*`, shaped as Glance's `glance.schema` renders them. Clients act on
// them: glanceclient and openstackclient build their image model from `image` and validate a PATCH with it, so
// every base attribute is listed with its type, and custom properties are `additionalProperties` of type string.
// The plugin validates request bodies against the same documents, so what it accepts is what it advertises.

/** A JSON-schema property, the subset Glance's documents use. */
export interface SchemaProperty {
  type?: string | string[]
  description?: string
  readOnly?: boolean
  enum?: readonly (string | null)[]
  maxLength?: number
  pattern?: string
  items?: SchemaProperty
  [keyword: string]: unknown
}

/** A schema document as Glance serves it. */
export interface SchemaDocument {
  name: string
  properties: Record<string, SchemaProperty>
  additionalProperties: boolean | SchemaProperty
  links?: { rel: string; href: string }[]
}

const UUID_PATTERN = '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$'

const nullableString = (description: string, extra: SchemaProperty = {}): SchemaProperty => ({
  type: ['null', 'string'],
  description,
  ...extra,
})
const readOnly = (property: SchemaProperty): SchemaProperty => ({ ...property, readOnly: true })

/** The base attributes of an image, each with its JSON-schema type. */
export function imageProperties(): Record<string, SchemaProperty> {
  return {
    id: { type: 'string', description: 'The image id, a UUID', pattern: UUID_PATTERN },
    name: nullableString('A name for people to recognise the image by', { maxLength: 255 }),
    status: readOnly({ type: 'string', description: 'Where the image is in its life', enum: IMAGE_STATUSES }),
    visibility: { type: 'string', description: 'Who may see the image', enum: VISIBILITIES },
    protected: { type: 'boolean', description: 'When true the image cannot be deleted' },
    os_hidden: { type: 'boolean', description: 'When true the image is left out of default listings' },
    checksum: readOnly(nullableString('MD5 of the image data, hex', { maxLength: 32 })),
    os_hash_algo: readOnly(nullableString('The algorithm of os_hash_value', { maxLength: 64 })),
    os_hash_value: readOnly(nullableString('Digest of the image data, hex', { maxLength: 128 })),
    owner: nullableString('The project that owns the image', { maxLength: 255 }),
    size: readOnly({ type: ['null', 'integer'], description: 'Bytes of image data' }),
    virtual_size: readOnly({
      type: ['null', 'integer'],
      description: 'Bytes of the disk the data describes',
    }),
    container_format: nullableString('The wrapper around the disk data', {
      enum: [null, ...CONTAINER_FORMATS],
    }),
    disk_format: nullableString('The format of the disk data', { enum: [null, ...DISK_FORMATS] }),
    created_at: readOnly({ type: 'string', description: 'When the image was created' }),
    updated_at: readOnly({ type: 'string', description: 'When the image last changed' }),
    tags: {
      type: 'array',
      description: 'Strings attached to the image',
      items: { type: 'string', maxLength: 255 },
    },
    direct_url: readOnly({ type: 'string', description: 'Where the data is kept, for services' }),
    min_ram: { type: 'integer', description: 'RAM in MiB a server booted from the image needs' },
    min_disk: { type: 'integer', description: 'Disk in GiB a server booted from the image needs' },
    self: readOnly({ type: 'string', description: 'The URL of the image' }),
    file: readOnly({ type: 'string', description: 'The URL of the image data' }),
    stores: readOnly({ type: 'string', description: 'Comma-separated ids of the stores holding the data' }),
    schema: readOnly({ type: 'string', description: 'The URL of this schema' }),
    locations: {
      type: 'array',
      description: 'Where the data is kept (never shown by this cloud)',
      items: {
        type: 'object',
        properties: { url: { type: 'string', maxLength: 255 }, metadata: { type: 'object' } },
        required: ['url', 'metadata'],
      },
    },
  }
}

/** `/v2/schemas/image`: the base attributes, custom properties as strings. */
export function imageSchema(): SchemaDocument {
  return {
    name: 'image',
    properties: imageProperties(),
    additionalProperties: { type: 'string' },
    links: [
      { rel: 'self', href: '{self}' },
      { rel: 'enclosure', href: '{file}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  }
}

/** `/v2/schemas/member`. */
export function memberSchema(): SchemaDocument {
  return {
    name: 'member',
    properties: {
      member_id: { type: 'string', description: 'The project the image is shared with' },
      image_id: { type: 'string', description: 'The shared image', pattern: UUID_PATTERN },
      created_at: { type: 'string', description: 'When the image was shared' },
      updated_at: { type: 'string', description: 'When the membership last changed' },
      status: { type: 'string', description: 'What the member decided', enum: MEMBER_STATUSES },
      schema: { readOnly: true, type: 'string' },
    },
    additionalProperties: false,
  }
}

/**
 * A collection document (`/v2/schemas/images`, `/v2/schemas/members`): the item schema under the collection's
 * name, with the paging links Glance's `CollectionSchema` adds.
 */
export function collectionSchema(name: string, item: SchemaDocument) {
  return {
    name,
    properties: {
      [name]: { type: 'array', items: item },
      first: { type: 'string' },
      next: { type: 'string' },
      schema: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  }
}
