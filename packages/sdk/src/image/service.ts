import type { Clock } from '../core/clock.js'
import type { EventBus } from '../core/events.js'
import type { Policy } from '../core/policy.js'
import type { Quota } from '../core/quota.js'
import type { TaskRunner } from '../core/tasks/index.js'
import type { Store } from '../store/types.js'
import type { ImageApi } from './api.js'
import { imageDataApi } from './data.js'
import type { ImageDeps } from './deps.js'
import { imageDownloadApi } from './download.js'
import { imageRecordsApi } from './images.js'
import { imageImportApi } from './import.js'
import { importTask } from './import-task.js'
import { imageLifecycleApi } from './lifecycle.js'
import { imageListApi } from './list.js'
import { imageMembersApi } from './members.js'
import type { ImageServiceConfig } from './options.js'
import { registerImageQuotas } from './quota-usage.js'
import { StoreSet } from './store-set.js'
import { UploadTasks } from './upload-task.js'

/** What {@link createImageService} needs from the cloud. */
export interface ImageServiceDeps {
  store: Store
  events: EventBus
  policy: Policy
  clock: Clock
  quotas: Quota
  tasks: TaskRunner
  config: ImageServiceConfig
}

/** Builds the Image service and registers its quotas and durable tasks on the cloud's kernel. */
export function createImageService(cloud: ImageServiceDeps): ImageApi {
  const deps: ImageDeps = { ...cloud, stores: new StoreSet(cloud.config) }
  registerImageQuotas(deps.quotas)
  const uploads = new UploadTasks(deps)
  deps.tasks.register(uploads.definition)
  deps.tasks.register(importTask(deps))
  const records = imageRecordsApi(deps)
  return {
    ...records,
    ...imageListApi(deps),
    ...imageLifecycleApi(deps),
    ...imageDataApi(deps, uploads, records.getImage),
    ...imageDownloadApi(deps),
    ...imageImportApi(deps, records.getImage),
    ...imageMembersApi(deps),
  }
}
