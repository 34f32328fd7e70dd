import { z } from 'zod'
import type { Clock } from './core/clock.js'
import { IdentityOptionsSchema } from './identity/options.js'
import { ImageOptionsSchema } from './image/options.js'
import { NetworkOptionsSchema } from './network/options.js'
import type { Migration, Store } from './store/types.js'

const isStore = (value: unknown): value is Store =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Store).transaction === 'function' &&
  typeof (value as Store).migrate === 'function'

const isClock = (value: unknown): value is Clock =>
  typeof value === 'object' && value !== null && typeof (value as Clock).now === 'function'

/** The options of {@link createCloud}, validated at start so a bad configuration fails naming its field. */
export const CloudOptionsSchema = z.object({
  /** The state store; default an in-memory SQLite store (for tests). The cloud owns it and closes it. */
  store: z.custom<Store>(isStore, 'expected a Store, e.g. sqliteStore({ path })').optional(),
  /** Time source; default the system clock. Tests pass `createTestClock()` from @nubis/testing. */
  clock: z.custom<Clock>(isClock, 'expected a Clock with now() and sleep()').optional(),
  /** Policy configuration. */
  policy: z
    .object({
      /** Replacements for default rules by name, in oslo.policy syntax. */
      overrides: z.record(z.string().min(1), z.string()).optional(),
    })
    .strict()
    .optional(),
  /** Quota configuration. */
  quotas: z
    .object({
      /** Default limit per resource (`instances`, `cores`, …); -1 is unlimited. */
      defaults: z.record(z.string().min(1), z.number().int().min(-1)).optional(),
    })
    .strict()
    .optional(),
  /** Durable task configuration. */
  tasks: z
    .object({
      /** How long a process's claim on a task lasts without a heartbeat, in ms. Default 30 000. */
      leaseMs: z.number().int().min(100).optional(),
      /** This process's id as a task owner; random by default. Must differ between processes. */
      owner: z.string().min(1).optional(),
      /** How often to look for tasks left by crashed processes, in ms; 0 disables the loop. Default leaseMs. */
      recoverEveryMs: z.number().int().min(0).optional(),
    })
    .strict()
    .optional(),
  /** Identity: token lifetime and caching, password hashing cost, Keystone's security-compliance rules. */
  identity: IdentityOptionsSchema.default(IdentityOptionsSchema.parse({})),
  /** Image: the stores holding image data (`{ stores: { local: localImageStore({ dir }) } }`), staging, conversion. */
  image: ImageOptionsSchema.default(ImageOptionsSchema.parse({})),
  /** Network: the data-plane driver (`{ driver: vxlanNetwork({ hosts }) }`; default state only), segment ranges, MTU. */
  network: NetworkOptionsSchema.default(NetworkOptionsSchema.parse({})),
  /** Extra migrations of the host application's own tables, run after the cloud's own. */
  migrations: z.array(z.custom<Migration>((m) => typeof (m as Migration)?.up === 'function')).optional(),
})

/** See {@link CloudOptionsSchema}. */
export type CloudOptions = z.input<typeof CloudOptionsSchema>
