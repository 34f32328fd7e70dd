import { addResourceColumns } from '../store/cas.js'
import type { Migration } from '../store/types.js'

// Migrations 001 and 002: networks with their segments, then subnets with their free ranges and allocated
// addresses, and subnet pools. Each function is one migration; `networkMigrations` in tables.ts lists them.

/** 001: `net_networks`, with a segment (and a local id) handed out once. */
export const createNetworks: Migration['up'] = async (db) => {
  await addResourceColumns(db.schema.createTable('net_networks'))
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('admin_state_up', 'integer', (c) => c.notNull())
    .addColumn('shared', 'integer', (c) => c.notNull())
    .addColumn('external', 'integer', (c) => c.notNull())
    .addColumn('mtu', 'integer', (c) => c.notNull())
    .addColumn('port_security', 'integer', (c) => c.notNull())
    .addColumn('network_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('physical_network', 'varchar(64)', (c) => c.notNull())
    .addColumn('segmentation_id', 'integer')
    .addColumn('local_id', 'integer', (c) => c.notNull().unique())
    .execute()
  // A segment is handed out once: two control planes racing for the same VNI collide here.
  await db.schema
    .createIndex('net_networks_segment')
    .on('net_networks')
    .columns(['network_type', 'physical_network', 'segmentation_id'])
    .unique()
    .execute()
  await db.schema.createIndex('net_networks_project').on('net_networks').column('project_id').execute()
}

/** 002: `net_subnets`, `net_ip_free_ranges`, `net_ip_allocations` and `net_subnet_pools`. */
export const createSubnets: Migration['up'] = async (db) => {
  await addResourceColumns(db.schema.createTable('net_subnets'))
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('network_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addColumn('cidr', 'text', (c) => c.notNull())
    .addColumn('gateway_ip', 'text')
    .addColumn('allocation_pools', 'text', (c) => c.notNull())
    .addColumn('enable_dhcp', 'integer', (c) => c.notNull())
    .addColumn('dns_nameservers', 'text', (c) => c.notNull())
    .addColumn('host_routes', 'text', (c) => c.notNull())
    .addColumn('ipv6_address_mode', 'text')
    .addColumn('ipv6_ra_mode', 'text')
    .addColumn('subnetpool_id', 'text')
    .execute()
  await db.schema.createIndex('net_subnets_network').on('net_subnets').column('network_id').execute()
  await db.schema
    .createTable('net_ip_free_ranges')
    .addColumn('subnet_id', 'text', (c) => c.notNull())
    .addColumn('first_ip', 'bigint', (c) => c.notNull())
    .addColumn('last_ip', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('net_ip_free_ranges_pkey', ['subnet_id', 'first_ip'])
    .execute()
  await db.schema
    .createTable('net_ip_allocations')
    .addColumn('subnet_id', 'text', (c) => c.notNull())
    .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
    .addColumn('port_id', 'text', (c) => c.notNull())
    .addColumn('network_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('net_ip_allocations_pkey', ['subnet_id', 'ip_address'])
    .execute()
  await db.schema.createIndex('net_ip_allocations_port').on('net_ip_allocations').column('port_id').execute()
  await addResourceColumns(db.schema.createTable('net_subnet_pools'))
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addColumn('prefixes', 'text', (c) => c.notNull())
    .addColumn('default_prefixlen', 'integer', (c) => c.notNull())
    .addColumn('min_prefixlen', 'integer', (c) => c.notNull())
    .addColumn('max_prefixlen', 'integer', (c) => c.notNull())
    .addColumn('shared', 'integer', (c) => c.notNull())
    .addColumn('is_default', 'integer', (c) => c.notNull())
    .execute()
}
