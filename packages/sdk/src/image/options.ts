import { z } from 'zod'
import { isDriver } from '../core/driver.js'
import type { ImageStoreDriver } from './spi.js'

const isImageStore = (value: unknown): value is ImageStoreDriver =>
  isDriver(value) && (value as { kind?: unknown }).kind === 'image-store'

const storeSchema = z.custom<ImageStoreDriver>(
  isImageStore,
  "expected an image store driver (kind 'image-store'), e.g. localImageStore({ dir })",
)

/** Options of the Image service (`createCloud({ image })`). */
export const ImageOptionsSchema = z
  .object({
    /**
     * The stores, by the name clients see in `/v2/info/stores` (`local`, `ceph`). Without any, images are
     * records only and uploads are `NOT_SUPPORTED`.
     */
    stores: z
      .record(
        z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'store names are letters, digits, - and _' }),
        storeSchema,
      )
      .default({}),
    /** The store uploads go to; default the first one. */
    defaultStore: z.string().optional(),
    /** Where `glance-direct` stages data before the import; default the default store. */
    staging: storeSchema.optional(),
    /** Convert qcow2 and other formats to raw when importing into a store that prefers raw (Ceph). Default true. */
    convertToRaw: z.boolean().default(true),
    /** Scratch directory for conversions (they need files); default the OS temporary directory. */
    workDir: z.string().min(1).optional(),
    /** The `qemu-img` program used for conversions. Default `qemu-img` from PATH. */
    qemuImg: z.string().min(1).default('qemu-img'),
    /** Largest image accepted, in bytes (Glance's `image_size_cap`). Default 1 TiB. */
    maxImageBytes: z
      .number()
      .int()
      .min(1)
      .default(2 ** 40),
  })
  .strict()
  .refine((o) => o.defaultStore === undefined || o.defaultStore in o.stores, {
    message: 'defaultStore must name one of the stores',
    path: ['defaultStore'],
  })

/** What `createCloud({ image })` accepts; see {@link ImageOptionsSchema}. */
export type ImageOptions = z.input<typeof ImageOptionsSchema>
/** The Image options after defaults; see {@link ImageOptionsSchema}. */
export type ImageServiceConfig = z.output<typeof ImageOptionsSchema>
