import { CloudError } from '../core/errors.js'
import type { ImageServiceConfig } from './options.js'
import type { ImageStoreDriver } from './spi.js'

/** The configured image stores by name, the default one, and the staging area of `glance-direct`. */
export class StoreSet {
  readonly #stores: ReadonlyMap<string, ImageStoreDriver>
  /** Name of the store uploads go to; undefined when no store is configured. */
  readonly defaultName: string | undefined

  constructor(config: Pick<ImageServiceConfig, 'stores' | 'defaultStore' | 'staging'>) {
    this.#stores = new Map(Object.entries(config.stores))
    this.defaultName = config.defaultStore ?? [...this.#stores.keys()][0]
    this.staging = config.staging ?? (this.defaultName ? this.#stores.get(this.defaultName) : undefined)
  }

  /** Where staged data goes. */
  readonly staging: ImageStoreDriver | undefined

  /** Names of the stores, in configuration order. */
  get names(): string[] {
    return [...this.#stores.keys()]
  }

  /** The store `name` (default: the default store), or `INVALID` / `NOT_SUPPORTED` when there is none. */
  get(name?: string): { name: string; driver: ImageStoreDriver } {
    const wanted = name ?? this.defaultName
    if (wanted === undefined) {
      throw new CloudError('NOT_SUPPORTED', 'This cloud has no image store configured: images hold no data', {
        details: { reason: 'no-store' },
      })
    }
    const driver = this.#stores.get(wanted)
    if (!driver) {
      throw new CloudError('INVALID', `Store ${wanted} is not available; stores: ${this.names.join(', ')}`, {
        details: { path: 'store', store: wanted },
      })
    }
    return { name: wanted, driver }
  }

  /** The store `name` when configured. */
  find(name: string): ImageStoreDriver | undefined {
    return this.#stores.get(name)
  }

  /** The staging store, or `NOT_SUPPORTED`. */
  requireStaging(): ImageStoreDriver {
    if (this.staging) return this.staging
    this.get() // throws the no-store error
    throw new CloudError('NOT_SUPPORTED', 'No staging area is configured for glance-direct imports')
  }
}
