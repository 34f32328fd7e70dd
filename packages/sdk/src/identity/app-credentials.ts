import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { isoTime } from '../core/clock.js'
import type { RequestContext } from '../core/context.js'
import { CloudError, parseOrThrow } from '../core/errors.js'
import { descriptionSchema, nameSchema } from '../core/ids.js'
import { findAppCredentialRecord, toAppCredentialRecord } from './app-credential-store.js'
import type { TokenRole } from './auth-schemas.js'
import './auth-events.js'
import type { IdentityDeps } from './deps.js'
import { generateSecret, hashSecret } from './secrets.js'

/** What {@link AppCredentialsApi.createApplicationCredential} accepts. */
export const CreateAppCredentialSchema = z
  .object({
    name: nameSchema,
    description: descriptionSchema.nullish(),
    /** Chosen secret; generated (and shown once) when absent. */
    secret: z.string().min(1).max(4096).nullish(),
    /** ISO-8601; never expires when absent. */
    expiresAt: z.iso.datetime({ offset: true, local: true }).nullish(),
    /** Roles by id or name: a subset of the caller's roles on the project. Default: all of them. */
    roles: z.array(z.union([z.object({ id: z.string() }), z.object({ name: z.string() })])).optional(),
    /** May create further application credentials. Default false. */
    unrestricted: z.boolean().default(false),
  })
  .strict()

/** Input of {@link AppCredentialsApi.createApplicationCredential}. */
export type CreateAppCredentialInput = z.input<typeof CreateAppCredentialSchema>

/** An application credential as callers see it. */
export interface ApplicationCredential {
  id: string
  name: string
  description: string | null
  userId: string
  projectId: string
  expiresAt: string | null
  unrestricted: boolean
  roles: TokenRole[]
  /** Only in the result of creation: it is stored hashed and cannot be shown again. */
  secret?: string
}

/** Application credentials: secrets that authenticate as their user, on one project, with chosen roles. */
export interface AppCredentialsApi {
  /** Creates one for the caller (who must be `userId`) on the caller's project, from the caller's roles. */
  createApplicationCredential(
    ctx: RequestContext,
    userId: string,
    input: CreateAppCredentialInput,
  ): Promise<ApplicationCredential>
  /** One of the user's application credentials. */
  getApplicationCredential(ctx: RequestContext, userId: string, id: string): Promise<ApplicationCredential>
  /** The user's application credentials, optionally by name. */
  listApplicationCredentials(
    ctx: RequestContext,
    userId: string,
    filters?: { name?: string },
  ): Promise<ApplicationCredential[]>
  /** Deletes one; tokens made from it stop validating. */
  deleteApplicationCredential(ctx: RequestContext, userId: string, id: string): Promise<void>
}

/**
 * An expiry in UTC with microseconds, `2026-01-01T00:00:00.123456Z`. Keystone keeps microseconds, and clients
 * compare the expiry they sent with the one they get back.
 */
function utcMicros(input: string): string {
  const exact = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(?:Z|[+-]00:?00)?$/.exec(input)
  if (exact) return `${exact[1]}.${(exact[2] ?? '').padEnd(6, '0')}Z`
  return isoTime(Date.parse(input)).replace('Z', '000Z')
}

/** Builds the {@link AppCredentialsApi}. */
export function appCredentialsApi(deps: IdentityDeps): AppCredentialsApi {
  const { store, policy, events } = deps
  const notFound = (id: string) =>
    new CloudError('NOT_FOUND', `Could not find application credential: ${id}.`, {
      resource: { type: 'application_credential', id },
    })
  const roleRefs = async (ids: string[]): Promise<TokenRole[]> =>
    ids.length === 0
      ? []
      : store.db.selectFrom('identity_roles').select(['id', 'name']).where('id', 'in', ids).execute()
  const view = async (row: Parameters<typeof toAppCredentialRecord>[0]): Promise<ApplicationCredential> => {
    const r = toAppCredentialRecord(row)
    const { id, name, description, userId, projectId, expiresAt, unrestricted } = r
    return {
      id,
      name,
      description,
      userId,
      projectId,
      expiresAt,
      unrestricted,
      roles: await roleRefs(r.roleIds),
    }
  }

  return {
    async createApplicationCredential(ctx, userId, input) {
      policy.enforce(ctx, 'identity:create_application_credential', { user_id: userId })
      const body = parseOrThrow(CreateAppCredentialSchema, input, 'application_credential')
      if (ctx.applicationCredential?.restricted) {
        throw new CloudError('FORBIDDEN', 'A restricted application credential cannot create others.')
      }
      if (!ctx.projectId || ctx.userId !== userId) {
        throw new CloudError(
          'FORBIDDEN',
          'Application credentials are made with a project-scoped token of their user.',
        )
      }
      const now = deps.clock.now()
      if (body.expiresAt && Date.parse(body.expiresAt) <= now) {
        throw new CloudError('INVALID', 'The expiration time is in the past.', {
          details: { path: 'expires_at' },
        })
      }
      const owned = await store.db
        .selectFrom('identity_roles')
        .select(['id', 'name'])
        .where('name', 'in', ctx.roles.length ? ctx.roles : [''])
        .execute()
      const chosen = body.roles ?? owned.map(({ id }) => ({ id }))
      const roles = chosen.map((want) =>
        owned.find((role) => ('id' in want ? role.id === want.id : role.name === want.name)),
      )
      if (roles.some((role) => role === undefined) || roles.length === 0) {
        throw new CloudError(
          'FORBIDDEN',
          'An application credential may only carry roles its creator has on the project.',
        )
      }
      const secret = body.secret ?? generateSecret()
      const secretHash = await hashSecret(secret, { hasher: deps.passwords, generated: !body.secret })
      const id = randomUUID().replaceAll('-', '')
      const at = isoTime(now)
      const row = {
        id,
        revision: 1,
        created_at: at,
        updated_at: at,
        name: body.name,
        user_id: userId,
        project_id: ctx.projectId,
        description: body.description ?? null,
        secret_hash: secretHash,
        expires_at: body.expiresAt ? utcMicros(body.expiresAt) : null,
        unrestricted: body.unrestricted ? 1 : 0,
        roles: JSON.stringify([...new Set(roles.map((role) => role!.id))]),
      }
      await store.transaction(async (tx) => {
        await tx.db.insertInto('identity_app_credentials').values(row).execute()
        events.emitAfterCommit(tx, 'identity.application_credential.created', {
          id,
          requestId: ctx.requestId,
        })
      })
      return { ...(await view(row)), secret }
    },

    async getApplicationCredential(ctx, userId, id) {
      policy.enforce(ctx, 'identity:get_application_credential', { user_id: userId })
      const row = await store.db
        .selectFrom('identity_app_credentials')
        .selectAll()
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst()
      if (!row) throw notFound(id)
      return view(row)
    },

    async listApplicationCredentials(ctx, userId, filters = {}) {
      policy.enforce(ctx, 'identity:list_application_credentials', { user_id: userId })
      let qb = store.db.selectFrom('identity_app_credentials').selectAll().where('user_id', '=', userId)
      if (filters.name) qb = qb.where('name', '=', filters.name)
      return Promise.all((await qb.orderBy('name').execute()).map(view))
    },

    async deleteApplicationCredential(ctx, userId, id) {
      policy.enforce(ctx, 'identity:delete_application_credential', { user_id: userId })
      const found = await findAppCredentialRecord(store.db, id)
      if (!found || found.userId !== userId) throw notFound(id)
      await store.transaction(async (tx) => {
        await tx.db.deleteFrom('identity_app_credentials').where('id', '=', id).execute()
        events.emitAfterCommit(tx, 'identity.application_credential.deleted', {
          id,
          requestId: ctx.requestId,
        })
      })
    },
  }
}
