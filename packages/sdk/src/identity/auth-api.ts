import type { RequestContext } from '../core/context.js'
import { CloudError } from '../core/errors.js'
import type { Policy } from '../core/policy.js'
import type { Store } from '../store/types.js'
import type { AuthRequest, TokenInfo } from './auth-schemas.js'
import type { Authenticator } from './authenticator.js'
import type { RevocationList } from './revocation.js'
import type { TokenService } from './token-service.js'

/** Authentication and tokens: what `POST/GET/DELETE /v3/auth/tokens` and every authenticated request use. */
export interface AuthApi {
  /** Checks the proofs of `request` and issues a token; every failure is the same UNAUTHORIZED. */
  authenticate(request: AuthRequest): Promise<TokenInfo>
  /** Validates a token presented by a client and turns it into the context of its requests. */
  contextFromToken(
    token: string,
    options?: { requestId?: string; signal?: AbortSignal },
  ): Promise<RequestContext>
  /** Validates another token (`GET /v3/auth/tokens`); NOT_FOUND when it is not valid. */
  validateToken(ctx: RequestContext, subjectToken: string): Promise<TokenInfo>
  /** Revokes a token and the tokens rescoped from it. */
  revokeToken(ctx: RequestContext, subjectToken: string): Promise<void>
}

/** What {@link authApi} needs. */
export interface AuthApiDeps {
  store: Store
  policy: Policy
  tokens: TokenService
  authenticator: Authenticator
  revocations: RevocationList
}

/** Turns validated token facts into a {@link RequestContext}. */
export function contextOf(
  info: TokenInfo,
  requestId: string | undefined,
  signal?: AbortSignal,
): RequestContext {
  const ctx: RequestContext = {
    requestId: requestId ?? `req-${crypto.randomUUID()}`,
    userId: info.user.id,
    userDomainId: info.user.domain.id,
    projectId: info.project?.id,
    // Only domain-scoped tokens have a domain scope: a project's domain is not one, as in Keystone.
    domainId: info.domain?.id,
    system: info.system === true,
    roles: info.roles.map((role) => role.name),
    trusted: false,
    signal,
  }
  if (info.applicationCredential) {
    const { id, restricted } = info.applicationCredential
    ctx.applicationCredential = { id, restricted }
  }
  return ctx
}

/** Builds the {@link AuthApi}. */
export function authApi(deps: AuthApiDeps): AuthApi {
  const subjectOf = async (ctx: RequestContext, action: string, subjectToken: string) => {
    const info = await deps.tokens.validate(subjectToken)
    deps.policy.enforce(ctx, action, { user_id: info.user.id })
    return info
  }
  return {
    authenticate: (request) => deps.authenticator.authenticate(request),

    async contextFromToken(token, options = {}) {
      const info = await deps.tokens.validate(token).catch((cause: unknown) => {
        throw new CloudError('UNAUTHORIZED', 'The request you have made requires authentication.', { cause })
      })
      return contextOf(info, options.requestId, options.signal)
    },

    validateToken: (ctx, subjectToken) => subjectOf(ctx, 'identity:validate_token', subjectToken),

    async revokeToken(ctx, subjectToken) {
      const info = await subjectOf(ctx, 'identity:revoke_token', subjectToken)
      await deps.store.transaction((tx) => deps.revocations.add(tx, { auditId: info.auditIds[0] }))
    },
  }
}
