import type { Db } from '../store/types.js'
import type { NamedInDomain, ScopeRequest, TokenRole } from './auth-schemas.js'
import { authFailed, findDomain, findProject, type UserFacts } from './principals.js'

/** Finds the effective roles of a user in a scope, implied roles included (see assignments.ts). */
export type RoleResolver = (
  db: Db,
  userId: string,
  scope: { projectId: string } | { domainId: string } | { system: true },
) => Promise<TokenRole[]>

/** A resolved scope with the user's roles in it. */
export interface ResolvedScope {
  project?: NamedInDomain
  domain?: { id: string; name: string }
  system?: true
  roles: TokenRole[]
}

/** The scope ids a token payload carries. */
export interface ScopeIds {
  projectId?: string
  domainId?: string
  system?: boolean
}

/**
 * Resolves the scope a token asks for, by name or id, and the user's roles in it. A scope that does not exist,
 * is disabled, or where the user has no role is the generic 401: which of these it was is not told.
 */
export async function resolveRequestedScope(
  db: Db,
  user: UserFacts,
  request: ScopeRequest | 'unscoped' | undefined,
  roles: RoleResolver,
): Promise<ResolvedScope> {
  if (request === 'unscoped') return { roles: [] }
  if (request === undefined) {
    // Keystone scopes to the default project when the user still has a role there, and quietly does not if not.
    if (!user.defaultProjectId) return { roles: [] }
    const scoped = await scopeByIds(db, user.id, { projectId: user.defaultProjectId }, roles).catch(
      () => undefined,
    )
    return scoped ?? { roles: [] }
  }
  if ('project' in request) {
    const project = await findProject(db, request.project)
    if (!project) throw authFailed('no such project')
    return scopeByIds(db, user.id, { projectId: project.id }, roles)
  }
  if ('domain' in request) {
    const domain = await findDomain(db, request.domain)
    if (!domain) throw authFailed('no such domain')
    return scopeByIds(db, user.id, { domainId: domain.id }, roles)
  }
  return scopeByIds(db, user.id, { system: true }, roles)
}

/** Resolves a scope given by ids (as a token carries it) and checks it is still usable. */
export async function scopeByIds(
  db: Db,
  userId: string,
  ids: ScopeIds,
  roles: RoleResolver,
): Promise<ResolvedScope> {
  if (ids.projectId) {
    const project = await findProject(db, { id: ids.projectId })
    if (!project?.enabled || !project.domain.enabled) throw authFailed('project missing or disabled')
    const found = await roles(db, userId, { projectId: project.id })
    if (found.length === 0) throw authFailed(`user ${userId} has no role on project ${project.id}`)
    const { id, name, domain } = project
    return { project: { id, name, domain: { id: domain.id, name: domain.name } }, roles: found }
  }
  if (ids.domainId) {
    const domain = await findDomain(db, { id: ids.domainId })
    if (!domain?.enabled) throw authFailed('domain missing or disabled')
    const found = await roles(db, userId, { domainId: domain.id })
    if (found.length === 0) throw authFailed(`user ${userId} has no role on domain ${domain.id}`)
    return { domain: { id: domain.id, name: domain.name }, roles: found }
  }
  if (ids.system) {
    const found = await roles(db, userId, { system: true })
    if (found.length === 0) throw authFailed(`user ${userId} has no role on the system`)
    return { system: true, roles: found }
  }
  return { roles: [] }
}
