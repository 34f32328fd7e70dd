import { sql } from 'kysely'
import { addResourceColumns } from '../store/cas.js'
import type { Migration } from '../store/types.js'

// Migrations 005 and 006: routers, floating IPs and tags, then the indexes added after the first tables.

/** 005: `net_routers`, `net_floating_ips` (one per fixed address) and `net_tags`. */
export const createRouters: Migration['up'] = async (db) => {
  await addResourceColumns(db.schema.createTable('net_routers'))
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('admin_state_up', 'integer', (c) => c.notNull())
    .addColumn('gw_port_id', 'text')
    .addColumn('enable_snat', 'integer', (c) => c.notNull())
    .addColumn('routes', 'text', (c) => c.notNull())
    .execute()
  await addResourceColumns(db.schema.createTable('net_floating_ips'))
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('floating_network_id', 'text', (c) => c.notNull())
    .addColumn('floating_port_id', 'text', (c) => c.notNull())
    .addColumn('floating_ip_address', 'varchar(64)', (c) => c.notNull())
    .addColumn('fixed_port_id', 'text')
    .addColumn('fixed_ip_address', 'varchar(64)')
    .addColumn('router_id', 'text')
    .addColumn('description', 'text', (c) => c.notNull())
    .execute()
  // One floating IP per fixed address: a second association of the same fixed IP collides here.
  await db.schema
    .createIndex('net_floating_ips_fixed')
    .on('net_floating_ips')
    .columns(['fixed_port_id', 'fixed_ip_address'])
    .unique()
    .execute()
  await db.schema
    .createTable('net_tags')
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('tag', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('net_tags_pkey', ['resource_id', 'tag'])
    .execute()
}

/** 006: one default group per project, and the indexes lookups and quotas need. */
export const addIndexes: Migration['up'] = async (db) => {
  // One default group per project, whatever races: the database refuses a second.
  await db.schema
    .createIndex('net_security_groups_default')
    .on('net_security_groups')
    .column('project_id')
    .unique()
    .where(sql.ref('is_default'), '=', 1)
    .execute()
  await db.schema.createIndex('net_subnets_pool').on('net_subnets').column('subnetpool_id').execute()
  await db.schema
    .createIndex('net_security_group_rules_remote')
    .on('net_security_group_rules')
    .column('remote_group_id')
    .execute()
  // Quotas count a project's ports on every create.
  await db.schema.createIndex('net_ports_project').on('net_ports').column('project_id').execute()
}
