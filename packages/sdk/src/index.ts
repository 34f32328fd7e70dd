/**
 * Nubis: compose an OpenStack-class cloud control plane in your own TypeScript process.
 *
 * @packageDocumentation
 */
export * from './cloud.js'
export * from './cloud-options.js'
export * from './core/clock.js'
export * from './core/context.js'
export * from './core/driver.js'
export * from './core/errors.js'
export * from './core/events.js'
export * from './core/ids.js'
export * from './core/pagination.js'
export * from './core/policy.js'
export * from './core/quota.js'
export * from './core/settings.js'
export * from './core/tasks/index.js'
export * from './core/waiters.js'
export * from './identity/index.js'
export * from './image/index.js'
export * from './network/index.js'
export * from './store/index.js'
export * from './transport/index.js'
