import './events.js'

export * from './define.js'
export { type TaskRecord, TaskRecordSchema, type TaskState, TaskStateSchema, taskMigrations } from './schema.js'
export { type StartTaskOptions, type TaskHandle, TaskRunner, type TaskRunnerOptions } from './runner.js'
