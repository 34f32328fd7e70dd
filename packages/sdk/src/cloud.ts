import { type CloudOptions, CloudOptionsSchema } from './cloud-options.js'
import { type Clock, systemClock } from './core/clock.js'
import { type RequestContext, systemContext } from './core/context.js'
import { parseOrThrow } from './core/errors.js'
import { createEventBus, type EventBus } from './core/events.js'
import { createPolicy, type Policy } from './core/policy.js'
import { createQuota, type Quota, quotaMigrations } from './core/quota.js'
import { Settings, settingsMigrations } from './core/settings.js'
import { TaskRunner, taskMigrations } from './core/tasks/index.js'
import { AUTH_POLICY } from './identity/auth-policy.js'
import { authMigrations } from './identity/auth-tables.js'
import { IDENTITY_POLICY } from './identity/policy-rules.js'
import { createIdentity, type Identity } from './identity/service.js'
import { identityMigrations } from './identity/tables.js'
import type { ImageApi } from './image/api.js'
import { IMAGE_POLICY } from './image/policy-rules.js'
import { createImageService } from './image/service.js'
import { imageMigrations } from './image/tables.js'
import type { NetworkApi } from './network/api.js'
import { NETWORK_POLICY } from './network/policy-rules.js'
import { createNetworkService } from './network/service.js'
import { networkMigrations } from './network/tables.js'
import { sqliteStore } from './store/sqlite.js'
import type { Store } from './store/types.js'

/**
 * A running cloud: the services and the kernel they share. Made by {@link createCloud}; release it with
 * {@link Cloud.close}.
 */
export interface Cloud {
  /** The state store. */
  readonly store: Store
  /** Typed events, emitted after the transactions that cause them commit. */
  readonly events: EventBus
  /** The policy every service checks. */
  readonly policy: Policy
  /** Quota limits and usage counting. */
  readonly quotas: Quota
  /** Durable multi-step operations. */
  readonly tasks: TaskRunner
  /** Cloud-wide key/value settings. */
  readonly settings: Settings
  /** The time source. */
  readonly clock: Clock
  /** Users, projects, roles, the catalog and tokens: Keystone's part of the cloud. */
  readonly identity: Identity
  /** Images and their data in the configured stores: Glance's part of the cloud. */
  readonly image: ImageApi
  /** Networks, subnets, ports, security groups, routers and floating IPs: Neutron's part of the cloud. */
  readonly network: NetworkApi
  /** A trusted context for the host application's own jobs: every policy check passes. */
  system(signal?: AbortSignal): RequestContext
  /** Stops background work and closes the store. Idempotent. */
  close(): Promise<void>
}

/**
 * The composition root: validates the options (a bad one is `INVALID` naming the field), migrates the store,
 * and wires bus, policy, quotas and tasks. Tasks left unfinished by a crashed process are taken over in the
 * background.
 *
 * @example
 * const cloud = await createCloud({ store: sqliteStore({ path: 'cloud.db' }) })
 * cloud.events.onAny((event) => console.log(event.type))
 * await cloud.close()
 */
export async function createCloud(options: CloudOptions = {}): Promise<Cloud> {
  const config = parseOrThrow(CloudOptionsSchema, options, 'cloud options')
  const clock = config.clock ?? systemClock
  // Built before the store is opened so that bad rules fail without leaving a database handle behind.
  const policy = createPolicy({
    defaults: { ...IDENTITY_POLICY, ...AUTH_POLICY, ...IMAGE_POLICY, ...NETWORK_POLICY },
    overrides: config.policy?.overrides,
  })
  const store = config.store ?? sqliteStore({ path: ':memory:' })
  try {
    await store.migrate([
      ...taskMigrations,
      ...settingsMigrations,
      ...quotaMigrations,
      ...identityMigrations,
      ...authMigrations,
      ...imageMigrations,
      ...networkMigrations,
      ...(config.migrations ?? []),
    ])
  } catch (error) {
    await store.close()
    throw error
  }
  const events = createEventBus({ clock })
  const settings = new Settings(store, clock)
  let identity: Identity
  try {
    identity = await createIdentity({ store, events, policy, clock, settings, config: config.identity })
  } catch (error) {
    await store.close()
    throw error
  }
  const leaseMs = config.tasks?.leaseMs ?? 30_000
  const tasks = new TaskRunner({
    store,
    clock,
    leaseMs,
    owner: config.tasks?.owner,
    onSettled: (task) =>
      events.emit(`core.task.${task.state}` as 'core.task.succeeded', { id: task.id, task }),
  })
  const quotas = createQuota({ defaults: config.quotas?.defaults })
  const image = createImageService({ store, events, policy, clock, quotas, tasks, config: config.image })
  const network = createNetworkService({
    store,
    events,
    policy,
    clock,
    quotas,
    tasks,
    config: config.network,
  })
  const recoverEveryMs = config.tasks?.recoverEveryMs ?? leaseMs
  let recovering: Promise<unknown> = Promise.resolve()
  const recover = () => {
    recovering = recovering.then(() => tasks.recover()).catch(() => undefined)
  }
  const loop = recoverEveryMs > 0 ? setInterval(recover, recoverEveryMs) : undefined
  loop?.unref()

  let closed: Promise<void> | undefined
  return {
    store,
    events,
    policy,
    quotas,
    tasks,
    settings,
    clock,
    identity,
    image,
    network,
    system: (signal) => systemContext(signal),
    close() {
      closed ??= (async () => {
        clearInterval(loop)
        await tasks.close()
        await recovering
        await store.close()
      })()
      return closed
    },
  }
}
