import { randomUUID } from 'node:crypto'
import { CloudError, isCloudError } from '../core/errors.js'
import { defineTask, type TaskDefinition } from '../core/tasks/index.js'
import type { Transaction } from '../store/types.js'
import type { ImageDeps } from './deps.js'
import type { Ingested } from './ingest.js'
import { findImageRow, updateImageRow } from './rows.js'

/** The key staged data of an image is written under, so it never collides with the image's own data. */
export function stagingKey(imageId: string): string {
  return `staged-${imageId}`
}

/** The task data of an upload: JSON, so a process that recovers the task knows what to undo. */
export type UploadTaskData = {
  imageId: string
  /** Where the data goes: a named store (an upload) or the staging area (`glance-direct`'s stage). */
  target: 'store' | 'staging'
  store: string
  /** The status to return to when the upload is undone (`queued`). */
  from: string
  /** Where the data went, once written. */
  url?: string
}

/** What the process running an upload keeps in memory: the stream cannot be persisted, only its effects. */
interface LiveUpload {
  write(signal: AbortSignal): Promise<Ingested>
  activate(tx: Transaction, data: Ingested): Promise<void>
  /** What `write` produced, for `activate`. */
  ingested?: Ingested
  /** The first error of the upload, given back to its caller rather than the task's summary of it. */
  error?: unknown
}

/** An upload started by {@link UploadTasks.start}. */
export interface StartedUpload {
  /** Resolves once the upload succeeded; rejects with its error once it has been rolled back. */
  finished(): Promise<void>
}

/**
 * Uploads run as durable tasks with `rollback` recovery: if the process dies mid-stream, whichever process
 * recovers the task removes the partial data and puts the image back to `queued`. The stream itself lives only
 * in the process that received it, found here by task id.
 */
export class UploadTasks {
  readonly #live = new Map<string, LiveUpload>()
  /** The task kind, registered on the cloud's runner. */
  readonly definition: TaskDefinition<UploadTaskData>

  constructor(private readonly deps: Pick<ImageDeps, 'store' | 'stores' | 'tasks' | 'clock'>) {
    const live = this.#live
    this.definition = defineTask<UploadTaskData>({
      kind: 'image.upload',
      recovery: 'rollback',
      maxAttempts: 1, // a stream cannot be read twice
      steps: [
        {
          name: 'write',
          async run({ taskId, signal }) {
            const upload = live.get(taskId)
            if (!upload)
              throw new CloudError('ABORTED', 'The upload stream belongs to a process that is gone')
            const ingested = await upload.write(signal).catch((error: unknown) => {
              upload.error ??= error
              throw error
            })
            upload.ingested = ingested
            return { url: ingested.stored.url }
          },
          async compensate({ data }) {
            const staging = data.target === 'staging'
            const driver = staging ? deps.stores.staging : deps.stores.find(data.store)
            const table = staging ? 'image_staging' : 'image_locations'
            const kept = data.url
              ? await deps.store.db
                  .selectFrom(table)
                  .select('url')
                  .where('image_id', '=', data.imageId)
                  .where('url', '=', data.url)
                  .executeTakeFirst()
              : undefined
            // Data the image points at was activated by this task before a crash: it is not to be undone.
            if (kept) return
            // The image first: a store that is down must not keep the image stuck in `saving`.
            await deps.store.transaction(async (tx) => {
              const row = await findImageRow(tx.db, data.imageId)
              if (row && (row.status === 'saving' || row.status === 'uploading')) {
                await updateImageRow(tx, deps.clock, row, { status: data.from })
              }
            })
            try {
              // `complete`: a write that finished just before a crash left data the task never recorded; nothing
              // references it, since the image has no location there.
              await driver?.discardPartial(staging ? stagingKey(data.imageId) : data.imageId, {
                complete: true,
              })
              if (data.url) await driver?.delete(data.url)
            } catch (error) {
              // The caller waits for this undo, and each try at an unreachable store costs its connect timeout
              // (5 s for Ceph): no retries. The task ends failed, saying what may be left in the store.
              if (!isCloudError(error, 'UNAVAILABLE')) throw error
              throw new CloudError(
                'UNAVAILABLE',
                `Store ${data.store} is unreachable: what the upload of image ${data.imageId} left there (${data.url ?? 'partial data'}) was not removed`,
                { retryable: false, cause: error },
              )
            }
          },
        },
        {
          name: 'activate',
          async run({ taskId }) {
            const upload = live.get(taskId)
            if (!upload?.ingested)
              throw new CloudError('ABORTED', 'The upload belongs to a process that is gone')
            const ingested = upload.ingested
            await deps.store
              .transaction((tx) => upload.activate(tx, ingested))
              .catch((error: unknown) => {
                upload.error ??= error
                throw error
              })
          },
        },
      ],
    })
  }

  /**
   * Starts an upload as a task inserted in `tx` (the transaction that claimed the image); it runs once `tx`
   * commits. Wait for it with {@link StartedUpload.finished}.
   */
  async start(tx: Transaction, data: UploadTaskData, upload: LiveUpload): Promise<StartedUpload> {
    const id = randomUUID()
    // Registered before the task's own hook, so the stream is there when the task starts; a rolled-back claim
    // never registers it.
    tx.afterCommit(() => this.#live.set(id, upload))
    const handle = await this.deps.tasks.start('image.upload', data, { tx, id, resourceId: data.imageId })
    const finished = async () => {
      try {
        const record = await handle.done
        if (record.state !== 'succeeded') {
          throw (
            upload.error ??
            new CloudError(
              'DRIVER_FAILED',
              `Upload of image ${data.imageId} failed: ${record.error?.message ?? record.state}`,
            )
          )
        }
      } finally {
        this.#live.delete(id)
      }
    }
    return { finished }
  }
}
