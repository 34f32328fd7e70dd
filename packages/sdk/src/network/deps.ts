import type { DataPlane } from './data-plane.js'
import type { NetworkServiceDeps } from './service.js'
import type { NetworkDriver } from './spi.js'

/** The shared dependencies every Network module factory takes: the cloud's, plus the driver and data plane. */
export interface NetworkDeps extends NetworkServiceDeps {
  driver: NetworkDriver
  /** Pushes hosts' states to the driver after changes commit. */
  dataPlane: DataPlane
}
