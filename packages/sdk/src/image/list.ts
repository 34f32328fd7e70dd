import { type SqlBool, sql } from 'kysely'
import { parseOrThrow } from '../core/errors.js'
import { paginate } from '../core/pagination.js'
import type { Dialect } from '../store/types.js'
import type { ImageApi } from './api.js'
import type { ImageDeps } from './deps.js'
import { toImages } from './rows.js'
import { ImageFiltersSchema } from './schemas.js'
import { canList } from './visibility.js'

/** Columns clients may sort images by, as Glance names them. */
export const IMAGE_SORT_KEYS = [
  'name',
  'status',
  'container_format',
  'disk_format',
  'size',
  'virtual_size',
  'created_at',
  'updated_at',
  'visibility',
  'owner',
  'min_disk',
  'min_ram',
] as const

/** One custom property's value in SQL: JSON text is read with each dialect's own operator. */
function propertyValue(dialect: Dialect, key: string) {
  return dialect === 'postgres'
    ? sql<string>`(image_images.properties::jsonb ->> ${key})`
    : sql<string>`json_extract(image_images.properties, ${`$."${key.replaceAll('"', '""')}"`})`
}

/** Builds `listImages`. */
export function imageListApi(deps: ImageDeps): Pick<ImageApi, 'listImages'> {
  const { store, policy } = deps
  return {
    async listImages(ctx, input = {}) {
      policy.enforce(ctx, 'image:get_images', { project_id: ctx.projectId ?? '', owner: ctx.projectId ?? '' })
      const { limit, marker, sortKey, sortDir, ...rest } = input
      const filters = parseOrThrow(ImageFiltersSchema, rest, 'image filters')
      const memberStatus = filters.memberStatus ?? 'accepted'
      let qb = store.db
        .selectFrom('image_images')
        .selectAll()
        .where(canList(ctx, filters.visibility, memberStatus))
      if (filters.name !== undefined) qb = qb.where('name', '=', filters.name)
      if (filters.status !== undefined) qb = qb.where('status', '=', filters.status)
      if (filters.owner !== undefined) qb = qb.where('owner', '=', filters.owner)
      if (filters.diskFormat !== undefined) qb = qb.where('disk_format', '=', filters.diskFormat)
      if (filters.containerFormat !== undefined)
        qb = qb.where('container_format', '=', filters.containerFormat)
      if (filters.protected !== undefined) qb = qb.where('protected', '=', filters.protected ? 1 : 0)
      qb = qb.where('hidden', '=', filters.hidden ? 1 : 0)
      if (filters.sizeMin !== undefined) qb = qb.where('size', '>=', filters.sizeMin)
      if (filters.sizeMax !== undefined) qb = qb.where('size', '<=', filters.sizeMax)
      for (const tag of filters.tags ?? []) {
        qb = qb.where(({ exists, selectFrom }) =>
          exists(
            selectFrom('image_tags')
              .select('image_tags.image_id')
              .whereRef('image_tags.image_id', '=', 'image_images.id')
              .where('image_tags.tag', '=', tag),
          ),
        )
      }
      for (const [key, value] of Object.entries(filters.properties ?? {})) {
        qb = qb.where(sql<SqlBool>`${propertyValue(store.dialect, key)} = ${value}`)
      }
      const page = await paginate(
        qb,
        'image_images',
        { limit, marker, sortKey, sortDir },
        {
          sortable: IMAGE_SORT_KEYS,
          defaultSort: [{ key: 'created_at', dir: 'desc' }],
        },
      )
      return { items: await toImages(store.db, page.items), next: page.next }
    },
  }
}
