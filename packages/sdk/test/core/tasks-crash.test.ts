import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

const worker = fileURLToPath(new URL('../fixtures/task-worker.ts', import.meta.url))
const nodeArgs = ['--conditions=@nubis/source', '--import', 'tsx', worker]

function startWorker(args: string[]) {
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, exited, output: () => stdout, errors: () => stderr }
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('a durable task whose process is killed (SIGKILL) half-way', () => {
  let dir: string
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it.each([
    ['resume', 'succeeded', ['a', 'b', 'c']],
    ['rollback', 'rolled_back', []],
  ] as const)('is finished or undone after a restart (recovery: %s)', async (recovery, state, effects) => {
    dir = await mkdtemp(join(tmpdir(), 'nubis-crash-'))
    const db = join(dir, 'cloud.db')

    const first = startWorker(['start', db, recovery])
    await until(() => first.output().includes('IN_STEP_B'), `step b to start (${first.errors()})`)
    first.child.kill('SIGKILL')
    expect(await first.exited).toBeNull() // killed by a signal, not exited

    const second = startWorker(['recover', db, recovery])
    expect(await second.exited, second.errors()).toBe(0)
    const result = JSON.parse(second.output()) as {
      tasks: { state: string; step: number }[]
      effects: string[]
    }
    expect(result.tasks).toHaveLength(1)
    expect(result.tasks[0]?.state).toBe(state)
    // Never half-way: either every step's effect exists or none does.
    expect(result.effects).toEqual(effects)
  })
})
