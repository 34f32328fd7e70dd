import { parseOrThrow } from '../core/errors.js'
import type { Store } from '../store/types.js'
import type { AppCredentialRecord } from './app-credential-store.js'
import { findAppCredentialByName, findAppCredentialRecord } from './app-credential-store.js'
import { type AuthRequest, AuthRequestSchema, type TokenInfo } from './auth-schemas.js'
import { type PasswordMethodDeps, verifyPasswordMethod } from './password-method.js'
import { assertUserUsable, authFailed, findUser } from './principals.js'
import { type RoleResolver, resolveRequestedScope, scopeByIds } from './scope.js'
import { verifySecret } from './secrets.js'
import { restrictRoles } from './token-info.js'
import type { TokenService } from './token-service.js'

/** What {@link Authenticator} needs. */
export interface AuthenticatorDeps extends PasswordMethodDeps {
  store: Store
  tokens: TokenService
  roles: RoleResolver
}

type ParsedAuth = ReturnType<typeof AuthRequestSchema.parse>

/**
 * Turns an authentication request into a token: by password, by an existing token (rescoping), or by an
 * application credential. Every failure that could tell an attacker something is the same UNAUTHORIZED.
 */
export class Authenticator {
  constructor(private readonly deps: AuthenticatorDeps) {}

  /** Checks the proofs in `input` and issues a token in the requested scope. */
  async authenticate(input: AuthRequest): Promise<TokenInfo> {
    const request = parseOrThrow(AuthRequestSchema, input, 'auth')
    const { methods } = request.identity
    if (methods.includes('application_credential')) return this.byApplicationCredential(request)
    if (methods.includes('password')) return this.byPassword(request)
    return this.byToken(request)
  }

  private async byPassword(request: ParsedAuth): Promise<TokenInfo> {
    const proof = request.identity.password
    if (!proof) throw authFailed('password method without a password object')
    const { db } = this.deps.store
    const user = await verifyPasswordMethod(this.deps, await findUser(db, proof.user), proof.user.password)
    const scope = await resolveRequestedScope(db, user, request.scope, this.deps.roles)
    return this.deps.tokens.issue(user, scope, { methods: ['password'] })
  }

  private async byToken(request: ParsedAuth): Promise<TokenInfo> {
    const proof = request.identity.token
    if (!proof) throw authFailed('token method without a token object')
    const original = await this.deps.tokens.validate(proof.id).catch(() => {
      throw authFailed('rescoping an invalid token')
    })
    // An application credential is bound to its project: rescoping would escape it.
    if (original.applicationCredential) throw authFailed('application credential tokens cannot be rescoped')
    const options = {
      methods: [...new Set(['token', ...original.methods])],
      expiresAt: original.expiresAt,
      parentAuditId: original.auditIds.at(-1),
    }
    // Without a scope the new token keeps the original's, whose facts validation has just established.
    if (request.scope === undefined) {
      const { project, domain, system, roles } = original
      return this.deps.tokens.issue(original.user, { project, domain, system, roles }, options)
    }
    const { db } = this.deps.store
    const user = await findUser(db, { id: original.user.id })
    assertUserUsable(user)
    const scope = await resolveRequestedScope(db, user, request.scope, this.deps.roles)
    return this.deps.tokens.issue(user, scope, options)
  }

  private async byApplicationCredential(request: ParsedAuth): Promise<TokenInfo> {
    const proof = request.identity.applicationCredential
    if (!proof) throw authFailed('application_credential method without its object')
    if (request.scope !== undefined) throw authFailed('an application credential cannot request a scope')
    const { db } = this.deps.store
    let record: AppCredentialRecord | undefined
    if (proof.id !== undefined) record = await findAppCredentialRecord(db, proof.id)
    else if (proof.user && proof.name !== undefined) {
      const owner = await findUser(db, proof.user)
      record = owner && (await findAppCredentialByName(db, owner.id, proof.name))
    }
    const secretOk = record
      ? await verifySecret(record.secretHash, proof.secret, this.deps.passwords)
      : await this.deps.passwords.verifyDummy(proof.secret)
    if (!record || !secretOk) throw authFailed('unknown application credential or wrong secret')
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= this.deps.clock.now()) {
      throw authFailed(`application credential ${record.id} expired`)
    }
    const user = await findUser(db, { id: record.userId })
    assertUserUsable(user)
    const scope = await scopeByIds(db, user.id, { projectId: record.projectId }, this.deps.roles)
    scope.roles = restrictRoles(scope.roles, record)
    return this.deps.tokens.issue(user, scope, { methods: ['application_credential'], appCredential: record })
  }
}
