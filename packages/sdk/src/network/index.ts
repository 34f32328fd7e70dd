export type { NetworkApi, TaggableResource } from './api.js'
export type { NetworkResourceEvent, PortEvent } from './events.js'
export { NETWORK_SORT_KEYS } from './networks.js'
export { type NetworkOptions, NetworkOptionsSchema, type NetworkServiceConfig } from './options.js'
export { NETWORK_POLICY } from './policy-rules.js'
export * from './port-schemas.js'
export { PORT_SORT_KEYS } from './ports.js'
export { NETWORK_QUOTAS } from './quota-usage.js'
export type * from './records.js'
export * from './router-schemas.js'
export * from './schemas.js'
export { createNetworkService, type NetworkServiceDeps } from './service.js'
export type * from './spi.js'
export {
  checkSegmentationId,
  SEGMENTATION_ID_RANGES,
  type StateOnlyNetworkDriver,
  type StateOnlyNetworkOptions,
  stateOnlyNetwork,
} from './state-only-driver.js'
export { SUBNET_SORT_KEYS } from './subnets.js'
export type * from './tables.js'
export { networkMigrations } from './tables.js'
