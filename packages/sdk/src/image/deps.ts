import type { Clock } from '../core/clock.js'
import type { RequestContext } from '../core/context.js'
import type { EventBus } from '../core/events.js'
import type { Policy, PolicyTarget } from '../core/policy.js'
import type { Quota } from '../core/quota.js'
import type { TaskRunner } from '../core/tasks/index.js'
import type { Store } from '../store/types.js'
import type { ImageServiceConfig } from './options.js'
import type { ImageRow } from './rows.js'
import type { StoreSet } from './store-set.js'

/** The shared dependencies every Image module factory takes. */
export interface ImageDeps {
  store: Store
  events: EventBus
  policy: Policy
  clock: Clock
  quotas: Quota
  tasks: TaskRunner
  config: ImageServiceConfig
  stores: StoreSet
}

/** The policy target of an image: its owner under both of Glance's names, and its visibility. */
export function imageTarget(
  row: Pick<ImageRow, 'owner' | 'visibility'>,
  extra: PolicyTarget = {},
): PolicyTarget {
  return { project_id: row.owner ?? '', owner: row.owner ?? '', visibility: row.visibility, ...extra }
}

/** The project a new image belongs to when the caller names none. */
export function callerProject(ctx: RequestContext): string | null {
  return ctx.projectId ?? null
}
