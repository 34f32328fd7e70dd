import { addResourceColumns } from '../store/cas.js'
import type { Migration } from '../store/types.js'

/**
 * A role. Global roles store `domain_id` '' rather than NULL so that the unique (domain_id, name) constraint
 * holds on both dialects (NULLs never collide); the SDK shows them as `null`.
 */
export interface RolesTable {
  id: string
  revision: number
  created_at: string
  updated_at: string
  name: string
  domain_id: string
  description: string
  /** JSON object. */
  options: string
}

/** An implication rule: holding `prior_role_id` also gives `implied_role_id`. */
export interface ImpliedRolesTable {
  prior_role_id: string
  implied_role_id: string
}

/**
 * A role grant to a user or group on a project, a domain or the system (`target_id` 'all'). An inherited grant
 * (`inherited` 1) applies to the projects below its target instead of to the target itself.
 */
export interface AssignmentsTable {
  actor_type: 'user' | 'group'
  actor_id: string
  target_type: 'project' | 'domain' | 'system'
  target_id: string
  role_id: string
  inherited: number
}

declare module '../store/types.js' {
  interface Tables {
    identity_roles: RolesTable
    identity_implied_roles: ImpliedRolesTable
    identity_assignments: AssignmentsTable
  }
}

/** The global roles' stored `domain_id`. */
export const GLOBAL = ''

/** Creates the roles, implication rules and assignments tables. */
export const roleMigration: Migration = {
  id: 'identity/003-roles-assignments',
  async up(db) {
    await addResourceColumns(db.schema.createTable('identity_roles'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('domain_id', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('options', 'text', (c) => c.notNull())
      .addUniqueConstraint('identity_roles_domain_name', ['domain_id', 'name'])
      .execute()
    await db.schema
      .createTable('identity_implied_roles')
      .addColumn('prior_role_id', 'text', (c) => c.notNull())
      .addColumn('implied_role_id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('identity_implied_roles_pk', ['prior_role_id', 'implied_role_id'])
      .execute()
    await db.schema
      .createTable('identity_assignments')
      .addColumn('actor_type', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text', (c) => c.notNull())
      .addColumn('target_type', 'text', (c) => c.notNull())
      .addColumn('target_id', 'text', (c) => c.notNull())
      .addColumn('role_id', 'text', (c) => c.notNull())
      .addColumn('inherited', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('identity_assignments_pk', [
        'actor_type',
        'actor_id',
        'target_type',
        'target_id',
        'role_id',
        'inherited',
      ])
      .execute()
    // Token validation looks assignments up by actor; deletes of projects and domains by target; of roles by role.
    await db.schema
      .createIndex('identity_assignments_target')
      .on('identity_assignments')
      .columns(['target_type', 'target_id'])
      .execute()
    await db.schema
      .createIndex('identity_assignments_role')
      .on('identity_assignments')
      .column('role_id')
      .execute()
  },
}
