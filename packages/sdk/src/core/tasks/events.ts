import type { TaskRecord } from './schema.js'

declare module '../events.js' {
  interface CloudEventMap {
    /** A durable task finished all its steps. */
    'core.task.succeeded': { task: TaskRecord }
    /** A durable task failed and every step it had done was undone. */
    'core.task.rolled_back': { task: TaskRecord }
    /** A durable task failed and an undo failed too: an operator must look. */
    'core.task.failed': { task: TaskRecord }
  }
}
