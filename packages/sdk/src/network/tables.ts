import { type Kysely, sql } from 'kysely'
import { addResourceColumns } from '../store/cas.js'
import type { Migration } from '../store/types.js'

// Booleans are integers (0/1) and lists are JSON text, so one schema serves SQLite and PostgreSQL alike.
// Uniqueness that must hold across control planes (addresses, MACs, segment ids, local ids) is a unique index:
// the database, not the process, decides who wins a race.

/** A network. */
export interface NetNetworksTable {
  id: string
  revision: number
  created_at: string
  updated_at: string
  project_id: string
  name: string
  description: string
  admin_state_up: number
  shared: number
  external: number
  mtu: number
  port_security: number
  network_type: string
  /** '' when none, so the unique index on the segment works on both dialects. */
  physical_network: string
  segmentation_id: number | null
  /** See `HostNetwork.localId`. */
  local_id: number
}

/** A subnet. */
export interface NetSubnetsTable {
  id: string
  revision: number
  created_at: string
  updated_at: string
  project_id: string
  network_id: string
  name: string
  description: string
  ip_version: number
  cidr: string
  gateway_ip: string | null
  /** JSON `[{start, end}]`. */
  allocation_pools: string
  enable_dhcp: number
  /** JSON string array. */
  dns_nameservers: string
  /** JSON `[{destination, nexthop}]`. */
  host_routes: string
  ipv6_address_mode: string | null
  ipv6_ra_mode: string | null
  subnetpool_id: string | null
}

/** Free IPv4 addresses of a subnet as inclusive ranges of integers: the first free address is one indexed read. */
export interface NetIpFreeRangesTable {
  subnet_id: string
  first_ip: number | string
  last_ip: number | string
}

/** An address held by a port. The primary key is what makes a double allocation impossible. */
export interface NetIpAllocationsTable {
  subnet_id: string
  ip_address: string
  port_id: string
  network_id: string
}

/** A subnet pool. */
export interface NetSubnetPoolsTable {
  id: string
  revision: number
  created_at: string
  updated_at: string
  project_id: string
  name: string
  description: string
  ip_version: number
  /** JSON string array of CIDRs. */
  prefixes: string
  default_prefixlen: number
  min_prefixlen: number
  max_prefixlen: number
  shared: number
  is_default: number
}

/** A port. */
export interface NetPortsTable {
  id: string
  revision: number
  created_at: string
  updated_at: string
  project_id: string
  network_id: string
  name: string
  description: string
  admin_state_up: number
  status: string
  mac_address: string
  device_owner: string
  device_id: string
  binding_host_id: string
  binding_vif_type: string
  /** JSON object. */
  binding_vif_details: string
  binding_vnic_type: string
  /** JSON object. */
  binding_profile: string
  port_security: number
  /** JSON `[{ipAddress, macAddress}]`. */
  allowed_address_pairs: string
}

/** A security group a port is in. */
export interface NetPortSecurityGroupsTable {
  port_id: string
  security_group_id: string
}

/** A security group. */
export interface NetSecurityGroupsTable {
  id: string
  revision: number
  created_at: string
  updated_at: string
  project_id: string
  name: string
  description: string
  stateful: number
  /** 1 for a project's `default` group; unique per project. */
  is_default: number
}

/** A security group rule. */
export interface NetSecurityGroupRulesTable {
  id: string
  revision: number
  created_at: string
  updated_at: string
  project_id: string
  security_group_id: string
  direction: string
  ethertype: string
  protocol: string | null
  port_range_min: number | null
  port_range_max: number | null
  remote_ip_prefix: string | null
  remote_group_id: string | null
  description: string
}

/** A router. Its interfaces and gateway are ports whose `device_id` is the router. */
export interface NetRoutersTable {
  id: string
  revision: number
  created_at: string
  updated_at: string
  project_id: string
  name: string
  description: string
  admin_state_up: number
  gw_port_id: string | null
  enable_snat: number
  /** JSON `[{destination, nexthop}]`. */
  routes: string
}

/** A floating IP: an address of an external network, held by a port of that network. */
export interface NetFloatingIpsTable {
  id: string
  revision: number
  created_at: string
  updated_at: string
  project_id: string
  floating_network_id: string
  floating_port_id: string
  floating_ip_address: string
  fixed_port_id: string | null
  fixed_ip_address: string | null
  router_id: string | null
  description: string
}

/** A tag of any Network resource. */
export interface NetTagsTable {
  resource_id: string
  tag: string
}

declare module '../store/types.js' {
  interface Tables {
    net_networks: NetNetworksTable
    net_subnets: NetSubnetsTable
    net_ip_free_ranges: NetIpFreeRangesTable
    net_ip_allocations: NetIpAllocationsTable
    net_subnet_pools: NetSubnetPoolsTable
    net_ports: NetPortsTable
    net_port_security_groups: NetPortSecurityGroupsTable
    net_security_groups: NetSecurityGroupsTable
    net_security_group_rules: NetSecurityGroupRulesTable
    net_routers: NetRoutersTable
    net_floating_ips: NetFloatingIpsTable
    net_tags: NetTagsTable
  }
}

// biome-ignore lint/suspicious/noExplicitAny: a migration works below the typed schema it creates
type AnyDb = Kysely<any>

async function createNetworks(db: AnyDb) {
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

async function createSubnets(db: AnyDb) {
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

async function createPorts(db: AnyDb) {
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

async function createSecurityGroups(db: AnyDb) {
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

async function createRouters(db: AnyDb) {
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

async function addIndexes(db: AnyDb) {
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

/** The Network service's tables. */
export const networkMigrations: Migration[] = [
  { id: 'network/001-networks', up: createNetworks },
  { id: 'network/002-subnets', up: createSubnets },
  { id: 'network/003-ports', up: createPorts },
  { id: 'network/004-security-groups', up: createSecurityGroups },
  { id: 'network/005-routers', up: createRouters },
  { id: 'network/006-indexes', up: addIndexes },
]
