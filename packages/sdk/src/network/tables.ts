import type { Migration } from '../store/types.js'
import { createNetworks, createSubnets } from './table-migrations-networks.js'
import { createPorts, createSecurityGroups } from './table-migrations-ports.js'
import { addIndexes, createRouters } from './table-migrations-routers.js'

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

/** The Network service's tables. */
export const networkMigrations: Migration[] = [
  { id: 'network/001-networks', up: createNetworks },
  { id: 'network/002-subnets', up: createSubnets },
  { id: 'network/003-ports', up: createPorts },
  { id: 'network/004-security-groups', up: createSecurityGroups },
  { id: 'network/005-routers', up: createRouters },
  { id: 'network/006-indexes', up: addIndexes },
]
