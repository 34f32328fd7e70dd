import { randomBytes } from 'node:crypto'
import type { Clock } from '../core/clock.js'
import { CloudError } from '../core/errors.js'
import type { Store } from '../store/types.js'
import type { TokenInfo } from './auth-schemas.js'
import { findUser, type UserFacts } from './principals.js'
import type { RevocationList } from './revocation.js'
import { type ResolvedScope, type RoleResolver, scopeByIds } from './scope.js'
import { type AppCredentialFacts, restrictRoles, type TokenSubject, toInfo } from './token-info.js'
import type { TokenPayload } from './tokens.js'

/** Turns payloads into token strings and back; `decode` returns undefined for anything not a valid token. */
export interface TokenCodec {
  encode(payload: TokenPayload): string
  decode(token: string): TokenPayload | undefined
  /**
   * Reloads the keys when another process may have rotated them; resolves true when it did reload (it may
   * decline, to keep garbage tokens from causing a reload each).
   */
  refreshKeys?(): Promise<boolean>
}

/** What {@link TokenService} needs. */
export interface TokenServiceDeps {
  store: Store
  clock: Clock
  codec: TokenCodec
  revocations: RevocationList
  roles: RoleResolver
  findAppCredential(id: string): Promise<AppCredentialFacts | undefined>
  /** Grows with every identity change, so cached validations are redone after one. */
  generation(): number
  /** Token lifetime in ms. */
  ttlMs: number
  /** How long a validation result is reused, in ms; 0 disables the cache. */
  cacheTtlMs: number
  /** Most cached validations kept. */
  cacheSize: number
}

/** How a token being issued came about. */
export interface IssueOptions {
  methods: string[]
  /** Rescoped tokens keep the expiry of the token they came from. */
  expiresAt?: number
  /** The audit id of the token this one was rescoped from. */
  parentAuditId?: string
  appCredential?: AppCredentialFacts
}

interface Cached {
  info: TokenInfo
  generation: number
  until: number
}

/** What a token's user and scope resolve to; shared by every token of that user in that scope. */
interface Principal {
  user: UserFacts
  scope: ResolvedScope
  appCredential: AppCredentialFacts | undefined
  generation: number
  until: number
}

/** Adds to a bounded map, dropping the oldest entry when full. */
function remember<V>(map: Map<string, V>, key: string, value: V, size: number): void {
  if (map.size >= size) map.delete(map.keys().next().value!)
  map.set(key, value)
}

/** Issues tokens and validates them statelessly: nothing is stored per token, only revocation events. */
export class TokenService {
  private readonly cache = new Map<string, Cached>()
  private readonly principals = new Map<string, Principal>()

  constructor(private readonly deps: TokenServiceDeps) {}

  /** Issues a token for a user whose proof was checked, in a resolved scope. */
  issue(user: TokenSubject, scope: ResolvedScope, options: IssueOptions): TokenInfo {
    const now = this.deps.clock.now()
    const payload: TokenPayload = {
      u: user.id,
      m: options.methods,
      a: randomBytes(16).toString('base64url'),
      iat: now,
      exp: options.expiresAt ?? now + this.deps.ttlMs,
    }
    if (scope.project) payload.p = scope.project.id
    if (scope.domain) payload.d = scope.domain.id
    if (scope.system) payload.s = 1
    if (options.parentAuditId) payload.pa = options.parentAuditId
    if (options.appCredential) payload.ac = options.appCredential.id
    return toInfo(this.deps.codec.encode(payload), payload, user, scope, options.appCredential)
  }

  /** Validates a token; anything but a valid, unexpired, unrevoked token is NOT_FOUND. */
  async validate(token: string): Promise<TokenInfo> {
    const now = this.deps.clock.now()
    await this.deps.revocations.ensureFresh()
    const generation = this.generation()
    const hit = this.cache.get(token)
    if (hit && hit.generation === generation && hit.until > now) return hit.info
    const info = await this.check(token, now).catch((cause: unknown) => {
      throw invalidToken(cause)
    })
    if (this.deps.cacheTtlMs > 0) {
      const until = Math.min(info.expiresAt, now + this.deps.cacheTtlMs)
      remember(this.cache, token, { info, generation, until }, this.deps.cacheSize)
    }
    return info
  }

  /** Decodes a token without checking that its user, scope and roles are still valid. */
  decode(token: string): TokenPayload | undefined {
    return this.deps.codec.decode(token)
  }

  private generation(): number {
    return this.deps.generation() + this.deps.revocations.generation
  }

  private async check(token: string, now: number): Promise<TokenInfo> {
    const { codec } = this.deps
    let payload = codec.decode(token)
    if (!payload && (await codec.refreshKeys?.())) payload = codec.decode(token)
    if (!payload) throw new Error('not a token')
    if (payload.exp <= now) throw new Error('expired')
    const { user, scope, appCredential } = await this.principal(payload, now)
    const info = toInfo(token, payload, user, scope, appCredential)
    const domainIds = [user.domain.id, info.project?.domain.id, info.domain?.id].filter(
      (id) => id !== undefined,
    )
    const revoked = this.deps.revocations.isRevoked({
      userId: user.id,
      projectId: payload.p,
      domainIds,
      auditIds: info.auditIds,
      issuedAt: payload.iat,
    })
    if (revoked) throw new Error('revoked')
    return info
  }

  // Many tokens share a user and scope (every login, every rescope), so what they resolve to is looked up once
  // per cache period; identity changes drop it at once through the generation, as for whole validations.
  private async principal(payload: TokenPayload, now: number): Promise<Principal> {
    const key = `${payload.u}/${payload.p ?? ''}/${payload.d ?? ''}/${payload.s ?? ''}/${payload.ac ?? ''}`
    const generation = this.generation()
    const hit = this.principals.get(key)
    if (hit && hit.generation === generation && hit.until > now) return hit
    const db = this.deps.store.db
    const user = await findUser(db, { id: payload.u })
    if (!user?.enabled || !user.domain.enabled) throw new Error('user missing or disabled')
    const appCredential = payload.ac ? await this.appCredential(payload.ac, user.id, now) : undefined
    const ids = { projectId: payload.p, domainId: payload.d, system: payload.s === 1 }
    const scope = await scopeByIds(db, user.id, ids, this.deps.roles)
    if (appCredential) scope.roles = restrictRoles(scope.roles, appCredential)
    // An application credential's expiry must still be checked on every use of a cached principal.
    const expiry = appCredential?.expiresAt ? Date.parse(appCredential.expiresAt) : Number.POSITIVE_INFINITY
    const principal = {
      user,
      scope,
      appCredential,
      generation,
      until: Math.min(now + this.deps.cacheTtlMs, expiry),
    }
    if (this.deps.cacheTtlMs > 0) remember(this.principals, key, principal, this.deps.cacheSize)
    return principal
  }

  private async appCredential(id: string, userId: string, now: number): Promise<AppCredentialFacts> {
    const found = await this.deps.findAppCredential(id)
    if (!found || found.userId !== userId) throw new Error('application credential gone')
    if (found.expiresAt !== null && Date.parse(found.expiresAt) <= now)
      throw new Error('application credential expired')
    return found
  }
}

function invalidToken(cause: unknown): CloudError {
  return new CloudError('NOT_FOUND', 'Could not find token.', { resource: { type: 'token' }, cause })
}
