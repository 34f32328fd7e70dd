// Neutron's default policy (2023.1 "secure RBAC" defaults), with the rule names prefixed `network:`.
// Targets are flat objects built by the service:
//   project_id   the resource's project
//   shared       'true' when the network (or pool, group) is shared
//   external     'true' for external networks
//   network_owner the project of the port's or subnet's network
// Whether a resource is visible at all (own, shared, external) is decided in the query, so a resource the caller
// may not see is NOT_FOUND; these rules decide what a caller may do with what it sees.

const ADMIN = 'role:admin'
const OWNER_MEMBER = `${ADMIN} or (role:member and project_id:%(project_id)s)`
const OWNER_READER = `${ADMIN} or (role:reader and project_id:%(project_id)s)`
const READER_SHARED = `${OWNER_READER} or (role:reader and True:%(shared)s) or (role:reader and True:%(external)s)`
const NET_OWNER_MEMBER = `${OWNER_MEMBER} or (role:member and project_id:%(network_owner)s)`

/** The default rules of every Network action. */
export const NETWORK_POLICY: Readonly<Record<string, string>> = Object.freeze({
  'network:create_network': OWNER_MEMBER,
  'network:create_network:shared': ADMIN,
  'network:create_network:router:external': ADMIN,
  'network:create_network:provider': ADMIN,
  'network:get_network': READER_SHARED,
  'network:get_network:provider': ADMIN,
  'network:update_network': OWNER_MEMBER,
  'network:update_network:shared': ADMIN,
  'network:update_network:router:external': ADMIN,
  'network:delete_network': OWNER_MEMBER,
  'network:create_subnet': NET_OWNER_MEMBER,
  'network:get_subnet': `${OWNER_READER} or (role:reader and True:%(shared)s)`,
  'network:update_subnet': NET_OWNER_MEMBER,
  'network:delete_subnet': NET_OWNER_MEMBER,
  'network:create_subnetpool': OWNER_MEMBER,
  'network:create_subnetpool:shared': ADMIN,
  'network:create_subnetpool:is_default': ADMIN,
  'network:get_subnetpool': READER_SHARED,
  'network:update_subnetpool': OWNER_MEMBER,
  'network:update_subnetpool:is_default': ADMIN,
  'network:delete_subnetpool': OWNER_MEMBER,
  'network:create_port': NET_OWNER_MEMBER,
  'network:create_port:mac_address': `${ADMIN} or (role:member and project_id:%(network_owner)s)`,
  'network:create_port:fixed_ips:ip_address': `${ADMIN} or (role:member and project_id:%(network_owner)s)`,
  'network:create_port:binding': ADMIN,
  'network:create_port:device_owner': `${ADMIN} or (role:member and project_id:%(network_owner)s) or True:%(not_network_device)s`,
  'network:create_port:port_security_enabled': `${ADMIN} or (role:member and project_id:%(network_owner)s)`,
  'network:get_port': `${OWNER_READER} or (role:reader and project_id:%(network_owner)s)`,
  'network:get_port:binding': ADMIN,
  'network:update_port': NET_OWNER_MEMBER,
  'network:update_port:binding': ADMIN,
  'network:delete_port': NET_OWNER_MEMBER,
  'network:create_security_group': OWNER_MEMBER,
  'network:get_security_group': `${OWNER_READER} or (role:reader and True:%(shared)s)`,
  'network:update_security_group': OWNER_MEMBER,
  'network:delete_security_group': OWNER_MEMBER,
  'network:create_security_group_rule': OWNER_MEMBER,
  'network:get_security_group_rule': OWNER_READER,
  'network:delete_security_group_rule': OWNER_MEMBER,
  'network:create_router': OWNER_MEMBER,
  'network:create_router:external_gateway_info:enable_snat': ADMIN,
  'network:create_router:external_gateway_info:external_fixed_ips': ADMIN,
  'network:get_router': OWNER_READER,
  'network:update_router': OWNER_MEMBER,
  'network:delete_router': OWNER_MEMBER,
  'network:add_router_interface': OWNER_MEMBER,
  'network:remove_router_interface': OWNER_MEMBER,
  'network:create_floatingip': OWNER_MEMBER,
  'network:create_floatingip:floating_ip_address': ADMIN,
  'network:get_floatingip': OWNER_READER,
  'network:update_floatingip': OWNER_MEMBER,
  'network:delete_floatingip': OWNER_MEMBER,
  'network:resync': ADMIN,
  'network:get_quota': `${ADMIN} or (role:reader and project_id:%(project_id)s)`,
  'network:list_quotas': ADMIN,
  'network:update_quota': ADMIN,
  'network:delete_quota': ADMIN,
})
