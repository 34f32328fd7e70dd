import { z } from 'zod'
import { boolFilterSchema as boolFilter } from '../identity/schemas.js'
import { DISK_FORMATS } from './formats/index.js'

/** Glance's image statuses. `deleted` and `uploading`/`importing` are shown as Glance shows them. */
export const IMAGE_STATUSES = [
  'queued',
  'saving',
  'active',
  'killed',
  'deleted',
  'pending_delete',
  'deactivated',
  'uploading',
  'importing',
] as const
/** One of {@link IMAGE_STATUSES}. */
export type ImageStatus = (typeof IMAGE_STATUSES)[number]

/** Who may see an image: its owner only, everyone, members it was shared with, or anyone who knows its id. */
export const VISIBILITIES = ['public', 'private', 'shared', 'community'] as const
/** One of {@link VISIBILITIES}. */
export type Visibility = (typeof VISIBILITIES)[number]

/** Glance's container formats: the wrapper around the disk data; Nubis stores them as labels. */
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const
/** One of {@link CONTAINER_FORMATS}. */
export type ContainerFormat = (typeof CONTAINER_FORMATS)[number]

/** States of an image membership, as the member decides them. */
export const MEMBER_STATUSES = ['pending', 'accepted', 'rejected'] as const
/** One of {@link MEMBER_STATUSES}. */
export type MemberStatus = (typeof MEMBER_STATUSES)[number]

/** Glance's attributes a client may not set as custom properties, since the service owns them. */
export const RESERVED_ATTRIBUTES = [
  'id',
  'status',
  'owner',
  'size',
  'virtual_size',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'created_at',
  'updated_at',
  'deleted',
  'deleted_at',
  'locations',
  'direct_url',
  'file',
  'schema',
  'self',
  'stores',
  'tags',
  'visibility',
  'protected',
  'os_hidden',
  'name',
  'min_disk',
  'min_ram',
  'disk_format',
  'container_format',
] as const

// Glance's limit on names and string properties.
const text255 = z.string().max(255)
/** Glance's limit of tags on one image (`image_tag_quota`). */
export const MAX_IMAGE_TAGS = 128

/** An image tag: 1–255 characters, without `/` (it goes in a URL path). */
export const imageTagSchema = z
  .string()
  .min(1)
  .max(255)
  .refine((tag) => !tag.includes('/'), { message: 'tags must not contain "/"' })

/** A custom property key: 1–255 characters, not one Glance reserves, not `os_glance_*` (Glance's namespace). */
export const propertyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .refine((key) => !(RESERVED_ATTRIBUTES as readonly string[]).includes(key), {
    message: 'is a reserved attribute',
  })
  .refine((key) => !key.startsWith('os_glance'), { message: 'the os_glance prefix is reserved' })

// Glance's limit on a property value.
const propertyValue = z.string().max(65_535)

/** Custom properties: string values, as Glance's v2 schema has them. `null` in an update removes a key. */
export const propertiesSchema = z.record(propertyKeySchema, propertyValue)

/** Where one image's data lives in one store. */
export const ImageLocationSchema = z.object({
  /** The store's name, as configured (`local`, `ceph`). */
  store: z.string(),
  /** The store's address of the data (`file:///…`, `rbd://fsid/pool/image/snap`). */
  url: z.string(),
  /** Facts the store reported (pool, snapshot…). */
  metadata: z.record(z.string(), z.string()),
})
/** See {@link ImageLocationSchema}. */
export type ImageLocation = z.output<typeof ImageLocationSchema>

/** An image as the service shows it. Sizes are bytes; `null` until data is uploaded. */
export const ImageSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  status: z.enum(IMAGE_STATUSES),
  visibility: z.enum(VISIBILITIES),
  protected: z.boolean(),
  /** Hidden from default listings (`os_hidden`), still reachable by id. */
  hidden: z.boolean(),
  /** The owning project. */
  owner: z.string().nullable(),
  diskFormat: z.enum(DISK_FORMATS).nullable(),
  containerFormat: z.enum(CONTAINER_FORMATS).nullable(),
  size: z.number().nullable(),
  virtualSize: z.number().nullable(),
  /** MD5 of the data, hex (Glance's legacy `checksum`). */
  checksum: z.string().nullable(),
  /** Always `sha512` once data is there. */
  hashAlgo: z.string().nullable(),
  /** The data's SHA-512, hex. */
  hashValue: z.string().nullable(),
  minDisk: z.number(),
  minRam: z.number(),
  tags: z.array(z.string()),
  properties: z.record(z.string(), z.string()),
  /** Stores holding the data. Shown to admins only by the REST layer. */
  locations: z.array(ImageLocationSchema),
  createdAt: z.string(),
  updatedAt: z.string(),
})
/** See {@link ImageSchema}. */
export type Image = z.output<typeof ImageSchema>

// Glance's limit of min_disk and min_ram: a 32-bit signed int.
const int32 = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1)

// What both creating and changing an image may set.
const editableFields = {
  name: text255.nullable().optional(),
  visibility: z.enum(VISIBILITIES).optional(),
  protected: z.boolean().optional(),
  hidden: z.boolean().optional(),
  diskFormat: z.enum(DISK_FORMATS).optional(),
  containerFormat: z.enum(CONTAINER_FORMATS).optional(),
  minDisk: int32.optional(),
  minRam: int32.optional(),
  tags: z.array(imageTagSchema).max(MAX_IMAGE_TAGS).optional(),
  /** Admins may give an image to another project; default the caller's project. */
  owner: z.string().min(1).max(255).optional(),
}

/** Creating an image record (status `queued`); data comes later by upload or import. */
export const ImageCreateSchema = z.strictObject({
  /** A caller-chosen id (a UUID), as Glance allows. */
  id: z.uuid().optional(),
  ...editableFields,
  properties: propertiesSchema.optional(),
})
/** See {@link ImageCreateSchema}. */
export type ImageCreate = z.input<typeof ImageCreateSchema>

/**
 * Changing an image. Custom properties are merged: a key set to `null` is removed. `diskFormat` and
 * `containerFormat` may change only while the image is `queued`, as in Glance.
 */
export const ImageUpdateSchema = z.strictObject({
  ...editableFields,
  properties: z.record(propertyKeySchema, propertyValue.nullable()).optional(),
})
/** See {@link ImageUpdateSchema}. */
export type ImageUpdate = z.input<typeof ImageUpdateSchema>

const sizeFilter = z
  .union([z.number(), z.string().regex(/^\d+$/).transform(Number)])
  .pipe(z.number().int().min(0))

/** Filters of `listImages`, after Glance's query parameters. */
export const ImageFiltersSchema = z.object({
  name: z.string().optional(),
  status: z.enum(IMAGE_STATUSES).optional(),
  /** `all` lists every image the caller may see whatever its visibility. */
  visibility: z.enum([...VISIBILITIES, 'all']).optional(),
  owner: z.string().optional(),
  diskFormat: z.string().optional(),
  containerFormat: z.string().optional(),
  protected: boolFilter.optional(),
  /** `true` lists only hidden images, `false` (default) only visible ones. */
  hidden: boolFilter.optional(),
  /** Images carrying every one of these tags. */
  tags: z.union([z.string().transform((t) => [t]), z.array(z.string())]).optional(),
  sizeMin: sizeFilter.optional(),
  sizeMax: sizeFilter.optional(),
  /** Shared images whose membership for the caller's project is in this state (default: accepted). */
  memberStatus: z.enum([...MEMBER_STATUSES, 'all']).optional(),
  /** Custom property filters: every key must equal its value. */
  properties: z.record(z.string(), z.string()).optional(),
})
/** See {@link ImageFiltersSchema}. */
export type ImageFilters = z.input<typeof ImageFiltersSchema>

/** A project an image is shared with. */
export const ImageMemberSchema = z.object({
  imageId: z.string(),
  memberId: z.string(),
  status: z.enum(MEMBER_STATUSES),
  createdAt: z.string(),
  updatedAt: z.string(),
})
/** See {@link ImageMemberSchema}. */
export type ImageMember = z.output<typeof ImageMemberSchema>

/** Values an upload is checked against; a mismatch fails the upload with `INVALID` and keeps nothing. */
export const UploadExpectationsSchema = z.strictObject({
  /** Expected size in bytes. */
  size: z.number().int().min(0).optional(),
  /** Expected MD5, hex. */
  checksum: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/)
    .optional(),
  /** Expected SHA-512, hex. */
  hashValue: z
    .string()
    .regex(/^[0-9a-fA-F]{128}$/)
    .optional(),
})
/** See {@link UploadExpectationsSchema}. */
export type UploadExpectations = z.input<typeof UploadExpectationsSchema>

/** Import methods of Glance's interoperable import; `web-download` is refused in clouds without egress. */
export const IMPORT_METHODS = ['glance-direct', 'copy-image', 'web-download'] as const

/** Starting an interoperable import. */
export const ImportRequestSchema = z.strictObject({
  method: z.enum(IMPORT_METHODS),
  /** For `web-download`: the URL to fetch. */
  uri: z.string().optional(),
  /** Target stores by name; default the default store (`glance-direct`), required for `copy-image`. */
  stores: z.array(z.string().min(1)).optional(),
  /** Import into every store (`all_stores`). */
  allStores: z.boolean().optional(),
  /** Keep going when one store fails (`all_stores_must_succeed: false`). */
  allStoresMustSucceed: z.boolean().optional(),
})
/** See {@link ImportRequestSchema}. */
export type ImportRequest = z.input<typeof ImportRequestSchema>
