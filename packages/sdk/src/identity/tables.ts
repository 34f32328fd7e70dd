import { addResourceColumns } from '../store/cas.js'
import type { Migration } from '../store/types.js'
import { catalogMigration } from './catalog-tables.js'
import { roleMigration } from './role-tables.js'

// Booleans are integers (0/1) and JSON is text, so one schema serves SQLite and PostgreSQL alike.

interface Resource {
  id: string
  revision: number
  created_at: string
  updated_at: string
}

/** A domain. Names are unique across the cloud. */
export interface DomainsTable extends Resource {
  name: string
  description: string
  enabled: number
  /** JSON object. */
  options: string
}

/** A project; `parent_id` is NULL for a top-level project. Names are unique within the domain. */
export interface ProjectsTable extends Resource {
  name: string
  domain_id: string
  parent_id: string | null
  description: string
  enabled: number
  is_domain: number
  /** JSON objects. */
  options: string
  extra: string
}

/** One tag of a project: a table rather than a JSON column so tag filters are plain SQL on both dialects. */
export interface ProjectTagsTable {
  project_id: string
  name: string
}

/** A user; the password hash is a PHC string and never leaves the store. Names are unique within the domain. */
export interface UsersTable extends Resource {
  name: string
  domain_id: string
  enabled: number
  default_project_id: string | null
  description: string | null
  email: string | null
  /** JSON objects. */
  extra: string
  options: string
  password_hash: string | null
  password_created_at: string | null
  password_expires_at: string | null
  failed_auth_count: number
  failed_auth_at: string | null
  last_active_at: string | null
}

/** Past password hashes of a user, newest kept, for Keystone's `unique_last_password_count`. */
export interface PasswordHistoryTable {
  id: string
  user_id: string
  hash: string
  created_at: string
}

/** A group. Names are unique within the domain. */
export interface GroupsTable extends Resource {
  name: string
  domain_id: string
  description: string
}

/** A user's membership of a group. */
export interface GroupMembersTable {
  group_id: string
  user_id: string
}

declare module '../store/types.js' {
  interface Tables {
    identity_domains: DomainsTable
    identity_projects: ProjectsTable
    identity_project_tags: ProjectTagsTable
    identity_users: UsersTable
    identity_password_history: PasswordHistoryTable
    identity_groups: GroupsTable
    identity_group_members: GroupMembersTable
  }
}

/** The Identity resource tables: domains, projects, users, groups, roles, assignments and the catalog. */
export const identityMigrations: Migration[] = [
  {
    id: 'identity/001-domains-projects',
    async up(db) {
      await addResourceColumns(db.schema.createTable('identity_domains'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('options', 'text', (c) => c.notNull())
        .execute()
      await addResourceColumns(db.schema.createTable('identity_projects'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('domain_id', 'text', (c) => c.notNull())
        .addColumn('parent_id', 'text')
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('is_domain', 'integer', (c) => c.notNull())
        .addColumn('options', 'text', (c) => c.notNull())
        .addColumn('extra', 'text', (c) => c.notNull())
        .addUniqueConstraint('identity_projects_domain_name', ['domain_id', 'name'])
        .execute()
      await db.schema
        .createIndex('identity_projects_parent')
        .on('identity_projects')
        .column('parent_id')
        .execute()
      await db.schema
        .createTable('identity_project_tags')
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('identity_project_tags_pk', ['project_id', 'name'])
        .execute()
      await db.schema
        .createIndex('identity_project_tags_name')
        .on('identity_project_tags')
        .column('name')
        .execute()
    },
  },
  {
    id: 'identity/002-users-groups',
    async up(db) {
      await addResourceColumns(db.schema.createTable('identity_users'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('domain_id', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('default_project_id', 'text')
        .addColumn('description', 'text')
        .addColumn('email', 'text')
        .addColumn('extra', 'text', (c) => c.notNull())
        .addColumn('options', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text')
        .addColumn('password_created_at', 'text')
        .addColumn('password_expires_at', 'text')
        .addColumn('failed_auth_count', 'integer', (c) => c.notNull())
        .addColumn('failed_auth_at', 'text')
        .addColumn('last_active_at', 'text')
        .addUniqueConstraint('identity_users_domain_name', ['domain_id', 'name'])
        .execute()
      await db.schema
        .createTable('identity_password_history')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('identity_password_history_user')
        .on('identity_password_history')
        .columns(['user_id', 'created_at'])
        .execute()
      await addResourceColumns(db.schema.createTable('identity_groups'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('domain_id', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addUniqueConstraint('identity_groups_domain_name', ['domain_id', 'name'])
        .execute()
      await db.schema
        .createTable('identity_group_members')
        .addColumn('group_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('identity_group_members_pk', ['group_id', 'user_id'])
        .execute()
      await db.schema
        .createIndex('identity_group_members_user')
        .on('identity_group_members')
        .column('user_id')
        .execute()
    },
  },
  roleMigration,
  catalogMigration,
]
