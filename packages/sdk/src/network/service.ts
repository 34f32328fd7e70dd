import type { Clock } from '../core/clock.js'
import type { EventBus } from '../core/events.js'
import type { Policy } from '../core/policy.js'
import type { Quota } from '../core/quota.js'
import type { TaskRunner } from '../core/tasks/index.js'
import type { Store } from '../store/types.js'
import type { NetworkApi } from './api.js'
import { DataPlane } from './data-plane.js'
import type { NetworkDeps } from './deps.js'
import { floatingIpsApi } from './floating-ips.js'
import { networksApi } from './networks.js'
import type { NetworkServiceConfig } from './options.js'
import { portsApi } from './ports.js'
import { registerNetworkQuotas } from './quota-usage.js'
import { resyncApi } from './resync.js'
import { routersApi } from './routers.js'
import { securityGroupsApi } from './security-groups.js'
import { stateOnlyNetwork } from './state-only-driver.js'
import { subnetPoolsApi } from './subnet-pools.js'
import { subnetsApi } from './subnets.js'
import { tagsApi } from './tags.js'

/** What {@link createNetworkService} needs from the cloud. */
export interface NetworkServiceDeps {
  store: Store
  events: EventBus
  policy: Policy
  clock: Clock
  quotas: Quota
  tasks: TaskRunner
  config: NetworkServiceConfig
}

/** Builds the Network service on the configured driver (the state-only one by default) and registers its quotas. */
export function createNetworkService(cloud: NetworkServiceDeps): NetworkApi {
  const driver = cloud.config.driver ?? stateOnlyNetwork()
  const dataPlane = new DataPlane({ store: cloud.store, events: cloud.events, driver, config: cloud.config })
  const deps: NetworkDeps = { ...cloud, driver, dataPlane }
  registerNetworkQuotas(deps.quotas)
  return {
    driver,
    ...networksApi(deps),
    ...subnetsApi(deps),
    ...subnetPoolsApi(deps),
    ...portsApi(deps),
    ...securityGroupsApi(deps),
    ...routersApi(deps),
    ...floatingIpsApi(deps),
    ...tagsApi(deps),
    ...resyncApi(deps),
  }
}
