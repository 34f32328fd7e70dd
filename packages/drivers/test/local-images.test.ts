import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { localImageStore } from '@nubis/drivers/local'
import { isDriver } from '@nubis/sdk'
import { describeImageStoreConformance } from '@nubis/testing'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

const here = path.dirname(fileURLToPath(import.meta.url))

describeImageStoreConformance(
  async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'nubis-local-images-'))
    return {
      driver: localImageStore({ dir: path.join(root, 'images') }),
      cleanup: () => rm(root, { recursive: true, force: true }),
    }
  },
  { label: 'local' },
)

describeImageStoreConformance(
  async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'nubis local images, no fsync '))
    return {
      driver: localImageStore({ dir: root, fsync: false }),
      cleanup: () => rm(root, { recursive: true, force: true }),
    }
  },
  { label: 'local, no fsync, a dir name that needs URL encoding' },
)

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part)
}

async function text(stream: AsyncIterable<unknown>): Promise<string> {
  let out = ''
  for await (const chunk of stream) out += Buffer.from(chunk as Uint8Array).toString()
  return out
}

/** Names in `<dir>/.partial` that belong to `imageId`. */
async function partials(dir: string, imageId: string): Promise<string[]> {
  const names = await readdir(path.join(dir, '.partial')).catch(() => [])
  return names.filter((name) => name.startsWith(`${imageId}.`))
}

describe('localImageStore', () => {
  let root: string
  let dir: string
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'nubis-local-images-'))
    dir = path.join(root, 'images')
  })
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('is an image-store driver named local that range-reads', () => {
    const store = localImageStore({ dir })
    expect(isDriver(store)).toBe(true)
    expect(store).toMatchObject({
      kind: 'image-store',
      name: 'local',
      capabilities: { rangeRead: true, cowClone: false, prefersRaw: false },
    })
  })

  it('needs a directory', () => {
    expect(() => localImageStore({ dir: '' })).toThrowError(expect.objectContaining({ code: 'INVALID' }))
  })

  it('stores each image as <dir>/<imageId>, private to the owner, at its file:// url', async () => {
    const store = localImageStore({ dir })
    const stored = await store.write('img-1', chunks('hello ', 'world'))
    const file = path.join(dir, 'img-1')
    expect(stored).toEqual({ url: pathToFileURL(file).href, size: 11, metadata: {} })
    expect(await readFile(file, 'utf8')).toBe('hello world')
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    expect((await stat(path.join(dir, '.partial'))).mode & 0o777).toBe(0o700)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(await readdir(path.join(dir, '.partial'))).toEqual([])
  })

  it('keeps a write in .partial until it ends, and removes it when the write is aborted', async () => {
    const store = localImageStore({ dir })
    const controller = new AbortController()
    let firstTaken = false
    async function* stalled() {
      yield Buffer.alloc(100_000, 1)
      firstTaken = true
      await new Promise((resolve) => setTimeout(resolve, 60_000))
      yield Buffer.alloc(1, 2)
    }
    const pending = store.write('img', stalled(), { signal: controller.signal })
    await vi.waitFor(() => expect(firstTaken).toBe(true))
    const [temp, ...others] = await partials(dir, 'img')
    expect(temp).toMatch(/^img\.[0-9a-f]+$/)
    expect(others).toEqual([])
    expect((await stat(path.join(dir, '.partial', temp!))).mode & 0o777).toBe(0o600)
    await expect(stat(path.join(dir, 'img'))).rejects.toMatchObject({ code: 'ENOENT' })

    controller.abort()
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED', driver: 'local' })
    await vi.waitFor(async () => expect(await partials(dir, 'img')).toEqual([]))
    await expect(stat(path.join(dir, 'img'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('removes the temporary file when the source fails, passing the failure on', async () => {
    const store = localImageStore({ dir })
    async function* broken() {
      yield Buffer.from('partial data')
      throw new Error('connection reset')
    }
    await expect(store.write('img', broken())).rejects.toMatchObject({
      code: 'DRIVER_FAILED',
      driver: 'local',
      message: expect.stringContaining('connection reset'),
    })
    expect(await partials(dir, 'img')).toEqual([])
    expect(await readdir(dir)).toEqual(['.partial'])
  })

  it('rejects image ids that could leave the directory or collide with its files', async () => {
    const store = localImageStore({ dir })
    for (const id of [
      '../x',
      '..',
      'a/b',
      'a\\b',
      '.partial',
      'x.y',
      '',
      'a'.repeat(65),
      'caf\u00e9',
      'a b',
    ]) {
      await expect(store.write(id, chunks('x')), id).rejects.toMatchObject({ code: 'INVALID' })
      await expect(store.discardPartial(id), id).rejects.toMatchObject({ code: 'INVALID' })
    }
    await expect(store.write('a'.repeat(64), chunks('x'))).resolves.toMatchObject({ size: 1 })
    expect((await readdir(root)).sort()).toEqual(['images'])
  })

  it('owns only canonical urls of files directly in its directory', async () => {
    const store = localImageStore({ dir })
    const base = pathToFileURL(dir).href
    expect(store.owns(`${base}/img-1`)).toBe(true)
    for (const url of [
      'file:///etc/passwd',
      `${base}/../x`,
      `${base}/%2e%2e/x`,
      `${base}/sub/../img-1`,
      `${base}/img-1/`,
      `${base}/img-1?x=1`,
      `${base}/img-1#frag`,
      `${base}/.partial`,
      `${base}/a%2Fb`,
      `${base}`,
      `${base}/`,
      `${base}-other/img-1`,
      `file://localhost${fileURLToPath(base)}/img-1`,
      'memory://memory/img-1',
    ]) {
      expect(store.owns(url), url).toBe(false)
    }
    await writeFile(path.join(root, 'x'), 'outside')
    for (const method of ['read', 'stat', 'delete'] as const) {
      await expect(store[method](`${base}/../x`), method).rejects.toMatchObject({ code: 'INVALID' })
    }
    expect(await readFile(path.join(root, 'x'), 'utf8')).toBe('outside')
  })

  it('reports missing data as NOT_FOUND about the image data', async () => {
    const store = localImageStore({ dir })
    const url = `${pathToFileURL(dir).href}/gone`
    const notFound = { code: 'NOT_FOUND', resource: { type: 'image data', id: 'gone' }, driver: 'local' }
    await expect(store.read(url)).rejects.toMatchObject(notFound)
    await expect(store.stat(url)).rejects.toMatchObject(notFound)
    await expect(store.delete(url)).resolves.toBeUndefined()
  })

  it('refuses a negative or fractional range with INVALID', async () => {
    const store = localImageStore({ dir })
    const { url } = await store.write('img', chunks('0123456789'))
    await expect(store.read(url, { offset: -1 })).rejects.toMatchObject({ code: 'INVALID' })
    await expect(store.read(url, { offset: 1.5 })).rejects.toMatchObject({ code: 'INVALID' })
    await expect(store.read(url, { length: -2 })).rejects.toMatchObject({ code: 'INVALID' })
    expect(await text(await store.read(url, { offset: 20 }))).toBe('')
    expect(await text(await store.read(url, { offset: 8, length: 100 }))).toBe('89')
  })

  it('keeps serving a stream opened before its data is deleted', async () => {
    const store = localImageStore({ dir })
    const { url } = await store.write('img', chunks('still here'))
    const stream = await store.read(url)
    await store.delete(url)
    expect(await text(stream)).toBe('still here')
  })

  it('probes a usable directory (creating it) and answers UNAVAILABLE, retryable, for an unusable one', async () => {
    await expect(localImageStore({ dir }).probe()).resolves.toBeUndefined()
    expect((await stat(dir)).isDirectory()).toBe(true)
    const file = path.join(root, 'a-file')
    await writeFile(file, '')
    await expect(localImageStore({ dir: path.join(file, 'images') }).probe()).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      retryable: true,
      driver: 'local',
    })
  })

  it('leaves no visible image when the writing process is killed, and discardPartial removes its temp', async () => {
    const store = localImageStore({ dir })
    const child = spawn(
      process.execPath,
      [
        '--conditions=@nubis/source',
        '--import',
        'tsx',
        path.join(here, 'fixtures', 'slow-writer.ts'),
        dir,
        'img',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (data: string) => {
      stderr += data
    })
    const exited = once(child, 'exit')
    try {
      // Killed once some data is on disk, mid-write.
      await vi.waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`the writer exited early: ${stderr}`)
          const [temp] = await partials(dir, 'img')
          expect(temp).toBeDefined()
          expect((await stat(path.join(dir, '.partial', temp!))).size).toBeGreaterThan(128 * 1024)
        },
        { timeout: 20_000, interval: 50 },
      )
    } finally {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL')
    }
    const [, signal] = await exited
    expect(signal).toBe('SIGKILL')

    const url = `${pathToFileURL(dir).href}/img`
    await expect(store.stat(url)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await readdir(dir)).toEqual(['.partial'])
    expect(await partials(dir, 'img')).toHaveLength(1)
    await store.discardPartial('img')
    expect(await partials(dir, 'img')).toEqual([])
    await store.discardPartial('img')
  }, 60_000)
})
