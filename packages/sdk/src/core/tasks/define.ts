/** Data carried from step to step of a task; it is stored as JSON, so keep it plain. */
export type TaskData = Record<string, unknown>

/** What a step's `run` and `compensate` receive. */
export interface StepContext<D extends TaskData> {
  /** Id of the task, stable across restarts: use it to make effects idempotent (e.g. as a resource's name). */
  readonly taskId: string
  /** The task's data: its input merged with every earlier step's output. */
  readonly data: Readonly<D>
  /** Fires when the runner gives up the task (lease lost, runner closing). */
  readonly signal: AbortSignal
  /** 1 on the first try of this step in this process, more on retries. */
  readonly attempt: number
}

/**
 * One step of a saga. `run` may be called again after a crash, so it must be idempotent. `compensate` undoes
 * `run`; it is also called for a step that failed or was interrupted half-way, so it must tolerate effects that
 * never happened, and be idempotent too.
 */
export interface TaskStep<D extends TaskData> {
  /** Shown in errors and events. */
  name: string
  /** Performs the step; what it returns is merged into the task's data. */
  // biome-ignore lint/suspicious/noConfusingVoidType: `void` lets a step be an async function that returns nothing.
  run(ctx: StepContext<D>): Promise<Partial<D> | undefined | void>
  /** Undoes the step. Steps without effects to undo leave it out. */
  compensate?(ctx: StepContext<D>): Promise<void>
}

/** What a runner does with a task it finds unfinished after a crash of the process that ran it. */
export type RecoveryPolicy = 'resume' | 'rollback'

/** A kind of multi-step operation. Register it with {@link TaskRunner.register}. */
export interface TaskDefinition<D extends TaskData = TaskData> {
  /** Unique name, e.g. `compute.boot`. */
  kind: string
  /** The steps, run in order. */
  steps: readonly TaskStep<D>[]
  /** After a crash: run the interrupted step again (`resume`, default) or undo what was done (`rollback`). */
  recovery?: RecoveryPolicy
  /** Tries of a step that fails with a retryable error before the task rolls back. Default 3. */
  maxAttempts?: number
}

/** Declares a task kind; a typed identity function so `data` is checked in every step. */
export function defineTask<D extends TaskData>(definition: TaskDefinition<D>): TaskDefinition<D> {
  if (definition.steps.length === 0) throw new TypeError(`Task ${definition.kind} has no steps`)
  return definition
}
