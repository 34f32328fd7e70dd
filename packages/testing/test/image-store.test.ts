import { isDriver } from '@nubis/sdk'
import { describeImageStoreConformance, memoryImageStore } from '@nubis/testing'
import { describe, expect, it } from 'vitest'

describeImageStoreConformance(() => ({ driver: memoryImageStore() }), { label: 'memory' })
describeImageStoreConformance(() => ({ driver: memoryImageStore({ capabilities: { rangeRead: false } }) }), {
  label: 'memory, no rangeRead',
})

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part)
}

async function text(stream: AsyncIterable<unknown>): Promise<string> {
  let out = ''
  for await (const chunk of stream) out += Buffer.from(chunk as Uint8Array).toString()
  return out
}

describe('memoryImageStore', () => {
  it('is a driver named as asked, with memory:// urls and the capabilities given', async () => {
    const store = memoryImageStore({ name: 'fast', capabilities: { cowClone: true, prefersRaw: undefined } })
    expect(isDriver(store)).toBe(true)
    expect(store).toMatchObject({ kind: 'image-store', name: 'fast' })
    expect(store.capabilities).toEqual({ rangeRead: true, cowClone: true, prefersRaw: false })
    const stored = await store.write('img-1', chunks('hello ', 'world'))
    expect(stored).toEqual({ url: 'memory://fast/img-1', size: 11, metadata: {} })
    expect(store.owns('memory://fast/other')).toBe(true)
    expect(store.owns('memory://slow/img-1')).toBe(false)
    expect(store.locations()).toEqual(['memory://fast/img-1'])
    await expect(store.read('memory://slow/img-1')).rejects.toMatchObject({ code: 'INVALID' })
  })

  it('refuses to delete data marked in use, with CONFLICT, until freed', async () => {
    const store = memoryImageStore()
    const { url } = await store.write('img', chunks('data'))
    store.inUse(url)
    await expect(store.delete(url)).rejects.toMatchObject({
      code: 'CONFLICT',
      driver: 'memory',
      resource: { type: 'image data', id: 'img' },
    })
    expect(await text(await store.read(url))).toBe('data')
    store.inUse(url, false)
    await store.delete(url)
    expect(store.locations()).toEqual([])
  })

  it('answers UNAVAILABLE, retryable, while switched off', async () => {
    const store = memoryImageStore({ unavailable: true })
    const unavailable = { code: 'UNAVAILABLE', retryable: true, driver: 'memory' }
    await expect(store.probe()).rejects.toMatchObject(unavailable)
    await expect(store.write('img', chunks('x'))).rejects.toMatchObject(unavailable)
    expect(store.owns('memory://memory/img')).toBe(true)
    store.setUnavailable(false)
    const { url } = await store.write('img', chunks('x'))
    store.setUnavailable(true)
    await expect(store.stat(url)).rejects.toMatchObject(unavailable)
    await expect(store.read(url)).rejects.toMatchObject(unavailable)
    await expect(store.delete(url)).rejects.toMatchObject(unavailable)
    await expect(store.discardPartial('img')).rejects.toMatchObject(unavailable)
    store.setUnavailable(false)
    await expect(store.stat(url)).resolves.toEqual({ size: 1 })
  })

  it('counts writes in progress as partial, and discardPartial cuts one short', async () => {
    const store = memoryImageStore()
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    async function* slow() {
      yield Buffer.from('first')
      await gate
      yield Buffer.from('second')
    }
    const pending = store.write('img', slow())
    await Promise.resolve()
    expect(store.partials('img')).toBe(1)
    expect(store.partials('other')).toBe(0)
    await store.discardPartial('img')
    expect(store.partials()).toBe(0)
    release()
    await expect(pending).rejects.toMatchObject({ code: 'DRIVER_FAILED' })
    expect(store.locations()).toEqual([])
  })

  it('keeps a partial left by a simulated crash until discardPartial', async () => {
    const store = memoryImageStore()
    store.leavePartial('img')
    store.leavePartial('img')
    expect(store.partials('img')).toBe(2)
    await store.discardPartial('img')
    expect(store.partials('img')).toBe(0)
  })

  it('rejects an aborted write at once even when the source stalls, keeping nothing', async () => {
    const store = memoryImageStore()
    const controller = new AbortController()
    async function* stalled() {
      yield Buffer.from('some')
      await new Promise(() => {})
    }
    const pending = store.write('img', stalled(), { signal: controller.signal })
    await new Promise((resolve) => setTimeout(resolve, 10))
    controller.abort()
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' })
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(store.partials()).toBe(0)
    expect(store.locations()).toEqual([])
  })

  it('injects faults through its faults controller', async () => {
    const store = memoryImageStore()
    store.faults.failOnce('write')
    await expect(store.write('img', chunks('x'))).rejects.toMatchObject({
      code: 'DRIVER_FAILED',
      details: { injected: true, method: 'write' },
    })
    await expect(store.write('img', chunks('x'))).resolves.toMatchObject({ size: 1 })
    store.faults.failAlways('probe').clear('probe')
    await expect(store.probe()).resolves.toBeUndefined()
  })

  it('copies the chunks it is given, so a reused buffer does not change stored data', async () => {
    const store = memoryImageStore()
    const buffer = Buffer.from('aaaa')
    async function* reuse() {
      yield buffer
      buffer.fill('b')
      yield buffer
    }
    const { url } = await store.write('img', reuse())
    expect(await text(await store.read(url))).toBe('aaaabbbb')
  })
})
