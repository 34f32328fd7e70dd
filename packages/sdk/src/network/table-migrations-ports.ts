import { addResourceColumns } from '../store/cas.js'
import type { Migration } from '../store/types.js'

// Migrations 003 and 004: ports with their security groups, then security groups and their rules.

/** 003: `net_ports` (a MAC once per network) and `net_port_security_groups`. */
export const createPorts: Migration['up'] = async (db) => {
  await addResourceColumns(db.schema.createTable('net_ports'))
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('network_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('admin_state_up', 'integer', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('mac_address', 'varchar(17)', (c) => c.notNull())
    .addColumn('device_owner', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('binding_host_id', 'text', (c) => c.notNull())
    .addColumn('binding_vif_type', 'text', (c) => c.notNull())
    .addColumn('binding_vif_details', 'text', (c) => c.notNull())
    .addColumn('binding_vnic_type', 'text', (c) => c.notNull())
    .addColumn('binding_profile', 'text', (c) => c.notNull())
    .addColumn('port_security', 'integer', (c) => c.notNull())
    .addColumn('allowed_address_pairs', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('net_ports_mac')
    .on('net_ports')
    .columns(['network_id', 'mac_address'])
    .unique()
    .execute()
  await db.schema.createIndex('net_ports_device').on('net_ports').column('device_id').execute()
  await db.schema.createIndex('net_ports_host').on('net_ports').column('binding_host_id').execute()
  await db.schema
    .createTable('net_port_security_groups')
    .addColumn('port_id', 'text', (c) => c.notNull())
    .addColumn('security_group_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('net_port_security_groups_pkey', ['port_id', 'security_group_id'])
    .execute()
  await db.schema
    .createIndex('net_port_security_groups_group')
    .on('net_port_security_groups')
    .column('security_group_id')
    .execute()
}

/** 004: `net_security_groups` and `net_security_group_rules`. */
export const createSecurityGroups: Migration['up'] = async (db) => {
  await addResourceColumns(db.schema.createTable('net_security_groups'))
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('stateful', 'integer', (c) => c.notNull())
    .addColumn('is_default', 'integer', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('net_security_groups_project')
    .on('net_security_groups')
    .column('project_id')
    .execute()
  await addResourceColumns(db.schema.createTable('net_security_group_rules'))
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('security_group_id', 'text', (c) => c.notNull())
    .addColumn('direction', 'varchar(8)', (c) => c.notNull())
    .addColumn('ethertype', 'varchar(4)', (c) => c.notNull())
    .addColumn('protocol', 'varchar(16)')
    .addColumn('port_range_min', 'integer')
    .addColumn('port_range_max', 'integer')
    .addColumn('remote_ip_prefix', 'varchar(64)')
    .addColumn('remote_group_id', 'text')
    .addColumn('description', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('net_security_group_rules_group')
    .on('net_security_group_rules')
    .column('security_group_id')
    .execute()
}
