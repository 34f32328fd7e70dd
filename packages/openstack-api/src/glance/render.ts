import type { Image, ImageMember } from './sdk-types.js'

// The bodies of Glance v2's resources. Glance's links (`self`, `file`, `schema`, `first`, `next`) are paths
// relative to the API's root, without the host or the mount prefix: clients join them to the endpoint they
// found in the catalog, and openstacksdk strips the leading `/v2` before doing so.

/** A Glance object: snake_case members, custom properties at the top level. */
export type GlanceView = Record<string, unknown>

/**
 * A time as Glance writes it (`timeutils.isotime`): UTC to the second with `Z`, `2025-01-01T12:00:00Z`.
 */
export function glanceTime(value: string | number): string {
  return new Date(value).toISOString().replace(/\.\d+Z$/, 'Z')
}

/** `/v2/images/{id}`, an image's path, with `sub` (`file`) appended when given. */
export function imagePath(id: string, sub?: string): string {
  return sub === undefined ? `/v2/images/${id}` : `/v2/images/${id}/${sub}`
}

/**
 * An image as Glance shows it: custom properties first (so a base attribute always wins a name clash), every base
 * attribute even when null, and `stores` when the data is somewhere. `locations` and `direct_url` are never
 * shown, as in Glance's default configuration: they name back-end paths.
 */
export function imageView(image: Image): GlanceView {
  const stores = [...new Set(image.locations.map((location) => location.store))]
  return {
    ...image.properties,
    id: image.id,
    name: image.name,
    status: image.status,
    visibility: image.visibility,
    protected: image.protected,
    os_hidden: image.hidden,
    owner: image.owner,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    size: image.size,
    virtual_size: image.virtualSize,
    checksum: image.checksum,
    os_hash_algo: image.hashAlgo,
    os_hash_value: image.hashValue,
    min_disk: image.minDisk,
    min_ram: image.minRam,
    tags: image.tags,
    created_at: glanceTime(image.createdAt),
    updated_at: glanceTime(image.updatedAt),
    self: imagePath(image.id),
    file: imagePath(image.id, 'file'),
    schema: '/v2/schemas/image',
    ...(stores.length > 0 && { stores: stores.join(',') }),
  }
}

/** A membership as Glance shows it. */
export function memberView(member: ImageMember): GlanceView {
  return {
    image_id: member.imageId,
    member_id: member.memberId,
    status: member.status,
    created_at: glanceTime(member.createdAt),
    updated_at: glanceTime(member.updatedAt),
    schema: '/v2/schemas/member',
  }
}

/**
 * The paging members of `GET /v2/images`: `first` is the request's query without `marker`, and `next` (only
 * when there is a next page) the same query with `marker` set to the last image's id. Repeated parameters
 * (`tag`, `sort_key`) are kept as sent.
 */
export function imagesPaging(query: string, next: string | undefined): { first: string; next?: string } {
  const params = new URLSearchParams(query)
  params.delete('marker')
  const rest = params.toString()
  const first = rest ? `/v2/images?${rest}` : '/v2/images'
  if (next === undefined) return { first }
  params.set('marker', next)
  return { first, next: `/v2/images?${params}` }
}
