import type { Selectable } from 'kysely'
import { type Clock, isoTime } from '../core/clock.js'
import { CloudError } from '../core/errors.js'
import { casUpdate, type ResourcePatch } from '../store/cas.js'
import type { Db, Transaction } from '../store/types.js'
import type { DiskFormat } from './formats/index.js'
import type { ContainerFormat, Image, ImageLocation, ImageStatus, Visibility } from './schemas.js'
import type { ImagesTable } from './tables.js'

/** A row of `image_images`. */
export type ImageRow = Selectable<ImagesTable>

/** NOT_FOUND in Glance's words. Also what a caller gets for an image it may not see. */
export function imageNotFound(id: string): CloudError {
  return new CloudError('NOT_FOUND', `No image found with ID ${id}`, { resource: { type: 'image', id } })
}

// pg returns bigint columns as strings.
const num = (value: number | string | null): number | null => (value === null ? null : Number(value))

/** Decodes the JSON properties column; a damaged value reads as empty rather than breaking every list. */
export function decodeProperties(text: string): Record<string, string> {
  try {
    const value: unknown = JSON.parse(text)
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return {}
    return Object.fromEntries(
      Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    )
  } catch {
    return {}
  }
}

/** The image a row describes, with its tags and locations. */
export function toImage(row: ImageRow, tags: string[], locations: ImageLocation[]): Image {
  return {
    id: row.id,
    name: row.name,
    status: row.status as ImageStatus,
    visibility: row.visibility as Visibility,
    protected: row.protected === 1,
    hidden: row.hidden === 1,
    owner: row.owner,
    diskFormat: row.disk_format as DiskFormat | null,
    containerFormat: row.container_format as ContainerFormat | null,
    size: num(row.size),
    virtualSize: num(row.virtual_size),
    checksum: row.checksum,
    hashAlgo: row.hash_algo,
    hashValue: row.hash_value,
    minDisk: Number(row.min_disk),
    minRam: Number(row.min_ram),
    tags: [...tags].sort(),
    properties: decodeProperties(row.properties),
    locations,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** Tags and locations of many images in two queries, then the images in the rows' order. */
export async function toImages(db: Db, rows: readonly ImageRow[]): Promise<Image[]> {
  if (rows.length === 0) return []
  const ids = rows.map((row) => row.id)
  const [tags, locations] = await Promise.all([
    db.selectFrom('image_tags').select(['image_id', 'tag']).where('image_id', 'in', ids).execute(),
    db
      .selectFrom('image_locations')
      .select(['image_id', 'store', 'url', 'metadata'])
      .where('image_id', 'in', ids)
      .orderBy('created_at')
      .execute(),
  ])
  const tagsOf = new Map<string, string[]>()
  for (const { image_id, tag } of tags) tagsOf.set(image_id, [...(tagsOf.get(image_id) ?? []), tag])
  const locationsOf = new Map<string, ImageLocation[]>()
  for (const location of locations) {
    const entry: ImageLocation = {
      store: location.store,
      url: location.url,
      metadata: decodeProperties(location.metadata),
    }
    locationsOf.set(location.image_id, [...(locationsOf.get(location.image_id) ?? []), entry])
  }
  return rows.map((row) => toImage(row, tagsOf.get(row.id) ?? [], locationsOf.get(row.id) ?? []))
}

/** One image with its tags and locations. */
export async function loadImage(db: Db, row: ImageRow): Promise<Image> {
  const [image] = await toImages(db, [row])
  return image!
}

/** The row of image `id`, or undefined. */
export function findImageRow(db: Db, id: string): Promise<ImageRow | undefined> {
  return db.selectFrom('image_images').selectAll().where('id', '=', id).executeTakeFirst()
}

/**
 * Compare-and-swap of image `row`, as read in `tx`: writes `patch` (an empty one only bumps the revision and
 * `updated_at`) at the clock's time, or `CONFLICT` when the row moved on since it was read.
 */
export function updateImageRow(
  tx: Transaction,
  clock: Clock,
  row: Pick<ImageRow, 'id' | 'revision'>,
  patch: ResourcePatch<'image_images'>,
): Promise<ImageRow> {
  return casUpdate(tx, 'image_images', row.id, Number(row.revision), patch, {
    type: 'image',
    now: isoTime(clock.now()),
  })
}
