import { createHash, randomUUID } from 'node:crypto'
import type { Selectable } from 'kysely'
import { z } from 'zod'
import { isoTime } from '../core/clock.js'
import type { RequestContext } from '../core/context.js'
import { CloudError, parseOrThrow } from '../core/errors.js'
import type { CredentialsTable } from './auth-tables.js'
import './auth-events.js'
import type { IdentityDeps } from './deps.js'

/** Seals credential blobs at rest; `open` returns undefined for a blob sealed with a key no longer known. */
export interface BlobSealer {
  seal(plaintext: string): string
  open(sealed: string): string | undefined
}

/** What {@link CredentialsApi.createCredential} accepts (Keystone's `credential` object). */
export const CreateCredentialSchema = z
  .object({
    userId: z.string().min(1).max(64),
    projectId: z.string().min(1).max(64).nullish(),
    type: z.string().min(1).max(255),
    /** Opaque to Keystone; for `ec2`, JSON with `access` and `secret`. */
    blob: z.string().min(1).max(65_535),
  })
  .strict()

/** Input of {@link CredentialsApi.createCredential}. */
export type CreateCredentialInput = z.input<typeof CreateCredentialSchema>

/** A credential as callers see it (the blob in the clear, as Keystone shows it to its owner and admins). */
export interface Credential {
  id: string
  userId: string
  projectId: string | null
  type: string
  blob: string
}

/** Credentials: EC2-style access/secret pairs for the S3 API, and any other blob a user keeps. */
export interface CredentialsApi {
  /** Creates a credential; an `ec2` one gets the id Keystone gives it, the SHA-256 of its access key. */
  createCredential(ctx: RequestContext, input: CreateCredentialInput): Promise<Credential>
  /** One credential. */
  getCredential(ctx: RequestContext, id: string): Promise<Credential>
  /** Credentials, optionally of one user or type; non-admins see their own. */
  listCredentials(ctx: RequestContext, filters?: { userId?: string; type?: string }): Promise<Credential[]>
  /** Replaces the blob (and project) of a credential. */
  updateCredential(
    ctx: RequestContext,
    id: string,
    patch: { blob?: string; projectId?: string | null },
  ): Promise<Credential>
  /** Deletes a credential. */
  deleteCredential(ctx: RequestContext, id: string): Promise<void>
  /** The EC2 credential with this access key, for checking S3 signatures; no policy: internal. */
  findEc2Credential(accessKey: string): Promise<Credential | undefined>
}

/** The access key of an `ec2` blob; INVALID when the blob is not the JSON Keystone expects. */
function ec2Access(blob: string): string {
  let parsed: unknown
  try {
    parsed = JSON.parse(blob)
  } catch {
    parsed = undefined
  }
  const access = (parsed as { access?: unknown } | undefined)?.access
  if (typeof access !== 'string' || access.length === 0) {
    throw new CloudError('INVALID', 'An ec2 credential blob must be JSON with an "access" key.', {
      details: { path: 'blob' },
    })
  }
  return access
}

/** Builds the {@link CredentialsApi}. */
export function credentialsApi(deps: IdentityDeps, sealer: BlobSealer): CredentialsApi {
  const { store, policy, events } = deps
  const view = (row: Selectable<CredentialsTable>): Credential => {
    const blob = sealer.open(row.blob)
    if (blob === undefined) throw new CloudError('INTERNAL', `Credential ${row.id} cannot be unsealed.`)
    return { id: row.id, userId: row.user_id, projectId: row.project_id, type: row.type, blob }
  }
  const load = async (id: string) => {
    const row = await store.db
      .selectFrom('identity_credentials')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row)
      throw new CloudError('NOT_FOUND', `Could not find credential: ${id}.`, {
        resource: { type: 'credential', id },
      })
    return row
  }

  return {
    async createCredential(ctx, input) {
      const body = parseOrThrow(CreateCredentialSchema, input, 'credential')
      policy.enforce(ctx, 'identity:create_credential', { user_id: body.userId })
      const access = body.type === 'ec2' ? ec2Access(body.blob) : null
      const id = access ? createHash('sha256').update(access).digest('hex') : randomUUID().replaceAll('-', '')
      const now = isoTime(deps.clock.now())
      const row = {
        id,
        revision: 1,
        created_at: now,
        updated_at: now,
        user_id: body.userId,
        project_id: body.projectId ?? null,
        type: body.type,
        blob: sealer.seal(body.blob),
        access_key: access,
      }
      await store.transaction(async (tx) => {
        await tx.db.insertInto('identity_credentials').values(row).execute()
        events.emitAfterCommit(tx, 'identity.credential.created', { id, requestId: ctx.requestId })
      })
      return view(row)
    },

    async getCredential(ctx, id) {
      const row = await load(id)
      policy.enforce(ctx, 'identity:get_credential', { user_id: row.user_id })
      return view(row)
    },

    async listCredentials(ctx, filters = {}) {
      // Non-admins may list only their own: the filter is forced rather than refused, as Keystone does.
      const admin = policy.check(ctx, 'identity:list_credentials', {})
      const userId = admin ? filters.userId : ctx.userId
      let qb = store.db.selectFrom('identity_credentials').selectAll()
      if (userId) qb = qb.where('user_id', '=', userId)
      if (filters.type) qb = qb.where('type', '=', filters.type)
      return (await qb.orderBy('id').execute()).map(view)
    },

    async updateCredential(ctx, id, patch) {
      const row = await load(id)
      policy.enforce(ctx, 'identity:update_credential', { user_id: row.user_id })
      // The id stays what it was (the hash of the first access key), as in Keystone; lookups go by access_key.
      const accessKey =
        patch.blob !== undefined && row.type === 'ec2' ? ec2Access(patch.blob) : row.access_key
      const next = {
        ...row,
        access_key: accessKey,
        blob: patch.blob === undefined ? row.blob : sealer.seal(patch.blob),
        project_id: patch.projectId === undefined ? row.project_id : patch.projectId,
        revision: Number(row.revision) + 1,
        updated_at: isoTime(deps.clock.now()),
      }
      await store.transaction(async (tx) => {
        const { id: _, ...values } = next
        await tx.db.updateTable('identity_credentials').set(values).where('id', '=', id).execute()
        events.emitAfterCommit(tx, 'identity.credential.updated', { id, requestId: ctx.requestId })
      })
      return view(next)
    },

    async deleteCredential(ctx, id) {
      const row = await load(id)
      policy.enforce(ctx, 'identity:delete_credential', { user_id: row.user_id })
      await store.transaction(async (tx) => {
        await tx.db.deleteFrom('identity_credentials').where('id', '=', id).execute()
        events.emitAfterCommit(tx, 'identity.credential.deleted', { id, requestId: ctx.requestId })
      })
    },

    async findEc2Credential(accessKey) {
      const row = await store.db
        .selectFrom('identity_credentials')
        .selectAll()
        .where('access_key', '=', accessKey)
        .executeTakeFirst()
      return row && view(row)
    },
  }
}
