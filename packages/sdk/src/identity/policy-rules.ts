// Keystone's default policy (2023.1 "secure RBAC" defaults) for the actions of the resource layer, written with
// the BASE_RULES of core/policy.ts. Targets are flat, snake_case objects built by each module:
//   domain_id   the domain the resource lives in (for a domain: itself; for a grant: its target's domain)
//   project_id  the project concerned, user_id the user concerned, group_id the group concerned.
// `admin` is cloud-wide, as in Keystone: an admin token on any scope may do everything.

const ADMIN = 'rule:admin_required'
const ADMIN_OR_SYSTEM_READER = 'rule:admin_required or rule:system_reader'
const ADMIN_OR_READER = 'rule:admin_required or rule:system_reader or rule:domain_reader'
const ADMIN_OR_READER_OR_OWNER = `${ADMIN_OR_READER} or rule:owner`
const ADMIN_OR_READER_OR_PROJECT_USER = `${ADMIN_OR_READER} or project_id:%(project_id)s`
// Anyone with a token: Keystone's "" rule for regions, so clients can read the region list.
const ANY = '@'

const crud = (name: string, read: string, write: string, plural = `${name}s`) => ({
  [`identity:get_${name}`]: read,
  [`identity:list_${plural}`]: read,
  [`identity:create_${name}`]: write,
  [`identity:update_${name}`]: write,
  [`identity:delete_${name}`]: write,
})

/** The default rules of every Identity action, by Keystone's action names. */
export const IDENTITY_POLICY: Readonly<Record<string, string>> = Object.freeze({
  ...crud('domain', ADMIN_OR_SYSTEM_READER, ADMIN),
  // Users of a domain may see their own domain, whether their token is scoped to it or to one of its projects.
  'identity:get_domain': `${ADMIN_OR_SYSTEM_READER} or domain_id:%(domain_id)s or user_domain_id:%(domain_id)s`,

  ...crud('project', ADMIN_OR_READER, ADMIN),
  'identity:get_project': ADMIN_OR_READER_OR_PROJECT_USER,
  'identity:list_user_projects': ADMIN_OR_READER_OR_OWNER,
  'identity:list_project_parents': ADMIN_OR_READER_OR_PROJECT_USER,
  'identity:list_project_subtree': ADMIN_OR_READER_OR_PROJECT_USER,
  'identity:list_project_tags': ADMIN_OR_READER_OR_PROJECT_USER,
  'identity:get_project_tag': ADMIN_OR_READER_OR_PROJECT_USER,
  'identity:update_project_tags': `${ADMIN} or rule:project_admin`,
  'identity:create_project_tag': `${ADMIN} or rule:project_admin`,
  'identity:delete_project_tag': `${ADMIN} or rule:project_admin`,
  'identity:delete_project_tags': `${ADMIN} or rule:project_admin`,

  ...crud('user', ADMIN_OR_READER, ADMIN),
  'identity:get_user': ADMIN_OR_READER_OR_OWNER,

  ...crud('group', ADMIN_OR_READER, ADMIN),
  'identity:list_groups_for_user': ADMIN_OR_READER_OR_OWNER,
  'identity:list_users_in_group': ADMIN_OR_READER,
  'identity:check_user_in_group': ADMIN_OR_READER,
  'identity:add_user_to_group': ADMIN,
  'identity:remove_user_from_group': ADMIN,

  ...crud('role', ADMIN_OR_SYSTEM_READER, ADMIN),
  ...crud('domain_role', ADMIN_OR_READER, ADMIN),
  'identity:get_implied_role': ADMIN_OR_SYSTEM_READER,
  'identity:list_implied_roles': ADMIN_OR_SYSTEM_READER,
  'identity:list_role_inference_rules': ADMIN_OR_SYSTEM_READER,
  'identity:check_implied_role': ADMIN_OR_SYSTEM_READER,
  'identity:create_implied_role': ADMIN,
  'identity:delete_implied_role': ADMIN,

  // Grants: readers see the grants on their domain's targets; only admins grant or revoke.
  'identity:check_grant': ADMIN_OR_READER,
  'identity:list_grants': ADMIN_OR_READER,
  'identity:create_grant': ADMIN,
  'identity:revoke_grant': ADMIN,
  'identity:check_system_grant': ADMIN_OR_SYSTEM_READER,
  'identity:list_system_grants': ADMIN_OR_SYSTEM_READER,
  'identity:create_system_grant': ADMIN,
  'identity:revoke_system_grant': ADMIN,
  'identity:list_role_assignments': ADMIN_OR_READER,
  'identity:list_role_assignments_for_tree': `${ADMIN_OR_READER} or rule:project_admin`,

  ...crud('region', ANY, ADMIN),
  ...crud('service', ADMIN_OR_SYSTEM_READER, ADMIN),
  ...crud('endpoint', ADMIN_OR_SYSTEM_READER, ADMIN),
})
