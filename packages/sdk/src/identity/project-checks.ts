import { type ExpressionBuilder, sql } from 'kysely'
import { CloudError } from '../core/errors.js'
import type { Tables, Transaction } from '../store/types.js'
import { duplicate } from './common.js'
import type { IdentityDeps } from './deps.js'
import { ancestorIds, requireProject } from './project-rows.js'

// The rules a project change must keep, and the tag condition of project lists.

// `exists (select 1 from identity_project_tags where project_id = identity_projects.id and name in (…))`
export function hasTag(eb: ExpressionBuilder<Tables, 'identity_projects'>, tags: string[]) {
  return eb.exists(
    eb
      .selectFrom('identity_project_tags as t')
      .select(sql.lit(1).as('one'))
      .whereRef('t.project_id', '=', 'identity_projects.id')
      .where('t.name', 'in', tags),
  )
}

export async function assertNameFree(tx: Transaction, domainId: string, name: string): Promise<void> {
  const taken = await tx.db
    .selectFrom('identity_projects')
    .select('id')
    .where('domain_id', '=', domainId)
    .where('name', '=', name)
    .executeTakeFirst()
  if (taken) throw duplicate('project', name)
}

// Keystone keeps a hierarchy's enabled projects connected: no enabled child under a disabled parent.
export async function assertCanToggle(
  tx: Transaction,
  id: string,
  parentId: string | null,
  enable: boolean,
): Promise<void> {
  if (enable && parentId) {
    const parent = await requireProject(tx, parentId)
    if (!parent.enabled)
      throw new CloudError('FORBIDDEN', `Cannot enable project ${id}: its parent is disabled.`)
  }
  if (!enable) {
    const child = await tx.db
      .selectFrom('identity_projects')
      .select('id')
      .where('parent_id', '=', id)
      .where('enabled', '=', 1)
      .executeTakeFirst()
    if (child)
      throw new CloudError(
        'FORBIDDEN',
        `Cannot disable project ${id}: its subtree contains enabled projects.`,
      )
  }
}

export async function assertDepth(deps: IdentityDeps, tx: Transaction, parentId: string): Promise<void> {
  const max = deps.options.maxProjectTreeDepth
  if (max === undefined) return
  // The new project sits below its parent and the parent's ancestors.
  const depth = (await ancestorIds(tx.db, parentId)).length + 2
  if (depth > max) throw new CloudError('FORBIDDEN', `Max hierarchy depth reached for project ${parentId}.`)
}
