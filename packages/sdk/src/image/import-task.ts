import { isoTime } from '../core/clock.js'
import { CloudError, isCloudError } from '../core/errors.js'
import { defineTask, type TaskDefinition } from '../core/tasks/index.js'
import type { Transaction } from '../store/types.js'
import { convertToRaw, needsConversion } from './convert.js'
import type { ImageDeps } from './deps.js'
import type { DiskFormat } from './formats/index.js'
import { type Ingested, ingest } from './ingest.js'
import { peekFormat } from './peek.js'
import { decodeProperties, findImageRow, updateImageRow } from './rows.js'
import type { ImageStoreDriver } from './spi.js'
import { stagingKey } from './upload-task.js'

/** The task data of an import: JSON, so a recovering process knows what to undo. */
export type ImportTaskData = {
  imageId: string
  method: 'glance-direct' | 'copy-image'
  stores: string[]
  /** Keep going when one store fails; at least one must succeed. */
  allStoresMustSucceed: boolean
  /** Where the data went, by store. */
  written?: Record<string, string>
}

type Copy = Ingested & { store: string; diskFormat: DiskFormat }

/** Builds the `image.import` task: copy into each target store, then record the locations in one transaction. */
export function importTask(deps: ImageDeps): TaskDefinition<ImportTaskData> {
  const { store, config, events } = deps
  const copies = new Map<string, Copy[]>()

  /** The data to import: the staged data, or (copy-image) the image's data in a store that has it. */
  const openSource = async (data: ImportTaskData, signal: AbortSignal) => {
    if (data.method === 'glance-direct') {
      const staged = await store.db
        .selectFrom('image_staging')
        .selectAll()
        .where('image_id', '=', data.imageId)
        .executeTakeFirst()
      if (!staged) throw new CloudError('CONFLICT', `Image ${data.imageId} has no staged data to import`)
      return deps.stores.requireStaging().read(staged.url, { signal })
    }
    const locations = await store.db
      .selectFrom('image_locations')
      .selectAll()
      .where('image_id', '=', data.imageId)
      .execute()
    for (const location of locations) {
      const driver = deps.stores.find(location.store)
      if (driver) return driver.read(location.url, { signal })
    }
    throw new CloudError('CONFLICT', `Image ${data.imageId} has no data in a configured store to copy`)
  }

  const copyInto = async (
    data: ImportTaskData,
    name: string,
    driver: ImageStoreDriver,
    signal: AbortSignal,
  ): Promise<Copy> => {
    const row = await findImageRow(store.db, data.imageId)
    if (!row) throw new CloudError('NOT_FOUND', `Image ${data.imageId} was deleted during the import`)
    const declared = (row.disk_format ?? 'raw') as DiskFormat
    // copy-image must reproduce the data exactly; glance-direct checks the declared format on the way.
    const expect =
      data.method === 'copy-image'
        ? { checksum: row.checksum ?? undefined, size: Number(row.size) }
        : undefined
    const source = await openSource(data, signal)
    if (data.method === 'glance-direct' && driver.capabilities.prefersRaw && config.convertToRaw) {
      const { format, stream: rest } = await peekFormat(source)
      if (needsConversion(format)) {
        const converted = await convertToRaw(rest, {
          declared,
          workDir: config.workDir,
          qemuImg: config.qemuImg,
          maxBytes: config.maxImageBytes,
          signal,
        })
        try {
          const ingested = await ingest(driver, data.imageId, converted.open(), {
            maxBytes: config.maxImageBytes,
            declared: 'raw',
            signal,
          })
          return { ...ingested, store: name, diskFormat: 'raw' }
        } finally {
          await converted.cleanup()
        }
      }
      const ingested = await ingest(driver, data.imageId, rest, {
        maxBytes: config.maxImageBytes,
        declared,
        signal,
      })
      return { ...ingested, store: name, diskFormat: declared }
    }
    const ingested = await ingest(driver, data.imageId, source, {
      maxBytes: config.maxImageBytes,
      declared,
      expect,
      signal,
    })
    return { ...ingested, store: name, diskFormat: declared }
  }

  const activate = async (tx: Transaction, data: ImportTaskData, done: Copy[], failed: string[]) => {
    const row = await findImageRow(tx.db, data.imageId)
    if (!row) throw new CloudError('NOT_FOUND', `Image ${data.imageId} was deleted during the import`)
    for (const copy of done) {
      await tx.db
        .insertInto('image_locations')
        .values({
          image_id: row.id,
          store: copy.store,
          url: copy.stored.url,
          metadata: JSON.stringify(copy.stored.metadata),
          created_at: isoTime(deps.clock.now()),
        })
        .execute()
    }
    const properties = decodeProperties(row.properties)
    // Glance leaves both properties in place, empty when all went well: clients wait for the first to empty.
    properties.os_glance_importing_to_stores = ''
    properties.os_glance_failed_import = failed.join(',')
    const first = done[0]!
    const patch =
      data.method === 'glance-direct'
        ? {
            status: 'active',
            size: first.size,
            virtual_size: first.inspection.virtualSize ?? null,
            checksum: first.checksum,
            hash_algo: 'sha512',
            hash_value: first.hashValue,
            disk_format: first.diskFormat,
            properties: JSON.stringify(properties),
          }
        : { properties: JSON.stringify(properties) }
    await updateImageRow(tx, deps.clock, row, patch)
    if (data.method === 'glance-direct')
      await tx.db.deleteFrom('image_staging').where('image_id', '=', row.id).execute()
    events.emitAfterCommit(tx, 'image.image.imported', {
      id: row.id,
      owner: row.owner,
      status: 'active',
      stores: done.map((c) => c.store),
    })
  }

  return defineTask<ImportTaskData>({
    kind: 'image.import',
    recovery: 'rollback',
    maxAttempts: 1,
    steps: [
      {
        name: 'copy',
        async run({ taskId, data, signal }) {
          const done: Copy[] = []
          const failed: string[] = []
          copies.set(taskId, done)
          for (const name of data.stores) {
            try {
              done.push(await copyInto(data, name, deps.stores.get(name).driver, signal))
            } catch (error) {
              if (data.allStoresMustSucceed || signal.aborted) throw error
              failed.push(name)
            }
          }
          if (done.length === 0)
            throw new CloudError('DRIVER_FAILED', `Import of image ${data.imageId} failed in every store`)
          const staged =
            data.method === 'glance-direct'
              ? await store.db
                  .selectFrom('image_staging')
                  .select('url')
                  .where('image_id', '=', data.imageId)
                  .executeTakeFirst()
              : undefined
          await store.transaction((tx) => activate(tx, data, done, failed))
          // The staged copy is no longer needed once the image points at its stores.
          if (staged) await deps.stores.staging?.delete(staged.url).catch(() => undefined)
          copies.delete(taskId)
          return { written: Object.fromEntries(done.map((c) => [c.store, c.stored.url])) }
        },
        async compensate({ taskId, data }) {
          const done = copies.get(taskId) ?? []
          copies.delete(taskId)
          // The image first, so a store that is down cannot keep it `importing`: the failure is recorded as Glance
          // does, and a failed glance-direct import goes back to queued without its staged data.
          const staged = await store.db
            .selectFrom('image_staging')
            .selectAll()
            .where('image_id', '=', data.imageId)
            .executeTakeFirst()
          await store.transaction(async (tx) => {
            const row = await findImageRow(tx.db, data.imageId)
            if (!row) return
            const properties = {
              ...decodeProperties(row.properties),
              os_glance_importing_to_stores: '',
              os_glance_failed_import: data.stores.join(','),
            }
            const reset = data.method === 'glance-direct' && row.status === 'importing'
            if (reset) await tx.db.deleteFrom('image_staging').where('image_id', '=', row.id).execute()
            const patch = reset
              ? { status: 'queued', properties: JSON.stringify(properties) }
              : { properties: JSON.stringify(properties) }
            await updateImageRow(tx, deps.clock, row, patch)
            events.emitAfterCommit(tx, 'image.image.updated', {
              id: row.id,
              owner: row.owner,
              status: patch.status ?? row.status,
            })
          })
          if (data.method === 'glance-direct') {
            if (staged) await deps.stores.staging?.delete(staged.url).catch(() => undefined)
            await deps.stores.staging?.discardPartial(stagingKey(data.imageId)).catch(() => undefined)
          }
          const unreachable: string[] = []
          for (const name of data.stores) {
            const driver = deps.stores.find(name)
            if (!driver) continue
            const url = done.find((c) => c.store === name)?.stored.url ?? data.written?.[name]
            const kept = url
              ? await store.db
                  .selectFrom('image_locations')
                  .select('url')
                  .where('image_id', '=', data.imageId)
                  .where('url', '=', url)
                  .executeTakeFirst()
              : undefined
            const located = await store.db
              .selectFrom('image_locations')
              .select('url')
              .where('image_id', '=', data.imageId)
              .where('store', '=', name)
              .executeTakeFirst()
            try {
              // Without a location in this store, whatever the import wrote there (even completely) is unreferenced.
              await driver.discardPartial(data.imageId, { complete: !located })
              if (url && !kept) await driver.delete(url)
            } catch (error) {
              if (!isCloudError(error, 'UNAVAILABLE')) throw error
              unreachable.push(name)
            }
          }
          // Each try at an unreachable store costs its connect timeout: no retries, the task ends failed saying so.
          if (unreachable.length > 0) {
            throw new CloudError(
              'UNAVAILABLE',
              `Stores ${unreachable.join(', ')} are unreachable: what the import of image ${data.imageId} left there was not removed`,
              { retryable: false },
            )
          }
        },
      },
    ],
  })
}
