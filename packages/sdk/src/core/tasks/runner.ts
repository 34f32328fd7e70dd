import { randomUUID } from 'node:crypto'
import type { Store, Transaction } from '../../store/types.js'
import { type Clock, isoTime, systemClock } from '../clock.js'
import { CloudError, isCloudError } from '../errors.js'
import type { TaskData, TaskDefinition } from './define.js'
import { executeTask } from './execute.js'
import { TaskLease } from './lease.js'
import { type TaskRecord, type TasksTable, toTaskRecord } from './schema.js'

/** Options of {@link TaskRunner}. */
export interface TaskRunnerOptions {
  /** Where tasks are persisted (migrated with `taskMigrations`). */
  store: Store
  /** Time source for leases and backoff. */
  clock?: Clock
  /** This process's lease-owner id; random by default. Two processes must never share one. */
  owner?: string
  /** Lease length in ms; a crashed process's tasks are taken over this long after its last heartbeat. Default 30 s. */
  leaseMs?: number
  /** Called once a task reaches a final state (succeeded, rolled_back or failed). */
  onSettled?: (task: TaskRecord) => void
}

/** Options of {@link TaskRunner.start}. */
export interface StartTaskOptions {
  /** Insert the task in this transaction and start it only once it commits. */
  tx?: Transaction
  /** The resource the task works on (a server, a volume), to find its tasks later. */
  resourceId?: string
  /** A caller-chosen id, e.g. to make a retried request idempotent. */
  id?: string
}

/** A started task: its id, and a promise of its final record. */
export interface TaskHandle {
  id: string
  /**
   * Settles when the task reaches a final state in this process; rejects if this process gives it up.
   * Never settles when the transaction given as `tx` rolls back (the task then never existed).
   */
  done: Promise<TaskRecord>
}

/**
 * Runs durable tasks: sagas whose progress is persisted after every step, leased so that two processes
 * never run the same one, and resumed or rolled back by {@link TaskRunner.recover} after a crash.
 */
export class TaskRunner {
  private readonly definitions = new Map<string, TaskDefinition<TaskData>>()
  private readonly inflight = new Map<string, { controller: AbortController; done: Promise<TaskRecord> }>()
  private readonly lease: TaskLease
  private readonly clock: Clock
  private readonly heartbeat: NodeJS.Timeout
  private closed = false

  constructor(private readonly options: TaskRunnerOptions) {
    this.clock = options.clock ?? systemClock
    const leaseMs = options.leaseMs ?? 30_000
    this.lease = new TaskLease(options.store, this.clock, options.owner ?? randomUUID(), leaseMs)
    // Renew well before expiry; unref so an idle runner never keeps the process alive.
    this.heartbeat = setInterval(() => void this.renew(), Math.max(50, Math.floor(leaseMs / 3)))
    this.heartbeat.unref()
  }

  /** Makes a task kind known to this runner. Every process that may recover a task must register its kind. */
  register<D extends TaskData>(definition: TaskDefinition<D>): void {
    if (this.definitions.has(definition.kind))
      throw new TypeError(`Task kind ${definition.kind} is already registered`)
    this.definitions.set(definition.kind, definition as unknown as TaskDefinition<TaskData>)
  }

  /** Persists a new task, leased to this process, and runs it (after `options.tx` commits, when given). */
  async start(kind: string, data: TaskData, options: StartTaskOptions = {}): Promise<TaskHandle> {
    this.definition(kind)
    const id = options.id ?? randomUUID()
    const now = this.clock.now()
    const row: TasksTable = {
      id,
      kind,
      state: 'running',
      step: 0,
      data: JSON.stringify(data),
      error: null,
      resource_id: options.resourceId ?? null,
      lease_owner: this.lease.owner,
      lease_expires_at: now + this.lease.leaseMs,
      revision: 1,
      created_at: isoTime(now),
      updated_at: isoTime(now),
    }
    let launched!: (running: Promise<TaskRecord>) => void
    const done = new Promise<TaskRecord>((resolve) => {
      launched = resolve
    })
    // Callers that only poll must not crash the process with an unhandled rejection when the runner closes.
    done.catch(() => {})
    const insert = async (tx: Transaction) => {
      await tx.db.insertInto('tasks').values(row).execute()
      // Run only once the row is durable: a task that was never committed must leave no trace.
      tx.afterCommit(() => launched(this.launch(row, false)))
    }
    if (options.tx) await insert(options.tx)
    else await this.options.store.transaction(insert)
    return { id, done }
  }

  /** The task's current record. */
  async get(id: string): Promise<TaskRecord> {
    const row = await this.options.store.db
      .selectFrom('tasks')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row)
      throw new CloudError('NOT_FOUND', `Task ${id} could not be found`, { resource: { type: 'task', id } })
    return toTaskRecord(row)
  }

  /** Takes over unfinished tasks whose owner's lease expired, and finishes them. Returns their final records. */
  async recover(): Promise<TaskRecord[]> {
    const settled: Promise<TaskRecord>[] = []
    for (const id of await this.lease.orphans([...this.definitions.keys()])) {
      if (this.inflight.has(id)) continue
      const row = await this.lease.claim(id)
      if (!row) continue // another process was quicker
      settled.push(this.launch(row, true))
    }
    return Promise.all(settled)
  }

  /** Stops working: in-flight tasks are abandoned where they stand (their leases expire, another process resumes). */
  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.heartbeat)
    const pending = [...this.inflight.values()]
    for (const { controller } of pending)
      controller.abort(new CloudError('ABORTED', 'The task runner was closed'))
    await Promise.allSettled(pending.map((p) => p.done))
  }

  private definition(kind: string): TaskDefinition<TaskData> {
    const definition = this.definitions.get(kind)
    if (!definition) throw new CloudError('INVALID', `No task kind ${kind} is registered`)
    return definition
  }

  private launch(row: TasksTable, recovering: boolean): Promise<TaskRecord> {
    const controller = new AbortController()
    const done = this.execute(row, recovering, controller.signal)
    this.inflight.set(row.id, { controller, done })
    const forget = () => this.inflight.delete(row.id)
    done.then(forget, forget)
    return done
  }

  private async execute(row: TasksTable, recovering: boolean, signal: AbortSignal): Promise<TaskRecord> {
    if (this.closed) throw new CloudError('ABORTED', 'The task runner was closed')
    const definition = this.definition(row.kind)
    const record = await executeTask({
      row,
      definition,
      recovering,
      signal,
      lease: this.lease,
      clock: this.clock,
    })
    this.options.onSettled?.(record)
    return record
  }

  private async renew(): Promise<void> {
    try {
      await this.lease.renew([...this.inflight.keys()])
    } catch (error) {
      // A store that is briefly down must not crash the process; if it stays down the lease lapses and
      // progress writes fail, which stops the task safely.
      if (!isCloudError(error)) throw error
    }
  }
}
