import { addResourceColumns } from '../store/cas.js'
import type { Migration } from '../store/types.js'

/** A region; `id` is the operator's name for it. */
export interface RegionsTable {
  id: string
  revision: number
  created_at: string
  updated_at: string
  description: string
  parent_region_id: string | null
}

/** A service of the catalog. */
export interface ServicesTable {
  id: string
  revision: number
  created_at: string
  updated_at: string
  type: string
  name: string
  description: string
  enabled: number
}

/** An endpoint of a service. */
export interface EndpointsTable {
  id: string
  revision: number
  created_at: string
  updated_at: string
  service_id: string
  region_id: string | null
  interface: 'public' | 'internal' | 'admin'
  url: string
  enabled: number
}

declare module '../store/types.js' {
  interface Tables {
    identity_regions: RegionsTable
    identity_services: ServicesTable
    identity_endpoints: EndpointsTable
  }
}

/** Creates the catalog tables. */
export const catalogMigration: Migration = {
  id: 'identity/004-catalog',
  async up(db) {
    await addResourceColumns(db.schema.createTable('identity_regions'))
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('parent_region_id', 'text')
      .execute()
    await addResourceColumns(db.schema.createTable('identity_services'))
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .execute()
    await addResourceColumns(db.schema.createTable('identity_endpoints'))
      .addColumn('service_id', 'text', (c) => c.notNull())
      .addColumn('region_id', 'text')
      .addColumn('interface', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('identity_endpoints_service')
      .on('identity_endpoints')
      .column('service_id')
      .execute()
  },
}
