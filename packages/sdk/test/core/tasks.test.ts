import { CloudError, defineTask, type Store, sqliteStore, TaskRunner, taskMigrations } from '@nubis/sdk'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

describe('TaskRunner', () => {
  let store: Store
  let runners: TaskRunner[]
  let log: string[]

  beforeEach(async () => {
    store = sqliteStore({ path: ':memory:' })
    await store.migrate(taskMigrations)
    runners = []
    log = []
  })
  afterEach(async () => {
    for (const runner of runners) await runner.close()
    await store.close()
  })

  const runner = (options: Partial<ConstructorParameters<typeof TaskRunner>[0]> = {}) => {
    const created = new TaskRunner({ store, ...options })
    runners.push(created)
    return created
  }
  const step = (name: string, fail?: () => Error) => ({
    name,
    async run() {
      log.push(`run ${name}`)
      const error = fail?.()
      if (error) throw error
      return { [name]: log.length }
    },
    async compensate() {
      log.push(`undo ${name}`)
    },
  })

  it('runs the steps in order, merging what each returns into the data', async () => {
    const settled: string[] = []
    const r = runner({ onSettled: (task) => settled.push(task.state) })
    r.register(defineTask({ kind: 'ok', steps: [step('a'), step('b'), step('c')] }))
    const handle = await r.start('ok', { input: 'x' }, { resourceId: 'server-1' })
    const task = await handle.done
    expect(task.state).toBe('succeeded')
    expect(task.data).toEqual({ input: 'x', a: 1, b: 2, c: 3 })
    expect(task.resourceId).toBe('server-1')
    expect(log).toEqual(['run a', 'run b', 'run c'])
    expect(settled).toEqual(['succeeded'])
    expect((await r.get(handle.id)).state).toBe('succeeded')
  })

  it('undoes the failed step and every earlier one in reverse order', async () => {
    const r = runner()
    const boom = () => new CloudError('DRIVER_FAILED', 'no host')
    r.register(defineTask({ kind: 'fails', steps: [step('a'), step('b'), step('c', boom), step('d')] }))
    const task = await (await r.start('fails', {})).done
    expect(task.state).toBe('rolled_back')
    expect(task.error).toEqual({ code: 'DRIVER_FAILED', message: 'c: no host' })
    expect(log).toEqual(['run a', 'run b', 'run c', 'undo c', 'undo b', 'undo a'])
  })

  it('retries a step that fails with a retryable error', async () => {
    const r = runner()
    let tries = 0
    const flaky = () => (++tries < 3 ? new CloudError('UNAVAILABLE', 'busy') : undefined) as Error
    r.register(defineTask({ kind: 'flaky', maxAttempts: 3, steps: [step('a', flaky)] }))
    const task = await (await r.start('flaky', {})).done
    expect(task.state).toBe('succeeded')
    expect(tries).toBe(3)
  })

  it('ends in failed, saying why, when an undo keeps failing', async () => {
    const r = runner()
    r.register(
      defineTask({
        kind: 'stuck',
        steps: [
          {
            name: 'a',
            run: async () => ({}),
            compensate: async () => Promise.reject(new Error('disk gone')),
          },
          step('b', () => new CloudError('INVALID', 'bad flavor')),
        ],
      }),
    )
    const task = await (await r.start('stuck', {})).done
    expect(task.state).toBe('failed')
    expect(task.error?.message).toBe('b: bad flavor Then: undo of a: disk gone')
  })

  it('does not exist, nor run, when the transaction that started it rolls back', async () => {
    const r = runner()
    r.register(defineTask({ kind: 'ok', steps: [step('a')] }))
    let id = ''
    await expect(
      store.transaction(async (tx) => {
        id = (await r.start('ok', {}, { tx })).id
        throw new CloudError('CONFLICT', 'name taken')
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' })
    await expect(r.get(id)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(log).toEqual([])
  })

  it('refuses an unknown kind with INVALID', async () => {
    await expect(runner().start('nope', {})).rejects.toMatchObject({ code: 'INVALID' })
  })

  it('lets another process take a task over only once the owner stopped renewing its lease', async () => {
    const owner = runner({ leaseMs: 200 })
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const slow = { name: 'slow', run: () => gate.then(() => ({})) }
    owner.register(defineTask({ kind: 'slow', steps: [slow, step('after')] }))
    const handle = await owner.start('slow', {})

    const other = runner({ leaseMs: 200 })
    other.register(defineTask({ kind: 'slow', steps: [step('slow'), step('after')] }))
    await new Promise((resolve) => setTimeout(resolve, 400)) // two lease lengths: heartbeats must have renewed
    expect(await other.recover()).toEqual([])

    // Closing abandons the task: the step in flight finishes and is recorded, no later step starts,
    // and heartbeats stop.
    const closing = owner.close()
    release()
    await closing
    await expect(handle.done).rejects.toMatchObject({ code: 'ABORTED' })
    await new Promise((resolve) => setTimeout(resolve, 250))
    const recovered = await other.recover()
    expect(recovered.map((t) => t.state)).toEqual(['succeeded'])
    expect(log).toEqual(['run after']) // resumed after the step the first owner finished
  })
})
