import type { Migration } from '../store/types.js'

/**
 * A revocation event: every token that matches all of its set fields and was issued at or before
 * `issued_before` is invalid. Kept until `expires_at`, when no token it could match is still alive.
 */
export interface RevocationsTable {
  id: string
  user_id: string | null
  project_id: string | null
  domain_id: string | null
  audit_id: string | null
  /** Epoch milliseconds. */
  issued_before: number
  /** Epoch milliseconds: the event is pruned after this. */
  expires_at: number
  created_at: string
}

/** An application credential: a secret that authenticates as its user, on one project, with a subset of roles. */
export interface AppCredentialsTable {
  id: string
  revision: number
  created_at: string
  updated_at: string
  name: string
  user_id: string
  project_id: string
  description: string | null
  /** `$sha256$…` for generated secrets, `$argon2id$…` for chosen ones. */
  secret_hash: string
  expires_at: string | null
  /** 1: may create other application credentials and trusts. */
  unrestricted: number
  /** JSON array of role ids. */
  roles: string
}

/** A credential (EC2 access/secret pair, TOTP seed …); the blob is sealed with the credential key. */
export interface CredentialsTable {
  id: string
  revision: number
  created_at: string
  updated_at: string
  user_id: string
  project_id: string | null
  type: string
  /** AES-GCM sealed JSON blob. */
  blob: string
  /** For `ec2` credentials: the access key, to find the credential when a signed S3 request arrives. */
  access_key: string | null
}

declare module '../store/types.js' {
  interface Tables {
    identity_revocations: RevocationsTable
    identity_app_credentials: AppCredentialsTable
    identity_credentials: CredentialsTable
  }
}

/** Creates the tables of authentication: revocation events, application credentials and credentials. */
export const authMigrations: readonly Migration[] = [
  {
    id: 'identity/100-revocations',
    async up(db) {
      await db.schema
        .createTable('identity_revocations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text')
        .addColumn('project_id', 'text')
        .addColumn('domain_id', 'text')
        .addColumn('audit_id', 'text')
        .addColumn('issued_before', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('identity_revocations_expires')
        .on('identity_revocations')
        .column('expires_at')
        .execute()
    },
  },
  {
    id: 'identity/101-app-credentials',
    async up(db) {
      await db.schema
        .createTable('identity_app_credentials')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .addColumn('unrestricted', 'integer', (c) => c.notNull())
        .addColumn('roles', 'text', (c) => c.notNull())
        .addUniqueConstraint('identity_app_credentials_user_name', ['user_id', 'name'])
        .execute()
    },
  },
  {
    id: 'identity/102-credentials',
    async up(db) {
      await db.schema
        .createTable('identity_credentials')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('project_id', 'text')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('blob', 'text', (c) => c.notNull())
        .addColumn('access_key', 'text', (c) => c.unique())
        .execute()
      await db.schema
        .createIndex('identity_credentials_user')
        .on('identity_credentials')
        .column('user_id')
        .execute()
    },
  },
]
