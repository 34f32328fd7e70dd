import './events.js'

export * from './define.js'
export { type StartTaskOptions, type TaskHandle, TaskRunner, type TaskRunnerOptions } from './runner.js'
export {
  type TaskRecord,
  TaskRecordSchema,
  type TaskState,
  TaskStateSchema,
  type TasksTable,
  taskMigrations,
} from './schema.js'
