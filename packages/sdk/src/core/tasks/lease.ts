import type { Store } from '../../store/types.js'
import type { Clock } from '../clock.js'
import { isoTime } from '../clock.js'
import { type TaskState, type TasksTable, UNFINISHED_STATES } from './schema.js'

/**
 * The row-level lease that makes sure two control-plane processes never run the same task: a process may
 * act on a task only while `lease_owner` is its own id. A lease is taken only when free or expired, so a
 * crashed owner's tasks pass to another process once its lease runs out.
 */
export class TaskLease {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** This process's id as a lease owner. */
    readonly owner: string,
    /** How long a lease lasts without a heartbeat, in ms. */
    readonly leaseMs: number,
  ) {}

  /** Takes the lease on an unfinished task; returns the row, or undefined when another process holds it. */
  async claim(taskId: string): Promise<TasksTable | undefined> {
    const now = this.clock.now()
    return this.store.transaction(async ({ db }) =>
      db
        .updateTable('tasks')
        .set((eb) => ({
          lease_owner: this.owner,
          lease_expires_at: now + this.leaseMs,
          revision: eb('revision', '+', 1),
          updated_at: isoTime(now),
        }))
        .where('id', '=', taskId)
        .where('state', 'in', UNFINISHED_STATES)
        .where((eb) =>
          eb.or([
            eb('lease_owner', 'is', null),
            eb('lease_owner', '=', this.owner),
            eb('lease_expires_at', '<', now),
          ]),
        )
        .returningAll()
        .executeTakeFirst(),
    )
  }

  /**
   * Ids of unfinished tasks of the given kinds whose lease is free or expired: work left by crashed processes.
   * Kinds this process does not know are left to processes that do.
   */
  async orphans(kinds: readonly string[], limit = 100): Promise<string[]> {
    if (kinds.length === 0) return []
    const now = this.clock.now()
    const rows = await this.store.db
      .selectFrom('tasks')
      .select('id')
      .where('state', 'in', UNFINISHED_STATES)
      .where('kind', 'in', kinds)
      .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_expires_at', '<', now)]))
      .orderBy('created_at')
      .limit(limit)
      .execute()
    return rows.map((row) => row.id)
  }

  /** Extends the leases this process holds on the given tasks. Does not touch `revision`: content is unchanged. */
  async renew(taskIds: readonly string[]): Promise<void> {
    if (taskIds.length === 0) return
    const expires = this.clock.now() + this.leaseMs
    await this.store.transaction(({ db }) =>
      db
        .updateTable('tasks')
        .set({ lease_expires_at: expires })
        .where('id', 'in', taskIds)
        .where('lease_owner', '=', this.owner)
        .execute(),
    )
  }

  /**
   * Records progress while holding the lease; a final state releases it. Returns false when the lease was lost
   * (another process took the task over), in which case this process must stop working on the task.
   */
  async write(
    taskId: string,
    change: { state: TaskState; step: number; data: string; error?: string | null },
  ): Promise<boolean> {
    const final = !UNFINISHED_STATES.includes(change.state)
    const result = await this.store.transaction(({ db }) =>
      db
        .updateTable('tasks')
        .set((eb) => ({
          ...change,
          revision: eb('revision', '+', 1),
          updated_at: isoTime(this.clock.now()),
          ...(final && { lease_owner: null, lease_expires_at: null }),
        }))
        .where('id', '=', taskId)
        .where('lease_owner', '=', this.owner)
        .executeTakeFirst(),
    )
    return Number(result.numUpdatedRows) === 1
  }
}
