import type { Clock } from '../core/clock.js'
import { isoTime } from '../core/clock.js'
import type { RequestContext } from '../core/context.js'
import type { EventBus } from '../core/events.js'
import type { Policy } from '../core/policy.js'
import type { Settings } from '../core/settings.js'
import type { Store } from '../store/types.js'
import { findAppCredentialRecord } from './app-credential-store.js'
import { type AppCredentialsApi, appCredentialsApi } from './app-credentials.js'
import { type AssignmentsApi, assignmentsApi, effectiveRoles } from './assignments.js'
import { type AuthApi, authApi } from './auth-api.js'
import type { TokenInfo } from './auth-schemas.js'
import { type AuthScopesApi, authScopesApi } from './auth-scopes.js'
import { Authenticator } from './authenticator.js'
import { type CatalogApi, catalogApi } from './catalog.js'
import type { CatalogEntry } from './catalog-schemas.js'
import { type CredentialsApi, credentialsApi } from './credentials.js'
import { ensureIdentityDefaults } from './defaults.js'
import type { IdentityDeps, RevocationInput } from './deps.js'
import { type DomainsApi, domainsApi } from './domains.js'
import { type GroupsApi, groupsApi } from './groups.js'
import type { IdentityServiceConfig } from './options.js'
import { type ChangePasswordInput, changeOwnPassword } from './password-change.js'
import { PasswordHasher } from './passwords.js'
import { type ProjectTagsApi, projectTagsApi } from './project-tags.js'
import { type ProjectsApi, projectsApi } from './projects.js'
import { type RegionsApi, regionsApi } from './regions.js'
import { RevocationList } from './revocation.js'
import { type RolesApi, rolesApi } from './roles.js'
import { openBlob, sealBlob } from './secrets.js'
import { TokenKeyring } from './token-keys.js'
import { TokenService } from './token-service.js'
import { decodeToken, encodeToken } from './tokens.js'
import { type UsersApi, usersApi } from './users.js'

/** The settings key of the keyring that seals credential blobs (EC2 secrets). */
export const CREDENTIAL_KEYS_SETTING = 'identity.credential-keys'

/** Least time between two reloads of the token keys prompted by undecodable tokens. */
const KEY_REFRESH_MS = 5000

/** What the Identity service offers besides its resources' CRUD. */
export interface IdentityExtras {
  /** A user changes their own password, proving the original one; all their tokens are revoked. */
  changePassword(userId: string, input: ChangePasswordInput): Promise<void>
  /** The catalog to show with a token: enabled services and endpoints, URLs filled in for its project. */
  tokenCatalog(info: TokenInfo): Promise<CatalogEntry[]>
  /** Rotates the token keys: staged → primary, primary → secondary, a new staged key. System admins only. */
  rotateTokenKeys(ctx: RequestContext): Promise<void>
  /** The password hasher, to hash passwords the same way elsewhere (bootstrap). */
  readonly passwords: PasswordHasher
}

/**
 * The Identity service (`cloud.identity`): domains, projects, users, groups, roles and their assignments, the
 * service catalog, credentials, and authentication with tokens. Every method takes the caller's context first and
 * checks policy, except authentication itself.
 */
export type Identity = DomainsApi &
  ProjectsApi &
  ProjectTagsApi &
  UsersApi &
  GroupsApi &
  RolesApi &
  AssignmentsApi &
  RegionsApi &
  CatalogApi &
  AppCredentialsApi &
  CredentialsApi &
  AuthApi &
  AuthScopesApi &
  IdentityExtras

/** What {@link createIdentity} needs from the cloud. */
export interface IdentityServiceDeps {
  store: Store
  events: EventBus
  policy: Policy
  clock: Clock
  settings: Settings
  config: IdentityServiceConfig
}

/** Builds the Identity service: loads or creates its keys and the default domain and roles. */
export async function createIdentity(cloud: IdentityServiceDeps): Promise<Identity> {
  const { store, events, policy, clock, settings, config } = cloud
  const compliance = config.securityCompliance
  await store.transaction((tx) => ensureIdentityDefaults(tx, isoTime(clock.now())))
  const keyring = await TokenKeyring.loadOrCreate(settings, { clock })
  const blobKeys = await TokenKeyring.loadOrCreate(settings, { clock, settingsKey: CREDENTIAL_KEYS_SETTING })
  let keysLoadedAt = clock.now()
  const passwords = new PasswordHasher(config.passwordHashing)
  const ttlMs = config.tokenTtlSec * 1000
  const revocations = new RevocationList({
    store,
    clock,
    maxTokenLifetimeMs: ttlMs,
    refreshMs: config.revocationRefreshMs,
  })

  // Any identity change may change what a cached validation would say (a role removed, a project disabled).
  let generation = 0
  events.onAny((event) => {
    if (event.type.startsWith('identity.')) generation++
  })
  const deps: IdentityDeps = {
    store,
    events,
    policy,
    clock,
    passwords,
    options: compliance,
    async revoke(tx, event: RevocationInput) {
      const { roleId: _, ...rest } = event
      // A role removal alone needs no event: roles are looked up again at validation, once caches are dropped.
      if (Object.values(rest).some((value) => value !== undefined)) await revocations.add(tx, rest)
      else tx.afterCommit(() => generation++)
    },
  }
  const tokens = new TokenService({
    store,
    clock,
    codec: {
      encode: (payload) => encodeToken(payload, keyring.primary),
      decode: (token) => decodeToken(token, keyring),
      // A token sealed with a key this process has not seen yet comes from a rotation done by another process.
      async refreshKeys() {
        if (clock.now() - keysLoadedAt < KEY_REFRESH_MS) return false
        keysLoadedAt = clock.now()
        await keyring.refresh()
        return true
      },
    },
    revocations,
    roles: effectiveRoles,
    findAppCredential: (id) => findAppCredentialRecord(store.db, id),
    generation: () => generation,
    ttlMs,
    cacheTtlMs: config.tokenCacheTtlMs,
    cacheSize: config.tokenCacheSize,
  })
  const authenticator = new Authenticator({
    store,
    clock,
    passwords,
    compliance,
    tokens,
    roles: effectiveRoles,
  })
  const catalog = catalogApi(deps)
  const sealer = {
    seal: (text: string) => sealBlob(text, blobKeys.primary),
    open: (sealed: string) => openBlob(sealed, blobKeys),
  }

  const extras: IdentityExtras = {
    changePassword: (userId, input) => changeOwnPassword({ ...deps, compliance }, userId, input),
    tokenCatalog: (info) => catalog.catalog({ projectId: info.project?.id, userId: info.user.id }),
    async rotateTokenKeys(ctx) {
      policy.enforce(ctx, 'identity:rotate_token_keys', {})
      await keyring.rotate({ maxSecondaries: config.maxSecondaryKeys })
    },
    passwords,
  }
  return Object.assign(
    {},
    domainsApi(deps),
    projectsApi(deps),
    projectTagsApi(deps),
    usersApi(deps),
    groupsApi(deps),
    rolesApi(deps),
    assignmentsApi(deps),
    regionsApi(deps),
    catalog,
    appCredentialsApi(deps),
    credentialsApi(deps, sealer),
    authApi({ store, policy, tokens, authenticator, revocations }),
    authScopesApi({ store }),
    extras,
  )
}
