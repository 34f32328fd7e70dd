import { CloudError } from '../core/errors.js'
import type { Db } from '../store/types.js'
import type { DomainRef, ProjectRef, UserRef } from './auth-schemas.js'

/** The one message of every failed authentication, so that a caller cannot tell which part was wrong. */
export const AUTH_FAILED = 'The request you have made requires authentication.'

/** UNAUTHORIZED with Keystone's message; `why` goes to logs only, through `cause`. */
export function authFailed(why: string): CloudError {
  return new CloudError('UNAUTHORIZED', AUTH_FAILED, { cause: new Error(why) })
}

/** A domain row as authentication needs it. */
export interface DomainFacts {
  id: string
  name: string
  enabled: boolean
}

/** A user row as authentication needs it. */
export interface UserFacts {
  id: string
  name: string
  domain: DomainFacts
  enabled: boolean
  defaultProjectId: string | null
  options: Record<string, unknown>
  passwordHash: string | null
  passwordCreatedAt: string | null
  passwordExpiresAt: string | null
  failedAuthCount: number
  failedAuthAt: string | null
}

/** A project row as authentication needs it. */
export interface ProjectFacts {
  id: string
  name: string
  enabled: boolean
  domain: DomainFacts
}

/** The domain named by id or name, or undefined. */
export async function findDomain(db: Db, ref: DomainRef): Promise<DomainFacts | undefined> {
  const qb = db.selectFrom('identity_domains').select(['id', 'name', 'enabled'])
  const row = await (ref.id !== undefined
    ? qb.where('id', '=', ref.id)
    : qb.where('name', '=', ref.name ?? '')
  ).executeTakeFirst()
  return row && { id: row.id, name: row.name, enabled: Boolean(row.enabled) }
}

/**
 * For a reference by name, the id of its domain; null when the reference needs one and the domain is missing;
 * undefined for a reference by id.
 */
async function domainIdOf(db: Db, ref: UserRef | ProjectRef): Promise<string | null | undefined> {
  if (ref.id !== undefined) return undefined
  if (!ref.domain || ref.name === undefined) return null
  return (await findDomain(db, ref.domain))?.id ?? null
}

/** The user named by id, or by name within a domain, or undefined. */
export async function findUser(db: Db, ref: UserRef): Promise<UserFacts | undefined> {
  const domainId = await domainIdOf(db, ref)
  if (domainId === null) return undefined
  const qb = db
    .selectFrom('identity_users as u')
    .innerJoin('identity_domains as d', 'd.id', 'u.domain_id')
    .select([
      'u.id',
      'u.name',
      'u.enabled',
      'u.default_project_id',
      'u.options',
      'u.password_hash',
      'u.password_created_at',
      'u.password_expires_at',
      'u.failed_auth_count',
      'u.failed_auth_at',
      'd.id as domain_id',
      'd.name as domain_name',
      'd.enabled as domain_enabled',
    ])
  const row = await (ref.id !== undefined
    ? qb.where('u.id', '=', ref.id)
    : qb.where('u.domain_id', '=', domainId!).where('u.name', '=', ref.name!)
  ).executeTakeFirst()
  if (!row) return undefined
  return {
    id: row.id,
    name: row.name,
    domain: { id: row.domain_id, name: row.domain_name, enabled: Boolean(row.domain_enabled) },
    enabled: Boolean(row.enabled),
    defaultProjectId: row.default_project_id,
    options: JSON.parse(row.options || '{}'),
    passwordHash: row.password_hash,
    passwordCreatedAt: row.password_created_at,
    passwordExpiresAt: row.password_expires_at,
    failedAuthCount: Number(row.failed_auth_count),
    failedAuthAt: row.failed_auth_at,
  }
}

/** The project named by id, or by name within a domain, or undefined. */
export async function findProject(db: Db, ref: ProjectRef): Promise<ProjectFacts | undefined> {
  const domainId = await domainIdOf(db, ref)
  if (domainId === null) return undefined
  const qb = db
    .selectFrom('identity_projects as p')
    .innerJoin('identity_domains as d', 'd.id', 'p.domain_id')
    .select(['p.id', 'p.name', 'p.enabled', 'd.id as domain_id', 'd.name as domain_name', 'd.enabled as de'])
  const row = await (ref.id !== undefined
    ? qb.where('p.id', '=', ref.id)
    : qb.where('p.domain_id', '=', domainId!).where('p.name', '=', ref.name!)
  ).executeTakeFirst()
  if (!row) return undefined
  return {
    id: row.id,
    name: row.name,
    enabled: Boolean(row.enabled),
    domain: { id: row.domain_id, name: row.domain_name, enabled: Boolean(row.de) },
  }
}

/** Throws the generic 401 unless the user and its domain are enabled. */
export function assertUserUsable(user: UserFacts | undefined): asserts user is UserFacts {
  if (!user) throw authFailed('no such user')
  if (!user.enabled) throw authFailed(`user ${user.id} is disabled`)
  if (!user.domain.enabled) throw authFailed(`domain ${user.domain.id} of user ${user.id} is disabled`)
}
