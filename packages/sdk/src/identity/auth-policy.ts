/**
 * Default rules of the authentication side of Identity: tokens, application credentials and credentials. As in
 * Keystone, users manage their own; admins manage everyone's; services may validate any token.
 */
export const AUTH_POLICY = {
  'identity:rotate_token_keys': 'rule:system_admin',
  'identity:validate_token': 'rule:service_or_admin or rule:system_reader or user_id:%(user_id)s',
  'identity:revoke_token': 'rule:admin_required or user_id:%(user_id)s',
  'identity:get_auth_catalog': '',
  'identity:get_auth_projects': '',
  'identity:get_auth_domains': '',
  'identity:get_auth_system': '',
  'identity:create_application_credential': 'user_id:%(user_id)s',
  'identity:get_application_credential': 'rule:admin_required or user_id:%(user_id)s',
  'identity:list_application_credentials': 'rule:admin_required or user_id:%(user_id)s',
  'identity:delete_application_credential': 'rule:admin_required or user_id:%(user_id)s',
  'identity:create_credential': 'rule:admin_required or user_id:%(user_id)s',
  'identity:get_credential': 'rule:admin_required or user_id:%(user_id)s',
  'identity:list_credentials': 'rule:admin_required or rule:system_reader',
  'identity:update_credential': 'rule:admin_required or user_id:%(user_id)s',
  'identity:delete_credential': 'rule:admin_required or user_id:%(user_id)s',
} as const satisfies Record<string, string>
