import type { Clock } from '../clock.js'
import { CloudError, isCloudError } from '../errors.js'
import type { TaskData, TaskDefinition, TaskStep } from './define.js'
import type { TaskLease } from './lease.js'
import { type TaskRecord, type TaskState, type TasksTable, toTaskRecord } from './schema.js'

/** What {@link executeTask} needs. */
export interface ExecuteTaskInput {
  row: TasksTable
  definition: TaskDefinition<TaskData>
  /** True when the task was taken over from a process that died. */
  recovering: boolean
  signal: AbortSignal
  lease: TaskLease
  clock: Clock
}

interface Progress {
  state: TaskState
  step: number
  data: TaskData
  error: { code: string; message: string } | null
}

const COMPENSATION_ATTEMPTS = 5

/**
 * Drives one leased task to a final state: runs the remaining steps, and on failure undoes the failed step and
 * every earlier one in reverse order. Progress is written after every step, so a crash at any point leaves a
 * row from which another process resumes (or rolls back) exactly where this one stopped.
 */
export async function executeTask(input: ExecuteTaskInput): Promise<TaskRecord> {
  const { row, definition, lease, signal } = input
  const steps = definition.steps
  const progress: Progress = {
    state: row.state,
    step: row.step,
    data: JSON.parse(row.data) as TaskData,
    error: row.error ? (JSON.parse(row.error) as Progress['error']) : null,
  }

  const save = async (): Promise<void> => {
    const ok = await lease.write(row.id, {
      state: progress.state,
      step: progress.step,
      data: JSON.stringify(progress.data),
      error: progress.error ? JSON.stringify(progress.error) : null,
    })
    if (!ok) throw new CloudError('CONFLICT', `Task ${row.id} was taken over by another process`)
  }

  if (input.recovering && progress.state === 'running' && definition.recovery === 'rollback') {
    progress.state = 'compensating'
    progress.error = {
      code: 'ABORTED',
      message: 'The control plane stopped during this task; it was rolled back',
    }
    await save()
  }

  while (progress.state === 'running') {
    const step = steps[progress.step]
    if (!step) {
      progress.state = 'succeeded'
      await save()
      break
    }
    try {
      const output = await attempt(step, 'run', progress.data, input, definition.maxAttempts ?? 3)
      progress.data = { ...progress.data, ...(output ?? {}) }
      progress.step += 1
      if (progress.step >= steps.length) progress.state = 'succeeded'
    } catch (error) {
      if (signal.aborted) throw error // given up, not failed: the lease lapses and another process resumes
      progress.state = 'compensating'
      progress.error = describe(error, step.name)
    }
    await save()
  }

  while (progress.state === 'compensating') {
    const step = steps[progress.step]
    if (!step) {
      progress.state = 'rolled_back'
      await save()
      break
    }
    try {
      await attempt(step, 'compensate', progress.data, input, COMPENSATION_ATTEMPTS)
      progress.step -= 1
      if (progress.step < 0) progress.state = 'rolled_back'
    } catch (error) {
      if (signal.aborted) throw error
      // An undo that keeps failing needs an operator: say so rather than loop forever or pretend.
      progress.state = 'failed'
      const undo = describe(error, `undo of ${step.name}`)
      progress.error = {
        code: undo.code,
        message: `${progress.error?.message ?? ''} Then: ${undo.message}`.trim(),
      }
    }
    await save()
  }

  return toTaskRecord({
    ...row,
    ...progress,
    data: JSON.stringify(progress.data),
    error: JSON.stringify(progress.error),
  })
}

/** Runs a step's `run` or `compensate`, retrying retryable errors with exponential backoff. */
async function attempt(
  step: TaskStep<TaskData>,
  phase: 'run' | 'compensate',
  data: TaskData,
  input: ExecuteTaskInput,
  maxAttempts: number,
  // biome-ignore lint/suspicious/noConfusingVoidType: it returns what the step returns, which may be `void`.
): Promise<Partial<TaskData> | undefined | void> {
  const fn = phase === 'run' ? step.run : step.compensate
  if (!fn) return undefined
  for (let n = 1; ; n++) {
    if (input.signal.aborted) throw input.signal.reason
    try {
      return await fn.call(step, { taskId: input.row.id, data, signal: input.signal, attempt: n })
    } catch (error) {
      const retryable = isCloudError(error) ? error.retryable : phase === 'compensate'
      if (!retryable || n >= maxAttempts || input.signal.aborted) throw error
      await input.clock.sleep(Math.min(2_000, 50 * 2 ** (n - 1)), input.signal)
    }
  }
}

function describe(error: unknown, where: string): { code: string; message: string } {
  if (isCloudError(error)) return { code: error.code, message: `${where}: ${error.message}` }
  return { code: 'INTERNAL', message: `${where}: ${error instanceof Error ? error.message : String(error)}` }
}
