import type { Clock } from '../core/clock.js'
import type { EventBus } from '../core/events.js'
import type { Policy } from '../core/policy.js'
import type { Quota } from '../core/quota.js'
import type { TaskRunner } from '../core/tasks/index.js'
import type { Store } from '../store/types.js'
import type { DataPlane } from './data-plane.js'
import type { NetworkServiceConfig } from './options.js'
import type { NetworkDriver } from './spi.js'

/** The shared dependencies every Network module factory takes. */
export interface NetworkDeps {
  store: Store
  events: EventBus
  policy: Policy
  clock: Clock
  quotas: Quota
  tasks: TaskRunner
  config: NetworkServiceConfig
  driver: NetworkDriver
  /** Pushes hosts' states to the driver after changes commit. */
  dataPlane: DataPlane
}
