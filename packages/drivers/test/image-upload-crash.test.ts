import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

const worker = fileURLToPath(new URL('./fixtures/upload-worker.ts', import.meta.url))

function run(args: string[]) {
  const child = spawn(process.execPath, ['--conditions=@nubis/source', '--import', 'tsx', worker, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
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

describe('an upload whose control plane is killed (SIGKILL) mid-stream', () => {
  let dir: string
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('is undone by the process that recovers it: no data, no partial file, the image queued', async () => {
    dir = await mkdtemp(join(tmpdir(), 'nubis-upload-crash-'))
    const imageId = randomUUID()
    const first = run(['upload', dir, imageId])
    const end = Date.now() + 20_000
    while (!first.output().includes('UPLOADING')) {
      if (Date.now() > end) throw new Error(`the upload never started: ${first.errors()}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    // Bytes are in the store's partial file when the process dies.
    expect((await readdir(join(dir, 'images', '.partial'))).length).toBe(1)
    first.child.kill('SIGKILL')
    expect(await first.exited).toBeNull()

    const second = run(['recover', dir, imageId])
    expect(await second.exited, second.errors()).toBe(0)
    expect(JSON.parse(second.output())).toEqual({
      before: 'saving',
      tasks: [{ kind: 'image.upload', state: 'rolled_back' }],
      after: 'queued',
      images: [],
      partials: [],
    })
  })
})
