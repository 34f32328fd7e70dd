import type { RequestContext } from '../core/context.js'
import { CloudError, parseOrThrow } from '../core/errors.js'
import { type ListQueryInput, type Page, paginate } from '../core/pagination.js'
import { casUpdate, newResourceColumns } from '../store/cas.js'
import { deleteProjectDependents } from './cascade.js'
import { listDomainScope, newHexId, nowIso } from './common.js'
import type { IdentityDeps } from './deps.js'
import { DEFAULT_DOMAIN_ID, requireDomain } from './domains.js'
import './events.js'
import { assertCanToggle, assertDepth, assertNameFree, hasTag } from './project-checks.js'
import {
  ancestorIds,
  projectsByIds,
  requireProject,
  subtreeIds,
  toProject,
  toProjects,
} from './project-rows.js'
import { setTags } from './project-tags.js'
import {
  type Project,
  type ProjectCreate,
  ProjectCreateSchema,
  type ProjectFilters,
  ProjectFiltersSchema,
  type ProjectUpdate,
  ProjectUpdateSchema,
} from './schemas.js'

/** Projects and their hierarchy. */
export interface ProjectsApi {
  /** Creates a project in a domain, under `parentId` when given. Names are unique within the domain. */
  createProject(ctx: RequestContext, input: ProjectCreate): Promise<Project>
  /** The project `id`, or `NOT_FOUND`. */
  getProject(ctx: RequestContext, id: string): Promise<Project>
  /** One page of projects, with Keystone's filters including the tag filters. */
  listProjects(ctx: RequestContext, filters?: ProjectFilters & ListQueryInput): Promise<Page<Project>>
  /** Changes a project. Disabling revokes its tokens; a project with enabled children cannot be disabled. */
  updateProject(ctx: RequestContext, id: string, patch: ProjectUpdate): Promise<Project>
  /** Deletes a project that has no children (`FORBIDDEN` otherwise), with its grants and tags. */
  deleteProject(ctx: RequestContext, id: string): Promise<void>
  /** The ancestors of a project, its parent first. */
  listProjectParents(ctx: RequestContext, id: string): Promise<Project[]>
  /** Every project below a project, parents before children. */
  listProjectSubtree(ctx: RequestContext, id: string): Promise<Project[]>
}

const target = (row: { id: string; domain_id: string }) => ({ project_id: row.id, domain_id: row.domain_id })

/** Builds the {@link ProjectsApi}. */
export function projectsApi(deps: IdentityDeps): ProjectsApi {
  const { store, policy, events } = deps

  const readable = async (ctx: RequestContext, action: string, id: string) => {
    const row = await requireProject(store, id)
    policy.enforce(ctx, action, target(row))
    return row
  }

  return {
    async createProject(ctx, input) {
      const body = parseOrThrow(ProjectCreateSchema, input, 'project')
      return store.transaction(async (tx) => {
        // A parent may be a project or, for a top-level project, the domain itself (as Keystone accepts).
        const parent = body.parentId
          ? await tx.db
              .selectFrom('identity_projects')
              .selectAll()
              .where('id', '=', body.parentId)
              .executeTakeFirst()
          : undefined
        const parentIsDomain = body.parentId !== undefined && !parent
        const domainId =
          body.domainId ??
          parent?.domain_id ??
          (parentIsDomain ? body.parentId : undefined) ??
          ctx.domainId ??
          DEFAULT_DOMAIN_ID
        policy.enforce(ctx, 'identity:create_project', { domain_id: domainId, project_id: body.parentId })
        await requireDomain(tx, domainId)
        if (parentIsDomain && body.parentId !== domainId) {
          throw new CloudError(
            'INVALID',
            `Parent ${body.parentId} is neither a project nor the project's domain`,
          )
        }
        if (parent && parent.domain_id !== domainId) {
          throw new CloudError(
            'INVALID',
            'Cannot create a child project in a different domain than its parent',
          )
        }
        if (parent) await assertDepth(deps, tx, parent.id)
        await assertNameFree(tx, domainId, body.name)
        const id = newHexId()
        const row = {
          ...newResourceColumns(id, nowIso(deps)),
          name: body.name,
          domain_id: domainId,
          parent_id: parent?.id ?? null,
          description: body.description ?? '',
          enabled: body.enabled === false ? 0 : 1,
          is_domain: 0,
          options: JSON.stringify(body.options ?? {}),
          extra: JSON.stringify(body.extra ?? {}),
        }
        await tx.db.insertInto('identity_projects').values(row).execute()
        const tags = body.tags ?? []
        await setTags(tx, id, tags)
        const parentId = parent?.id ?? domainId
        events.emitAfterCommit(tx, 'identity.project.created', {
          id,
          domainId,
          parentId,
          requestId: ctx.requestId,
        })
        return toProject(row, [...tags].sort())
      })
    },

    async getProject(ctx, id) {
      const row = await readable(ctx, 'identity:get_project', id)
      return (await toProjects(store.db, [row]))[0]!
    },

    async listProjects(ctx, filters = {}) {
      const f = parseOrThrow(ProjectFiltersSchema, filters, 'filters')
      const domainId = listDomainScope(deps, ctx, 'identity:list_projects', f.domainId)
      let qb = store.db.selectFrom('identity_projects').selectAll()
      if (domainId !== undefined) qb = qb.where('domain_id', '=', domainId)
      if (f.name !== undefined) qb = qb.where('name', '=', f.name)
      if (f.enabled !== undefined) qb = qb.where('enabled', '=', f.enabled ? 1 : 0)
      if (f.parentId !== undefined) {
        const parentId = f.parentId
        qb = qb.where((eb) =>
          eb.or([
            eb('parent_id', '=', parentId),
            eb.and([eb('parent_id', 'is', null), eb('domain_id', '=', parentId)]),
          ]),
        )
      }
      if (f.tags) qb = qb.where((eb) => eb.and(f.tags!.map((tag) => hasTag(eb, [tag]))))
      if (f.tagsAny) qb = qb.where((eb) => hasTag(eb, f.tagsAny!))
      if (f.notTags) qb = qb.where((eb) => eb.not(eb.and(f.notTags!.map((tag) => hasTag(eb, [tag])))))
      if (f.notTagsAny) qb = qb.where((eb) => eb.not(hasTag(eb, f.notTagsAny!)))
      const page = await paginate(qb, 'identity_projects', filters, {
        sortable: ['name', 'domain_id', 'enabled'],
      })
      return { ...page, items: await toProjects(store.db, page.items) }
    },

    async updateProject(ctx, id, patch) {
      const body = parseOrThrow(ProjectUpdateSchema, patch, 'project')
      return store.transaction(async (tx) => {
        const current = await requireProject(tx, id)
        policy.enforce(ctx, 'identity:update_project', target(current))
        if (body.name !== undefined && body.name !== current.name)
          await assertNameFree(tx, current.domain_id, body.name)
        if (body.enabled !== undefined && body.enabled !== Boolean(current.enabled)) {
          await assertCanToggle(tx, current.id, current.parent_id, body.enabled)
        }
        const row = await casUpdate(
          tx,
          'identity_projects',
          id,
          current.revision,
          {
            ...(body.name !== undefined && { name: body.name }),
            ...(body.description !== undefined && { description: body.description }),
            ...(body.enabled !== undefined && { enabled: body.enabled ? 1 : 0 }),
            ...(body.options !== undefined && { options: JSON.stringify(body.options) }),
            ...(body.extra !== undefined && { extra: JSON.stringify(body.extra) }),
          },
          { type: 'project', now: nowIso(deps) },
        )
        if (body.tags !== undefined) await setTags(tx, id, body.tags)
        if (current.enabled && !row.enabled) await deps.revoke(tx, { projectId: id })
        events.emitAfterCommit(tx, 'identity.project.updated', {
          id,
          domainId: row.domain_id,
          requestId: ctx.requestId,
        })
        return (await toProjects(tx.db, [row]))[0]!
      })
    },

    async deleteProject(ctx, id) {
      await store.transaction(async (tx) => {
        const current = await requireProject(tx, id)
        policy.enforce(ctx, 'identity:delete_project', target(current))
        const child = await tx.db
          .selectFrom('identity_projects')
          .select('id')
          .where('parent_id', '=', id)
          .executeTakeFirst()
        if (child) {
          throw new CloudError(
            'FORBIDDEN',
            `Cannot delete project ${id}: it is not a leaf in the hierarchy.`,
            {
              resource: { type: 'project', id },
            },
          )
        }
        await deleteProjectDependents(tx, [id])
        await tx.db.deleteFrom('identity_projects').where('id', '=', id).execute()
        await deps.revoke(tx, { projectId: id })
        events.emitAfterCommit(tx, 'identity.project.deleted', {
          id,
          domainId: current.domain_id,
          requestId: ctx.requestId,
        })
      })
    },

    async listProjectParents(ctx, id) {
      await readable(ctx, 'identity:list_project_parents', id)
      return toProjects(store.db, await projectsByIds(store.db, await ancestorIds(store.db, id)))
    },

    async listProjectSubtree(ctx, id) {
      await readable(ctx, 'identity:list_project_subtree', id)
      return toProjects(store.db, await projectsByIds(store.db, await subtreeIds(store.db, id)))
    },
  }
}
