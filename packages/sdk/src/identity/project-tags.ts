import { sql } from 'kysely'
import type { RequestContext } from '../core/context.js'
import { CloudError, parseOrThrow } from '../core/errors.js'
import type { Transaction } from '../store/types.js'
import { notFound, nowIso } from './common.js'
import type { IdentityDeps } from './deps.js'
import './events.js'
import { requireProject, tagsOf } from './project-rows.js'
import { MAX_PROJECT_TAGS, projectTagSchema, projectTagsSchema } from './schemas.js'

/** The tags of a project (`/v3/projects/{id}/tags`). */
export interface ProjectTagsApi {
  /** The project's tags, in name order. */
  listProjectTags(ctx: RequestContext, projectId: string): Promise<string[]>
  /** Throws `NOT_FOUND` unless the project has `tag`. */
  checkProjectTag(ctx: RequestContext, projectId: string, tag: string): Promise<void>
  /** Adds one tag (a no-op when present); at most 80 tags per project (`INVALID`). */
  addProjectTag(ctx: RequestContext, projectId: string, tag: string): Promise<void>
  /** Removes one tag, or throws `NOT_FOUND` when the project does not have it. */
  removeProjectTag(ctx: RequestContext, projectId: string, tag: string): Promise<void>
  /** Replaces every tag (an empty list removes them all); returns the new tags in name order. */
  replaceProjectTags(ctx: RequestContext, projectId: string, tags: string[]): Promise<string[]>
}

/** Replaces a project's tags in `tx`. */
export async function setTags(tx: Transaction, projectId: string, tags: readonly string[]): Promise<void> {
  await tx.db.deleteFrom('identity_project_tags').where('project_id', '=', projectId).execute()
  if (tags.length === 0) return
  await tx.db
    .insertInto('identity_project_tags')
    .values([...new Set(tags)].map((name) => ({ project_id: projectId, name })))
    .execute()
}

/** Builds the {@link ProjectTagsApi}. */
export function projectTagsApi(deps: IdentityDeps): ProjectTagsApi {
  const { store, policy, events } = deps

  // Every tag change is a change of the project: its revision and `updated_at` move and an event says so.
  const change = async (
    ctx: RequestContext,
    action: string,
    projectId: string,
    edit: (tx: Transaction, current: string[]) => Promise<void>,
  ) =>
    store.transaction(async (tx) => {
      const project = await requireProject(tx, projectId)
      policy.enforce(ctx, action, { project_id: project.id, domain_id: project.domain_id })
      const current = (await tagsOf(tx.db, [projectId])).get(projectId) ?? []
      await edit(tx, current)
      await tx.db
        .updateTable('identity_projects')
        .set({ revision: sql<number>`revision + 1`, updated_at: nowIso(deps) })
        .where('id', '=', projectId)
        .execute()
      events.emitAfterCommit(tx, 'identity.project.updated', {
        id: projectId,
        domainId: project.domain_id,
        requestId: ctx.requestId,
      })
      return (await tagsOf(tx.db, [projectId])).get(projectId) ?? []
    })

  const read = async (ctx: RequestContext, action: string, projectId: string) => {
    const project = await requireProject(store, projectId)
    policy.enforce(ctx, action, { project_id: project.id, domain_id: project.domain_id })
    return (await tagsOf(store.db, [projectId])).get(projectId) ?? []
  }

  return {
    listProjectTags: (ctx, projectId) => read(ctx, 'identity:list_project_tags', projectId),

    async checkProjectTag(ctx, projectId, tag) {
      const tags = await read(ctx, 'identity:get_project_tag', projectId)
      if (!tags.includes(tag)) throw notFound('tag', tag)
    },

    async addProjectTag(ctx, projectId, tag) {
      const name = parseOrThrow(projectTagSchema, tag, 'tag')
      await change(ctx, 'identity:create_project_tag', projectId, async (tx, current) => {
        if (current.includes(name)) return
        if (current.length >= MAX_PROJECT_TAGS) {
          throw new CloudError('INVALID', `A project can have at most ${MAX_PROJECT_TAGS} tags`)
        }
        await tx.db.insertInto('identity_project_tags').values({ project_id: projectId, name }).execute()
      })
    },

    async removeProjectTag(ctx, projectId, tag) {
      await change(ctx, 'identity:delete_project_tag', projectId, async (tx, current) => {
        if (!current.includes(tag)) throw notFound('tag', tag)
        await tx.db
          .deleteFrom('identity_project_tags')
          .where('project_id', '=', projectId)
          .where('name', '=', tag)
          .execute()
      })
    },

    async replaceProjectTags(ctx, projectId, tags) {
      const names = parseOrThrow(projectTagsSchema, tags, 'tags')
      const action = names.length === 0 ? 'identity:delete_project_tags' : 'identity:update_project_tags'
      return change(ctx, action, projectId, (tx) => setTags(tx, projectId, names))
    },
  }
}
