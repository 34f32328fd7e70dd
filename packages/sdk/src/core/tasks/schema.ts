import { z } from 'zod'
import type { Migration } from '../../store/types.js'

/** Where a task stands. `succeeded`, `rolled_back` and `failed` are final. */
export const TaskStateSchema = z.enum(['running', 'compensating', 'succeeded', 'rolled_back', 'failed'])
/** See {@link TaskStateSchema}. */
export type TaskState = z.infer<typeof TaskStateSchema>

/** States in which a task still has work to do. */
export const UNFINISHED_STATES: readonly TaskState[] = ['running', 'compensating']

/** The row of the `tasks` table. */
export interface TasksTable {
  id: string
  kind: string
  state: TaskState
  /** Running: the next step to run. Compensating: the next step to undo. */
  step: number
  data: string
  error: string | null
  resource_id: string | null
  lease_owner: string | null
  lease_expires_at: number | string | null
  revision: number
  created_at: string
  updated_at: string
}

declare module '../../store/types.js' {
  interface Tables {
    tasks: TasksTable
  }
}

/** A task as callers see it. */
export const TaskRecordSchema = z.object({
  id: z.string(),
  kind: z.string(),
  state: TaskStateSchema,
  step: z.number().int(),
  data: z.record(z.string(), z.unknown()),
  /** Why the task rolled back or failed. */
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  resourceId: z.string().nullable(),
  revision: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
/** See {@link TaskRecordSchema}. */
export type TaskRecord = z.infer<typeof TaskRecordSchema>

/** Converts a row to a {@link TaskRecord}. */
export function toTaskRecord(row: TasksTable): TaskRecord {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    step: row.step,
    data: JSON.parse(row.data) as Record<string, unknown>,
    error: row.error ? (JSON.parse(row.error) as { code: string; message: string }) : null,
    resourceId: row.resource_id,
    revision: row.revision,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** Creates the `tasks` table. */
export const taskMigrations: readonly Migration[] = [
  {
    id: 'core/001-tasks',
    async up(db) {
      await db.schema
        .createTable('tasks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('step', 'integer', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('resource_id', 'text')
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', 'bigint')
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('tasks_unfinished')
        .on('tasks')
        .columns(['state', 'lease_expires_at'])
        .execute()
      await db.schema.createIndex('tasks_resource').on('tasks').column('resource_id').execute()
    },
  },
]
