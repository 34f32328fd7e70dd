import type { TokenInfo, TokenRole } from './auth-schemas.js'
import { authFailed, type UserFacts } from './principals.js'
import type { ResolvedScope } from './scope.js'
import type { TokenPayload } from './tokens.js'

/** An application credential as token validation needs it. */
export interface AppCredentialFacts {
  id: string
  name: string
  userId: string
  projectId: string
  roleIds: string[]
  expiresAt: string | null
  unrestricted: boolean
}

/** Who a token is for: what it shows of its user. */
export type TokenSubject = Pick<UserFacts, 'id' | 'name' | 'passwordExpiresAt'> & {
  domain: { id: string; name: string }
}

/** The roles of an application-credential token: those it was given that the user still has. */
export function restrictRoles(roles: TokenRole[], appCredential: AppCredentialFacts): TokenRole[] {
  const allowed = roles.filter((role) => appCredential.roleIds.includes(role.id))
  if (allowed.length === 0) throw authFailed(`application credential ${appCredential.id} has no role left`)
  return allowed
}

/** The facts of a token, as validation returns them and token bodies show them. */
export function toInfo(
  token: string,
  payload: TokenPayload,
  user: TokenSubject,
  scope: ResolvedScope,
  appCredential: AppCredentialFacts | undefined,
): TokenInfo {
  const info: TokenInfo = {
    token,
    methods: payload.m,
    user: {
      id: user.id,
      name: user.name,
      domain: { id: user.domain.id, name: user.domain.name },
      passwordExpiresAt: user.passwordExpiresAt,
    },
    issuedAt: payload.iat,
    expiresAt: payload.exp,
    auditIds: payload.pa ? [payload.a, payload.pa] : [payload.a],
    roles: scope.roles,
  }
  if (scope.project) info.project = scope.project
  if (scope.domain) info.domain = scope.domain
  if (scope.system) info.system = true
  if (appCredential) {
    const { id, name, unrestricted } = appCredential
    info.applicationCredential = { id, name, restricted: !unrestricted }
  }
  return info
}
