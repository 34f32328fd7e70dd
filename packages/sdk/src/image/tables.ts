import { addResourceColumns } from '../store/cas.js'
import type { Migration } from '../store/types.js'

// Booleans are integers (0/1) and JSON is text, so one schema serves SQLite and PostgreSQL alike. Sizes are
// bigint: images outgrow 32 bits (pg returns them as strings; rows.ts converts).

/** An image record. Deleted images leave the table (Glance keeps soft-deleted rows; Nubis emits an event). */
export interface ImagesTable {
  id: string
  revision: number
  created_at: string
  updated_at: string
  name: string | null
  status: string
  visibility: string
  protected: number
  hidden: number
  owner: string | null
  disk_format: string | null
  container_format: string | null
  size: number | string | null
  virtual_size: number | string | null
  checksum: string | null
  hash_algo: string | null
  hash_value: string | null
  min_disk: number
  min_ram: number
  /** JSON object of string values: the custom properties. */
  properties: string
}

/** One tag of an image: a table so tag filters are plain SQL. */
export interface ImageTagsTable {
  image_id: string
  tag: string
}

/** A project an image is shared with. */
export interface ImageMembersTable {
  image_id: string
  member_id: string
  status: string
  created_at: string
  updated_at: string
}

/** Where an image's data lives: one row per store holding it. */
export interface ImageLocationsTable {
  image_id: string
  store: string
  url: string
  /** JSON object of strings. */
  metadata: string
  created_at: string
}

/** Data staged for `glance-direct` import, in the staging store. Counted by the `image_stage_total` quota. */
export interface ImageStagingTable {
  image_id: string
  url: string
  size: number | string
  created_at: string
}

declare module '../store/types.js' {
  interface Tables {
    image_images: ImagesTable
    image_tags: ImageTagsTable
    image_members: ImageMembersTable
    image_locations: ImageLocationsTable
    image_staging: ImageStagingTable
  }
}

/** The Image service's tables. */
export const imageMigrations: Migration[] = [
  {
    id: 'image/001-images',
    async up(db) {
      await addResourceColumns(db.schema.createTable('image_images'))
        .addColumn('name', 'text')
        .addColumn('status', 'varchar(32)', (c) => c.notNull())
        .addColumn('visibility', 'varchar(32)', (c) => c.notNull())
        .addColumn('protected', 'integer', (c) => c.notNull())
        .addColumn('hidden', 'integer', (c) => c.notNull())
        .addColumn('owner', 'varchar(255)')
        .addColumn('disk_format', 'varchar(32)')
        .addColumn('container_format', 'varchar(32)')
        .addColumn('size', 'bigint')
        .addColumn('virtual_size', 'bigint')
        .addColumn('checksum', 'varchar(32)')
        .addColumn('hash_algo', 'varchar(64)')
        .addColumn('hash_value', 'varchar(128)')
        .addColumn('min_disk', 'integer', (c) => c.notNull())
        .addColumn('min_ram', 'integer', (c) => c.notNull())
        .addColumn('properties', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('image_images_owner').on('image_images').columns(['owner']).execute()
      await db.schema
        .createIndex('image_images_visibility')
        .on('image_images')
        .columns(['visibility', 'created_at'])
        .execute()
      await db.schema
        .createTable('image_tags')
        .addColumn('image_id', 'text', (c) => c.notNull().references('image_images.id').onDelete('cascade'))
        .addColumn('tag', 'varchar(255)', (c) => c.notNull())
        .addPrimaryKeyConstraint('image_tags_pkey', ['image_id', 'tag'])
        .execute()
      await db.schema
        .createTable('image_members')
        .addColumn('image_id', 'text', (c) => c.notNull().references('image_images.id').onDelete('cascade'))
        .addColumn('member_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('status', 'varchar(32)', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('image_members_pkey', ['image_id', 'member_id'])
        .execute()
      await db.schema
        .createIndex('image_members_member')
        .on('image_members')
        .columns(['member_id', 'status'])
        .execute()
      await db.schema
        .createTable('image_locations')
        .addColumn('image_id', 'text', (c) => c.notNull().references('image_images.id').onDelete('cascade'))
        .addColumn('store', 'varchar(255)', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('image_locations_pkey', ['image_id', 'store'])
        .execute()
      await db.schema
        .createTable('image_staging')
        .addColumn('image_id', 'text', (c) =>
          c.primaryKey().references('image_images.id').onDelete('cascade'),
        )
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
    },
  },
]
