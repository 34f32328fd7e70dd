import { sql } from 'kysely'
import type { Quota } from '../core/quota.js'
import type { Transaction } from '../store/types.js'

/** Glance's unified-limits resource names; sizes are in MiB, as Glance counts them. */
export const IMAGE_QUOTAS = {
  count: 'image_count_total',
  size: 'image_size_total',
  stage: 'image_stage_total',
} as const

const MIB = 1024 * 1024

/** Bytes → MiB, rounded up, as quotas count sizes. */
export function toMib(bytes: number): number {
  return Math.ceil(bytes / MIB)
}

async function storedBytes(tx: Transaction, projectId: string): Promise<number> {
  const row = await tx.db
    .selectFrom('image_images')
    .select(sql<string | number | null>`sum(size)`.as('total'))
    .where('owner', '=', projectId)
    .executeTakeFirst()
  return Number(row?.total ?? 0)
}

async function stagedBytes(tx: Transaction, projectId: string): Promise<number> {
  const row = await tx.db
    .selectFrom('image_staging')
    .innerJoin('image_images', 'image_images.id', 'image_staging.image_id')
    .select(sql<string | number | null>`sum(image_staging.size)`.as('total'))
    .where('image_images.owner', '=', projectId)
    .executeTakeFirst()
  return Number(row?.total ?? 0)
}

/** Registers how the Image quotas are counted. */
export function registerImageQuotas(quotas: Quota): void {
  quotas.registerUsage(IMAGE_QUOTAS.count, async (tx, projectId) => {
    const row = await tx.db
      .selectFrom('image_images')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('owner', '=', projectId)
      .executeTakeFirst()
    return Number(row?.n ?? 0)
  })
  quotas.registerUsage(IMAGE_QUOTAS.size, async (tx, projectId) => toMib(await storedBytes(tx, projectId)))
  quotas.registerUsage(IMAGE_QUOTAS.stage, async (tx, projectId) => toMib(await stagedBytes(tx, projectId)))
}

/**
 * How many more bytes `projectId` may store under `resource` (and under `cap`), so an upload can stop as soon as it
 * goes over rather than after the store has taken it all.
 */
export async function bytesLeft(
  tx: Transaction,
  quotas: Quota,
  projectId: string | null,
  resource: typeof IMAGE_QUOTAS.size | typeof IMAGE_QUOTAS.stage,
  cap: number,
): Promise<number> {
  if (projectId === null) return cap
  const limit = (await quotas.getLimits(tx, projectId))[resource] ?? -1
  if (limit === -1) return cap
  const used =
    resource === IMAGE_QUOTAS.size ? await storedBytes(tx, projectId) : await stagedBytes(tx, projectId)
  return Math.max(0, Math.min(cap, limit * MIB - used))
}
